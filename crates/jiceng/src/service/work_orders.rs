//! 接诉即办: intake, classification, dispatch by the responsibility list, the lifecycle, and
//! what each step tells people (outbox). Every change goes through [`apply`] or [`create`],
//! which write the order, its timeline, its audit entry and its notifications together.

use super::audit::{self, Event};
use super::locate::Match;
use super::reference::Loaded;
use super::{Actor, Page, PageParams, UserActor, outbox};
use crate::app::App;
use crate::error::{AppError, AppResult, FieldError};
use crate::store::bulk;
use crate::store::entities::{
    assignment, department, order_event, photo, resp_item, resp_list, work_order,
};
use chrono::{DateTime, Utc};
use jiceng_core::classify::Suggestion;
use jiceng_core::dispatch::{self, ListItem, Outcome, Place, Unit, UnitRef};
use jiceng_core::sla::{DeadlineKind, Deadlines, Level, Priority};
use jiceng_core::work_order::{Action, Flags, Resolution, Rules, Satisfaction, State, transition};
use jiceng_core::{RegionCode, Role};
use rand::Rng;
use sea_orm::ActiveValue::Set;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TryIntoModel,
};
use serde::{Deserialize, Serialize};

pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_EXTENSIONS: u32 = 2;

/// Characters of tracking codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";

pub(crate) fn tracking_code() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Hotline,
    Grid,
    Web,
    App,
    Api,
    System,
}

impl Channel {
    pub const ALL: [Channel; 6] = [
        Self::Hotline,
        Self::Grid,
        Self::Web,
        Self::App,
        Self::Api,
        Self::System,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::Hotline => "hotline",
            Self::Grid => "grid",
            Self::Web => "web",
            Self::App => "app",
            Self::Api => "api",
            Self::System => "system",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Hotline => "12345热线",
            Self::Grid => "网格上报",
            Self::Web => "网站",
            Self::App => "移动端",
            Self::Api => "接口",
            Self::System => "系统",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == s)
    }
}

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
    #[serde(default)]
    pub category_code: Option<String>,
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

/// Masks a phone number for display: `138****5678`.
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// A mobile number (11 digits from 1) or a landline with its area code, spaces and dashes
/// dropped; `None` when it is neither.
pub(crate) fn normalise_phone(p: &str) -> Option<String> {
    let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let mobile =
        digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit());
    let landline = (7..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    (mobile || landline).then_some(digits)
}

fn check_phone(p: &str) -> AppResult<String> {
    if let Some(digits) = normalise_phone(p) {
        Ok(digits)
    } else {
        Err(AppError::field(
            "reporter.phone",
            "work_order.bad_phone",
            "电话号码格式不正确（11位手机号或带区号的固定电话）",
        ))
    }
}

// ---------------------------------------------------------------------------------------------
// Views

#[derive(Debug, Clone, Serialize)]
pub struct CategoryRef {
    pub code: String,
    pub name: String,
    pub confidence: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct NamedRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LocationView {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub grid: Option<NamedRef>,
    pub village: Option<NamedRef>,
    pub township: Option<NamedRef>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UnitView {
    pub unit_id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DispatchView {
    pub lead: Option<UnitView>,
    pub assisting: Vec<UnitView>,
    pub reasons: Vec<String>,
    pub list_item_code: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadlinesView {
    pub sign_by: Option<DateTime<Utc>>,
    pub contact_by: Option<DateTime<Utc>>,
    pub resolve_by: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EscalationView {
    pub level: String,
    pub label: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventView {
    pub time: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OrderView {
    pub id: i64,
    pub tracking_code: String,
    pub status: String,
    pub status_label: &'static str,
    pub title: String,
    pub description: String,
    pub channel: String,
    pub priority: String,
    pub category: CategoryRef,
    pub location: LocationView,
    pub address: String,
    pub reporter: Option<NamedRef>,
    pub dispatch: DispatchView,
    pub deadlines: DeadlinesView,
    pub escalation: EscalationView,
    pub extensions: u32,
    pub send_back_pending: bool,
    pub extension_pending: bool,
    pub master_id: Option<i64>,
    pub resolution: String,
    pub satisfaction: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeline: Option<Vec<EventView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<Action>>,
    /// Photos (detail only): the report's and the replies'.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photos: Option<Vec<PhotoRef>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PhotoRef {
    pub id: i64,
    /// The reply it came with; none for the report's own photos.
    pub event_id: Option<i64>,
    pub url: String,
}

fn flags_of(m: &work_order::Model) -> Flags {
    serde_json::from_str(&m.flags).unwrap_or_default()
}

fn state_of(m: &work_order::Model) -> AppResult<State> {
    State::parse(&m.status)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("unknown state {}", m.status)))
}

async fn view<C: ConnectionTrait>(
    db: &C,
    app: &App,
    m: &work_order::Model,
    detail: bool,
    actor: Option<&Actor>,
) -> AppResult<OrderView> {
    let (mut units, names) = load_units(db, &[m.id]).await?;
    view_with(
        db,
        app,
        m,
        units.remove(&m.id).unwrap_or_default(),
        &names,
        detail,
        actor,
    )
    .await
}

/// The active assignments of some orders (by order, in assignment order) and the names of
/// their units, in two queries whatever the number of orders.
async fn load_units<C: ConnectionTrait>(
    db: &C,
    order_ids: &[i64],
) -> AppResult<(
    std::collections::HashMap<i64, Vec<assignment::Model>>,
    std::collections::HashMap<i64, String>,
)> {
    let rows = assignment::Entity::find()
        .filter(assignment::Column::OrderId.is_in(order_ids.to_vec()))
        .filter(assignment::Column::Active.eq(true))
        .order_by_asc(assignment::Column::Id)
        .all(db)
        .await?;
    let unit_ids: Vec<i64> = rows.iter().map(|u| u.unit_id).collect();
    let names = department::Entity::find()
        .filter(department::Column::Id.is_in(unit_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d.name))
        .collect();
    let mut by_order: std::collections::HashMap<i64, Vec<assignment::Model>> =
        std::collections::HashMap::new();
    for r in rows {
        by_order.entry(r.order_id).or_default().push(r);
    }
    Ok((by_order, names))
}

async fn view_with<C: ConnectionTrait>(
    db: &C,
    app: &App,
    m: &work_order::Model,
    units: Vec<assignment::Model>,
    names: &std::collections::HashMap<i64, String>,
    detail: bool,
    actor: Option<&Actor>,
) -> AppResult<OrderView> {
    let reference = app.reference.get();
    let snapshot = app.locator.snapshot();
    let unit = |id: i64| UnitView {
        unit_id: id,
        name: names.get(&id).cloned().unwrap_or_default(),
    };
    let region = |c: &Option<String>| {
        c.as_ref().map(|c| NamedRef {
            code: c.clone(),
            name: snapshot.region_name(c).unwrap_or_default(),
        })
    };
    let flags = flags_of(m);
    let state = state_of(m)?;
    let level = Level::parse(&m.escalation).unwrap_or(Level::None);
    let timeline = if detail {
        Some(
            order_event::Entity::find()
                .filter(order_event::Column::OrderId.eq(m.id))
                .order_by_asc(order_event::Column::Id)
                .all(db)
                .await?
                .into_iter()
                .map(|e| EventView {
                    time: e.time,
                    actor: e.actor,
                    action: e.action,
                    from_status: e.from_status,
                    to_status: e.to_status,
                    note: e.note,
                })
                .collect(),
        )
    } else {
        None
    };
    let photos = if detail {
        Some(
            photo::Entity::find()
                .select_only()
                .column(photo::Column::Id)
                .column(photo::Column::EventId)
                .filter(photo::Column::OrderId.eq(m.id))
                .order_by_asc(photo::Column::Id)
                .into_tuple::<(i64, Option<i64>)>()
                .all(db)
                .await?
                .into_iter()
                .map(|(id, event_id)| PhotoRef {
                    id,
                    event_id,
                    url: format!("/api/v1/work-orders/{}/photos/{id}", m.id),
                })
                .collect(),
        )
    } else {
        None
    };
    let allowed_actions = match (detail, actor) {
        (true, Some(a)) => Some(allowed_for(app, a, m, &units).await),
        _ => None,
    };
    Ok(OrderView {
        id: m.id,
        tracking_code: m.tracking_code.clone(),
        status: m.status.clone(),
        status_label: state.label(),
        title: m.title.clone(),
        description: m.description.clone(),
        channel: m.channel.clone(),
        priority: m.priority.clone(),
        category: CategoryRef {
            code: m.category_code.clone(),
            name: reference
                .categories
                .get(&m.category_code)
                .map(|c| c.path.clone())
                .unwrap_or_default(),
            confidence: m.category_confidence,
        },
        location: LocationView {
            lat: m.lat,
            lon: m.lon,
            grid: m.grid_code.as_ref().map(|g| NamedRef {
                code: g.clone(),
                name: snapshot.grid_name(g).unwrap_or_default(),
            }),
            village: region(&m.village_code),
            township: region(&m.township_code),
        },
        address: m.address.clone(),
        reporter: (!m.anonymous).then(|| NamedRef {
            code: m.reporter_phone.clone(),
            name: m.reporter_name.clone(),
        }),
        dispatch: DispatchView {
            lead: units
                .iter()
                .find(|u| u.role == "lead")
                .map(|u| unit(u.unit_id)),
            assisting: units
                .iter()
                .filter(|u| u.role == "assist")
                .map(|u| unit(u.unit_id))
                .collect(),
            reasons: serde_json::from_str(&m.dispatch_reasons).unwrap_or_default(),
            list_item_code: m.list_item_code.clone(),
        },
        deadlines: DeadlinesView {
            sign_by: m.sign_by,
            contact_by: m.contact_by,
            resolve_by: m.resolve_by,
        },
        escalation: EscalationView {
            level: level.code().into(),
            label: level.label(),
        },
        extensions: flags.extensions,
        send_back_pending: flags.send_back_pending,
        extension_pending: flags.extension_pending,
        master_id: m.master_id,
        resolution: m.resolution.clone(),
        satisfaction: m.satisfaction.clone(),
        created_at: m.created_at,
        timeline,
        allowed_actions,
        photos,
    })
}

// ---------------------------------------------------------------------------------------------
// Dispatch

/// What dispatch reads: the published list in force per region and the active units. The
/// intake writer loads it once per batch, inside the batch's transaction.
pub struct DispatchData {
    lists: std::collections::HashMap<String, Vec<ListItem>>,
    depts: Vec<department::Model>,
}

/// What changes the dispatch data: published lists and active units. Read in one small query
/// per intake batch; the data itself is reloaded only when it differs.
pub type DispatchVersion = (i64, i64, i64, Option<DateTime<Utc>>);

impl DispatchData {
    /// The dispatch data, from the cache while the lists and units are unchanged.
    pub(crate) async fn current<C: ConnectionTrait>(
        app: &App,
        db: &C,
    ) -> AppResult<std::sync::Arc<DispatchData>> {
        let (lists, latest, units, updated): DispatchVersion = {
            let published = resp_list::Entity::find()
                .select_only()
                .column_as(resp_list::Column::Id.count(), "n")
                .column_as(resp_list::Column::Id.max(), "latest")
                .filter(resp_list::Column::Status.eq("published"))
                .into_tuple::<(i64, Option<i64>)>()
                .one(db)
                .await?
                .unwrap_or((0, None));
            let units = department::Entity::find()
                .select_only()
                .column_as(department::Column::Id.count(), "n")
                .column_as(department::Column::UpdatedAt.max(), "updated")
                .filter(department::Column::Active.eq(true))
                .into_tuple::<(i64, Option<DateTime<Utc>>)>()
                .one(db)
                .await?
                .unwrap_or((0, None));
            (published.0, published.1.unwrap_or(0), units.0, units.1)
        };
        let version = (lists, latest, units, updated);
        if let Some((v, d)) = app.caches.dispatch.lock().expect("dispatch cache").as_ref()
            && *v == version
        {
            return Ok(d.clone());
        }
        let data = std::sync::Arc::new(DispatchData::load(db).await?);
        *app.caches.dispatch.lock().expect("dispatch cache") = Some((version, data.clone()));
        Ok(data)
    }

    pub(crate) async fn load<C: ConnectionTrait>(db: &C) -> AppResult<DispatchData> {
        let published = resp_list::Entity::find()
            .filter(resp_list::Column::Status.eq("published"))
            .order_by_asc(resp_list::Column::Version)
            .all(db)
            .await?;
        // The newest published version of each region is the one in force.
        let mut in_force: std::collections::HashMap<i64, String> = Default::default();
        let mut by_region: std::collections::HashMap<String, i64> = Default::default();
        for l in published {
            by_region.insert(l.region_code, l.id);
        }
        for (region, id) in by_region {
            in_force.insert(id, region);
        }
        let items = resp_item::Entity::find()
            .filter(resp_item::Column::ListId.is_in(in_force.keys().copied().collect::<Vec<_>>()))
            .order_by_asc(resp_item::Column::Id)
            .all(db)
            .await?;
        let mut lists: std::collections::HashMap<String, Vec<ListItem>> = Default::default();
        for i in &items {
            if let (Some(region), Some(item)) = (in_force.get(&i.list_id), item_of(i)) {
                lists.entry(region.clone()).or_default().push(item);
            }
        }
        let depts = department::Entity::find()
            .filter(department::Column::Active.eq(true))
            .order_by_asc(department::Column::Id)
            .all(db)
            .await?;
        Ok(DispatchData { lists, depts })
    }

    fn unit_name(&self, id: i64) -> Option<&str> {
        self.depts
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.as_str())
    }

    /// Plans the dispatch of an order in a place by the list in force there: the village's,
    /// else the township's, else the county's.
    pub(crate) fn plan(
        &self,
        reference: &Loaded,
        category: &str,
        place: &Place,
        county: &str,
    ) -> Outcome {
        let regions = place
            .village
            .iter()
            .map(|v| v.0.as_str())
            .chain(place.township.iter().map(|t| t.0.as_str()))
            .chain(std::iter::once(county));
        let empty = Vec::new();
        let items = regions
            .filter_map(|r| self.lists.get(r))
            .next()
            .unwrap_or(&empty);
        let depts = &self.depts;
        let unit = |d: &department::Model| Unit {
            id: d.id,
            name: d.name.clone(),
        };
        let resolve = |r: &UnitRef, p: &Place| -> Option<Unit> {
            match r {
                UnitRef::Named { code } => depts.iter().find(|d| &d.code == code).map(unit),
                UnitRef::TownshipOffice => {
                    let t = &p.township.as_ref()?.0;
                    depts
                        .iter()
                        .find(|d| d.kind == "township_office" && &d.region_code == t)
                        .map(unit)
                }
                UnitRef::VillageCommittee => {
                    let v = &p.village.as_ref()?.0;
                    depts
                        .iter()
                        .find(|d| d.kind == "village_committee" && &d.region_code == v)
                        .map(unit)
                }
                UnitRef::AssistingUnit { name_contains } => {
                    let near = p.township.as_ref().map(|t| t.0.clone()).unwrap_or_default();
                    let fits = |d: &&department::Model| {
                        d.kind == "assisting_unit" && d.name.contains(name_contains.as_str())
                    };
                    depts
                        .iter()
                        .filter(fits)
                        .find(|d| d.region_code == near)
                        .or_else(|| depts.iter().filter(fits).find(|d| d.region_code == county))
                        .map(unit)
                }
            }
        };
        let name = reference
            .categories
            .get(category)
            .map(|c| c.name.clone())
            .unwrap_or_else(|| category.to_string());
        dispatch::plan(items, category, &name, place, resolve)
    }
}

/// The dispatch an order of a category at a point would get now (the intake page's preview).
pub async fn preview_dispatch(app: &App, category: &str, lat: f64, lon: f64) -> AppResult<Outcome> {
    let l = app.locator.snapshot().locate(lon, lat);
    let place = Place {
        village: l.village.map(|r| (r.code, r.name)),
        township: l.township.map(|r| (r.code, r.name)),
    };
    let county = l.county.map(|r| r.code).unwrap_or_default();
    let data = DispatchData::current(app, &app.db.conn).await?;
    Ok(data.plan(&app.reference.get(), category, &place, &county))
}

pub(crate) fn item_of(i: &resp_item::Model) -> Option<ListItem> {
    Some(ListItem {
        code: i.code.clone(),
        name: i.name.clone(),
        item_type: serde_json::from_value(serde_json::Value::String(i.item_type.clone())).ok()?,
        legal_basis: i.legal_basis.clone(),
        categories: serde_json::from_str(&i.categories).ok()?,
        lead: serde_json::from_str(&i.lead).ok()?,
        assisting: serde_json::from_str(&i.assisting).ok()?,
    })
}

// ---------------------------------------------------------------------------------------------
// Intake

/// Who may register orders and on which channel; citizens (no actor) use the web.
fn channel_for(actor: Option<&Actor>, asked: Option<&str>) -> AppResult<Channel> {
    let asked = match asked.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(Channel::parse(s).ok_or_else(|| {
            AppError::field(
                "channel",
                "work_order.bad_channel",
                "渠道只能是 hotline、grid、web、app、api 或 system",
            )
        })?),
        None => None,
    };
    Ok(match actor {
        None => match asked {
            Some(c @ (Channel::Web | Channel::App)) => c,
            None => Channel::Web,
            Some(_) => {
                return Err(AppError::field(
                    "channel",
                    "work_order.bad_channel",
                    "群众只能通过网站或移动端提交",
                ));
            }
        },
        Some(Actor::User(u)) => asked.unwrap_or(match (u.role, &u.via) {
            (Role::GridWorker, _) => Channel::Grid,
            (_, super::AuthVia::Token { .. }) => Channel::Api,
            _ => Channel::Hotline,
        }),
        Some(Actor::System(_)) => asked.unwrap_or(Channel::System),
    })
}

/// The classifier's best `n` categories for a text, retired ones left out.
fn active_suggestions(r: &Loaded, text: &str, n: usize) -> Vec<Suggestion> {
    r.classifier
        .suggest(text, n + 5)
        .into_iter()
        .filter(|s| r.categories.get(&s.label).is_some_and(|c| c.active))
        .take(n)
        .collect()
}

/// Classification suggestions for a text, with category names.
pub fn suggest(app: &App, text: &str, n: usize) -> Vec<(Suggestion, String)> {
    let r = app.reference.get();
    active_suggestions(&r, text, n)
        .into_iter()
        .map(|s| {
            let name = r
                .categories
                .get(&s.label)
                .map(|c| c.path.clone())
                .unwrap_or_default();
            (s, name)
        })
        .collect()
}

struct Checked {
    title: String,
    description: String,
    priority: Priority,
    channel: Channel,
    category: (String, f64),
    lat_lon: Option<(f64, f64)>,
    address: String,
    reporter: Option<(String, String)>,
    photos: Vec<(String, Vec<u8>)>,
    client_key: Option<String>,
}

fn check(app: &App, actor: Option<&Actor>, input: &NewOrder) -> AppResult<Checked> {
    let mut errors = Vec::new();
    let description = input.description.trim().to_string();
    if description.is_empty() {
        errors.push(FieldError {
            field: "description".into(),
            message: "请填写诉求内容".into(),
        });
    } else if description.chars().count() > MAX_DESCRIPTION {
        errors.push(FieldError {
            field: "description".into(),
            message: format!("诉求内容不能超过{MAX_DESCRIPTION}个字"),
        });
    }
    let title = input
        .title
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if title.chars().count() > 100 {
        errors.push(FieldError {
            field: "title".into(),
            message: "标题不能超过100个字".into(),
        });
    }
    let priority = match input
        .priority
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Priority::Normal,
        Some(p) => Priority::parse(p).unwrap_or_else(|| {
            errors.push(FieldError {
                field: "priority".into(),
                message: "紧急程度只能是 urgent、expedited 或 normal".into(),
            });
            Priority::Normal
        }),
    };
    let lat_lon = match (input.lat, input.lon) {
        (Some(la), Some(lo)) if (-90.0..=90.0).contains(&la) && (-180.0..=180.0).contains(&lo) => {
            Some((la, lo))
        }
        (None, None) => None,
        _ => {
            errors.push(FieldError {
                field: "lat".into(),
                message: "经纬度不完整或超出范围（纬度 -90～90，经度 -180～180）".into(),
            });
            None
        }
    };
    let address = input
        .address
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_string();
    if address.chars().count() > 200 {
        errors.push(FieldError {
            field: "address".into(),
            message: "地址不能超过200个字".into(),
        });
    }
    let reporter = match (&input.reporter, input.anonymous) {
        (Some(r), false) => {
            let name = r.name.trim().to_string();
            if name.is_empty() || name.chars().count() > 50 {
                errors.push(FieldError {
                    field: "reporter.name".into(),
                    message: "请填写1～50个字的姓名".into(),
                });
            }
            match check_phone(&r.phone) {
                Ok(p) => Some((name, p)),
                Err(e) => {
                    errors.extend(e.fields);
                    None
                }
            }
        }
        (None, true) | (Some(_), true) => None,
        (None, false) => {
            errors.push(FieldError {
                field: "reporter".into(),
                message: "请填写反映人姓名和电话，或选择匿名".into(),
            });
            None
        }
    };
    let photos = check_photos(&input.photos, "photos").unwrap_or_else(|e| {
        errors.push(e);
        Vec::new()
    });
    let client_key = input
        .client_key
        .as_deref()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string);
    if let Some(k) = &client_key
        && (k.len() > 64
            || !k
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    {
        errors.push(FieldError {
            field: "client_key".into(),
            message: "client_key 只能由字母、数字、- 和 _ 组成，最长64个字符".into(),
        });
    }
    let channel = match channel_for(actor, input.channel.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            errors.extend(e.fields);
            Channel::Web
        }
    };
    let reference = app.reference.get();
    let category = match input
        .category_code
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(code) => match reference.categories.get(code) {
            Some(c) if !c.active => {
                errors.push(FieldError {
                    field: "category_code".into(),
                    message: format!("分类 {code} 已停用"),
                });
                (String::new(), 0.0)
            }
            Some(_) => (code.to_string(), 1.0),
            None => {
                errors.push(FieldError {
                    field: "category_code".into(),
                    message: format!("分类 {code} 不存在"),
                });
                (String::new(), 0.0)
            }
        },
        None => {
            let text = format!("{title} {description}");
            match active_suggestions(&reference, &text, 1).into_iter().next() {
                Some(s) => (s.label, s.confidence),
                None => {
                    errors.push(FieldError {
                        field: "category_code".into(),
                        message: "无法自动分类，请选择分类".into(),
                    });
                    (String::new(), 0.0)
                }
            }
        }
    };
    if !errors.is_empty() {
        let first = errors[0].message.clone();
        let code = if errors
            .iter()
            .any(|e| e.field == "category_code" && e.message.contains("不存在"))
        {
            "work_order.unknown_category"
        } else {
            "work_order.invalid"
        };
        return Err(AppError::invalid(code, first, errors));
    }
    let title = if title.is_empty() {
        description.chars().take(30).collect()
    } else {
        title
    };
    Ok(Checked {
        title,
        description,
        priority,
        channel,
        category,
        lat_lon,
        address,
        reporter,
        photos,
        client_key,
    })
}

/// How many orders one intake transaction holds at most.
const INTAKE_BATCH: usize = 500;

/// An order checked and located, waiting for the intake writer.
pub struct Intake {
    c: Checked,
    grid_code: Option<String>,
    place: Place,
    county: String,
    actor_name: String,
    /// The reporter's phone, encrypted with the data key.
    phone_enc: String,
}

/// A registered order as the intake writer stored it.
pub struct Created {
    model: work_order::Model,
    units: Vec<assignment::Model>,
    names: std::collections::HashMap<i64, String>,
}

/// The intake queue: orders registered at the same moment share one durable commit.
pub type IntakeQueue = std::sync::Arc<super::group_commit::Queue<Intake, Created>>;

pub fn intake_queue() -> IntakeQueue {
    super::group_commit::Queue::new(INTAKE_BATCH, |app, jobs| Box::pin(write_intakes(app, jobs)))
}

/// Registers an order: classified, located, dispatched and given its deadlines, all in one
/// transaction with its audit entry and the notifications it causes. Answers after the commit
/// is durable.
pub async fn create(app: &App, actor: Option<&Actor>, input: NewOrder) -> AppResult<OrderView> {
    let c = check(app, actor, &input)?;
    let snapshot = app.locator.snapshot();
    let located = c.lat_lon.map(|(la, lo)| snapshot.locate(lo, la));
    if let Some(l) = &located
        && l.matched == Match::OutsideJurisdiction
    {
        return Err(AppError::field(
            "lat",
            "work_order.outside_jurisdiction",
            "该位置不在本系统管辖范围内",
        ));
    }
    let place = Place {
        village: located
            .as_ref()
            .and_then(|l| l.village.clone())
            .map(|r| (r.code, r.name)),
        township: located
            .as_ref()
            .and_then(|l| l.township.clone())
            .map(|r| (r.code, r.name)),
    };
    let county = located
        .as_ref()
        .and_then(|l| l.county.clone())
        .map(|r| r.code)
        .or_else(|| {
            actor
                .and_then(|a| a.jurisdiction())
                .and_then(|j| j.region.lineage().first().map(|c| c.to_string()))
        })
        .or_else(|| snapshot.first_county())
        .unwrap_or_default();
    let phone_enc = c
        .reporter
        .as_ref()
        .map(|r| app.data_key.seal(&r.1))
        .unwrap_or_default();
    let job = Intake {
        c,
        grid_code: located
            .as_ref()
            .and_then(|l| l.grid.as_ref())
            .map(|g| g.code.clone()),
        place,
        county,
        actor_name: actor
            .map(Actor::audit_name)
            .unwrap_or_else(|| "citizen".into()),
        phone_enc,
    };
    let created = app.intake.submit(app, job).await?;
    view_with(
        &app.db.conn,
        app,
        &created.model,
        created.units,
        &created.names,
        false,
        actor,
    )
    .await
}

impl Intake {
    /// The order as received, before dispatch.
    fn accepted(&self, code: &str, now: DateTime<Utc>) -> work_order::ActiveModel {
        let c = &self.c;
        let phone = c.reporter.as_ref().map(|r| r.1.as_str()).unwrap_or("");
        let last4: String = {
            let tail: Vec<char> = phone.chars().rev().take(4).collect();
            tail.into_iter().rev().collect()
        };
        work_order::ActiveModel {
            tracking_code: Set(code.to_string()),
            title: Set(c.title.clone()),
            description: Set(c.description.clone()),
            channel: Set(c.channel.code().into()),
            priority: Set(c.priority.code().into()),
            category_code: Set(c.category.0.clone()),
            category_confidence: Set((c.category.1 * 1000.0).round() / 1000.0),
            lat: Set(c.lat_lon.map(|x| x.0)),
            lon: Set(c.lat_lon.map(|x| x.1)),
            address: Set(c.address.clone()),
            grid_code: Set(self.grid_code.clone()),
            village_code: Set(self.place.village.as_ref().map(|v| v.0.clone())),
            township_code: Set(self.place.township.as_ref().map(|t| t.0.clone())),
            reporter_name: Set(c.reporter.as_ref().map(|r| r.0.clone()).unwrap_or_default()),
            reporter_phone: Set(mask_phone(phone)),
            reporter_phone_last4: Set(last4),
            anonymous: Set(c.reporter.is_none()),
            status: Set(State::Accepted.code().into()),
            flags: Set(serde_json::to_string(&Flags::default()).expect("flags")),
            lead_unit_id: Set(None),
            list_item_code: Set(String::new()),
            dispatch_reasons: Set("[]".into()),
            dispatched_at: Set(None),
            resolve_started_at: Set(None),
            signed_at: Set(None),
            contacted_at: Set(None),
            replied_at: Set(None),
            closed_at: Set(None),
            sign_by: Set(None),
            contact_by: Set(None),
            resolve_by: Set(None),
            escalation: Set(Level::None.code().into()),
            next_escalation_at: Set(None),
            master_id: Set(None),
            resolution: Set(String::new()),
            satisfaction: Set(String::new()),
            created_at: Set(now),
            updated_at: Set(now),
            reporter_phone_enc: Set(self.phone_enc.clone()),
            client_key: Set(c.client_key.clone()),
            // Assigned by the database on insert.
            id: Set(0),
        }
    }
}

/// Tracking codes not yet taken, one query for the whole batch.
async fn fresh_codes(txn: &DatabaseTransaction, n: usize) -> AppResult<Vec<String>> {
    let mut codes: Vec<String> = Vec::with_capacity(n);
    loop {
        let mut seen: std::collections::HashSet<String> = codes.iter().cloned().collect();
        while codes.len() < n {
            let c = tracking_code();
            if seen.insert(c.clone()) {
                codes.push(c);
            }
        }
        let taken: std::collections::HashSet<String> = work_order::Entity::find()
            .select_only()
            .column(work_order::Column::TrackingCode)
            .filter(work_order::Column::TrackingCode.is_in(codes.clone()))
            .into_tuple::<String>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        if taken.is_empty() {
            return Ok(codes);
        }
        codes.retain(|c| !taken.contains(c));
    }
}

fn assignment_row(
    order_id: i64,
    unit_id: i64,
    role: &str,
    now: DateTime<Utc>,
) -> assignment::Model {
    assignment::Model {
        id: 0,
        order_id,
        unit_id,
        role: role.into(),
        active: true,
        reply: String::new(),
        created_at: now,
    }
}

/// The planned units with their roles: the lead first.
fn planned_units(p: &dispatch::Plan) -> impl Iterator<Item = (&Unit, &'static str)> {
    std::iter::once((&p.lead, "lead")).chain(p.assisting.iter().map(|u| (u, "assist")))
}

/// The timeline note of a dispatch.
fn dispatch_note(p: &dispatch::Plan) -> String {
    let assisting: Vec<&str> = p.assisting.iter().map(|u| u.name.as_str()).collect();
    format!(
        "主办：{}{}",
        p.lead.name,
        if assisting.is_empty() {
            String::new()
        } else {
            format!("；协办：{}", assisting.join("、"))
        }
    )
}

/// What the lead unit is told of a dispatch.
fn dispatched_message(m: &work_order::Model, lead: &Unit) -> outbox::Message {
    outbox::Message::new(
        format!("unit:{}", lead.id),
        "work_order.dispatched",
        vec![
            ("查询码", m.tracking_code.clone()),
            ("标题", m.title.clone()),
            (
                "签收期限",
                m.sign_by
                    .map(jiceng_core::clock::format_local)
                    .unwrap_or_default(),
            ),
        ],
    )
}

/// A message to the reporter of an order, unless anonymous.
fn to_reporter(
    m: &work_order::Model,
    event: &'static str,
    vars: Vec<(&'static str, String)>,
) -> Option<outbox::Message> {
    let r = reporter_of(m);
    (!r.is_empty()).then(|| outbox::Message::new(r, event, vars).address(&m.reporter_phone_enc))
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
    }
}

/// Writes a batch of checked orders in one transaction: the orders, their timelines,
/// assignments, audit entries and notifications, each kind in a few multi-row statements.
async fn write_intakes(app: &App, all: &[Intake]) -> AppResult<Vec<Created>> {
    let reference = app.reference.get();
    let now = app.now();
    let rules = Rules {
        max_extensions: MAX_EXTENSIONS,
        send_back_open: true,
    };
    let t0 = std::time::Instant::now();
    let txn = app.db.begin_write().await?;
    // A report sent again with its client key is answered with the order registered before.
    let keys: Vec<String> = all.iter().filter_map(|j| j.c.client_key.clone()).collect();
    let known: std::collections::HashSet<String> = if keys.is_empty() {
        Default::default()
    } else {
        work_order::Entity::find()
            .select_only()
            .column(work_order::Column::ClientKey)
            .filter(work_order::Column::ClientKey.is_in(keys))
            .into_tuple::<String>()
            .all(&txn)
            .await?
            .into_iter()
            .collect()
    };
    let mut seen = std::collections::HashSet::new();
    let is_new: Vec<bool> = all
        .iter()
        .map(|j| match &j.c.client_key {
            None => true,
            Some(k) => !known.contains(k) && seen.insert(k.clone()),
        })
        .collect();
    let jobs: Vec<&Intake> = all
        .iter()
        .zip(&is_new)
        .filter(|(_, n)| **n)
        .map(|(j, _)| j)
        .collect();
    let data = DispatchData::current(app, &txn).await?;
    let codes = fresh_codes(&txn, jobs.len()).await?;
    let mut rows = Vec::with_capacity(jobs.len());
    let mut outcomes = Vec::with_capacity(jobs.len());
    for (j, code) in jobs.iter().zip(&codes) {
        let outcome = data.plan(&reference, &j.c.category.0, &j.place, &j.county);
        let mut am = j.accepted(code, now);
        match &outcome {
            Outcome::Dispatch(p) => {
                set_dispatched(
                    &mut am,
                    &reference,
                    State::Accepted,
                    Flags::default(),
                    &j.c.category.0,
                    j.c.priority,
                    p,
                    now,
                    rules,
                )?;
            }
            Outcome::Manual(reasons) => {
                let (s, f) = transition(
                    State::Accepted,
                    Flags::default(),
                    Action::QueueForDispatch,
                    rules,
                )
                .map_err(illegal)?;
                am.status = Set(s.code().into());
                am.flags = Set(serde_json::to_string(&f).expect("flags"));
                am.dispatch_reasons = Set(serde_json::to_string(reasons).expect("reasons"));
            }
        }
        rows.push(am);
        outcomes.push(outcome);
    }
    let t_plan = t0.elapsed();
    let mut models = Vec::with_capacity(jobs.len());
    for am in rows {
        models.push(am.try_into_model()?);
    }
    let mut ids: std::collections::HashMap<String, i64> =
        std::collections::HashMap::with_capacity(jobs.len());
    for r in
        bulk::insert_models::<work_order::Entity, _>(&txn, &models, "id, tracking_code").await?
    {
        ids.insert(r.try_get("", "tracking_code")?, r.try_get("", "id")?);
    }
    for m in &mut models {
        m.id = ids.remove(&m.tracking_code).ok_or_else(|| {
            AppError::internal(anyhow::anyhow!(
                "order {} was not returned by its insert",
                m.tracking_code
            ))
        })?;
    }
    let t_orders = t0.elapsed();
    let mut events = Vec::with_capacity(jobs.len() * 2);
    let mut assignments = Vec::with_capacity(jobs.len() * 2);
    let mut audits = Vec::with_capacity(jobs.len());
    let mut messages = Vec::with_capacity(jobs.len() * 2);
    for ((j, m), outcome) in jobs.iter().zip(&models).zip(&outcomes) {
        let accepted = State::Accepted.code();
        events.push(event_model(
            m.id,
            now,
            &j.actor_name,
            "受理",
            "",
            accepted,
            &format!("{}，{}", j.c.channel.label(), j.c.priority.label()),
        ));
        match outcome {
            Outcome::Dispatch(p) => {
                events.push(event_model(
                    m.id,
                    now,
                    &j.actor_name,
                    "派单",
                    accepted,
                    &m.status,
                    &dispatch_note(p),
                ));
                for (unit, role) in planned_units(p) {
                    assignments.push(assignment_row(m.id, unit.id, role, now));
                }
                messages.push(dispatched_message(m, &p.lead));
            }
            Outcome::Manual(reasons) => events.push(event_model(
                m.id,
                now,
                "system:dispatch",
                "转人工派单",
                accepted,
                &m.status,
                &reasons.join("；"),
            )),
        }
        audits.push((
            j.actor_name.clone(),
            Event::new("work_order.create", "work_order", m.id.to_string()).state(&snapshot_of(m)),
        ));
        messages.extend(to_reporter(
            m,
            "work_order.received",
            vec![("查询码", m.tracking_code.clone())],
        ));
    }
    bulk::insert_models::<order_event::Entity, _>(&txn, &events, "").await?;
    let mut units: std::collections::HashMap<i64, Vec<assignment::Model>> =
        std::collections::HashMap::new();
    let inserted = bulk::insert_models::<assignment::Entity, _>(
        &txn,
        &assignments,
        "id, order_id, unit_id, role",
    )
    .await?;
    for r in inserted {
        let a = assignment::Model {
            id: r.try_get("", "id")?,
            order_id: r.try_get("", "order_id")?,
            unit_id: r.try_get("", "unit_id")?,
            role: r.try_get("", "role")?,
            active: true,
            reply: String::new(),
            created_at: now,
        };
        units.entry(a.order_id).or_default().push(a);
    }
    let photos: Vec<photo::Model> = jobs
        .iter()
        .zip(&models)
        .flat_map(|(j, m)| {
            j.c.photos.iter().map(|(ct, data)| photo::Model {
                id: 0,
                order_id: m.id,
                event_id: None,
                content_type: ct.clone(),
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data)),
                data: data.clone(),
                uploaded_by: j.actor_name.clone(),
                created_at: now,
            })
        })
        .collect();
    bulk::insert_models::<photo::Entity, _>(&txn, &photos, "").await?;
    let t_rows = t0.elapsed();
    audit::record_batch(&txn, now, audits).await?;
    outbox::enqueue_many(&txn, app, now, messages).await?;
    let t_audit = t0.elapsed();
    let repeats: Vec<String> = all
        .iter()
        .zip(&is_new)
        .filter(|(_, n)| !**n)
        .filter_map(|(j, _)| j.c.client_key.clone())
        .collect();
    let mut before: std::collections::HashMap<String, Created> = Default::default();
    if !repeats.is_empty() {
        let found = work_order::Entity::find()
            .filter(work_order::Column::ClientKey.is_in(repeats))
            .all(&txn)
            .await?;
        let ids: Vec<i64> = found.iter().map(|m| m.id).collect();
        let (mut by_order, names) = load_units(&txn, &ids).await?;
        for model in found {
            let units = by_order.remove(&model.id).unwrap_or_default();
            let key = model.client_key.clone().unwrap_or_default();
            before.insert(
                key,
                Created {
                    model,
                    units,
                    names: names.clone(),
                },
            );
        }
    }
    txn.commit().await?;
    tracing::debug!(orders = jobs.len(), plan = ?t_plan, orders_inserted = ?t_orders, rows = ?t_rows, audit_outbox = ?t_audit, committed = ?t0.elapsed(), "intake batch");
    let mut fresh = models.into_iter().map(|model| {
        let mut units = units.remove(&model.id).unwrap_or_default();
        units.sort_by_key(|a| a.id);
        let names = units
            .iter()
            .filter_map(|a| Some((a.unit_id, data.unit_name(a.unit_id)?.to_string())))
            .collect();
        Created {
            model,
            units,
            names,
        }
    });
    let mut out = Vec::with_capacity(all.len());
    for (j, new) in all.iter().zip(is_new) {
        let c = if new {
            fresh.next()
        } else {
            j.c.client_key.as_ref().and_then(|k| {
                before.get(k).map(|c| Created {
                    model: c.model.clone(),
                    units: c.units.clone(),
                    names: c.names.clone(),
                })
            })
        };
        out.push(
            c.ok_or_else(|| AppError::internal(anyhow::anyhow!("intake batch lost an order")))?,
        );
    }
    Ok(out)
}

/// What the audit digest covers: the order's state, not its personal data.
fn snapshot_of(m: &work_order::Model) -> serde_json::Value {
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
async fn event(
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

fn illegal(e: jiceng_core::work_order::TransitionError) -> AppError {
    AppError::conflict(e.code(), e.to_string())
}

/// Sets what a dispatch changes on an order: its state, lead unit and reasons, and its
/// deadlines started afresh from `now`.
#[allow(clippy::too_many_arguments)]
fn set_dispatched(
    am: &mut work_order::ActiveModel,
    reference: &Loaded,
    from: State,
    flags: Flags,
    category: &str,
    priority: Priority,
    p: &dispatch::Plan,
    now: DateTime<Utc>,
    rules: Rules,
) -> AppResult<State> {
    let (s, f) = transition(from, flags, Action::Dispatch, rules).map_err(illegal)?;
    let policy = reference.policy(category, priority);
    let d = policy.deadlines(&reference.calendar, now);
    am.status = Set(s.code().into());
    am.flags = Set(serde_json::to_string(&f).expect("flags"));
    am.lead_unit_id = Set(Some(p.lead.id));
    am.list_item_code = Set(p.item_code.clone());
    am.dispatch_reasons = Set(serde_json::to_string(&p.reasons).expect("reasons"));
    am.dispatched_at = Set(Some(now));
    am.signed_at = Set(None);
    am.contacted_at = Set(None);
    am.sign_by = Set(Some(d.sign_by));
    am.contact_by = Set(Some(d.contact_by));
    am.resolve_by = Set(Some(d.resolve_by));
    am.escalation = Set(Level::None.code().into());
    am.resolve_started_at = Set(Some(now));
    am.next_escalation_at = Set(jiceng_core::sla::next_step_at(
        |_| now,
        &d,
        &policy.thresholds,
        now,
        |_| false,
    ));
    am.updated_at = Set(now);
    Ok(s)
}

/// Re-dispatches an order: assigns the planned units, starts the deadlines and tells the
/// lead unit.
#[allow(clippy::too_many_arguments)]
async fn do_dispatch(
    txn: &DatabaseTransaction,
    app: &App,
    reference: &Loaded,
    m: work_order::Model,
    p: &dispatch::Plan,
    now: DateTime<Utc>,
    actor: &str,
    rules: Rules,
) -> AppResult<work_order::Model> {
    let from = state_of(&m)?;
    let flags = flags_of(&m);
    let priority = Priority::parse(&m.priority).unwrap_or(Priority::Normal);
    let category = m.category_code.clone();
    let mut am: work_order::ActiveModel = m.into();
    let s = set_dispatched(
        &mut am, reference, from, flags, &category, priority, p, now, rules,
    )?;
    let m = am.update(txn).await?;
    assignment::Entity::update_many()
        .col_expr(
            assignment::Column::Active,
            sea_orm::sea_query::Expr::value(false),
        )
        .filter(assignment::Column::OrderId.eq(m.id))
        .exec(txn)
        .await?;
    let rows: Vec<assignment::Model> = planned_units(p)
        .map(|(unit, role)| assignment_row(m.id, unit.id, role, now))
        .collect();
    bulk::insert_models::<assignment::Entity, _>(txn, &rows, "").await?;
    // A re-dispatch starts every deadline afresh.
    super::escalation::forget_steps(txn, m.id).await?;
    event(
        txn,
        m.id,
        now,
        actor,
        "派单",
        from.code(),
        s.code(),
        &dispatch_note(p),
    )
    .await?;
    outbox::enqueue_many(txn, app, now, vec![dispatched_message(&m, &p.lead)]).await?;
    Ok(m)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Whether the actor may see an order: it lies in the actor's region subtree, or the actor's
/// department is assigned to it.
async fn visible<C: ConnectionTrait>(
    db: &C,
    actor: &Actor,
    m: &work_order::Model,
) -> AppResult<bool> {
    let Actor::User(u) = actor else {
        return Ok(true);
    };
    let region = m
        .village_code
        .as_ref()
        .or(m.township_code.as_ref())
        .and_then(|c| RegionCode::parse(c).ok());
    if region
        .as_ref()
        .is_some_and(|r| u.jurisdiction.covers_region(r))
    {
        return Ok(true);
    }
    if region.is_none() && u.jurisdiction.region.level() == jiceng_core::RegionLevel::County {
        return Ok(true);
    }
    if let Some(d) = u.jurisdiction.department_id {
        let n = assignment::Entity::find()
            .filter(assignment::Column::OrderId.eq(m.id))
            .filter(assignment::Column::UnitId.eq(d))
            .count(db)
            .await?;
        return Ok(n > 0);
    }
    Ok(false)
}

fn not_found() -> AppError {
    AppError::not_found("work_order.not_found", "工单不存在")
}

/// An order the actor may see; another is "not found" (and the refusal audited as `action`).
async fn seen_by(app: &App, actor: &Actor, id: i64, action: &str) -> AppResult<work_order::Model> {
    let m = work_order::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    if !visible(&app.db.conn, actor, &m).await? {
        audit::deny(app, actor, action, "work_order", &id.to_string()).await;
        return Err(not_found());
    }
    Ok(m)
}

pub async fn get(app: &App, actor: &Actor, id: i64) -> AppResult<OrderView> {
    let m = seen_by(app, actor, id, "work_order.read").await?;
    view(&app.db.conn, app, &m, true, Some(actor)).await
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct OrderFilter {
    pub status: Option<String>,
    pub unit: Option<i64>,
    pub grid: Option<String>,
    pub township: Option<String>,
    pub category: Option<String>,
    pub channel: Option<String>,
    pub overdue: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub q: Option<String>,
}

/// The orders an actor may see: in its region subtree (a county account also sees orders
/// without a location), or assigned to its department. `None` for the system.
pub(crate) fn scope_condition(actor: &Actor) -> Option<Condition> {
    let Actor::User(u) = actor else { return None };
    let mut scope = Condition::any()
        .add(work_order::Column::VillageCode.like(u.jurisdiction.region_like_pattern()))
        .add(work_order::Column::TownshipCode.like(u.jurisdiction.region_like_pattern()));
    if u.jurisdiction.region.level() == jiceng_core::RegionLevel::County {
        scope = scope.add(work_order::Column::TownshipCode.is_null());
    }
    if let Some(d) = u.jurisdiction.department_id {
        let mine = assignment::Entity::find()
            .select_only()
            .column(assignment::Column::OrderId)
            .filter(assignment::Column::UnitId.eq(d));
        scope =
            scope.add(work_order::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(mine)));
    }
    Some(scope)
}

/// One photo of an order, for staff who may see the order.
pub async fn photo(
    app: &App,
    actor: &Actor,
    id: i64,
    photo_id: i64,
) -> AppResult<(String, Vec<u8>)> {
    seen_by(app, actor, id, "work_order.photo").await?;
    let p = photo::Entity::find_by_id(photo_id)
        .filter(photo::Column::OrderId.eq(id))
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| AppError::not_found("work_order.photo_not_found", "没有这张照片"))?;
    Ok((p.content_type, p.data))
}

/// The reporter's full phone number, for staff who may see the order (to call the citizen
/// back). Every such view is audited.
pub async fn reveal_phone(app: &App, actor: &Actor, id: i64) -> AppResult<String> {
    let m = seen_by(app, actor, id, "work_order.reveal_phone").await?;
    if m.anonymous {
        return Err(AppError::not_found(
            "work_order.anonymous",
            "匿名反映，没有联系电话",
        ));
    }
    let phone = app.data_key.open(&m.reporter_phone_enc).ok_or_else(|| {
        AppError::internal(anyhow::anyhow!(
            "order {id}: the phone does not open with the data key"
        ))
    })?;
    if phone.is_empty() {
        return Err(AppError::not_found(
            "work_order.no_phone",
            "该工单没有保存完整电话号码",
        ));
    }
    audit::record_alone(
        app,
        &actor.audit_name(),
        Event::new("work_order.reveal_phone", "work_order", id.to_string())
            .reason("查看反映人完整电话"),
    )
    .await?;
    Ok(phone)
}

pub async fn list(
    app: &App,
    actor: &Actor,
    f: &OrderFilter,
    page: PageParams,
) -> AppResult<Page<OrderView>> {
    let page = page.normalised();
    let mut q = work_order::Entity::find();
    if let Some(scope) = scope_condition(actor) {
        q = q.filter(scope);
    }
    let nonempty = |o: &Option<String>| {
        o.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    if let Some(s) = nonempty(&f.status) {
        q = q.filter(work_order::Column::Status.eq(s));
    }
    if let Some(u) = f.unit {
        let of_unit = assignment::Entity::find()
            .select_only()
            .column(assignment::Column::OrderId)
            .filter(assignment::Column::UnitId.eq(u))
            .filter(assignment::Column::Active.eq(true));
        q = q.filter(work_order::Column::Id.in_subquery(sea_orm::QueryTrait::into_query(of_unit)));
    }
    if let Some(g) = nonempty(&f.grid) {
        q = q.filter(work_order::Column::GridCode.eq(g));
    }
    if let Some(t) = nonempty(&f.township) {
        q = q.filter(work_order::Column::TownshipCode.eq(t));
    }
    if let Some(c) = nonempty(&f.category) {
        q = q.filter(work_order::Column::CategoryCode.starts_with(c));
    }
    if let Some(c) = nonempty(&f.channel) {
        q = q.filter(work_order::Column::Channel.eq(c));
    }
    if f.overdue == Some(true) {
        q = q.filter(work_order::Column::Escalation.is_in(["red", "supervised"]));
    }
    if let Some(t) = f.from {
        q = q.filter(work_order::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.to {
        q = q.filter(work_order::Column::CreatedAt.lt(t));
    }
    if let Some(text) = nonempty(&f.q) {
        q = q.filter(
            Condition::any()
                .add(work_order::Column::Title.contains(text.as_str()))
                .add(work_order::Column::Description.contains(text.as_str()))
                .add(work_order::Column::TrackingCode.eq(text.to_uppercase())),
        );
    }
    let total = q.clone().count(&app.db.conn).await?;
    let rows = q
        .order_by_desc(work_order::Column::Id)
        .offset(page.offset())
        .limit(page.per_page)
        .all(&app.db.conn)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let (mut units, names) = load_units(&app.db.conn, &ids).await?;
    let mut items = Vec::with_capacity(rows.len());
    for m in &rows {
        let u = units.remove(&m.id).unwrap_or_default();
        items.push(view_with(&app.db.conn, app, m, u, &names, false, Some(actor)).await?);
    }
    Ok(Page {
        items,
        total,
        page: page.page,
        per_page: page.per_page,
    })
}

/// The order a citizen names by its tracking code and the last four digits of the phone;
/// anonymous orders cannot be named this way.
pub(crate) async fn by_code_and_last4(
    app: &App,
    code: &str,
    last4: &str,
) -> AppResult<work_order::Model> {
    let m = work_order::Entity::find()
        .filter(work_order::Column::TrackingCode.eq(code.trim().to_uppercase()))
        .one(&app.db.conn)
        .await?
        .filter(|m| {
            !m.anonymous
                && !last4.is_empty()
                && crate::http::extract::same_secret(&m.reporter_phone_last4, last4.trim())
        })
        .ok_or_else(|| AppError::not_found("work_order.not_found", "查询码或手机号后四位不正确"))?;
    Ok(m)
}

/// A citizen tracks an order by its code and the last four digits of the phone.
pub async fn track(app: &App, code: &str, last4: &str) -> AppResult<OrderView> {
    let m = by_code_and_last4(app, code, last4).await?;
    let mut v = view(&app.db.conn, app, &m, true, None).await?;
    // Citizens see the progress, not the names of staff.
    if let Some(t) = v.timeline.as_mut() {
        for e in t.iter_mut() {
            e.actor = String::new();
        }
    }
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// Actions

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub action: Action,
    #[serde(default)]
    pub note: String,
    /// Re-dispatch or manual dispatch: the lead unit.
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// Manual dispatch: assisting units.
    #[serde(default)]
    pub assisting: Vec<i64>,
    /// Extension: working days asked for.
    #[serde(default)]
    pub days: Option<u32>,
    /// Merge: the master order.
    #[serde(default)]
    pub master_id: Option<i64>,
    /// Callback.
    #[serde(default)]
    pub resolution: Option<Resolution>,
    /// Dispatch: the category, when the dispatcher corrects it.
    #[serde(default)]
    pub category_code: Option<String>,
    /// Reply: up to 9 photos of the result (base64 JPEG, PNG or WebP).
    #[serde(default)]
    pub photos: Vec<String>,
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
}

impl ActionInput {
    pub fn new(action: Action) -> Self {
        Self {
            action,
            note: String::new(),
            unit_id: None,
            assisting: Vec::new(),
            days: None,
            master_id: None,
            resolution: None,
            satisfaction: None,
            category_code: None,
            photos: Vec::new(),
        }
    }

    pub fn note(mut self, note: &str) -> Self {
        self.note = note.to_string();
        self
    }

    pub fn unit(mut self, unit: Option<i64>) -> Self {
        self.unit_id = unit;
        self
    }

    pub fn satisfaction(mut self, s: Satisfaction) -> Self {
        self.satisfaction = Some(s);
        self
    }

    pub fn callback(mut self, r: Resolution, s: Satisfaction) -> Self {
        self.resolution = Some(r);
        self.satisfaction = Some(s);
        self
    }
}

/// Which roles may take which actions (the unit-level check comes on top).
fn role_may(role: Role, action: Action) -> bool {
    use Action::*;
    match action {
        AnswerDirectly => matches!(role, Role::Operator | Role::Dispatcher),
        QueueForDispatch => false,
        Dispatch | AcceptSendBack | RejectSendBack | ApproveExtension | RejectExtension | Merge => {
            matches!(role, Role::Dispatcher)
        }
        Sign | Contact | SendBack | RequestExtension | Reply => {
            matches!(role, Role::Handler | Role::Dispatcher)
        }
        ApproveReply | ReturnReply | CallbackClose | Reopen => {
            matches!(role, Role::Operator | Role::Dispatcher)
        }
        Withdraw => matches!(role, Role::Operator),
    }
}

/// Lead-unit actions need the actor's department to be the lead.
fn needs_lead_unit(action: Action) -> bool {
    matches!(
        action,
        Action::Sign
            | Action::Contact
            | Action::SendBack
            | Action::RequestExtension
            | Action::Reply
    )
}

async fn allowed_for(
    app: &App,
    actor: &Actor,
    m: &work_order::Model,
    units: &[assignment::Model],
) -> Vec<Action> {
    let Ok(state) = state_of(m) else {
        return Vec::new();
    };
    let rules = rules_for(app, m);
    let Actor::User(u) = actor else {
        return Vec::new();
    };
    jiceng_core::work_order::allowed(state, flags_of(m), rules)
        .into_iter()
        .filter(|a| *a != Action::QueueForDispatch && role_may(u.role, *a))
        .filter(|a| !needs_lead_unit(*a) || is_lead(u, units))
        .collect()
}

fn is_lead(u: &UserActor, units: &[assignment::Model]) -> bool {
    u.jurisdiction.department_id.is_some_and(|d| {
        units
            .iter()
            .any(|a| a.active && a.role == "lead" && a.unit_id == d)
    })
}

/// The send-back window: 2 working days from dispatch.
fn rules_for(app: &App, m: &work_order::Model) -> Rules {
    let reference = app.reference.get();
    let open = m.dispatched_at.is_none_or(|d| {
        app.now() < jiceng_core::calendar::Limit::working_days(2).deadline(&reference.calendar, d)
    });
    Rules {
        max_extensions: MAX_EXTENSIONS,
        send_back_open: open,
    }
}

/// Takes one action on an order: checks role, unit and state, then writes the new state, the
/// timeline, the audit entry and the notifications in one transaction.
pub async fn apply(app: &App, actor: &Actor, id: i64, input: ActionInput) -> AppResult<OrderView> {
    let Actor::User(u) = actor else {
        return Err(AppError::forbidden());
    };
    if !role_may(u.role, input.action) {
        return Err(audit::deny(
            app,
            actor,
            &format!("work_order.{:?}", input.action),
            "work_order",
            &id.to_string(),
        )
        .await);
    }
    if input.note.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::field(
            "note",
            "work_order.note_too_long",
            format!("说明不能超过{MAX_DESCRIPTION}个字"),
        ));
    }
    if !input.photos.is_empty() && !matches!(input.action, Action::Reply | Action::AnswerDirectly) {
        return Err(AppError::field(
            "photos",
            "work_order.photos_not_allowed",
            "只有回复时可以附照片",
        ));
    }
    let photos = check_photos(&input.photos, "photos")
        .map_err(|e| AppError::invalid("work_order.bad_photo", e.message.clone(), vec![e]))?;
    let now = app.now();
    let reference = app.reference.get();
    let txn = app.db.begin_write().await?;
    let m = work_order::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    if !visible(&txn, actor, &m).await? {
        txn.rollback().await?;
        audit::deny(app, actor, "work_order.act", "work_order", &id.to_string()).await;
        return Err(not_found());
    }
    let units = assignment::Entity::find()
        .filter(assignment::Column::OrderId.eq(id))
        .filter(assignment::Column::Active.eq(true))
        .all(&txn)
        .await?;
    if needs_lead_unit(input.action) && !is_lead(u, &units) {
        txn.rollback().await?;
        return Err(audit::deny(
            app,
            actor,
            "work_order.not_lead_unit",
            "work_order",
            &id.to_string(),
        )
        .await);
    }
    let from = state_of(&m)?;
    let rules = rules_for(app, &m);
    let (to, flags) = transition(from, flags_of(&m), input.action, rules).map_err(illegal)?;
    let actor_name = actor.audit_name();
    let note = input.note.trim().to_string();
    let mut am: work_order::ActiveModel = m.clone().into();
    am.status = Set(to.code().into());
    am.flags = Set(serde_json::to_string(&flags).expect("flags"));
    am.updated_at = Set(now);
    let mut message: Option<outbox::Message> = None;
    match input.action {
        Action::Sign => am.signed_at = Set(Some(now)),
        Action::Contact => am.contacted_at = Set(Some(now)),
        Action::Reply => {
            if note.is_empty() {
                return Err(AppError::field(
                    "note",
                    "work_order.reply_required",
                    "请填写回复内容",
                ));
            }
            am.replied_at = Set(Some(now));
        }
        Action::SendBack
        | Action::RequestExtension
        | Action::RejectSendBack
        | Action::RejectExtension
        | Action::ReturnReply
            if note.is_empty() =>
        {
            return Err(AppError::field(
                "note",
                "work_order.reason_required",
                "请填写理由",
            ));
        }
        Action::ApproveExtension => {
            let days = extension_days(&txn, id).await?;
            let base = m.resolve_by.unwrap_or(now);
            let due = jiceng_core::calendar::Limit::working_days(days)
                .deadline(&reference.calendar, base);
            am.resolve_by = Set(Some(due));
            message = to_reporter(
                &m,
                "work_order.extended",
                vec![
                    ("查询码", m.tracking_code.clone()),
                    ("办理期限", jiceng_core::clock::format_local(due)),
                ],
            );
        }
        Action::AnswerDirectly | Action::CallbackClose => {
            am.closed_at = Set(Some(now));
            if input.action == Action::CallbackClose {
                let (Some(r), Some(s)) = (input.resolution, input.satisfaction) else {
                    return Err(AppError::field(
                        "resolution",
                        "work_order.callback_incomplete",
                        "回访须记录解决情况和满意度",
                    ));
                };
                if r == Resolution::Unresolved {
                    return Err(AppError::field(
                        "resolution",
                        "work_order.unresolved",
                        "群众反映未解决，应选择“重办”",
                    ));
                }
                am.resolution = Set(code_of(&r));
                am.satisfaction = Set(code_of(&s));
            }
        }
        Action::Reopen => {
            am.resolution = Set("unresolved".into());
            if let Some(s) = input.satisfaction {
                am.satisfaction = Set(code_of(&s));
            }
            am.replied_at = Set(None);
        }
        Action::Withdraw => am.closed_at = Set(Some(now)),
        Action::Merge => {
            let master_id = input.master_id.ok_or_else(|| {
                AppError::field("master_id", "work_order.master_required", "请指定主工单")
            })?;
            let master = work_order::Entity::find_by_id(master_id)
                .one(&txn)
                .await?
                .ok_or_else(|| {
                    AppError::field("master_id", "work_order.master_not_found", "主工单不存在")
                })?;
            if master.id == m.id
                || master.master_id.is_some()
                || State::parse(&master.status).is_none_or(|s| s.is_final())
            {
                return Err(AppError::field(
                    "master_id",
                    "work_order.bad_master",
                    "主工单必须是另一张未办结的工单",
                ));
            }
            am.master_id = Set(Some(master.id));
            am.closed_at = Set(Some(now));
        }
        _ => {}
    }
    if input.action == Action::RequestExtension {
        let days = input.days.filter(|d| (1..=30).contains(d)).ok_or_else(|| {
            AppError::field("days", "work_order.bad_days", "延期天数须为1～30个工作日")
        })?;
        event(
            &txn,
            id,
            now,
            &actor_name,
            "申请延期",
            from.code(),
            to.code(),
            &format!("{days}个工作日：{note}"),
        )
        .await?;
    }
    let mut m2 = am.update(&txn).await?;
    if input.action != Action::RequestExtension {
        let event_id = event(
            &txn,
            id,
            now,
            &actor_name,
            input.action.label(),
            from.code(),
            to.code(),
            &note,
        )
        .await?;
        let photos: Vec<photo::Model> = photos
            .iter()
            .map(|(ct, data)| photo::Model {
                id: 0,
                order_id: id,
                event_id: Some(event_id),
                content_type: ct.clone(),
                sha256: hex::encode(<sha2::Sha256 as sha2::Digest>::digest(data)),
                data: data.clone(),
                uploaded_by: actor_name.clone(),
                created_at: now,
            })
            .collect();
        bulk::insert_models::<photo::Entity, _>(&txn, &photos, "").await?;
    }
    // Side effects that need the updated row.
    match input.action {
        Action::Dispatch | Action::AcceptSendBack => {
            // Overriding the automatic dispatch (or accepting a send-back) corrects it: the
            // reason is required and the correction is kept for learning.
            let correcting = from == State::PendingSign || input.action == Action::AcceptSendBack;
            if from == State::PendingSign && note.is_empty() {
                return Err(AppError::field(
                    "note",
                    "work_order.reason_required",
                    "改派须填写理由",
                ));
            }
            if let Some(code) = input
                .category_code
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty() && *c != m.category_code)
            {
                if reference.categories.get(code).is_none() {
                    return Err(AppError::field(
                        "category_code",
                        "work_order.unknown_category",
                        format!("分类 {code} 不存在"),
                    ));
                }
                correct(
                    &txn,
                    now,
                    id,
                    "category",
                    &m.category_code,
                    code,
                    &actor_name,
                    &note,
                )
                .await?;
                let mut am: work_order::ActiveModel = m2.into();
                am.category_code = Set(code.to_string());
                am.category_confidence = Set(1.0);
                m2 = am.update(&txn).await?;
            }
            if correcting && let Some(unit) = input.unit_id {
                let before = format!(
                    "{}|{}",
                    m.lead_unit_id.map(|u| u.to_string()).unwrap_or_default(),
                    m.list_item_code
                );
                correct(
                    &txn,
                    now,
                    id,
                    "dispatch",
                    &before,
                    &unit.to_string(),
                    &actor_name,
                    &note,
                )
                .await?;
            }
            let plan = match input.unit_id {
                Some(unit) => manual_plan(&txn, unit, &input.assisting, &note).await?,
                None if input.action == Action::AcceptSendBack => None,
                None => {
                    return Err(AppError::field(
                        "unit_id",
                        "work_order.unit_required",
                        "请选择主办单位",
                    ));
                }
            };
            if let Some(p) = plan {
                m2 = do_dispatch(&txn, app, &reference, m2, &p, now, &actor_name, rules).await?;
            } else {
                // Accepted send-back without a new unit: it waits in the manual queue.
                assignment::Entity::update_many()
                    .col_expr(
                        assignment::Column::Active,
                        sea_orm::sea_query::Expr::value(false),
                    )
                    .filter(assignment::Column::OrderId.eq(id))
                    .exec(&txn)
                    .await?;
                let mut am: work_order::ActiveModel = m2.into();
                am.lead_unit_id = Set(None);
                am.next_escalation_at = Set(None);
                m2 = am.update(&txn).await?;
            }
        }
        Action::Reopen => {
            // 重办: the resolve deadline starts again from now.
            let priority = Priority::parse(&m2.priority).unwrap_or(Priority::Normal);
            let policy = reference.policy(&m2.category_code, priority);
            let due = policy.resolve.deadline(&reference.calendar, now);
            let mut am: work_order::ActiveModel = m2.into();
            am.resolve_by = Set(Some(due));
            am.resolve_started_at = Set(Some(now));
            m2 = am.update(&txn).await?;
            super::escalation::forget_kind(&txn, id, DeadlineKind::Resolve).await?;
        }
        Action::ApproveExtension => {
            // The extended deadline escalates afresh.
            super::escalation::forget_kind(&txn, id, DeadlineKind::Resolve).await?;
        }
        Action::Merge => {
            // Everything merged into the master is called back with it.
            let master = m2.master_id.expect("merge sets the master");
            event(
                &txn,
                master,
                now,
                &actor_name,
                "合并",
                "",
                "",
                &format!("合并工单{}", m2.tracking_code),
            )
            .await?;
        }
        Action::CallbackClose => {
            for dup in work_order::Entity::find()
                .filter(work_order::Column::MasterId.eq(id))
                .all(&txn)
                .await?
            {
                let fan_out = to_reporter(
                    &dup,
                    "work_order.merged_closed",
                    vec![("查询码", dup.tracking_code.clone())],
                );
                outbox::enqueue_many(&txn, app, now, fan_out.into_iter().collect()).await?;
            }
            message = to_reporter(
                &m2,
                "work_order.closed",
                vec![("查询码", m2.tracking_code.clone())],
            );
        }
        Action::Reply => {
            message = to_reporter(
                &m2,
                "work_order.replied",
                vec![("查询码", m2.tracking_code.clone()), ("答复", note.clone())],
            );
        }
        _ => {}
    }
    m2 = super::escalation::reschedule(&txn, &reference, m2, now).await?;
    outbox::enqueue_many(&txn, app, now, message.into_iter().collect()).await?;
    let ev = Event::new("work_order.action", "work_order", id.to_string())
        .state(&snapshot_of(&m2))
        .reason(format!(
            "{}{}",
            input.action.label(),
            if note.is_empty() {
                String::new()
            } else {
                format!("：{note}")
            }
        ));
    audit::record(&txn, now, &actor_name, ev).await?;
    txn.commit().await?;
    view(&app.db.conn, app, &m2, true, Some(actor)).await
}

fn code_of<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(String::from))
        .unwrap_or_default()
}

fn reporter_of(m: &work_order::Model) -> String {
    if m.anonymous || m.reporter_phone.is_empty() {
        String::new()
    } else {
        format!("phone:{}", m.reporter_phone)
    }
}

/// The working days of the pending extension request, from its timeline entry.
async fn extension_days(txn: &DatabaseTransaction, id: i64) -> AppResult<u32> {
    let e = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(id))
        .filter(order_event::Column::Action.eq("申请延期"))
        .order_by_desc(order_event::Column::Id)
        .one(txn)
        .await?
        .ok_or_else(|| AppError::conflict("work_order.nothing_pending", "没有待审批的延期申请"))?;
    e.note
        .split('个')
        .next()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("bad extension note")))
}

/// A dispatcher's own choice of units.
async fn manual_plan(
    txn: &DatabaseTransaction,
    lead: i64,
    assisting: &[i64],
    note: &str,
) -> AppResult<Option<dispatch::Plan>> {
    let find = |id: i64| async move {
        department::Entity::find_by_id(id)
            .one(txn)
            .await?
            .filter(|d| d.active)
            .map(|d| Unit {
                id: d.id,
                name: d.name,
            })
            .ok_or_else(|| {
                AppError::field(
                    "unit_id",
                    "department.not_found",
                    format!("单位 {id} 不存在或已停用"),
                )
            })
    };
    let lead = find(lead).await?;
    let mut units = Vec::new();
    for a in assisting {
        if *a != lead.id {
            units.push(find(*a).await?);
        }
    }
    let mut reasons = vec![format!("派单员人工派单，主办：{}", lead.name)];
    if !note.is_empty() {
        reasons.push(format!("理由：{note}"));
    }
    Ok(Some(dispatch::Plan {
        item_code: String::new(),
        lead,
        assisting: units,
        reasons,
    }))
}

/// Keeps a dispatcher's correction of the automatic classification or dispatch.
#[allow(clippy::too_many_arguments)]
async fn correct(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
    order_id: i64,
    kind: &str,
    before: &str,
    after: &str,
    actor: &str,
    reason: &str,
) -> AppResult<()> {
    crate::store::entities::correction::ActiveModel {
        order_id: Set(order_id),
        kind: Set(kind.to_string()),
        before: Set(before.to_string()),
        after: Set(after.to_string()),
        actor: Set(actor.to_string()),
        reason: Set(reason.to_string()),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    Ok(())
}

/// An assisting unit's reply to the lead (协办回复); the order's state does not change.
pub async fn assist_reply(app: &App, actor: &Actor, id: i64, text: &str) -> AppResult<OrderView> {
    let Actor::User(u) = actor else {
        return Err(AppError::forbidden());
    };
    let text = text.trim();
    if text.is_empty() || text.chars().count() > MAX_DESCRIPTION {
        return Err(AppError::field(
            "note",
            "work_order.reply_required",
            format!("请填写1～{MAX_DESCRIPTION}个字的协办意见"),
        ));
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let m = work_order::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let mine = assignment::Entity::find()
        .filter(assignment::Column::OrderId.eq(id))
        .filter(assignment::Column::Role.eq("assist"))
        .filter(assignment::Column::Active.eq(true))
        .filter(assignment::Column::UnitId.eq(u.jurisdiction.department_id.unwrap_or(-1)))
        .one(&txn)
        .await?;
    let Some(a) = mine else {
        txn.rollback().await?;
        return Err(audit::deny(
            app,
            actor,
            "work_order.assist_reply",
            "work_order",
            &id.to_string(),
        )
        .await);
    };
    if State::parse(&m.status).is_none_or(|s| s.is_final()) {
        return Err(AppError::conflict(
            "work_order.illegal_transition",
            "工单已结束，不能再提交协办意见",
        ));
    }
    let mut am: assignment::ActiveModel = a.into();
    am.reply = Set(text.to_string());
    am.update(&txn).await?;
    event(
        &txn,
        id,
        now,
        &actor.audit_name(),
        "协办回复",
        &m.status,
        &m.status,
        text,
    )
    .await?;
    if let Some(lead) = m.lead_unit_id {
        let msg = outbox::Message::new(
            format!("unit:{lead}"),
            "work_order.assist_reply",
            vec![
                ("查询码", m.tracking_code.clone()),
                ("意见", text.to_string()),
            ],
        );
        outbox::enqueue_many(&txn, app, now, vec![msg]).await?;
    }
    let ev = Event::new("work_order.assist_reply", "work_order", id.to_string())
        .reason(text.to_string());
    audit::record(&txn, now, &actor.audit_name(), ev).await?;
    txn.commit().await?;
    view(&app.db.conn, app, &m, true, Some(actor)).await
}

pub fn deadlines_of(m: &work_order::Model) -> Option<Deadlines> {
    Some(Deadlines {
        sign_by: m.sign_by?,
        contact_by: m.contact_by?,
        resolve_by: m.resolve_by?,
    })
}

/// The citizen's own callback (回访) from the tracking page once the reply is approved:
/// resolved closes the order, unresolved reopens it.
pub async fn citizen_callback(
    app: &App,
    code: &str,
    last4: &str,
    resolution: Resolution,
    satisfaction: Satisfaction,
) -> AppResult<OrderView> {
    let m = by_code_and_last4(app, code, last4).await?;
    if m.status != State::PendingCallback.code() {
        return Err(AppError::conflict(
            "work_order.not_ready_for_rating",
            "工单答复审核通过后才能评价",
        ));
    }
    let (action, state) = if resolution == Resolution::Unresolved {
        (Action::Reopen, State::InProgress)
    } else {
        (Action::CallbackClose, State::Closed)
    };
    let now = app.now();
    let reference = app.reference.get();
    let txn = app.db.begin_write().await?;
    let m = work_order::Entity::find_by_id(m.id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(not_found)?;
    let from = state_of(&m)?;
    let (to, flags) =
        transition(from, flags_of(&m), action, rules_for(app, &m)).map_err(illegal)?;
    debug_assert_eq!(to, state);
    let mut am: work_order::ActiveModel = m.clone().into();
    am.status = Set(to.code().into());
    am.flags = Set(serde_json::to_string(&flags).expect("flags"));
    am.resolution = Set(code_of(&resolution));
    am.satisfaction = Set(code_of(&satisfaction));
    am.updated_at = Set(now);
    if to == State::Closed {
        am.closed_at = Set(Some(now));
    } else {
        let policy = reference.policy(
            &m.category_code,
            Priority::parse(&m.priority).unwrap_or(Priority::Normal),
        );
        am.resolve_by = Set(Some(policy.resolve.deadline(&reference.calendar, now)));
        am.resolve_started_at = Set(Some(now));
        am.replied_at = Set(None);
        super::escalation::forget_kind(&txn, m.id, DeadlineKind::Resolve).await?;
    }
    let m2 = am.update(&txn).await?;
    let m2 = super::escalation::reschedule(&txn, &reference, m2, now).await?;
    let note = format!(
        "群众评价：{}，{}",
        resolution_label(resolution),
        satisfaction_label(satisfaction)
    );
    event(
        &txn,
        m2.id,
        now,
        "citizen",
        action.label(),
        from.code(),
        to.code(),
        &note,
    )
    .await?;
    if let Some(lead) = m2.lead_unit_id
        && to == State::InProgress
    {
        let msg = outbox::Message::new(
            format!("unit:{lead}"),
            "work_order.reopened",
            vec![("查询码", m2.tracking_code.clone())],
        );
        outbox::enqueue_many(&txn, app, now, vec![msg]).await?;
    }
    let ev = Event::new("work_order.action", "work_order", m2.id.to_string())
        .state(&snapshot_of(&m2))
        .reason(note);
    audit::record(&txn, now, "citizen", ev).await?;
    txn.commit().await?;
    view(&app.db.conn, app, &m2, true, None).await
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

/// An open order near a new report that may be the same problem.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub id: i64,
    pub tracking_code: String,
    pub title: String,
    pub status_label: &'static str,
    pub distance_m: f64,
    pub same_category: bool,
}

/// Open orders within `radius_m` of a point from the last 14 days that the actor may see,
/// nearest first, those of the same category before the others.
pub async fn nearby_open(
    app: &App,
    actor: &Actor,
    lat: f64,
    lon: f64,
    category: Option<&str>,
    radius_m: f64,
) -> AppResult<Vec<Duplicate>> {
    let dlat = radius_m / 111_320.0;
    let dlon = radius_m / (111_320.0 * lat.to_radians().cos().max(0.01));
    let mut q = work_order::Entity::find()
        .filter(work_order::Column::Lat.between(lat - dlat, lat + dlat))
        .filter(work_order::Column::Lon.between(lon - dlon, lon + dlon))
        .filter(work_order::Column::Status.is_not_in(["closed", "withdrawn", "merged"]))
        .filter(work_order::Column::CreatedAt.gte(app.now() - chrono::Duration::days(14)));
    if let Some(scope) = scope_condition(actor) {
        q = q.filter(scope);
    }
    let mut out: Vec<Duplicate> = q
        .limit(200)
        .all(&app.db.conn)
        .await?
        .into_iter()
        .filter_map(|m| {
            let (la, lo) = (m.lat?, m.lon?);
            let dy = (la - lat) * 111_320.0;
            let dx = (lo - lon) * 111_320.0 * lat.to_radians().cos();
            let distance_m = (dx * dx + dy * dy).sqrt();
            (distance_m <= radius_m).then(|| Duplicate {
                id: m.id,
                tracking_code: m.tracking_code.clone(),
                title: m.title.clone(),
                status_label: State::parse(&m.status).map(|s| s.label()).unwrap_or(""),
                distance_m: distance_m.round(),
                same_category: category.is_some_and(|c| c == m.category_code),
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.same_category
            .cmp(&a.same_category)
            .then(a.distance_m.total_cmp(&b.distance_m))
    });
    out.truncate(5);
    Ok(out)
}
