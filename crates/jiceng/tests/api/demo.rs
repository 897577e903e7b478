//! The demo county is what the issue promised: its grids tile its villages exactly.

use crate::helpers::*;
use geo::{Area, BooleanOps};
use jiceng::demo;

#[test]
fn demo_grids_tile_each_village_without_gaps_or_overlaps() {
    let villages = demo::layout();
    assert_eq!(villages.len(), 64);
    let grids: Vec<_> = villages.iter().flat_map(|v| v.grids.iter()).collect();
    assert_eq!(grids.len(), 120);
    let total: f64 = grids.iter().map(|g| g.polygon.unsigned_area()).sum();
    let union = jiceng_core::geometry::union_all(
        &grids.iter().map(|g| g.polygon.clone()).collect::<Vec<_>>(),
    );
    // No overlaps: the union is as large as the sum; no gaps: it is one piece, the county rectangle.
    assert!(
        (union.unsigned_area() - total).abs() < 1e-9,
        "overlap {}",
        total - union.unsigned_area()
    );
    assert_eq!(union.0.len(), 1);
    assert!(union.0[0].interiors().is_empty());
    assert!((total - 12.0 * 0.03 * 10.0 * 0.025).abs() < 1e-9);
    for v in &villages {
        let vu = jiceng_core::geometry::union_all(
            &v.grids
                .iter()
                .map(|g| g.polygon.clone())
                .collect::<Vec<_>>(),
        );
        assert_eq!(vu.0.len(), 1, "{} is one piece", v.name);
        for other in &villages {
            if other.code != v.code {
                let ou = jiceng_core::geometry::union_all(
                    &other
                        .grids
                        .iter()
                        .map(|g| g.polygon.clone())
                        .collect::<Vec<_>>(),
                );
                let shared = vu.intersection(&ou).unsigned_area();
                assert!(
                    shared < jiceng_core::geometry::OVERLAP_TOLERANCE,
                    "{} and {} share {shared}",
                    v.code,
                    other.code
                );
            }
        }
    }
    // Deterministic: the same layout every time.
    let again = demo::layout();
    assert!(
        villages
            .iter()
            .zip(&again)
            .all(|(a, b)| a.code == b.code && a.grids[0].polygon == b.grids[0].polygon)
    );
}

#[tokio::test]
async fn demo_has_an_account_for_every_role() {
    let app = TestApp::spawn().await;
    let admin = app.token("admin").await;
    for role in jiceng_core::Role::ALL {
        let (_, p) = app
            .get(
                &format!("/api/v1/users?role={}&per_page=1", role.code()),
                &admin,
            )
            .await;
        assert!(p["total"].as_u64().unwrap() >= 1, "{role:?}");
    }
    let (_, p) = app
        .get("/api/v1/users?role=grid_worker&per_page=1", &admin)
        .await;
    assert_eq!(p["total"], 120);
    let (_, d) = app
        .get("/api/v1/departments?kind=assisting_unit", &admin)
        .await;
    assert!(
        d["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["name"].as_str().unwrap().contains("物业"))
    );
    let (_, g) = app.get("/api/v1/grids?per_page=500", &admin).await;
    assert!(
        g["features"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| !f["properties"]["worker_user_id"].is_null())
    );
}
