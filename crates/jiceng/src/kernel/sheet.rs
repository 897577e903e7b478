//! Reading an uploaded spreadsheet without trusting it: caps on the file, on what its archive
//! unpacks to, and on rows and columns; the cells streamed one by one (never the used range's
//! bounding box, which two far-apart cells make ~10¹⁰ cells large); all of it off the async
//! threads. Every importer reads through here.

use crate::error::{AppError, AppResult, Code};
use std::io::Cursor;

/// The most an upload may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of the file as uploaded.
    pub file_bytes: usize,
    /// Bytes its archive declares it unpacks to, all entries together.
    pub unpacked_bytes: u64,
    /// Rows of one sheet, the header included.
    pub rows: u32,
    /// Columns of one sheet.
    pub columns: u32,
}

/// Generous for a county's lists and catalog (a few thousand rows), far below what hurts.
pub const LIMITS: Limits = Limits {
    file_bytes: 10 << 20,
    unpacked_bytes: 100 << 20,
    rows: 20_000,
    columns: 32,
};

/// Which sheets to read.
pub enum Pick<'a> {
    /// The first sheet, whatever its name.
    First,
    /// These sheets by name; a missing one is an error naming it.
    Named(&'a [&'a str]),
}

/// One sheet's cells as text, row by row (rows and cells past the last used one left out).
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

fn too_large(what: String) -> AppError {
    AppError::new(Code::UploadTooLarge, what)
}

/// Reads the picked sheets of an `.xlsx` upload; `bad_file` is the importer's code for a
/// file that is not a readable workbook.
pub async fn read(
    bytes: Vec<u8>,
    pick: Pick<'static>,
    bad_file: Code,
    limits: Limits,
) -> AppResult<Vec<Sheet>> {
    if bytes.len() > limits.file_bytes {
        return Err(too_large(format!(
            "文件过大：不超过 {} MB",
            limits.file_bytes >> 20
        )));
    }
    tokio::task::spawn_blocking(move || read_blocking(bytes, pick, bad_file, limits))
        .await
        .map_err(AppError::internal)?
}

fn read_blocking(
    bytes: Vec<u8>,
    pick: Pick<'_>,
    bad_file: Code,
    limits: Limits,
) -> AppResult<Vec<Sheet>> {
    use calamine::Reader;
    let bad = |m: String| AppError::new(bad_file, m);
    // What the archive says it unpacks to, read from its directory without unpacking. The
    // zip reader holds each entry to its declared size (more is an error), so a directory
    // that understates a deflate bomb cannot make calamine inflate past this cap.
    {
        let mut zip = zip::ZipArchive::new(Cursor::new(&bytes[..]))
            .map_err(|e| bad(format!("不是有效的 xlsx 文件：{e}")))?;
        let mut total: u64 = 0;
        for i in 0..zip.len() {
            let f = zip
                .by_index_raw(i)
                .map_err(|e| bad(format!("不是有效的 xlsx 文件：{e}")))?;
            total = total.saturating_add(f.size());
        }
        if total > limits.unpacked_bytes {
            return Err(too_large(format!(
                "文件解压后过大：不超过 {} MB",
                limits.unpacked_bytes >> 20
            )));
        }
    }
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes))
        .map_err(|e| bad(format!("不是有效的 xlsx 文件：{e}")))?;
    let names: Vec<String> = match pick {
        Pick::First => vec![
            wb.sheet_names()
                .first()
                .cloned()
                .ok_or_else(|| bad("文件中没有工作表".into()))?,
        ],
        Pick::Named(names) => names.iter().map(|n| n.to_string()).collect(),
    };
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let mut cells = wb
            .worksheet_cells_reader(&name)
            .map_err(|_| bad(format!("文件中没有“{name}”工作表")))?;
        let mut rows: Vec<Vec<String>> = Vec::new();
        while let Some(cell) = cells
            .next_cell()
            .map_err(|e| bad(format!("无法读取工作表“{name}”：{e}")))?
        {
            let (r, c) = cell.get_position();
            if r >= limits.rows || c >= limits.columns {
                return Err(too_large(format!(
                    "工作表“{name}”过大：不超过 {} 行、{} 列",
                    limits.rows, limits.columns
                )));
            }
            let text = calamine::Data::from(cell.get_value().clone()).to_string();
            if text.is_empty() {
                continue;
            }
            let (r, c) = (r as usize, c as usize);
            if rows.len() <= r {
                rows.resize_with(r + 1, Vec::new);
            }
            let row = &mut rows[r];
            if row.len() <= c {
                row.resize_with(c + 1, String::new);
            }
            row[c] = text;
        }
        out.push(Sheet { name, rows });
    }
    Ok(out)
}
