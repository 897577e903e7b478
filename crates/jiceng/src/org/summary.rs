//! Organisation, summaries: a grid's detail, the grids for the map, and the counts on the
//! home page.

use crate::error::AppError;
use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::kernel::paging::PageParams;
use crate::org::checks::like_pattern;
use crate::org::departments::DepartmentFilter;
use crate::org::departments::list_departments;
use crate::org::grids::GridFilter;
use crate::org::grids::GridView;
use crate::org::grids::list_grids;
use crate::org::grids::visible_grid;
use crate::org::regions::RegionFilter;
use crate::org::regions::list_regions;
use crate::store::entities::grid;
use crate::store::entities::region;
use crate::store::entities::user;
use jiceng_core::{RegionCode, RegionLevel};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

// ---------------------------------------------------------------------------------------------
// Read models for pages

/// A grid with the names around it, for its detail page.
#[derive(Debug, Clone, Serialize)]
pub struct GridDetail {
    pub grid: GridView,
    pub village_name: String,
    pub township_name: String,
    pub worker_name: Option<String>,
}

pub async fn grid_detail(app: &App, actor: &Actor, code: &str) -> AppResult<GridDetail> {
    let m = visible_grid(app, actor, code).await?;
    let village = RegionCode::parse(&m.village_code).map_err(AppError::internal)?;
    let names: std::collections::HashMap<String, String> = region::Entity::find()
        .filter(region::Column::Code.is_in(village.lineage().iter().map(|c| c.to_string())))
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|r| (r.code, r.name))
        .collect();
    let name_of = |c: Option<RegionCode>| {
        c.and_then(|c| names.get(c.as_str()).cloned())
            .unwrap_or_default()
    };
    let worker_name = match m.worker_user_id {
        Some(id) => user::Entity::find_by_id(id)
            .one(&app.db.conn)
            .await?
            .map(|u| u.display_name),
        None => None,
    };
    Ok(GridDetail {
        village_name: name_of(Some(village.clone())),
        township_name: name_of(village.parent()),
        worker_name,
        grid: GridView::of(m)?,
    })
}

/// Grids in the actor's jurisdiction for drawing a map, at most `limit`.
pub async fn grids_for_map(app: &App, actor: &Actor, limit: u64) -> AppResult<Vec<GridView>> {
    let mut q = grid::Entity::find();
    if let Some(p) = like_pattern(actor) {
        q = q.filter(grid::Column::VillageCode.like(p));
    }
    q.order_by_asc(grid::Column::Code)
        .limit(limit)
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(GridView::of)
        .collect()
}

/// How much organisation lies in the actor's jurisdiction.
#[derive(Debug, Clone, Serialize)]
pub struct OrgSummary {
    pub townships: u64,
    pub villages: u64,
    pub grids: u64,
    pub departments: u64,
}

pub async fn summary(app: &App, actor: &Actor) -> AppResult<OrgSummary> {
    let one = PageParams {
        page: 1,
        per_page: 1,
    };
    let level = |l: RegionLevel| RegionFilter {
        level: Some(l.code().to_string()),
        ..Default::default()
    };
    Ok(OrgSummary {
        townships: list_regions(app, actor, &level(RegionLevel::Township), one)
            .await?
            .total,
        villages: list_regions(app, actor, &level(RegionLevel::Village), one)
            .await?
            .total,
        grids: list_grids(app, actor, &GridFilter::default(), one)
            .await?
            .total,
        departments: list_departments(app, actor, &DepartmentFilter::default(), one)
            .await?
            .total,
    })
}
