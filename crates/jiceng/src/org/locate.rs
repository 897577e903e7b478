//! "Where is this point?": grid → village/community → township/street → county.
//!
//! The index lives in memory (an R-tree per layer, point-in-polygon on the candidates) and is
//! rebuilt from the database after every change to regions or grids.

use crate::store::Db;
use crate::store::entities::grid;
use crate::store::entities::region;
use jiceng_core::geometry::{LocateIndex, grid_polygon, region_boundary};
use jiceng_core::{RegionCode, RegionLevel};
use sea_orm::EntityTrait;
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct RegionRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GridRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Match {
    /// Inside a grid.
    Grid,
    /// Outside every grid but inside a region boundary.
    Region,
    OutsideJurisdiction,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Located {
    #[serde(rename = "match")]
    pub matched: Match,
    pub grid: Option<GridRef>,
    pub village: Option<RegionRef>,
    pub township: Option<RegionRef>,
    pub county: Option<RegionRef>,
}

/// One grid as the index needs it.
pub struct GridShape {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub polygon: geo::Polygon<f64>,
}

/// One region as the index needs it.
pub struct RegionShape {
    pub code: RegionCode,
    pub name: String,
    pub boundary: Option<geo::MultiPolygon<f64>>,
}

#[derive(Default)]
pub struct Snapshot {
    grids: LocateIndex<(GridRef, RegionCode)>,
    layers: Vec<LocateIndex<RegionCode>>,
    names: HashMap<RegionCode, String>,
    grid_names: HashMap<String, String>,
}

impl Snapshot {
    pub fn build(regions: Vec<RegionShape>, grids: Vec<GridShape>) -> Snapshot {
        let mut by_level: HashMap<RegionLevel, Vec<(geo::MultiPolygon<f64>, RegionCode)>> =
            HashMap::new();
        let mut names = HashMap::new();
        for r in regions {
            if let Some(b) = r.boundary {
                by_level
                    .entry(r.code.level())
                    .or_default()
                    .push((b, r.code.clone()));
            }
            names.insert(r.code, r.name);
        }
        // Smallest regions first: the first layer that holds the point wins.
        let layers = [
            RegionLevel::Village,
            RegionLevel::Township,
            RegionLevel::County,
        ]
        .into_iter()
        .map(|l| LocateIndex::new(by_level.remove(&l).unwrap_or_default()))
        .collect();
        let grid_names = grids
            .iter()
            .map(|g| (g.code.clone(), g.name.clone()))
            .collect();
        let grids = LocateIndex::new(
            grids
                .into_iter()
                .filter_map(|g| {
                    let village = RegionCode::parse(&g.village_code).ok()?;
                    Some((
                        geo::MultiPolygon(vec![g.polygon]),
                        (
                            GridRef {
                                code: g.code,
                                name: g.name,
                            },
                            village,
                        ),
                    ))
                })
                .collect(),
        );
        Snapshot {
            grids,
            layers,
            names,
            grid_names,
        }
    }

    pub(crate) fn region_ref(&self, code: &RegionCode) -> Option<RegionRef> {
        self.names.get(code).map(|n| RegionRef {
            code: code.to_string(),
            name: n.clone(),
        })
    }

    pub(crate) fn with_lineage(
        &self,
        matched: Match,
        grid: Option<GridRef>,
        region: &RegionCode,
    ) -> Located {
        let mut out = Located {
            matched,
            grid,
            village: None,
            township: None,
            county: None,
        };
        for code in region.lineage() {
            let r = self.region_ref(&code);
            match code.level() {
                RegionLevel::County => out.county = r,
                RegionLevel::Township => out.township = r,
                RegionLevel::Village => out.village = r,
            }
        }
        out
    }

    pub fn locate(&self, lon: f64, lat: f64) -> Located {
        if let Some((g, village)) = self.grids.locate(lon, lat) {
            return self.with_lineage(Match::Grid, Some(g.clone()), village);
        }
        for layer in &self.layers {
            if let Some(code) = layer.locate(lon, lat) {
                return self.with_lineage(Match::Region, None, code);
            }
        }
        Located {
            matched: Match::OutsideJurisdiction,
            grid: None,
            village: None,
            township: None,
            county: None,
        }
    }

    /// The grids within about `radius_m` metres of a point, with their outlines (the order
    /// page's map).
    /// Every grid of the index (the map a place is picked on), in code order.
    pub fn all_grids(&self) -> Vec<GridShape> {
        let mut out: Vec<GridShape> = self
            .grids
            .iter()
            .flat_map(|(shape, (g, village))| {
                shape.0.iter().map(move |p| GridShape {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    village_code: village.to_string(),
                    polygon: p.clone(),
                })
            })
            .collect();
        out.sort_by(|a, b| a.code.cmp(&b.code));
        out
    }

    pub fn grids_near(&self, lon: f64, lat: f64, radius_m: f64) -> Vec<GridShape> {
        self.grids
            .near(lon, lat, radius_m / 111_000.0)
            .into_iter()
            .flat_map(|(shape, (g, village))| {
                shape.0.iter().map(move |p| GridShape {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    village_code: village.to_string(),
                    polygon: p.clone(),
                })
            })
            .collect()
    }

    /// The townships (and streets) a jurisdiction covers, by code, with their names, in code
    /// order: the choices of a township filter.
    pub fn townships_in(&self, j: &jiceng_core::Jurisdiction) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .names
            .iter()
            .filter(|(c, _)| c.level() == RegionLevel::Township && j.covers_region(c))
            .map(|(c, n)| (c.to_string(), n.clone()))
            .collect();
        out.sort();
        out
    }

    /// The place of a village or community chosen by code (with its township), for who has no
    /// coordinates; `None` for a code that is not a village of this county.
    pub fn place_of_village(&self, code: &str) -> Option<jiceng_core::dispatch::Place> {
        let v = RegionCode::parse(code.trim())
            .ok()
            .filter(|c| c.level() == RegionLevel::Village)?;
        let name = self.names.get(&v)?.clone();
        let township = v
            .parent()
            .and_then(|t| self.names.get(&t).map(|n| (t.to_string(), n.clone())));
        Some(jiceng_core::dispatch::Place {
            village: Some((v.to_string(), name)),
            township,
        })
    }

    /// The place a free text names (an address typed by the operator, a citizen's
    /// description): a village or community by its name, or a township; with the name found.
    pub fn place_in_text(&self, text: &str) -> Option<(jiceng_core::dispatch::Place, String)> {
        use jiceng_core::gazetteer::{Entry, Found, find};
        let villages: Vec<(String, &String, String)> = self
            .names
            .iter()
            .filter(|(c, _)| c.level() == RegionLevel::Village)
            .map(|(c, n)| {
                let township = c
                    .parent()
                    .and_then(|t| self.names.get(&t).cloned())
                    .unwrap_or_default();
                (c.to_string(), n, township)
            })
            .collect();
        let entries: Vec<Entry> = villages
            .iter()
            .map(|(code, name, township)| Entry {
                code,
                name,
                township,
            })
            .collect();
        match find(text, &entries)? {
            Found::Village(v) => Some((self.place_of_village(v.code)?, v.name.to_string())),
            Found::Township(name) => {
                let code = self
                    .names
                    .iter()
                    .find(|(c, n)| c.level() == RegionLevel::Township && n.as_str() == name)
                    .map(|(c, _)| c.to_string())?;
                Some((
                    jiceng_core::dispatch::Place {
                        village: None,
                        township: Some((code, name.to_string())),
                    },
                    name.to_string(),
                ))
            }
        }
    }

    /// Every village and community by township, each by name: the choices of a place picker
    /// for who has no coordinates.
    pub fn villages_by_township(&self) -> Vec<(String, Vec<(String, String)>)> {
        let mut out: Vec<(String, Vec<(String, String)>)> = Vec::new();
        let mut villages: Vec<(&RegionCode, &String)> = self
            .names
            .iter()
            .filter(|(c, _)| c.level() == RegionLevel::Village)
            .collect();
        villages.sort();
        for (code, name) in villages {
            let township = code
                .parent()
                .and_then(|t| self.names.get(&t).cloned())
                .unwrap_or_default();
            match out.last_mut() {
                Some((t, vs)) if *t == township => vs.push((code.to_string(), name.clone())),
                _ => out.push((township, vec![(code.to_string(), name.clone())])),
            }
        }
        out
    }

    pub fn region_name(&self, code: &str) -> Option<String> {
        self.names.get(&RegionCode::parse(code).ok()?).cloned()
    }

    pub fn grid_name(&self, code: &str) -> Option<String> {
        self.grid_names.get(code).cloned()
    }

    /// The code of a county, when there is one (orders without a location belong to it).
    pub fn first_county(&self) -> Option<String> {
        self.names
            .keys()
            .filter(|c| c.level() == RegionLevel::County)
            .min()
            .map(|c| c.to_string())
    }

    /// The county's name, for the headings of printed documents ("" before any region).
    pub fn county_name(&self) -> String {
        self.first_county()
            .and_then(|c| self.region_name(&c))
            .unwrap_or_default()
    }

    /// Only the grid's code: the hot path the benchmark measures.
    pub fn grid_at(&self, lon: f64, lat: f64) -> Option<&str> {
        self.grids.locate(lon, lat).map(|(g, _)| g.code.as_str())
    }
}

#[derive(Clone, Default)]
pub struct Locator {
    current: Arc<RwLock<Arc<Snapshot>>>,
    seen: Arc<crate::kernel::versions::Seen>,
    /// One reload at a time: a slow one is never overtaken by an older read.
    reloading: Arc<tokio::sync::Mutex<()>>,
}

fn parse_geometry(text: &str) -> Option<geojson::Geometry> {
    serde_json::from_str(text).ok()
}

impl Locator {
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().expect("locator lock").clone()
    }

    /// Rebuilds the index when another node (or this one) changed regions or grids since it
    /// was built; looks at most once a second.
    pub async fn refresh(&self, db: &Db) -> anyhow::Result<()> {
        if self.seen.stale(db, crate::kernel::versions::LOCATE).await? {
            self.reload(db).await?;
        }
        Ok(())
    }

    /// Rebuilds the index from the database.
    pub async fn reload(&self, db: &Db) -> anyhow::Result<()> {
        let _one = self.reloading.lock().await;
        // The version first: a change committed while this reads is seen at the next check.
        let version = crate::kernel::versions::read(db, crate::kernel::versions::LOCATE).await?;
        let regions = region::Entity::find().all(&db.conn).await?;
        let grids = grid::Entity::find().all(&db.conn).await?;
        let regions = regions
            .into_iter()
            .filter_map(|r| {
                let boundary = r
                    .boundary
                    .as_deref()
                    .and_then(parse_geometry)
                    .and_then(|g| region_boundary(&g.value).ok());
                Some(RegionShape {
                    code: RegionCode::parse(&r.code).ok()?,
                    name: r.name,
                    boundary,
                })
            })
            .collect();
        let grids = grids
            .into_iter()
            .filter_map(|g| {
                let polygon = grid_polygon(&parse_geometry(&g.geometry)?.value).ok()?;
                Some(GridShape {
                    code: g.code,
                    name: g.name,
                    village_code: g.village_code,
                    polygon,
                })
            })
            .collect();
        let snap = tokio::task::spawn_blocking(move || Snapshot::build(regions, grids)).await?;
        *self.current.write().expect("locator lock") = Arc::new(snap);
        self.seen.loaded(version);
        Ok(())
    }
}

/// This app's locate index.
pub fn of(app: &crate::kernel::app::App) -> &Locator {
    app.wing::<Locator>()
}
