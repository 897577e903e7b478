//! Import of organisation data: regions and departments from CSV, grids from GeoJSON.
//!
//! All files of one import go in one transaction: a bad file writes nothing, and the error
//! names every bad row or feature (up to [`MAX_REPORTED`]) and its problem.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::org;
use crate::org::departments::DepartmentInput;
use crate::org::grids::GridInput;
use crate::org::regions::RegionInput;
use crate::store::entities::user;
use jiceng_core::RegionCode;
use sea_orm::{ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter};
use serde::Serialize;

pub const MAX_REPORTED: usize = 50;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Regions,
    Departments,
    Grids,
}

impl ImportKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "regions" => Some(Self::Regions),
            "departments" => Some(Self::Departments),
            "grids" => Some(Self::Grids),
            _ => None,
        }
    }

    /// Guesses the kind of a file from its first bytes: GeoJSON, or a CSV by its header.
    pub fn detect(bytes: &[u8]) -> Option<Self> {
        let text = std::str::from_utf8(bytes)
            .ok()?
            .trim_start_matches('\u{feff}')
            .trim_start();
        if text.starts_with('{') {
            return Some(Self::Grids);
        }
        let header = text.lines().next()?.to_lowercase();
        if header.split(',').any(|h| h.trim() == "kind") {
            Some(Self::Departments)
        } else if header.split(',').any(|h| h.trim() == "code") {
            Some(Self::Regions)
        } else {
            None
        }
    }

    pub(crate) fn order(self) -> u8 {
        match self {
            Self::Regions => 0,
            Self::Departments => 1,
            Self::Grids => 2,
        }
    }
}

pub struct ImportFile {
    pub name: String,
    pub kind: ImportKind,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Default, Serialize)]
pub struct ImportReport {
    pub regions: usize,
    pub departments: usize,
    pub grids: usize,
}

struct Problems(Vec<FieldError>);

impl Problems {
    pub(crate) fn add(&mut self, place: String, e: &AppError) {
        let detail = match e.fields.first() {
            Some(f) if f.message != e.message => format!("{}（{}）", e.message, f.field),
            Some(f) => format!("{}（字段 {}）", e.message, f.field),
            None => e.message.clone(),
        };
        self.0.push(FieldError {
            field: place,
            message: detail,
        });
    }

    pub(crate) fn full(&self) -> bool {
        self.0.len() >= MAX_REPORTED
    }
}

fn bad_file(file: &str, message: impl Into<String>) -> AppError {
    AppError::new(Code::ImportBadFile, format!("{file}：{}", message.into()))
}

fn csv_rows(
    file: &str,
    bytes: &[u8],
) -> AppResult<Vec<(usize, std::collections::HashMap<String, String>)>> {
    let text = std::str::from_utf8(bytes).map_err(|_| bad_file(file, "文件不是 UTF-8 编码"))?;
    let text = text.trim_start_matches('\u{feff}');
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| bad_file(file, format!("表头无法读取：{e}")))?
        .iter()
        .map(|h| h.to_lowercase())
        .collect();
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| bad_file(file, format!("第{line}行无法解析：{e}")))?;
        let row = headers
            .iter()
            .cloned()
            .zip(rec.iter().map(str::to_string))
            .collect();
        out.push((line, row));
    }
    Ok(out)
}

fn col(row: &std::collections::HashMap<String, String>, name: &str) -> String {
    row.get(name).cloned().unwrap_or_default()
}

async fn import_regions(
    txn: &DatabaseTransaction,
    app: &App,
    actor: &Actor,
    f: &ImportFile,
    p: &mut Problems,
) -> AppResult<usize> {
    let mut rows = csv_rows(&f.name, &f.bytes)?;
    // Parents first, whatever the order in the file.
    rows.sort_by_key(|(line, r)| {
        (
            RegionCode::parse(&col(r, "code")).map(|c| c.level()).ok(),
            *line,
        )
    });
    let mut n = 0;
    for (line, r) in rows {
        let place = format!("{} 第{line}行", f.name);
        let code = col(&r, "code");
        if let Ok(c) = RegionCode::parse(&code) {
            let given = col(&r, "parent_code");
            let derived = c.parent().map(|p| p.to_string()).unwrap_or_default();
            if !given.is_empty() && given != derived {
                let e = AppError::field(
                    "parent_code",
                    Code::RegionParentMismatch,
                    format!("上级代码应为 {derived}，与区划代码不符"),
                );
                p.add(place, &e);
                continue;
            }
            if !actor.covers_region(&c) {
                p.add(place, &AppError::forbidden());
                continue;
            }
        }
        let boundary = match col(&r, "boundary") {
            s if s.is_empty() => None,
            s => match serde_json::from_str(&s) {
                Ok(v) => Some(v),
                Err(_) => {
                    p.add(
                        place,
                        &AppError::field(
                            "boundary",
                            Code::GeometryInvalidGeojson,
                            "边界不是有效的 GeoJSON",
                        ),
                    );
                    continue;
                }
            },
        };
        let input = RegionInput {
            code,
            name: col(&r, "name"),
            boundary,
        };
        match org::insert_region(txn, app.now(), actor, &input).await {
            Ok(_) => n += 1,
            Err(e) if e.is_internal() => return Err(e),
            Err(e) => p.add(place, &e),
        }
        if p.full() {
            break;
        }
    }
    Ok(n)
}

async fn import_departments(
    txn: &DatabaseTransaction,
    app: &App,
    actor: &Actor,
    f: &ImportFile,
    p: &mut Problems,
) -> AppResult<usize> {
    let mut n = 0;
    for (line, r) in csv_rows(&f.name, &f.bytes)? {
        let place = format!("{} 第{line}行", f.name);
        let input = DepartmentInput {
            code: col(&r, "code"),
            name: col(&r, "name"),
            kind: col(&r, "kind"),
            region_code: col(&r, "region_code"),
            phone: col(&r, "phone"),
            email: col(&r, "email"),
            active: true,
        };
        if RegionCode::parse(&input.region_code).is_ok_and(|c| !actor.covers_region(&c)) {
            p.add(place, &AppError::forbidden());
            continue;
        }
        match org::insert_department(txn, app.now(), actor, &input).await {
            Ok(_) => n += 1,
            Err(e) if e.is_internal() => return Err(e),
            Err(e) => p.add(place, &e),
        }
        if p.full() {
            break;
        }
    }
    Ok(n)
}

async fn import_grids(
    txn: &DatabaseTransaction,
    app: &App,
    actor: &Actor,
    f: &ImportFile,
    p: &mut Problems,
) -> AppResult<usize> {
    let text =
        std::str::from_utf8(&f.bytes).map_err(|_| bad_file(&f.name, "文件不是 UTF-8 编码"))?;
    let fc: geojson::FeatureCollection = text
        .trim_start_matches('\u{feff}')
        .parse::<geojson::GeoJson>()
        .map_err(|e| bad_file(&f.name, format!("不是有效的 GeoJSON：{e}")))
        .and_then(|g| {
            geojson::FeatureCollection::try_from(g)
                .map_err(|_| bad_file(&f.name, "顶层必须是 FeatureCollection"))
        })?;
    let mut n = 0;
    for (i, feature) in fc.features.into_iter().enumerate() {
        let prop = |k: &str| {
            feature
                .property(k)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let code = prop("code");
        let place = format!(
            "{} 第{}个要素（code={}）",
            f.name,
            i + 1,
            if code.is_empty() { "空" } else { &code }
        );
        let Some(geometry) = feature.geometry.as_ref() else {
            p.add(
                place,
                &AppError::field("geometry", Code::GeometryMissing, "要素缺少几何"),
            );
            continue;
        };
        let worker = match prop("worker") {
            w if w.is_empty() => None,
            w => match user::Entity::find()
                .filter(user::Column::Username.eq(w.to_lowercase()))
                .one(txn)
                .await?
            {
                Some(u) => Some(u.id),
                None => {
                    p.add(
                        place,
                        &AppError::field(
                            "worker",
                            Code::ImportUnknownUser,
                            format!("网格员账号 {w} 不存在"),
                        ),
                    );
                    continue;
                }
            },
        };
        let input = GridInput {
            code,
            name: prop("name"),
            village_code: prop("village_code"),
            geometry: serde_json::to_value(geometry).expect("geometry serialises"),
            worker_user_id: worker,
        };
        if RegionCode::parse(&input.village_code).is_ok_and(|c| !actor.covers_region(&c)) {
            p.add(place, &AppError::forbidden());
            continue;
        }
        match org::insert_grid(txn, app.now(), actor, &input).await {
            Ok(_) => n += 1,
            Err(e) if e.is_internal() => return Err(e),
            Err(e) => p.add(place, &e),
        }
        if p.full() {
            break;
        }
    }
    Ok(n)
}

/// Imports files in dependency order (regions, departments, grids) in one transaction.
/// `progress` is called after each file with its name and the number of records written.
pub async fn import(
    app: &App,
    actor: &Actor,
    mut files: Vec<ImportFile>,
    progress: &(dyn Fn(&str, usize) + Sync),
) -> AppResult<ImportReport> {
    if !actor.is_admin() {
        return Err(crate::kernel::audit::deny(app, actor, "org.import", "import", "").await);
    }
    files.sort_by_key(|f| f.kind.order());
    let txn = app.db.begin_write().await?;
    let mut report = ImportReport::default();
    let mut problems = Problems(Vec::new());
    for f in &files {
        let n = match f.kind {
            ImportKind::Regions => import_regions(&txn, app, actor, f, &mut problems).await?,
            ImportKind::Departments => {
                import_departments(&txn, app, actor, f, &mut problems).await?
            }
            ImportKind::Grids => import_grids(&txn, app, actor, f, &mut problems).await?,
        };
        match f.kind {
            ImportKind::Regions => report.regions += n,
            ImportKind::Departments => report.departments += n,
            ImportKind::Grids => report.grids += n,
        }
        progress(&f.name, n);
        if problems.full() {
            break;
        }
    }
    if !problems.0.is_empty() {
        txn.rollback().await?;
        let first = problems.0[0].clone();
        return Err(AppError::invalid(
            Code::ImportInvalid,
            format!(
                "导入失败，未写入任何数据。共{}处错误，第一处：{}：{}",
                problems.0.len(),
                first.field,
                first.message
            ),
            problems.0,
        ));
    }
    crate::kernel::versions::bump(&txn, crate::kernel::versions::LOCATE).await?;
    txn.commit().await?;
    crate::org::locate::of(app).reload(&app.db).await?;
    Ok(report)
}
