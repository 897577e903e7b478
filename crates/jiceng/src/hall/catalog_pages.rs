//! Public pages of 一窗受理: the service guides (办事指南) and the 一件事 pages. No sign-in.

use crate::hall::catalog;
use crate::hall::catalog::BundleView;
use crate::hall::catalog::MatterFilter;
use crate::hall::catalog::MatterSummary;
use crate::hall::catalog::MatterView;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::web::Chrome;
use crate::web::PageResult;
use crate::web::chrome;
use crate::web::render;
use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use jiceng_core::catalog::{CaseKind, MaterialForm, MaterialSource, Necessity};
use serde::Deserialize;

pub fn routes() -> Router<App> {
    Router::new()
        .route("/guides", get(guides))
        .route("/guides/{code}", get(guide))
        .route("/bundles/{code}", get(bundle))
}

#[derive(Template)]
#[template(path = "guides.html")]
struct GuidesPage {
    chrome: Chrome,
    q: String,
    items: Vec<MatterSummary>,
    /// (code, name, summary)
    bundles: Vec<(String, String, String)>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct GuidesQuery {
    q: String,
}

async fn guides(State(app): State<App>, Query(q): Query<GuidesQuery>) -> PageResult {
    let filter = MatterFilter {
        q: Some(q.q.clone()),
        ..Default::default()
    };
    let items = catalog::list(
        &app,
        &filter,
        PageParams {
            page: 1,
            per_page: 500,
        },
    )
    .await?
    .items;
    let bundles = if q.q.trim().is_empty() {
        catalog::bundles(&app)
            .await?
            .into_iter()
            .map(|b| (b.code, b.name, b.summary))
            .collect()
    } else {
        Vec::new()
    };
    Ok(render(
        StatusCode::OK,
        &GuidesPage {
            chrome: chrome(&app, None, "/guides", String::new()),
            q: q.q,
            items,
            bundles,
        },
    ))
}

#[derive(Template)]
#[template(path = "guide.html")]
struct GuidePage {
    chrome: Chrome,
    m: MatterView,
    case_kind: &'static str,
    legal: String,
    promised: String,
    /// (box x, text x, step, line from, line to)
    flow: Vec<(u32, u32, String, u32, u32)>,
    flow_width: u32,
    /// (name, necessity, form, copies, note)
    materials: Vec<(String, String, &'static str, u32, String)>,
}

async fn guide(State(app): State<App>, Path(code): Path<String>) -> PageResult {
    Ok(render(StatusCode::OK, &guide_page(&app, &code).await?))
}

/// The guide page of a matter (also what `jiceng bench guide` times).
pub async fn render_guide(app: &App, code: &str) -> crate::error::AppResult<String> {
    guide_page(app, code)
        .await?
        .render()
        .map_err(crate::error::AppError::internal)
}

async fn guide_page(app: &App, code: &str) -> crate::error::AppResult<GuidePage> {
    let m = catalog::get(app, code).await?;
    let flow = m
        .spec
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let x = 10 + i as u32 * 150;
            (x, x + 55, s.clone(), x + 110, x + 150)
        })
        .collect::<Vec<_>>();
    let flow_width = 20 + m.spec.steps.len() as u32 * 150;
    let materials = m
        .spec
        .materials
        .iter()
        .map(|x| {
            let need = match &x.necessity {
                Necessity::Required => "必须".to_string(),
                Necessity::Conditional { condition } => format!("{condition}需提供"),
                Necessity::Optional => "可选".to_string(),
            };
            let form = match x.form {
                MaterialForm::Paper => "纸质",
                MaterialForm::Electronic => "电子",
                MaterialForm::Either => "纸质或电子",
            };
            let note = match &x.source {
                MaterialSource::Issued { by } => format!("由{by}出具，部门间共享获取，无需提交"),
                MaterialSource::Applicant => x.standard.clone(),
            };
            (x.name.clone(), need, form, x.copies, note)
        })
        .collect();
    Ok(GuidePage {
        chrome: chrome(app, None, "/guides", String::new()),
        case_kind: match m.spec.case_kind {
            CaseKind::Immediate => "即办件（当场办结）",
            CaseKind::Promised => "承诺件",
        },
        legal: m.spec.legal_limit.describe(),
        promised: if m.spec.case_kind == CaseKind::Immediate {
            "当场办结".into()
        } else {
            m.spec.promised_limit.describe()
        },
        flow,
        flow_width,
        materials,
        m,
    })
}

#[derive(Template)]
#[template(path = "bundle.html")]
struct BundlePage {
    chrome: Chrome,
    b: BundleView,
    /// Each stage's matter names, joined.
    stages: Vec<String>,
    /// The DAG drawn: boxes (x, y, text x, text y, label) and arrows (x1, y1, x2, y2).
    boxes: Vec<(u32, u32, u32, u32, String)>,
    arrows: Vec<(u32, u32, u32, u32)>,
    width: u32,
    height: u32,
    /// Where and when, from the first matter (the one window that receives the bundle).
    first: Option<MatterView>,
    /// (material, the matters that need it)
    materials: Vec<(String, String)>,
}

const BOX_W: u32 = 150;
const BOX_H: u32 = 40;
const COL: u32 = 180;
const ROW: u32 = 52;

/// At most ten characters of a name inside a box.
fn short(name: &str) -> String {
    if name.chars().count() > 10 {
        name.chars().take(9).chain(std::iter::once('…')).collect()
    } else {
        name.to_string()
    }
}

async fn bundle(State(app): State<App>, Path(code): Path<String>) -> PageResult {
    let b = catalog::get_bundle(&app, &code).await?;
    let name = |c: &String| {
        b.matters
            .iter()
            .find(|m| &m.code == c)
            .map(|m| m.name.clone())
            .unwrap_or_else(|| c.clone())
    };
    let stages = b
        .unified
        .stages
        .iter()
        .map(|s| {
            let names: Vec<String> = s.iter().map(name).collect();
            if names.len() > 1 {
                format!("{}（同时办理）", names.join("、"))
            } else {
                names.join("")
            }
        })
        .collect();
    // One column per stage, the matters of a stage stacked.
    let mut at: std::collections::HashMap<&str, (u32, u32)> = Default::default();
    let mut boxes = Vec::new();
    for (i, stage) in b.unified.stages.iter().enumerate() {
        for (j, m) in stage.iter().enumerate() {
            let (x, y) = (10 + i as u32 * COL, 10 + j as u32 * ROW);
            at.insert(m.as_str(), (x, y));
            boxes.push((x, y, x + BOX_W / 2, y + 25, short(&name(m))));
        }
    }
    let arrows = b
        .edges
        .iter()
        .filter_map(|(a, c)| {
            let (&(x1, y1), &(x2, y2)) = (at.get(a.as_str())?, at.get(c.as_str())?);
            Some((x1 + BOX_W, y1 + BOX_H / 2, x2, y2 + BOX_H / 2))
        })
        .collect();
    let width = 20 + b.unified.stages.len() as u32 * COL;
    let height = 20
        + b.unified
            .stages
            .iter()
            .map(|s| s.len() as u32)
            .max()
            .unwrap_or(1)
            * ROW;
    let first = match b.matters.first() {
        Some(m) => Some(catalog::get(&app, &m.code).await?),
        None => None,
    };
    let materials = b
        .unified
        .materials
        .iter()
        .map(|u| {
            (
                u.name.clone(),
                u.needed_by.iter().map(name).collect::<Vec<_>>().join("、"),
            )
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &BundlePage {
            chrome: chrome(&app, None, "/guides", String::new()),
            b,
            stages,
            boxes,
            arrows,
            width,
            height,
            first,
            materials,
        },
    ))
}
