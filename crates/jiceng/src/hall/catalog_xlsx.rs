//! The catalog as a workbook: sheet 事项, one row per matter, and sheet 材料, one row per
//! material with its matter's 实施编码. Export writes the current catalog in exactly the form
//! import reads, so an exported file is the template (documented in docs/service-catalog.md).
//! A file with any error imports nothing and reports every bad row.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::hall::catalog;
use crate::hall::catalog::ImportReport;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use jiceng_core::calendar::{Limit, LimitUnit};
use jiceng_core::catalog::{
    CaseKind, Material, MaterialForm, MaterialSource, MatterSpec, MatterType, Necessity,
};

pub const MATTER_SHEET: &str = "事项";
pub const MATERIAL_SHEET: &str = "材料";

pub const MATTER_HEADERS: [&str; 21] = [
    "实施编码",
    "基本编码",
    "事项名称",
    "事项类型",
    "实施单位编码",
    "行使层级",
    "办件类型",
    "法定时限",
    "法定时限单位",
    "承诺时限",
    "承诺时限单位",
    "受理条件",
    "办理流程",
    "到现场次数",
    "收费",
    "办理地点",
    "办理时间",
    "咨询电话",
    "投诉电话",
    "网办深度",
    "一句话说明",
];

pub const MATERIAL_HEADERS: [&str; 11] = [
    "实施编码",
    "材料名称",
    "必要性",
    "条件",
    "形式",
    "份数",
    "来源",
    "出具单位",
    "受理标准",
    "空白表格",
    "示例样表",
];

const MATTER_TYPES: [MatterType; 8] = [
    MatterType::AdministrativeLicensing,
    MatterType::AdministrativePayment,
    MatterType::AdministrativeConfirmation,
    MatterType::AdministrativeLevy,
    MatterType::AdministrativeAward,
    MatterType::AdministrativeAdjudication,
    MatterType::OtherPower,
    MatterType::PublicService,
];

fn unit_label(u: LimitUnit) -> &'static str {
    match u {
        LimitUnit::NaturalDays => "自然日",
        _ => "工作日",
    }
}

fn form_label(f: MaterialForm) -> &'static str {
    match f {
        MaterialForm::Paper => "纸质",
        MaterialForm::Electronic => "电子",
        MaterialForm::Either => "纸质或电子",
    }
}

/// The current catalog as a workbook.
pub async fn export(app: &App) -> AppResult<Vec<u8>> {
    let specs = catalog::all_specs(app).await?;
    let xerr = |e: rust_xlsxwriter::XlsxError| AppError::internal(anyhow::anyhow!("xlsx: {e}"));
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let ws = wb.add_worksheet();
    ws.set_name(MATTER_SHEET).map_err(xerr)?;
    for (c, h) in MATTER_HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xerr)?;
    }
    for (i, s) in specs.iter().enumerate() {
        let row = i as u32 + 1;
        let cells: [String; 21] = [
            s.code.clone(),
            s.basic_code.clone(),
            s.name.clone(),
            s.matter_type.label().into(),
            s.unit_code.clone(),
            s.level.clone(),
            match s.case_kind {
                CaseKind::Immediate => "即办件".into(),
                CaseKind::Promised => "承诺件".into(),
            },
            s.legal_limit.amount.to_string(),
            unit_label(s.legal_limit.unit).into(),
            s.promised_limit.amount.to_string(),
            unit_label(s.promised_limit.unit).into(),
            s.conditions.clone(),
            s.steps.join("、"),
            s.visits.to_string(),
            s.fees.clone(),
            s.place.clone(),
            s.hours.clone(),
            s.consult_phone.clone(),
            s.complaint_phone.clone(),
            s.online_depth.to_string(),
            s.summary.clone(),
        ];
        for (c, v) in cells.iter().enumerate() {
            ws.write_string(row, c as u16, v).map_err(xerr)?;
        }
    }
    let ws = wb.add_worksheet();
    ws.set_name(MATERIAL_SHEET).map_err(xerr)?;
    for (c, h) in MATERIAL_HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xerr)?;
    }
    let mut row = 1u32;
    for s in &specs {
        for m in &s.materials {
            let (need, cond) = match &m.necessity {
                Necessity::Required => ("必要", String::new()),
                Necessity::Conditional { condition } => ("条件", condition.clone()),
                Necessity::Optional => ("非必要", String::new()),
            };
            let (source, by) = match &m.source {
                MaterialSource::Applicant => ("申请人", String::new()),
                MaterialSource::Issued { by } => ("部门出具", by.clone()),
            };
            let cells: [String; 11] = [
                s.code.clone(),
                m.name.clone(),
                need.into(),
                cond,
                form_label(m.form).into(),
                m.copies.to_string(),
                source.into(),
                by,
                m.standard.clone(),
                m.blank_form.clone(),
                m.sample.clone(),
            ];
            for (c, v) in cells.iter().enumerate() {
                ws.write_string(row, c as u16, v).map_err(xerr)?;
            }
            row += 1;
        }
    }
    wb.save_to_buffer().map_err(xerr)
}

type Rows = Vec<(usize, Vec<String>)>;

/// A sheet's rows after its header (which must be `headers`), with their line numbers; blank
/// rows are skipped.
fn sheet_rows(sheet: &crate::kernel::sheet::Sheet, headers: &[&str]) -> AppResult<Rows> {
    let name = &sheet.name;
    let bad = |m: String| AppError::new(Code::MatterBadFile, m);
    let mut rows = sheet
        .rows
        .iter()
        .enumerate()
        .skip_while(|(_, r)| r.iter().all(|c| c.trim().is_empty()));
    let header: Vec<String> = rows
        .next()
        .map(|(_, r)| r.iter().map(|c| c.trim().to_string()).collect())
        .unwrap_or_default();
    if header
        .iter()
        .take(headers.len())
        .map(String::as_str)
        .ne(headers.iter().copied())
    {
        return Err(bad(format!(
            "“{name}”工作表的表头应为：{}",
            headers.join("、")
        )));
    }
    Ok(rows
        .map(|(i, r)| {
            (
                i + 1,
                (0..headers.len())
                    .map(|c| r.get(c).map(|v| v.trim().to_string()).unwrap_or_default())
                    .collect::<Vec<String>>(),
            )
        })
        .filter(|(_, cells)| cells.iter().any(|c| !c.is_empty()))
        .collect())
}

fn number(v: &str, what: &str, problems: &mut Vec<String>) -> u32 {
    match v.trim().trim_end_matches(".0").parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            problems.push(format!("{what}应为非负整数，而不是“{v}”"));
            0
        }
    }
}

fn limit_unit(v: &str, what: &str, problems: &mut Vec<String>) -> LimitUnit {
    match v {
        "工作日" | "" => LimitUnit::WorkingDays,
        "自然日" => LimitUnit::NaturalDays,
        _ => {
            problems.push(format!("{what}应为“工作日”或“自然日”"));
            LimitUnit::WorkingDays
        }
    }
}

fn material(cells: &[String], problems: &mut Vec<String>) -> Material {
    let necessity = match cells[2].as_str() {
        "必要" | "" => Necessity::Required,
        "条件" => Necessity::Conditional {
            condition: cells[3].clone(),
        },
        "非必要" => Necessity::Optional,
        other => {
            problems.push(format!("必要性应为“必要”“条件”或“非必要”，而不是“{other}”"));
            Necessity::Required
        }
    };
    let form = match cells[4].as_str() {
        "纸质" => MaterialForm::Paper,
        "电子" => MaterialForm::Electronic,
        "纸质或电子" | "" => MaterialForm::Either,
        other => {
            problems.push(format!(
                "形式应为“纸质”“电子”或“纸质或电子”，而不是“{other}”"
            ));
            MaterialForm::Either
        }
    };
    let source = match cells[6].as_str() {
        "申请人" | "" => MaterialSource::Applicant,
        "部门出具" => MaterialSource::Issued {
            by: cells[7].clone(),
        },
        other => {
            problems.push(format!("来源应为“申请人”或“部门出具”，而不是“{other}”"));
            MaterialSource::Applicant
        }
    };
    Material {
        name: cells[1].clone(),
        necessity,
        form,
        copies: if cells[5].is_empty() {
            1
        } else {
            number(&cells[5], "份数", problems)
        },
        source,
        standard: cells[8].clone(),
        blank_form: cells[9].clone(),
        sample: cells[10].clone(),
    }
}

/// Reads a workbook in the export's form and saves every matter in it, or nothing when any
/// row is wrong (administrators).
pub async fn import(app: &App, actor: &Actor, bytes: Vec<u8>) -> AppResult<ImportReport> {
    if !actor.is_deployment_admin() {
        return Err(crate::kernel::audit::deny(app, actor, "matter.import", "matter", "").await);
    }
    use crate::kernel::sheet;
    let sheets = sheet::read(
        bytes,
        sheet::Pick::Named(&[MATTER_SHEET, MATERIAL_SHEET]),
        Code::MatterBadFile,
        sheet::LIMITS,
    )
    .await?;
    let matters = sheet_rows(&sheets[0], &MATTER_HEADERS)?;
    let materials = sheet_rows(&sheets[1], &MATERIAL_HEADERS)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut specs: Vec<(String, MatterSpec)> = Vec::new();
    for (line, c) in &matters {
        let mut problems = Vec::new();
        let matter_type = MATTER_TYPES
            .iter()
            .copied()
            .find(|t| t.label() == c[3])
            .unwrap_or_else(|| {
                problems.push(format!("事项类型“{}”不在清单中", c[3]));
                MatterType::PublicService
            });
        let case_kind = match c[6].as_str() {
            "即办件" => CaseKind::Immediate,
            "承诺件" => CaseKind::Promised,
            other => {
                problems.push(format!("办件类型应为“即办件”或“承诺件”，而不是“{other}”"));
                CaseKind::Promised
            }
        };
        let spec = MatterSpec {
            code: c[0].clone(),
            basic_code: c[1].clone(),
            name: c[2].clone(),
            matter_type,
            unit_code: c[4].clone(),
            level: c[5].clone(),
            case_kind,
            legal_limit: Limit {
                amount: number(&c[7], "法定时限", &mut problems),
                unit: limit_unit(&c[8], "法定时限单位", &mut problems),
            },
            promised_limit: Limit {
                amount: number(&c[9], "承诺时限", &mut problems),
                unit: limit_unit(&c[10], "承诺时限单位", &mut problems),
            },
            conditions: c[11].clone(),
            steps: c[12]
                .split(['、', ',', '，', '→'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
            visits: number(&c[13], "到现场次数", &mut problems),
            fees: c[14].clone(),
            place: c[15].clone(),
            hours: c[16].clone(),
            consult_phone: c[17].clone(),
            complaint_phone: c[18].clone(),
            online_depth: number(&c[19], "网办深度", &mut problems),
            summary: c[20].clone(),
            materials: Vec::new(),
        };
        let place = format!("{MATTER_SHEET}!第{line}行");
        errors.extend(problems.into_iter().map(|m| FieldError {
            field: place.clone(),
            message: m,
        }));
        specs.push((place, spec));
    }
    for (line, c) in &materials {
        let place = format!("{MATERIAL_SHEET}!第{line}行");
        let mut problems = Vec::new();
        let m = material(c, &mut problems);
        match specs.iter_mut().find(|(_, s)| s.code == c[0]) {
            Some((_, s)) => s.materials.push(m),
            None => problems.push(format!("实施编码 {} 不在“{MATTER_SHEET}”工作表中", c[0])),
        }
        errors.extend(problems.into_iter().map(|m| FieldError {
            field: place.clone(),
            message: m,
        }));
    }
    if specs.is_empty() && errors.is_empty() {
        return Err(AppError::new(Code::MatterBadFile, "文件中没有事项"));
    }
    catalog::save_many(app, actor, specs, errors).await
}
