//! 权责清单: versioned responsibility lists per region. A draft is edited, published with an
//! effective date (one published version in force; older ones kept as superseded), and two
//! versions can be compared.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::store::entities::department;
use crate::store::entities::resp_item;
use crate::store::entities::resp_list;
use crate::work_orders::dispatch::item_of;
use chrono::NaiveDate;
use jiceng_core::RegionCode;
use jiceng_core::dispatch::ListStatus;
use jiceng_core::dispatch::{ListItem, PublishLimits, UnitRef, check_publish};
use sea_orm::ActiveValue::Set;
use sea_orm::QuerySelect;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewList {
    pub region_code: String,
    #[serde(default)]
    pub note: String,
    pub items: Vec<ListItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ListView {
    pub id: i64,
    pub region_code: String,
    pub version: i32,
    pub status: String,
    pub effective_date: Option<String>,
    pub note: String,
    pub items: Vec<ListItem>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublishResult {
    pub list: ListView,
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diff {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<String>,
}

fn not_found() -> AppError {
    AppError::new(Code::RespListNotFound, "权责清单不存在")
}

async fn require_admin(
    app: &App,
    actor: &Actor,
    region: &RegionCode,
    action: &str,
) -> AppResult<()> {
    let outside = AppError::new(Code::RegionNotFound, "区划不存在");
    crate::kernel::audit::require_admin_over(
        app,
        actor,
        region,
        action,
        "resp_list",
        region.as_str(),
        outside,
    )
    .await
}

/// Checks items against the catalogue: unique codes, known categories and units.
async fn check_items(app: &App, txn: &DatabaseTransaction, items: &[ListItem]) -> AppResult<()> {
    let reference = crate::reference::of(app).get();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, it) in items.iter().enumerate() {
        let place = format!("第{}项（{}）", i + 1, it.code);
        if it.code.trim().is_empty() || it.name.trim().is_empty() {
            errors.push(FieldError {
                field: place.clone(),
                message: "编码和名称不能为空".into(),
            });
        }
        if !seen.insert(it.code.clone()) {
            errors.push(FieldError {
                field: place.clone(),
                message: "事项编码重复".into(),
            });
        }
        if it.categories.is_empty() {
            errors.push(FieldError {
                field: place.clone(),
                message: "至少要覆盖一个分类".into(),
            });
        }
        for c in &it.categories {
            if reference.categories.get(c).is_none() {
                errors.push(FieldError {
                    field: place.clone(),
                    message: format!("分类 {c} 不存在"),
                });
            }
        }
        for r in std::iter::once(&it.lead).chain(it.assisting.iter()) {
            if let UnitRef::Named { code } = r
                && department::Entity::find()
                    .filter(department::Column::Code.eq(code.as_str()))
                    .one(txn)
                    .await?
                    .is_none()
            {
                errors.push(FieldError {
                    field: place.clone(),
                    message: format!("部门 {code} 不存在"),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        let first = format!("{}：{}", errors[0].field, errors[0].message);
        Err(AppError::invalid(Code::RespListInvalid, first, errors))
    }
}

async fn view<C: sea_orm::ConnectionTrait>(db: &C, l: resp_list::Model) -> AppResult<ListView> {
    let items = resp_item::Entity::find()
        .filter(resp_item::Column::ListId.eq(l.id))
        .order_by_asc(resp_item::Column::Id)
        .all(db)
        .await?;
    Ok(ListView {
        id: l.id,
        region_code: l.region_code,
        version: l.version,
        status: l.status.code().to_string(),
        effective_date: l.effective_date,
        note: l.note,
        items: items.iter().map(item_of).collect::<AppResult<_>>()?,
    })
}

/// Writes a new draft version of a region's list.
pub async fn create_draft(app: &App, actor: &Actor, input: NewList) -> AppResult<ListView> {
    let region = RegionCode::parse(&input.region_code)
        .map_err(|e| AppError::field("region_code", Code::RegionInvalidCode, e.to_string()))?;
    require_admin(app, actor, &region, "resp_list.create").await?;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    check_items(app, &txn, &input.items).await?;
    let last = resp_list::Entity::find()
        .filter(resp_list::Column::RegionCode.eq(region.as_str()))
        .order_by_desc(resp_list::Column::Version)
        .one(&txn)
        .await?;
    let l = resp_list::ActiveModel {
        region_code: Set(region.to_string()),
        version: Set(last.map(|l| l.version + 1).unwrap_or(1)),
        status: Set(ListStatus::Draft),
        effective_date: Set(None),
        published_at: Set(None),
        note: Set(input.note.trim().to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    for chunk in input.items.chunks(200) {
        resp_item::Entity::insert_many(chunk.iter().map(|it| {
            resp_item::ActiveModel {
                list_id: Set(l.id),
                code: Set(it.code.trim().to_string()),
                name: Set(it.name.trim().to_string()),
                item_type: Set(serde_json::to_value(it.item_type)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default()),
                legal_basis: Set(it.legal_basis.trim().to_string()),
                categories: Set(serde_json::to_string(&it.categories).expect("json")),
                lead: Set(serde_json::to_string(&it.lead).expect("json")),
                assisting: Set(serde_json::to_string(&it.assisting).expect("json")),
                ..Default::default()
            }
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    let v = view(&txn, l).await?;
    let ev = Event::new("resp_list.create", "resp_list", v.id.to_string()).state(&v);
    audit::record(&txn, now, &actor.audit_name(), ev).await?;
    txn.commit().await?;
    Ok(v)
}

/// Publishes a draft: refused over the village-assist cap; the version in force is superseded.
pub async fn publish(
    app: &App,
    actor: &Actor,
    id: i64,
    effective_date: Option<&str>,
) -> AppResult<PublishResult> {
    let l = resp_list::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    let region = RegionCode::parse(&l.region_code).map_err(AppError::internal)?;
    require_admin(app, actor, &region, "resp_list.publish").await?;
    let date = match effective_date.map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
            AppError::field(
                "effective_date",
                Code::RespListBadDate,
                "生效日期格式应为 YYYY-MM-DD",
            )
        })?,
        None => app
            .now()
            .with_timezone(&jiceng_core::clock::china_offset())
            .date_naive(),
    };
    let now = app.now();
    let txn = app.db.begin_write().await?;
    // Read again, locked for this transaction: two publishers of one draft (or of two drafts
    // of one region) run one after the other, not both over the same version in force.
    let l = resp_list::Entity::find_by_id(l.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if l.status != ListStatus::Draft {
        return Err(AppError::new(Code::RespListNotDraft, "只能发布草稿版本"));
    }
    let v = view(&txn, l.clone()).await?;
    let warnings = check_publish(&v.items, PublishLimits::default())
        .map_err(|e| AppError::new(Code::RespListOverCap, e))?;
    resp_list::Entity::update_many()
        .col_expr(
            resp_list::Column::Status,
            sea_orm::sea_query::Expr::value(ListStatus::Superseded),
        )
        .filter(resp_list::Column::RegionCode.eq(l.region_code.as_str()))
        .filter(resp_list::Column::Status.eq(ListStatus::Published))
        .exec(&txn)
        .await?;
    let mut am: resp_list::ActiveModel = l.into();
    am.status = Set(ListStatus::Published);
    am.effective_date = Set(Some(date.format("%Y-%m-%d").to_string()));
    am.published_at = Set(Some(now));
    let l = am.update(&txn).await?;
    let v = view(&txn, l).await?;
    let ev = Event::new("resp_list.publish", "resp_list", v.id.to_string())
        .state(&v)
        .reason(warnings.join("；"));
    audit::record(&txn, now, &actor.audit_name(), ev).await?;
    txn.commit().await?;
    Ok(PublishResult { list: v, warnings })
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<ListView> {
    let l = resp_list::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    let region = RegionCode::parse(&l.region_code).map_err(AppError::internal)?;
    if !actor.covers_region(&region)
        && !region.contains(
            &actor
                .jurisdiction()
                .map(|j| j.region.clone())
                .unwrap_or(region.clone()),
        )
    {
        return Err(not_found());
    }
    view(&app.db.conn, l).await
}

/// Versions of the lists that apply to the actor: its region's and those above it.
pub async fn versions(app: &App, actor: &Actor) -> AppResult<Vec<ListView>> {
    let mut out = Vec::new();
    for l in resp_list::Entity::find()
        .order_by_asc(resp_list::Column::RegionCode)
        .order_by_desc(resp_list::Column::Version)
        .all(&app.db.conn)
        .await?
    {
        let region = RegionCode::parse(&l.region_code).map_err(AppError::internal)?;
        let applies = match actor.jurisdiction() {
            Some(j) => j.covers_region(&region) || region.contains(&j.region),
            None => true,
        };
        if applies {
            let mut v = view(&app.db.conn, l).await?;
            v.items.clear();
            out.push(v);
        }
    }
    Ok(out)
}

pub async fn diff(app: &App, actor: &Actor, a: i64, b: i64) -> AppResult<Diff> {
    let (x, y) = (get(app, actor, a).await?, get(app, actor, b).await?);
    let find = |v: &ListView, code: &str| v.items.iter().find(|i| i.code == code).cloned();
    let added = y
        .items
        .iter()
        .filter(|i| find(&x, &i.code).is_none())
        .map(|i| format!("{} {}", i.code, i.name))
        .collect();
    let removed = x
        .items
        .iter()
        .filter(|i| find(&y, &i.code).is_none())
        .map(|i| format!("{} {}", i.code, i.name))
        .collect();
    let changed = y
        .items
        .iter()
        .filter(|i| find(&x, &i.code).is_some_and(|o| &o != *i))
        .map(|i| format!("{} {}", i.code, i.name))
        .collect();
    Ok(Diff {
        added,
        removed,
        changed,
    })
}

const HEADERS: [&str; 7] = [
    "事项编码",
    "事项名称",
    "事项类型",
    "法律依据",
    "覆盖分类编码",
    "主办单位",
    "协办单位",
];

/// A list version as a spreadsheet, in the same template [`import_xlsx`] reads.
pub async fn export_xlsx(app: &App, actor: &Actor, id: i64) -> AppResult<Vec<u8>> {
    let v = get(app, actor, id).await?;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet();
    let xerr = |e: rust_xlsxwriter::XlsxError| AppError::internal(anyhow::anyhow!("xlsx: {e}"));
    ws.set_name("权责清单").map_err(xerr)?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (c, h) in HEADERS.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xerr)?;
    }
    for (r, it) in v.items.iter().enumerate() {
        let row = r as u32 + 1;
        let cells = [
            it.code.clone(),
            it.name.clone(),
            it.item_type.label().to_string(),
            it.legal_basis.clone(),
            it.categories.join(";"),
            it.lead.to_text(),
            it.assisting
                .iter()
                .map(|a| a.to_text())
                .collect::<Vec<_>>()
                .join(";"),
        ];
        for (c, text) in cells.iter().enumerate() {
            ws.write_string(row, c as u16, text).map_err(xerr)?;
        }
    }
    ws.set_column_width(1, 30).map_err(xerr)?;
    ws.set_column_width(3, 40).map_err(xerr)?;
    wb.save_to_buffer().map_err(xerr)
}

/// Reads a spreadsheet in the export template into a new draft. A file with any bad row writes
/// nothing and names every bad row.
pub async fn import_xlsx(
    app: &App,
    actor: &Actor,
    region_code: &str,
    note: &str,
    bytes: Vec<u8>,
) -> AppResult<ListView> {
    use crate::kernel::sheet;
    // Who may import is settled before the file is read.
    let region = RegionCode::parse(region_code)
        .map_err(|e| AppError::field("region_code", Code::RegionInvalidCode, e.to_string()))?;
    require_admin(app, actor, &region, "resp_list.create").await?;
    let bad_file = |m: String| AppError::new(Code::RespListBadFile, m);
    let sheet = sheet::read(
        bytes,
        sheet::Pick::First,
        Code::RespListBadFile,
        sheet::LIMITS,
    )
    .await?
    .swap_remove(0);
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
        .take(HEADERS.len())
        .map(String::as_str)
        .ne(HEADERS.iter().copied())
    {
        return Err(bad_file(format!("表头应为：{}", HEADERS.join("、"))));
    }
    let mut items = Vec::new();
    let mut errors = Vec::new();
    for (i, r) in rows {
        let line = i + 1;
        let cell = |c: usize| r.get(c).map(|v| v.trim().to_string()).unwrap_or_default();
        if (0..HEADERS.len()).all(|c| cell(c).is_empty()) {
            continue;
        }
        let place = format!("第{line}行");
        let item_type = jiceng_core::dispatch::ItemType::from_label(&cell(2));
        let lead = UnitRef::from_text(&cell(5));
        let assisting: Option<Vec<UnitRef>> = cell(6)
            .split([';', '；'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(UnitRef::from_text)
            .collect();
        match (item_type, lead, assisting) {
            (Some(t), Some(lead), Some(assisting)) => items.push(ListItem {
                code: cell(0),
                name: cell(1),
                item_type: t,
                legal_basis: cell(3),
                categories: cell(4)
                    .split([';', '；'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from)
                    .collect(),
                lead,
                assisting,
            }),
            (None, _, _) => errors.push(FieldError {
                field: place,
                message: "事项类型应为 乡镇法定职权、村级协助事项 或 县级部门职责".into(),
            }),
            (_, None, _) => errors.push(FieldError {
                field: place,
                message: "主办单位格式应为 部门:编码、属地乡镇、属地村社区 或 属地协办:名称".into(),
            }),
            (_, _, None) => errors.push(FieldError {
                field: place,
                message: "协办单位格式不正确（多个用分号分隔）".into(),
            }),
        }
    }
    if !errors.is_empty() {
        let first = format!("{}：{}", errors[0].field, errors[0].message);
        return Err(AppError::invalid(Code::RespListInvalid, first, errors));
    }
    create_draft(
        app,
        actor,
        NewList {
            region_code: region_code.to_string(),
            note: note.to_string(),
            items,
        },
    )
    .await
}
