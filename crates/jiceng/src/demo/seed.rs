//! Seeding the demo county through the same use cases as real data, in order: organisation,
//! accounts, responsibility list, catalog; and resetting the demo passwords.

use crate::auth;
use crate::auth::users;
use crate::auth::users::NewUser;
use crate::demo::catalog::service_catalog;
use crate::demo::org::COUNTY_CODE;
use crate::demo::org::COUNTY_DEPARTMENTS;
use crate::demo::org::COUNTY_NAME;
use crate::demo::org::DemoAccount;
use crate::demo::org::PROPERTY_FIRMS;
use crate::demo::org::SEED;
use crate::demo::org::TOWNSHIPS;
use crate::demo::org::UTILITIES;
use crate::demo::org::boundary_json;
use crate::demo::org::layout;
use crate::demo::org::person;
use crate::demo::resp_list::responsibility_list;
use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;
use crate::org;
use crate::org::departments::DepartmentInput;
use crate::org::grids::GridInput;
use crate::org::regions::RegionInput;
use geo::Polygon;
use jiceng_core::geometry;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sea_orm::EntityTrait;

/// Whether the database already holds the demo county.
pub async fn is_seeded(app: &App) -> AppResult<bool> {
    Ok(
        crate::store::entities::region::Entity::find_by_id(COUNTY_CODE.to_string())
            .one(&app.db.conn)
            .await?
            .is_some(),
    )
}

/// The setting that marks a database as one the demo made.
pub const DEMO_MARK: &str = "demo_database";

/// Seeds the demo county in one transaction. `progress(step, total, what)` reports progress.
pub async fn seed(
    app: &App,
    password: &str,
    progress: &(dyn Fn(u64, u64, &str) + Sync),
) -> AppResult<Vec<DemoAccount>> {
    let actor = Actor::System("demo");
    // The mark that lets `jiceng demo --reset` delete this database, and no other.
    app.db.put_setting_once(DEMO_MARK, "true").await?;
    let pw = password.to_string();
    // One hash for every demo account: they share a password by design, and hashing 150
    // times would only slow seeding down.
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(crate::error::AppError::internal)??;
    let villages = layout();
    let total = (1 + TOWNSHIPS.len() + villages.len() * 2 + 140) as u64;
    let mut step = 0u64;
    let mut tick = |what: &str| {
        step += 1;
        progress(step, total, what);
    };
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 1);
    let mut accounts = Vec::new();
    let mut add_user = async |txn: &sea_orm::DatabaseTransaction,
                              username: &str,
                              display: String,
                              role: jiceng_core::Role,
                              org: &str,
                              org_name: &str|
           -> AppResult<i64> {
        let input = NewUser {
            username: username.into(),
            display_name: display,
            role: role.code().into(),
            org: org.into(),
            password: String::new(),
        };
        let m = users::insert_user(txn, now, &actor, &input, hash.clone()).await?;
        accounts.push(DemoAccount {
            username: username.into(),
            role_label: role.label(),
            org_name: org_name.into(),
        });
        Ok(m.id)
    };

    // Regions, biggest first; boundaries are the unions of the grids below them.
    let all_polys: Vec<Polygon<f64>> = villages
        .iter()
        .flat_map(|v| v.grids.iter().map(|g| g.polygon.clone()))
        .collect();
    org::insert_region(
        &txn,
        now,
        &actor,
        &RegionInput {
            code: COUNTY_CODE.into(),
            name: COUNTY_NAME.into(),
            boundary: Some(boundary_json(&all_polys)),
        },
    )
    .await?;
    tick("县");
    for (t, tw) in TOWNSHIPS.iter().enumerate() {
        let polys: Vec<_> = villages
            .iter()
            .filter(|v| v.township == t)
            .flat_map(|v| v.grids.iter().map(|g| g.polygon.clone()))
            .collect();
        org::insert_region(
            &txn,
            now,
            &actor,
            &RegionInput {
                code: tw.code.into(),
                name: tw.name.into(),
                boundary: Some(boundary_json(&polys)),
            },
        )
        .await?;
        tick(tw.name);
    }
    for v in &villages {
        let polys: Vec<_> = v.grids.iter().map(|g| g.polygon.clone()).collect();
        org::insert_region(
            &txn,
            now,
            &actor,
            &RegionInput {
                code: v.code.clone(),
                name: v.name.clone(),
                boundary: Some(boundary_json(&polys)),
            },
        )
        .await?;
        tick(&v.name);
    }

    // Departments and units.
    let dept = |code: &str, name: &str, kind: &str, region: &str| DepartmentInput {
        code: code.into(),
        name: name.into(),
        kind: kind.into(),
        region_code: region.into(),
        phone: String::new(),
        email: String::new(),
        active: true,
    };
    for (i, (code, name, kind)) in COUNTY_DEPARTMENTS.iter().enumerate() {
        let mut d = dept(code, name, kind, COUNTY_CODE);
        d.phone = format!("0571-8{:03}{:04}", 600 + i, 1000 + i * 7);
        org::insert_department(&txn, now, &actor, &d).await?;
    }
    for (code, name) in UTILITIES {
        org::insert_department(
            &txn,
            now,
            &actor,
            &dept(code, name, "assisting_unit", COUNTY_CODE),
        )
        .await?;
    }
    for (code, name, t) in PROPERTY_FIRMS {
        org::insert_department(
            &txn,
            now,
            &actor,
            &dept(code, name, "assisting_unit", TOWNSHIPS[t].code),
        )
        .await?;
    }
    for tw in &TOWNSHIPS {
        let office = if tw.street {
            format!("{}办事处", tw.name)
        } else {
            format!("{}人民政府", tw.name)
        };
        org::insert_department(
            &txn,
            now,
            &actor,
            &dept(
                &format!("{}-office", tw.slug),
                &office,
                "township_office",
                tw.code,
            ),
        )
        .await?;
    }
    for v in &villages {
        let committee = if v.name.ends_with("社区") {
            format!("{}居民委员会", v.name)
        } else {
            format!("{}村民委员会", v.name)
        };
        org::insert_department(
            &txn,
            now,
            &actor,
            &dept(
                &format!("vc-{}", v.code),
                &committee,
                "village_committee",
                &v.code,
            ),
        )
        .await?;
        tick(&committee);
    }

    // Accounts: one for every role at the county, two per township, one grid worker per grid.
    use jiceng_core::Role::*;
    for (username, role, org, org_name) in [
        ("admin", Admin, COUNTY_CODE, COUNTY_NAME),
        ("auditor", Auditor, COUNTY_CODE, COUNTY_NAME),
        ("leader", Leader, COUNTY_CODE, COUNTY_NAME),
        ("supervisor", Supervisor, COUNTY_CODE, COUNTY_NAME),
        ("dispatcher", Dispatcher, COUNTY_CODE, COUNTY_NAME),
        (
            "operator",
            Operator,
            "rx12345",
            "示范县12345政务服务便民热线",
        ),
        ("clerk", WindowClerk, "zwfw", "示范县政务服务中心"),
        ("handler", Handler, "cgj", "示范县城市管理局"),
        ("handler.scjg", Handler, "scjgj", "示范县市场监督管理局"),
        ("handler.xfjy", Handler, "xfjy", "示范县消防救援大队"),
    ] {
        add_user(&txn, username, person(&mut rng), role, org, org_name).await?;
        tick(username);
    }
    // A handler for every other county unit, so that every lead unit can sign.
    for (code, name, _) in COUNTY_DEPARTMENTS
        .iter()
        .filter(|(c, _, _)| !["cgj", "scjgj", "xfjy"].contains(c))
    {
        add_user(
            &txn,
            &format!("handler.{code}"),
            person(&mut rng),
            Handler,
            code,
            name,
        )
        .await?;
    }
    for (code, name) in UTILITIES
        .iter()
        .copied()
        .chain(PROPERTY_FIRMS.iter().map(|(c, n, _)| (*c, *n)))
    {
        add_user(
            &txn,
            &format!("handler.{code}"),
            person(&mut rng),
            Handler,
            code,
            name,
        )
        .await?;
    }
    for tw in &TOWNSHIPS {
        add_user(
            &txn,
            &format!("{}.dispatcher", tw.slug),
            person(&mut rng),
            Dispatcher,
            tw.code,
            tw.name,
        )
        .await?;
        add_user(
            &txn,
            &format!("{}.handler", tw.slug),
            person(&mut rng),
            Handler,
            &format!("{}-office", tw.slug),
            tw.name,
        )
        .await?;
        // The township's 便民服务中心 has a window clerk of its own.
        add_user(
            &txn,
            &format!("{}.clerk", tw.slug),
            person(&mut rng),
            WindowClerk,
            &format!("{}-office", tw.slug),
            tw.name,
        )
        .await?;
        tick(tw.name);
    }
    add_user(
        &txn,
        "chengguan.admin",
        person(&mut rng),
        Admin,
        TOWNSHIPS[0].code,
        TOWNSHIPS[0].name,
    )
    .await?;
    add_user(
        &txn,
        "chengguan.leader",
        person(&mut rng),
        Leader,
        TOWNSHIPS[0].code,
        TOWNSHIPS[0].name,
    )
    .await?;
    let mut n = 0;
    for v in &villages {
        for g in &v.grids {
            n += 1;
            let username = format!("gw{n:03}");
            let worker = add_user(
                &txn,
                &username,
                person(&mut rng),
                GridWorker,
                &v.code,
                &g.name,
            )
            .await?;
            let input = GridInput {
                code: g.code.clone(),
                name: g.name.clone(),
                village_code: g.village_code.clone(),
                geometry: serde_json::to_value(geojson::Geometry::new(
                    geometry::polygon_to_geojson(&g.polygon),
                ))
                .expect("geojson"),
                worker_user_id: Some(worker),
            };
            org::insert_grid(&txn, now, &actor, &input).await?;
            tick(&g.name);
        }
    }
    txn.commit().await?;
    crate::kernel::versions::bump(&app.db.conn, crate::kernel::versions::LOCATE).await?;
    crate::org::locate::of(app).reload(&app.db).await?;
    responsibility_list(app).await?;
    service_catalog(app).await?;
    Ok(accounts)
}

/// Sets every demo account's password (when `jiceng demo --password` runs on a seeded database).
pub async fn set_passwords(app: &App, password: &str) -> AppResult<u64> {
    use crate::store::entities::user;
    use sea_orm::{ColumnTrait, QueryFilter};
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&pw))
        .await
        .map_err(crate::error::AppError::internal)??;
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let n = user::Entity::update_many()
        .col_expr(
            user::Column::PasswordHash,
            sea_orm::sea_query::Expr::value(hash),
        )
        .col_expr(
            user::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(user::Column::RegionCode.like(format!("{}%", &COUNTY_CODE[..6])))
        .exec(&txn)
        .await?
        .rows_affected;
    let ev = crate::kernel::audit::Event::new("demo.passwords_reset", "user", "*")
        .reason("jiceng demo --password");
    crate::kernel::audit::record(&txn, now, "system:demo", ev).await?;
    txn.commit().await?;
    Ok(n)
}

/// Accounts in the demo county as listed by `jiceng demo`, grouped by role.
pub fn summarise(accounts: &[DemoAccount]) -> Vec<String> {
    let mut out = Vec::new();
    let mut grid_workers = Vec::new();
    for a in accounts {
        if a.username.starts_with("gw") {
            grid_workers.push(a.username.as_str());
        } else {
            out.push(format!(
                "  {:<22} {:<12} {}",
                a.username, a.role_label, a.org_name
            ));
        }
    }
    if let (Some(first), Some(last)) = (grid_workers.first(), grid_workers.last()) {
        out.push(format!(
            "  {first} … {last}   网格员（共{}个，每个网格一名）",
            grid_workers.len()
        ));
    }
    out
}

/// The demo grids' shapes, for the locate benchmark.
pub fn grid_shapes() -> Vec<crate::org::locate::GridShape> {
    layout()
        .into_iter()
        .flat_map(|v| v.grids)
        .map(|g| crate::org::locate::GridShape {
            code: g.code,
            name: g.name,
            village_code: g.village_code,
            polygon: g.polygon,
        })
        .collect()
}
