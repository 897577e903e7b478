//! 接诉即办, the work order's own vocabulary: channels, the input of a new order, photos, the
//! phone as stored, timeline rows (their codes; labels are rendered), the audit snapshot, and
//! the Chinese words for resolutions and satisfaction.

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::error::FieldError;
use crate::store::bulk;
use crate::store::entities::order_event;
use crate::store::entities::work_order;
use chrono::{DateTime, Utc};
use jiceng_core::sla::Deadlines;
use jiceng_core::work_order::{Resolution, Satisfaction};
use sea_orm::DatabaseTransaction;
use serde::Deserialize;

pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_EXTENSIONS: u32 = 2;

pub use jiceng_core::work_order::Channel;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reporter {
    pub name: String,
    pub phone: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewOrder {
    #[serde(default)]
    pub title: Option<String>,
    pub description: String,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    #[serde(default)]
    pub address: Option<String>,
    /// The village or community chosen from a list, for who has no coordinates.
    #[serde(default)]
    pub village_code: Option<String>,
    #[serde(default)]
    pub category_code: Option<String>,
    /// 诉求类型: consult, help, complaint, report, suggestion or praise.
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub priority: Option<String>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub reporter: Option<Reporter>,
    #[serde(default)]
    pub anonymous: bool,
    /// Up to 9 photos, each a base64 JPEG, PNG or WebP of at most 1 MiB.
    #[serde(default)]
    pub photos: Vec<String>,
    /// The client's key for this report: sending it again returns the order already
    /// registered instead of a second one (letters, digits, `-` and `_`, at most 64).
    #[serde(default)]
    pub client_key: Option<String>,
    /// 直接答复办结: the answer the hotline gave on the call (a consultation answered from the
    /// knowledge base). The order is registered closed, with the answer in its timeline, and
    /// never dispatched. Operators and dispatchers only.
    #[serde(default)]
    pub answer: Option<String>,
}

pub const MAX_PHOTOS: usize = 9;
pub const MAX_PHOTO_BYTES: usize = 1024 * 1024;

/// Decodes and checks photos: base64 of a JPEG, PNG or WebP, each at most 1 MiB.
pub fn check_photos(photos: &[String], field: &str) -> Result<Vec<(String, Vec<u8>)>, FieldError> {
    use base64::Engine;
    let err = |message: String| FieldError {
        field: field.into(),
        message,
    };
    if photos.len() > MAX_PHOTOS {
        return Err(err(format!("照片最多{MAX_PHOTOS}张")));
    }
    photos
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let b64 = p.split_once(";base64,").map(|(_, d)| d).unwrap_or(p);
            let data = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| err(format!("第{}张照片不是有效的 base64 数据", i + 1)))?;
            if data.len() > MAX_PHOTO_BYTES {
                return Err(err(format!("第{}张照片超过1MB，请压缩后再传", i + 1)));
            }
            let ct = if data.starts_with(&[0xff, 0xd8, 0xff]) {
                "image/jpeg"
            } else if data.starts_with(b"\x89PNG\r\n\x1a\n") {
                "image/png"
            } else if data.len() > 12 && &data[0..4] == b"RIFF" && &data[8..12] == b"WEBP" {
                "image/webp"
            } else {
                return Err(err(format!("第{}张照片不是 JPEG、PNG 或 WebP 图片", i + 1)));
            };
            Ok((ct.to_string(), data))
        })
        .collect()
}

pub(crate) fn event_model(
    order_id: i64,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    from: &str,
    to: &str,
    note: &str,
) -> order_event::Model {
    order_event::Model {
        id: 0,
        order_id,
        time: now,
        actor: actor.to_string(),
        action: action.to_string(),
        from_status: from.to_string(),
        to_status: to.to_string(),
        note: note.to_string(),
        days: None,
    }
}

/// What the audit digest covers: the order's state, not its personal data.
pub(crate) fn snapshot_of(m: &work_order::Model) -> serde_json::Value {
    serde_json::json!({
        "id": m.id,
        "tracking_code": m.tracking_code,
        "status": m.status,
        "category_code": m.category_code,
        "priority": m.priority,
        "lead_unit_id": m.lead_unit_id,
        "flags": m.flags,
        "sign_by": m.sign_by,
        "contact_by": m.contact_by,
        "resolve_by": m.resolve_by,
        "escalation": m.escalation,
        "master_id": m.master_id,
        "resolution": m.resolution,
        "satisfaction": m.satisfaction,
        "description_digest": jiceng_core::audit::personal_digest(&m.description),
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn event(
    txn: &DatabaseTransaction,
    order_id: i64,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    from: &str,
    to: &str,
    note: &str,
) -> AppResult<i64> {
    let row = event_model(order_id, now, actor, action, from, to, note);
    let id = bulk::insert_models::<order_event::Entity, _>(txn, &[row], "id")
        .await?
        .first()
        .map(|r| r.try_get::<i64>("", "id"))
        .transpose()?
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("event insert returned no id")))?;
    Ok(id)
}

pub(crate) fn illegal(e: jiceng_core::work_order::TransitionError) -> AppError {
    AppError::new(Code::of(e.code()), e.to_string())
}

pub fn deadlines_of(m: &work_order::Model) -> Option<Deadlines> {
    Some(Deadlines {
        sign_by: m.sign_by?,
        contact_by: m.contact_by?,
        resolve_by: m.resolve_by?,
    })
}

pub fn resolution_label(r: Resolution) -> &'static str {
    match r {
        Resolution::Resolved => "已解决",
        Resolution::PartlyResolved => "部分解决",
        Resolution::Unresolved => "未解决",
    }
}

pub fn satisfaction_label(s: Satisfaction) -> &'static str {
    match s {
        Satisfaction::Satisfied => "满意",
        Satisfaction::BasicallySatisfied => "基本满意",
        Satisfaction::Dissatisfied => "不满意",
    }
}

pub(crate) fn reporter_of(m: &work_order::Model) -> String {
    if m.anonymous || m.reporter_phone.is_empty() {
        String::new()
    } else {
        format!("phone:{}", m.reporter_phone)
    }
}
