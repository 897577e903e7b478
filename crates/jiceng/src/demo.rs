//! The demo county (示范县), generated deterministically from a fixed seed: 8 townships and
//! streets, 64 villages and communities, 120 grids that tile them without gaps or overlaps,
//! departments and assisting units, and an account for every role.
//!
//! Everything is written through the same use-case functions as real data, in one
//! transaction, so the demo's audit log is complete too.

use crate::app::App;
use crate::error::AppResult;
use crate::service::org::{self, DepartmentInput, GridInput, RegionInput};
use crate::service::users::{self, NewUser};
use crate::service::{Actor, auth};
use geo::{Coord, LineString, Polygon};
use jiceng_core::geometry;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use sea_orm::EntityTrait;

pub const SEED: u64 = 2026;
pub const COUNTY_CODE: &str = "339901000000";
pub const COUNTY_NAME: &str = "示范县";

/// A lattice of `cols × rows` cells whose shared corners and edge midpoints are jittered
/// identically for both neighbours, so the cells tile their rectangle exactly.
pub fn lattice(
    cols: usize,
    rows: usize,
    origin: (f64, f64),
    cell: (f64, f64),
    seed: u64,
) -> Vec<Vec<Polygon<f64>>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (w, h) = cell;
    // Corner (i, j): i along x (0..=cols), j along y (0..=rows). Outer corners stay put.
    let mut corner = vec![vec![Coord { x: 0.0, y: 0.0 }; rows + 1]; cols + 1];
    for (i, column) in corner.iter_mut().enumerate() {
        for (j, c) in column.iter_mut().enumerate() {
            let inner_x = i > 0 && i < cols;
            let inner_y = j > 0 && j < rows;
            let dx = if inner_x {
                rng.random_range(-0.22..0.22) * w
            } else {
                0.0
            };
            let dy = if inner_y {
                rng.random_range(-0.22..0.22) * h
            } else {
                0.0
            };
            *c = Coord {
                x: origin.0 + i as f64 * w + dx,
                y: origin.1 + j as f64 * h + dy,
            };
        }
    }
    // Midpoints of horizontal edges (between (i,j) and (i+1,j)) and vertical ones, bent a
    // little off the straight line unless they lie on the outer border.
    let bend = |a: Coord<f64>, b: Coord<f64>, border: bool, rng: &mut ChaCha8Rng| {
        let m = Coord {
            x: (a.x + b.x) / 2.0,
            y: (a.y + b.y) / 2.0,
        };
        if border {
            return m;
        }
        let t = rng.random_range(-0.08..0.08);
        // Perpendicular offset, scaled to the edge length.
        Coord {
            x: m.x - (b.y - a.y) * t,
            y: m.y + (b.x - a.x) * t,
        }
    };
    let mut hmid = vec![vec![Coord { x: 0.0, y: 0.0 }; rows + 1]; cols];
    for i in 0..cols {
        for j in 0..=rows {
            hmid[i][j] = bend(
                corner[i][j],
                corner[i + 1][j],
                j == 0 || j == rows,
                &mut rng,
            );
        }
    }
    let mut vmid = vec![vec![Coord { x: 0.0, y: 0.0 }; rows]; cols + 1];
    for i in 0..=cols {
        for j in 0..rows {
            vmid[i][j] = bend(
                corner[i][j],
                corner[i][j + 1],
                i == 0 || i == cols,
                &mut rng,
            );
        }
    }
    (0..rows)
        .map(|j| {
            (0..cols)
                .map(|i| {
                    let ring = vec![
                        corner[i][j],
                        hmid[i][j],
                        corner[i + 1][j],
                        vmid[i + 1][j],
                        corner[i + 1][j + 1],
                        hmid[i][j + 1],
                        corner[i][j + 1],
                        vmid[i][j],
                        corner[i][j],
                    ];
                    Polygon::new(LineString::new(ring), vec![])
                })
                .collect()
        })
        .collect()
}

struct Township {
    code: &'static str,
    slug: &'static str,
    name: &'static str,
    street: bool,
}

const TOWNSHIPS: [Township; 8] = [
    Township {
        code: "339901001000",
        slug: "chengguan",
        name: "城关街道",
        street: true,
    },
    Township {
        code: "339901002000",
        slug: "dongcheng",
        name: "东城街道",
        street: true,
    },
    Township {
        code: "339901003000",
        slug: "nanshan",
        name: "南山街道",
        street: true,
    },
    Township {
        code: "339901101000",
        slug: "qinghe",
        name: "清河镇",
        street: false,
    },
    Township {
        code: "339901102000",
        slug: "liulin",
        name: "柳林镇",
        street: false,
    },
    Township {
        code: "339901103000",
        slug: "shiqiao",
        name: "石桥镇",
        street: false,
    },
    Township {
        code: "339901201000",
        slug: "baisha",
        name: "白沙乡",
        street: false,
    },
    Township {
        code: "339901202000",
        slug: "qingsong",
        name: "青松乡",
        street: false,
    },
];

const STEMS: [&str; 64] = [
    "文昌", "和平", "新华", "幸福", "红星", "光明", "建设", "朝阳", "丰收", "长青", "杨柳", "桃源",
    "永安", "金桥", "向阳", "团结", "民主", "胜利", "凤凰", "龙泉", "白马", "石门", "清溪", "梅林",
    "竹园", "荷花", "黄岭", "高桥", "大塘", "新塘", "上河", "下湾", "东岭", "西坡", "南塘", "北山",
    "前进", "联合", "五星", "新民", "太平", "长乐", "安康", "富民", "兴隆", "双河", "三里", "七星",
    "青山", "绿水", "云岭", "松林", "枫树", "茶园", "桑园", "稻香", "花园", "锦绣", "春晖", "秋实",
    "金沙", "银杏", "玉泉", "翠竹",
];

const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: [&str; 24] = [
    "建国", "秀英", "丽华", "志强", "海燕", "国平", "桂兰", "明", "静", "伟", "芳", "军", "敏",
    "磊", "洋", "艳", "勇", "杰", "娟", "涛", "霞", "平", "刚", "婷",
];

const COUNTY_DEPARTMENTS: [(&str, &str, &str); 21] = [
    ("cgj", "示范县城市管理局", "county_department"),
    ("scjgj", "示范县市场监督管理局", "county_department"),
    ("sthj", "示范县生态环境分局", "county_department"),
    ("zjj", "示范县住房和城乡建设局", "county_department"),
    ("jtysj", "示范县交通运输局", "county_department"),
    ("rsj", "示范县人力资源和社会保障局", "county_department"),
    ("ybj", "示范县医疗保障局", "county_department"),
    ("mzj", "示范县民政局", "county_department"),
    ("wjj", "示范县卫生健康局", "county_department"),
    ("gahz", "示范县公安局户政管理大队", "county_department"),
    ("jyj", "示范县教育局", "county_department"),
    ("yjglj", "示范县应急管理局", "county_department"),
    ("xfjy", "示范县消防救援大队", "county_department"),
    ("swj", "示范县水务局", "county_department"),
    ("zwfw", "示范县政务服务中心", "county_department"),
    (
        "rx12345",
        "示范县12345政务服务便民热线",
        "county_department",
    ),
    ("zrzyj", "示范县自然资源和规划局", "county_department"),
    ("sw", "国家税务总局示范县税务局", "county_department"),
    ("gjj", "示范县住房公积金管理中心", "county_department"),
    ("cl", "示范县残疾人联合会", "county_department"),
    ("tyjrj", "示范县退役军人事务局", "county_department"),
];

const UTILITIES: [(&str, &str); 2] = [("gdgs", "示范县供电公司"), ("rqgs", "示范县燃气有限公司")];

const PROPERTY_FIRMS: [(&str, &str, usize); 3] = [
    ("wy-anju", "城关安居物业服务有限公司", 0),
    ("wy-lvyuan", "东城绿苑物业管理有限公司", 1),
    ("wy-jiahe", "南山嘉禾物业服务有限公司", 2),
];

/// The demo county's layout: 12 × 10 cells, townships 3 × 5 cells each.
const COLS: usize = 12;
const ROWS: usize = 10;
const ORIGIN: (f64, f64) = (119.90, 29.80);
const CELL: (f64, f64) = (0.03, 0.025);

pub struct DemoGrid {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub polygon: Polygon<f64>,
}

pub struct DemoVillage {
    pub code: String,
    pub name: String,
    pub township: usize,
    pub grids: Vec<DemoGrid>,
}

/// The villages and grids of the demo county, with their geometry.
pub fn layout() -> Vec<DemoVillage> {
    let cells = lattice(COLS, ROWS, ORIGIN, CELL, SEED);
    let mut villages = Vec::new();
    let mut stem = 0;
    for (t, tw) in TOWNSHIPS.iter().enumerate() {
        let (bx, by) = ((t % 4) * 3, (t / 4) * 5);
        // Snake through the township's 3 × 5 block so that consecutive cells touch.
        let mut order = Vec::new();
        for r in 0..5 {
            for c in 0..3 {
                let c = if r % 2 == 0 { c } else { 2 - c };
                order.push((bx + c, by + r));
            }
        }
        for (k, chunk) in order.chunks(2).enumerate() {
            let base = if tw.street { 1 } else { 201 };
            let code = format!("{}{:03}", &tw.code[..9], base + k);
            let name = format!(
                "{}{}",
                STEMS[stem % STEMS.len()],
                if tw.street { "社区" } else { "村" }
            );
            stem += 1;
            let grids = chunk
                .iter()
                .enumerate()
                .map(|(g, &(x, y))| DemoGrid {
                    code: format!("{code}-{:02}", g + 1),
                    name: format!("{name}第{}网格", g + 1),
                    village_code: code.clone(),
                    polygon: cells[y][x].clone(),
                })
                .collect();
            villages.push(DemoVillage {
                code,
                name,
                township: t,
                grids,
            });
        }
    }
    villages
}

fn boundary_json(polys: &[Polygon<f64>]) -> serde_json::Value {
    let union = geometry::union_all(polys);
    serde_json::to_value(geojson::Geometry::new(geometry::multipolygon_to_geojson(
        &union,
    )))
    .expect("geojson")
}

fn person(rng: &mut ChaCha8Rng) -> String {
    format!(
        "{}{}",
        SURNAMES[rng.random_range(0..SURNAMES.len())],
        GIVEN[rng.random_range(0..GIVEN.len())]
    )
}

/// One demo account as printed by `jiceng demo`.
pub struct DemoAccount {
    pub username: String,
    pub role_label: &'static str,
    pub org_name: String,
}

/// Whether the database already holds the demo county.
pub async fn is_seeded(app: &App) -> AppResult<bool> {
    Ok(
        crate::store::entities::region::Entity::find_by_id(COUNTY_CODE.to_string())
            .one(&app.db.conn)
            .await?
            .is_some(),
    )
}

/// Seeds the demo county in one transaction. `progress(step, total, what)` reports progress.
pub async fn seed(
    app: &App,
    password: &str,
    progress: &(dyn Fn(u64, u64, &str) + Sync),
) -> AppResult<Vec<DemoAccount>> {
    let actor = Actor::System("demo");
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
    app.locator.reload(&app.db).await?;
    responsibility_list(app).await?;
    service_catalog(app).await?;
    Ok(accounts)
}

/// The demo county's responsibility list (权责清单), published: which unit leads and which
/// assist for each kind of request.
async fn responsibility_list(app: &App) -> AppResult<()> {
    use crate::service::resp_list::{self, NewList};
    use jiceng_core::dispatch::{ItemType, ListItem, UnitRef};
    let reference = app.reference.get();
    let city = |leaf: &str| {
        reference
            .categories
            .all()
            .into_iter()
            .find(|c| {
                c.path
                    .starts_with(crate::service::reference::CITY_MANAGEMENT_NAME)
                    && c.name == leaf
            })
            .map(|c| c.code.clone())
    };
    let top = |name: &str| {
        reference
            .categories
            .all()
            .into_iter()
            .find(|c| c.level == 1 && c.name == name)
            .map(|c| c.code.clone())
    };
    let named = |code: &str| UnitRef::Named { code: code.into() };
    let wuye = || UnitRef::AssistingUnit {
        name_contains: "物业".into(),
    };
    use ItemType::*;
    use UnitRef::{TownshipOffice, VillageCommittee};
    // (code, name, type, legal basis, category, lead, assisting)
    type Row = (
        &'static str,
        &'static str,
        ItemType,
        &'static str,
        Option<String>,
        UnitRef,
        Vec<UnitRef>,
    );
    let rows: Vec<Row> = vec![
        (
            "XF-01",
            "占用、堵塞消防通道的查处",
            CountyDuty,
            "《中华人民共和国消防法》第二十八条、第六十条",
            city("占用消防通道"),
            named("xfjy"),
            vec![wuye(), VillageCommittee],
        ),
        (
            "XF-02",
            "火灾隐患的检查与督促整改",
            CountyDuty,
            "《中华人民共和国消防法》第五十三条",
            city("火灾隐患"),
            named("xfjy"),
            vec![named("yjglj"), VillageCommittee],
        ),
        (
            "RQ-01",
            "燃气泄漏的抢修处置",
            CountyDuty,
            "《城镇燃气管理条例》第三十九条",
            city("燃气泄漏"),
            named("rqgs"),
            vec![named("xfjy")],
        ),
        (
            "CG-01",
            "占道经营的查处",
            CountyDuty,
            "《城市市容和环境卫生管理条例》第十四条",
            city("占道经营"),
            named("cgj"),
            vec![TownshipOffice],
        ),
        (
            "CG-02",
            "乱停乱放的劝导与处理",
            CountyDuty,
            "《城市道路管理条例》第二十七条",
            city("乱停乱放"),
            named("cgj"),
            vec![VillageCommittee],
        ),
        (
            "CG-03",
            "路灯等市政照明设施维修",
            CountyDuty,
            "《城市道路管理条例》第二十一条",
            city("路灯损坏"),
            named("cgj"),
            vec![named("gdgs")],
        ),
        (
            "CG-04",
            "违规张贴、悬挂广告的查处",
            CountyDuty,
            "《城市市容和环境卫生管理条例》第十七条",
            city("违规广告"),
            named("cgj"),
            vec![],
        ),
        (
            "SW-01",
            "窨井盖缺失、破损的处置",
            CountyDuty,
            "《城市道路管理条例》第二十三条",
            city("井盖缺失"),
            named("swj"),
            vec![named("cgj")],
        ),
        (
            "JT-01",
            "道路破损的修复",
            CountyDuty,
            "《公路法》第三十五条",
            city("道路破损"),
            named("jtysj"),
            vec![],
        ),
        (
            "ZJ-01",
            "夜间施工噪声的查处",
            CountyDuty,
            "《噪声污染防治法》第四十三条",
            city("夜间施工"),
            named("zjj"),
            vec![named("sthj")],
        ),
        (
            "ZJ-02",
            "物业服务的监督管理",
            CountyDuty,
            "《物业管理条例》第五条",
            city("物业管理"),
            named("zjj"),
            vec![wuye(), VillageCommittee],
        ),
        (
            "HB-01",
            "工地扬尘污染的查处",
            CountyDuty,
            "《大气污染防治法》第六十九条",
            city("工地扬尘"),
            named("sthj"),
            vec![named("zjj")],
        ),
        (
            "RS-01",
            "拖欠劳动报酬的处理",
            CountyDuty,
            "《保障农民工工资支付条例》第十条",
            city("欠薪"),
            named("rsj"),
            vec![TownshipOffice],
        ),
        (
            "XZ-01",
            "辖区环境卫生的组织管理",
            TownshipPower,
            "《城市市容和环境卫生管理条例》第四条",
            city("垃圾堆积"),
            TownshipOffice,
            vec![VillageCommittee, wuye()],
        ),
        (
            "XZ-02",
            "社会生活噪声扰民的调处",
            TownshipPower,
            "《噪声污染防治法》第八十七条",
            city("噪音扰民"),
            TownshipOffice,
            vec![VillageCommittee],
        ),
        (
            "XZ-03",
            "违法建设的巡查与制止",
            TownshipPower,
            "《城乡规划法》第六十五条",
            city("违章搭建"),
            TownshipOffice,
            vec![VillageCommittee],
        ),
        (
            "BM-01",
            "城乡建设类诉求",
            CountyDuty,
            "县住建局三定规定",
            top("城乡建设"),
            named("zjj"),
            vec![],
        ),
        (
            "BM-02",
            "环境保护类诉求",
            CountyDuty,
            "县生态环境分局三定规定",
            top("环境保护"),
            named("sthj"),
            vec![],
        ),
        (
            "BM-03",
            "交通运输类诉求",
            CountyDuty,
            "县交通运输局三定规定",
            top("交通运输"),
            named("jtysj"),
            vec![],
        ),
        (
            "BM-04",
            "教育文体类诉求",
            CountyDuty,
            "县教育局三定规定",
            top("教育文体"),
            named("jyj"),
            vec![],
        ),
        (
            "BM-05",
            "劳动和社会保障类诉求",
            CountyDuty,
            "县人社局三定规定",
            top("劳动和社会保障"),
            named("rsj"),
            vec![],
        ),
        (
            "BM-06",
            "卫生计生类诉求",
            CountyDuty,
            "县卫健局三定规定",
            top("卫生计生"),
            named("wjj"),
            vec![named("ybj")],
        ),
        (
            "BM-07",
            "商贸旅游类诉求",
            CountyDuty,
            "县市场监管局三定规定",
            top("商贸旅游"),
            named("scjgj"),
            vec![],
        ),
        (
            "BM-08",
            "民政类诉求",
            CountyDuty,
            "县民政局三定规定",
            top("民政"),
            named("mzj"),
            vec![VillageCommittee],
        ),
        (
            "BM-09",
            "农村农业类诉求",
            TownshipPower,
            "乡镇（街道）职责清单",
            top("农村农业"),
            TownshipOffice,
            vec![VillageCommittee],
        ),
        (
            "CJ-01",
            "协助开展人居环境整治",
            VillageAssist,
            "村（居）民委员会组织法",
            top(crate::service::reference::CITY_MANAGEMENT_NAME),
            TownshipOffice,
            vec![VillageCommittee],
        ),
    ];
    let items: Vec<ListItem> = rows
        .into_iter()
        .filter_map(
            |(code, name, item_type, basis, category, lead, assisting)| {
                Some(ListItem {
                    code: code.into(),
                    name: name.into(),
                    item_type,
                    legal_basis: basis.into(),
                    categories: vec![category?],
                    lead,
                    assisting,
                })
            },
        )
        .collect();
    let actor = Actor::System("demo");
    let list = resp_list::create_draft(
        app,
        &actor,
        NewList {
            region_code: COUNTY_CODE.into(),
            note: "示范县权责清单（演示）".into(),
            items,
        },
    )
    .await?;
    resp_list::publish(app, &actor, list.id, None).await?;
    Ok(())
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
    let ev = crate::service::audit::Event::new("demo.passwords_reset", "user", "*")
        .reason("jiceng demo --password");
    crate::service::audit::record(&txn, now, "system:demo", ev).await?;
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
pub fn grid_shapes() -> Vec<crate::service::locate::GridShape> {
    layout()
        .into_iter()
        .flat_map(|v| v.grids)
        .map(|g| crate::service::locate::GridShape {
            code: g.code,
            name: g.name,
            village_code: g.village_code,
            polygon: g.polygon,
        })
        .collect()
}

/// Six months of real requests (TipDM 2020 texts, real handling times) replayed through the
/// same use cases as live work, so boards and rankings have content. The clock is set to each
/// moment in turn; events across orders are taken in time order, so the audit log stays in
/// order too. Returns the number of orders.
pub async fn seed_history(app: &App, progress: &(dyn Fn(u64, u64, &str) + Sync)) -> AppResult<u64> {
    use crate::service::work_orders::{self, ActionInput, NewOrder, Reporter};
    use crate::store::entities::{department, user};
    use chrono::{Duration, NaiveDateTime, Utc};
    use geo::Centroid;
    use jiceng_core::clock::ManualClock;
    use jiceng_core::work_order::{Action, Resolution, Satisfaction};
    use sea_orm::{ColumnTrait, QueryFilter};
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;
    use std::sync::Arc;

    const SAMPLE: &str = include_str!("../data/tipdm2020/messages_with_replies_sample.csv");
    let real_now = app.now();
    let clock = Arc::new(ManualClock::new(real_now - Duration::days(181)));
    let hist = App {
        clock: clock.clone(),
        fake_clock: None,
        // Its own queue, so that its batches are written at its own time.
        intake: work_orders::intake_queue(),
        ..app.clone()
    };
    let parse = |s: &str| NaiveDateTime::parse_from_str(s.trim(), "%Y/%m/%d %H:%M:%S").ok();
    let mut rows = Vec::new();
    let mut rdr = csv::Reader::from_reader(SAMPLE.as_bytes());
    for r in rdr.records().filter_map(Result::ok) {
        let (Some(subject), Some(asked), Some(body), Some(replied)) = (
            r.get(1),
            r.get(2).and_then(parse),
            r.get(3),
            r.get(4).and_then(parse),
        ) else {
            continue;
        };
        let took = (replied - asked).num_minutes().clamp(60, 20 * 24 * 60);
        rows.push((subject.to_string(), body.to_string(), took));
    }
    let grids: Vec<(String, geo::Point<f64>)> = layout()
        .into_iter()
        .flat_map(|v| v.grids)
        .filter_map(|g| Some((g.code.clone(), g.polygon.centroid()?)))
        .collect();
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 2);
    let users: std::collections::HashMap<String, user::Model> = user::Entity::find()
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|u| (u.username.clone(), u))
        .collect();
    let depts: std::collections::HashMap<i64, String> = department::Entity::find()
        .filter(department::Column::Active.eq(true))
        .all(&app.db.conn)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code))
        .collect();
    let actor_of = |name: &str| -> Option<Actor> {
        let u = users.get(name)?;
        auth::actor_from_user(u, crate::service::AuthVia::Token { id: 0 })
            .ok()
            .map(Actor::User)
    };
    let handler_of = |unit: i64| -> Option<Actor> {
        let code = depts.get(&unit)?;
        let name = match code.as_str() {
            "cgj" => "handler".to_string(),
            "scjgj" => "handler.scjg".to_string(),
            c if c.ends_with("-office") => format!("{}.handler", c.trim_end_matches("-office")),
            c => format!("handler.{c}"),
        };
        actor_of(&name)
    };
    #[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
    enum Step {
        Create,
        Dispatch,
        Sign,
        Contact,
        Reply,
        Approve,
        Callback,
    }
    let n = rows.len() as u64;
    let span = Duration::days(180).num_minutes();
    let mut agenda: BinaryHeap<Reverse<(chrono::DateTime<Utc>, usize, Step)>> = BinaryHeap::new();
    let start = real_now - Duration::days(180);
    for i in 0..rows.len() {
        let at = start + Duration::minutes(span * i as i64 / n as i64 + rng.random_range(0..60));
        agenda.push(Reverse((at, i, Step::Create)));
    }
    let mut ids: Vec<Option<i64>> = vec![None; rows.len()];
    let mut reopened = vec![false; rows.len()];
    let mut done = 0u64;
    let operator = actor_of("operator");
    let dispatcher = actor_of("dispatcher");
    while let Some(Reverse((at, i, step))) = agenda.pop() {
        if at >= real_now {
            continue;
        }
        clock.set(at);
        let (subject, body, took) = &rows[i];
        let result: AppResult<Option<(Step, Duration)>> = async {
            match step {
                Step::Create => {
                    let (grid, p) = &grids[rng.random_range(0..grids.len())];
                    let anonymous = rng.random_bool(0.1);
                    let roll = rng.random_range(0..10);
                    let gw = format!(
                        "gw{:03}",
                        grids.iter().position(|g| &g.0 == grid).unwrap_or(0) + 1
                    );
                    let actor = match roll {
                        0..=5 => operator.clone(),
                        6 | 7 => actor_of(&gw),
                        _ => None,
                    };
                    let input = NewOrder {
                        title: Some(subject.chars().take(60).collect()),
                        description: body.chars().take(work_orders::MAX_DESCRIPTION).collect(),
                        lat: Some(p.y()),
                        lon: Some(p.x()),
                        priority: Some(
                            if rng.random_bool(0.05) {
                                "expedited"
                            } else {
                                "normal"
                            }
                            .into(),
                        ),
                        reporter: (!anonymous).then(|| Reporter {
                            name: person(&mut rng),
                            phone: format!("13{:09}", rng.random_range(0..1_000_000_000u64)),
                        }),
                        anonymous,
                        ..Default::default()
                    };
                    let o = work_orders::create(&hist, actor.as_ref(), input).await?;
                    ids[i] = Some(o.id);
                    let next = if o.status == "pending_dispatch" {
                        Step::Dispatch
                    } else {
                        Step::Sign
                    };
                    Ok(Some((next, Duration::minutes(rng.random_range(10..240)))))
                }
                _ => {
                    let id = ids[i].expect("created first");
                    let o = work_orders::get(&hist, &Actor::System("demo"), id).await?;
                    let lead = o.dispatch.lead.as_ref().map(|l| l.unit_id);
                    let (actor, input, next) = match step {
                        Step::Dispatch => {
                            let unit = depts
                                .iter()
                                .find(|(_, c)| c.as_str() == "zjj")
                                .map(|(id, _)| *id);
                            (
                                dispatcher.clone(),
                                ActionInput::new(Action::Dispatch).unit(unit),
                                Some((Step::Sign, Duration::minutes(rng.random_range(10..300)))),
                            )
                        }
                        Step::Sign => (
                            lead.and_then(handler_of),
                            ActionInput::new(Action::Sign),
                            Some((Step::Contact, Duration::minutes(rng.random_range(5..180)))),
                        ),
                        Step::Contact => (
                            lead.and_then(handler_of),
                            ActionInput::new(Action::Contact).note("已电话联系反映人"),
                            Some((Step::Reply, Duration::minutes(*took))),
                        ),
                        Step::Reply => (
                            lead.and_then(handler_of),
                            ActionInput::new(Action::Reply)
                                .note("经核实，已按规定处理，并向反映人作了说明。"),
                            Some((Step::Approve, Duration::minutes(rng.random_range(30..1440)))),
                        ),
                        Step::Approve => (
                            operator.clone(),
                            ActionInput::new(Action::ApproveReply),
                            Some((
                                Step::Callback,
                                Duration::minutes(rng.random_range(60..2880)),
                            )),
                        ),
                        Step::Callback => {
                            let roll = rng.random_range(0..100);
                            if roll < 8 && !reopened[i] {
                                reopened[i] = true;
                                (
                                    operator.clone(),
                                    ActionInput::new(Action::Reopen)
                                        .note("群众反映问题仍未解决")
                                        .satisfaction(Satisfaction::Dissatisfied),
                                    Some((
                                        Step::Reply,
                                        Duration::minutes(rng.random_range(600..4320)),
                                    )),
                                )
                            } else {
                                let (r, s) = if roll < 86 {
                                    (
                                        Resolution::Resolved,
                                        if rng.random_range(0..100) < 85 {
                                            Satisfaction::Satisfied
                                        } else {
                                            Satisfaction::BasicallySatisfied
                                        },
                                    )
                                } else {
                                    (
                                        Resolution::PartlyResolved,
                                        if rng.random_bool(0.6) {
                                            Satisfaction::BasicallySatisfied
                                        } else {
                                            Satisfaction::Dissatisfied
                                        },
                                    )
                                };
                                (
                                    operator.clone(),
                                    ActionInput::new(Action::CallbackClose).callback(r, s),
                                    None,
                                )
                            }
                        }
                        Step::Create => unreachable!("handled above"),
                    };
                    let Some(actor) = actor else { return Ok(None) };
                    work_orders::apply(&hist, &actor, id, input).await?;
                    Ok(next)
                }
            }
        }
        .await;
        match result {
            Ok(Some((next, after))) => agenda.push(Reverse((at + after, i, next))),
            Ok(None) => {}
            Err(e) => tracing::debug!(order = i, error = %e, "demo history step skipped"),
        }
        if step == Step::Create {
            done += 1;
            progress(done, n, subject);
        }
    }
    Ok(n)
}

/// The live scenario: a grid worker reports a blocked fire lane, due in two hours.
pub async fn live_fire_lane(app: &App) -> AppResult<String> {
    use crate::service::work_orders::{self, NewOrder, Reporter};
    use crate::store::entities::user;
    use sea_orm::{ColumnTrait, QueryFilter};
    let gw = user::Entity::find()
        .filter(user::Column::Username.eq("gw001"))
        .one(&app.db.conn)
        .await?
        .ok_or_else(|| crate::error::AppError::internal(anyhow::anyhow!("gw001 missing")))?;
    let actor = Actor::User(auth::actor_from_user(
        &gw,
        crate::service::AuthVia::Token { id: 0 },
    )?);
    let o = work_orders::create(
        app,
        Some(&actor),
        NewOrder {
            description:
                "文昌社区3号楼东侧消防通道被两辆私家车长期占用，消防车无法通行，物业劝说无效。"
                    .into(),
            lat: Some(29.8125),
            lon: Some(119.915),
            address: Some("城关街道文昌社区3号楼东侧".into()),
            priority: Some("urgent".into()),
            reporter: Some(Reporter {
                name: "网格员上报".into(),
                phone: "13800138000".into(),
            }),
            ..Default::default()
        },
    )
    .await?;
    Ok(o.tracking_code)
}

/// High-frequency matters of the demo county's hall (a first part of the catalog).
/// The demo catalog (`data/catalog/matters.txt`), parsed.
pub fn demo_matters() -> Vec<jiceng_core::catalog::MatterSpec> {
    use jiceng_core::calendar::Limit;
    use jiceng_core::catalog::{
        CaseKind, Material, MaterialForm, MaterialSource, MatterSpec, MatterType, Necessity,
    };
    const MATTERS: &str = include_str!("../data/catalog/matters.txt");
    let material = |text: &str| {
        let (name, by) = text.split_once('@').unwrap_or((text, ""));
        let (name, necessity) = if let Some((n, c)) = name.split_once('?') {
            (
                n,
                Necessity::Conditional {
                    condition: c.into(),
                },
            )
        } else if let Some(n) = name.strip_suffix('~') {
            (n, Necessity::Optional)
        } else {
            (name, Necessity::Required)
        };
        Material {
            name: name.into(),
            necessity,
            form: if by.is_empty() {
                MaterialForm::Either
            } else {
                MaterialForm::Electronic
            },
            copies: 1,
            source: if by.is_empty() {
                MaterialSource::Applicant
            } else {
                MaterialSource::Issued { by: by.into() }
            },
            standard: if by.is_empty() {
                "原件核验，复印件留存".into()
            } else {
                "通过数据共享获取，无需申请人提交".into()
            },
            blank_form: String::new(),
            sample: String::new(),
        }
    };
    MATTERS
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            assert_eq!(f.len(), 11, "demo matter line: {l}");
            let n = |i: usize| f[i].parse::<u32>().expect("demo matter number");
            let promised = n(6);
            MatterSpec {
                basic_code: f[1].into(),
                code: format!("{COUNTY_CODE}-{}", f[0]),
                name: f[2].into(),
                matter_type: match f[3] {
                    "许可" => MatterType::AdministrativeLicensing,
                    "给付" => MatterType::AdministrativePayment,
                    "确认" => MatterType::AdministrativeConfirmation,
                    "征收" => MatterType::AdministrativeLevy,
                    "奖励" => MatterType::AdministrativeAward,
                    "裁决" => MatterType::AdministrativeAdjudication,
                    "其他" => MatterType::OtherPower,
                    _ => MatterType::PublicService,
                },
                unit_code: f[4].into(),
                level: "县级".into(),
                case_kind: if promised == 0 {
                    CaseKind::Immediate
                } else {
                    CaseKind::Promised
                },
                legal_limit: Limit::working_days(n(5)),
                promised_limit: Limit::working_days(promised),
                conditions: String::new(),
                steps: ["受理", "审查", "决定", "送达"].map(String::from).to_vec(),
                visits: n(7),
                fees: String::new(),
                place: "示范县政务服务中心一楼综合受理窗口".into(),
                hours: "工作日 9:00-12:00，13:30-17:00（周六上午延时服务）".into(),
                consult_phone: "0571-86001234".into(),
                complaint_phone: "12345".into(),
                online_depth: n(8),
                summary: f[9].into(),
                materials: f[10]
                    .split(';')
                    .filter(|m| !m.is_empty())
                    .map(material)
                    .collect(),
            }
        })
        .collect()
}

/// The demo's 一件事 bundles: (code, name, summary, matters, edges, outputs as (matter,
/// material)).
type DemoBundle = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);

const BUNDLES: [DemoBundle; 4] = [
    (
        "birth",
        "出生一件事",
        "新生儿出生医学证明、户口登记、医保参保、社保卡、预防接种证、生育登记和生育医疗费用报销，一次申请、一次提交",
        &[
            "wjj-0001",
            "gahz-0001",
            "ybj-0001",
            "rsj-0002",
            "wjj-0011",
            "wjj-0012",
            "ybj-0012",
        ],
        &[
            ("wjj-0001", "gahz-0001"),
            ("gahz-0001", "ybj-0001"),
            ("gahz-0001", "rsj-0002"),
            ("wjj-0001", "wjj-0011"),
            ("wjj-0001", "ybj-0012"),
        ],
        &[("wjj-0001", "出生医学证明"), ("gahz-0001", "居民户口簿")],
    ),
    (
        "retire",
        "退休一件事",
        "职工退休时的养老金申领、医保待遇核定、公积金提取、社会化管理登记和老年人优待证，一窗办理",
        &["rsj-0010", "ybj-0010", "gjj-0001", "rsj-0011", "mzj-0010"],
        &[
            ("rsj-0010", "ybj-0010"),
            ("rsj-0010", "gjj-0001"),
            ("rsj-0010", "rsj-0011"),
        ],
        &[("rsj-0010", "退休审批表")],
    ),
    (
        "death",
        "身后一件事",
        "亲人离世后的死亡证明、户口注销、丧葬补助、社保医保公积金清退和殡葬补贴，家属只跑一次",
        &[
            "wjj-0010",
            "gahz-0010",
            "rsj-0012",
            "rsj-0013",
            "ybj-0011",
            "gjj-0002",
            "cl-0002",
            "mzj-0011",
        ],
        &[
            ("wjj-0010", "gahz-0010"),
            ("gahz-0010", "rsj-0012"),
            ("gahz-0010", "rsj-0013"),
            ("gahz-0010", "ybj-0011"),
            ("gahz-0010", "gjj-0002"),
            ("gahz-0010", "cl-0002"),
            ("wjj-0010", "mzj-0011"),
        ],
        &[("wjj-0010", "死亡医学证明"), ("gahz-0010", "户口注销证明")],
    ),
    (
        "business",
        "开办企业一件事",
        "企业设立登记、公章刻制、发票申领、社保登记和公积金缴存登记，一表申请、一日办结",
        &["scjgj-0010", "gahz-0011", "sw-0001", "rsj-0014", "gjj-0003"],
        &[
            ("scjgj-0010", "gahz-0011"),
            ("scjgj-0010", "sw-0001"),
            ("scjgj-0010", "rsj-0014"),
            ("scjgj-0010", "gjj-0003"),
        ],
        &[("scjgj-0010", "营业执照")],
    ),
];

async fn service_catalog(app: &App) -> AppResult<()> {
    let actor = Actor::System("demo");
    let specs = demo_matters()
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("matters.txt 第{}项", i + 1), s))
        .collect();
    crate::service::catalog::save_many(app, &actor, specs, Vec::new()).await?;
    let m = |c: &str| format!("{COUNTY_CODE}-{c}");
    for (code, name, summary, matters, edges, outputs) in BUNDLES {
        let spec = jiceng_core::bundle::BundleSpec {
            code: code.into(),
            name: name.into(),
            summary: summary.into(),
            matters: matters.iter().map(|c| m(c)).collect(),
            edges: edges.iter().map(|(a, b)| (m(a), m(b))).collect(),
            outputs: outputs
                .iter()
                .map(|(matter, material)| jiceng_core::bundle::Output {
                    matter: m(matter),
                    material: material.to_string(),
                })
                .collect(),
        };
        crate::service::catalog::save_bundle(app, &actor, spec).await?;
    }
    // The hall's service groups (排队叫号).
    for (code, name, prefix, windows) in [
        ("social", "社保医保", "A", &["1号窗口", "2号窗口"][..]),
        ("hukou", "户政出入境", "B", &["3号窗口"][..]),
        (
            "general",
            "综合受理（一件事）",
            "C",
            &["4号窗口", "5号窗口"][..],
        ),
        ("business", "市场主体登记", "D", &["6号窗口"][..]),
    ] {
        crate::service::queue::set_group(
            app,
            &actor,
            crate::service::queue::GroupInput {
                code: code.into(),
                name: name.into(),
                prefix: prefix.into(),
                windows: windows.iter().map(|w| w.to_string()).collect(),
            },
        )
        .await?;
    }
    Ok(())
}

/// Replays the hall's last `days` working days through the same use cases: tickets taken and
/// called (the wait falling from about 45 to about 15 minutes, so that the wait statistics
/// show the change), the applications received at the windows (one in six with a material
/// missing and supplied the next day), the back office finishing them on time, and the
/// citizens' ratings, with 5号窗口 rated worse than the rest and its 差评 answered.
pub async fn seed_service_history(app: &App, days: u32) -> AppResult<u64> {
    use crate::service::applications::{self, Action, ApplicantInput, NewApplication};
    use crate::service::{queue, ratings};
    use chrono::{Duration, TimeZone};
    use jiceng_core::clock::{ManualClock, china_offset};
    use std::sync::Arc;

    let real_now = app.now();
    let cal = app.reference.get().calendar.clone();
    let today = real_now.with_timezone(&china_offset()).date_naive();
    let mut day = today;
    let mut workdays = Vec::new();
    while workdays.len() < days as usize {
        day = day.pred_opt().expect("date in range");
        if cal.is_workday(day) {
            workdays.push(day);
        }
    }
    workdays.reverse();
    let clock = Arc::new(ManualClock::new(real_now));
    let hist = App {
        clock: clock.clone(),
        fake_clock: None,
        applications: applications::intake_queue(),
        ..app.clone()
    };
    let system = Actor::System("demo");
    let m = |c: &str| Some(format!("{COUNTY_CODE}-{c}"));
    // (group, windows, subjects as (matter, bundle))
    type Subject = (Option<String>, Option<String>);
    let groups: Vec<(&str, Vec<&str>, Vec<Subject>)> = vec![
        (
            "social",
            vec!["1号窗口", "2号窗口"],
            vec![
                (m("rsj-0002"), None),
                (m("ybj-0003"), None),
                (m("rsj-0005"), None),
            ],
        ),
        (
            "hukou",
            vec!["3号窗口"],
            vec![(m("gahz-0008"), None), (m("gahz-0007"), None)],
        ),
        (
            "general",
            vec!["4号窗口", "5号窗口"],
            vec![(None, Some("birth".into())), (m("mzj-0009"), None)],
        ),
        (
            "business",
            vec!["6号窗口"],
            vec![(m("scjgj-0002"), None), (m("sw-0001"), None)],
        ),
    ];
    let mut checklists: std::collections::HashMap<String, Vec<String>> = Default::default();
    for (_, _, subjects) in &groups {
        for (matter, bundle) in subjects {
            let (_, items) =
                applications::checklist_for(app, matter.as_deref(), bundle.as_deref()).await?;
            checklists.insert(
                format!("{matter:?}{bundle:?}"),
                items
                    .into_iter()
                    .filter(|i| i.required)
                    .map(|i| i.name)
                    .collect(),
            );
        }
    }
    let mut rng = ChaCha8Rng::seed_from_u64(SEED + 4);
    let at = |d: chrono::NaiveDate, minutes: i64| {
        china_offset()
            .from_local_datetime(&d.and_hms_opt(9, 0, 0).expect("9:00"))
            .single()
            .expect("fixed offset")
            .with_timezone(&chrono::Utc)
            + Duration::minutes(minutes)
    };
    let mut n = 0u64;
    // Applications waiting for a supplement (id) and for their back office (id, code, window).
    let mut to_supplement: Vec<i64> = Vec::new();
    let mut to_finish: Vec<(i64, String, String)> = Vec::new();
    for (i, d) in workdays.iter().enumerate() {
        // The wait falls from about 45 minutes to about 15 over the period.
        let progress = i as f64 / workdays.len().max(1) as f64;
        let wait = 45.0 - 30.0 * progress;
        // Yesterday's corrections and the back office's work, first thing in the morning.
        clock.set(at(*d, -30));
        for id in std::mem::take(&mut to_supplement) {
            let v = applications::get(&hist, &system, id).await?;
            let provided = v.defects.iter().map(|x| x.name.clone()).collect();
            applications::change(
                &hist,
                &system,
                id,
                Action::Supplement {
                    provided,
                    defective: vec![],
                },
            )
            .await?;
            to_finish.push((id, v.code, v.window));
        }
        for (id, code, window) in std::mem::take(&mut to_finish) {
            loop {
                let v = applications::get(&hist, &system, id).await?;
                let Some(p) = v.parts.iter().find(|p| p.status == "active") else {
                    break;
                };
                let last = p.step + 1 >= p.steps.len();
                applications::change(
                    &hist,
                    &system,
                    id,
                    Action::Advance {
                        part: p.id,
                        note: String::new(),
                        result_no: if last {
                            format!("{}-{}", p.matter_code.rsplit('-').next().unwrap_or(""), id)
                        } else {
                            String::new()
                        },
                        delivery: None,
                    },
                )
                .await?;
                n += 1;
            }
            // Most citizens rate; 5号窗口 less kindly than the rest.
            if rng.random_range(0..10) < 7 {
                let bad = if window == "5号窗口" { 4 } else { 20 };
                let roll = rng.random_range(0..bad);
                let (level, comment) = match roll {
                    0 => ("dissatisfied", "等候时间太长，窗口人员解释不清"),
                    1 => ("fair", ""),
                    2..=6 => ("satisfied", ""),
                    _ => ("very_satisfied", "一次办好，很方便"),
                };
                let r = ratings::rate(
                    &hist,
                    ratings::RateInput {
                        code,
                        last4: "0000".into(),
                        level: level.into(),
                        comment: comment.into(),
                        ..Default::default()
                    },
                )
                .await?;
                if let Some(t) = r.rectification {
                    ratings::act(
                        &hist,
                        &system,
                        t.id,
                        ratings::RectAction::Answer {
                            outcome: "rectified".into(),
                            answer: "已向群众致歉，增设引导员并优化叫号分组".into(),
                        },
                    )
                    .await?;
                }
            }
        }
        // The day's tickets: issued through the day, each called after about the day's wait.
        let mut events: Vec<(i64, usize, usize)> = Vec::new(); // (minute, group, 0 issue / 1 call)
        for g in 0..groups.len() {
            for _ in 0..rng.random_range(3..6) {
                let issued = rng.random_range(0..420);
                let waited = (wait * rng.random_range(0.6..1.4)) as i64;
                events.push((issued, g, 0));
                events.push((issued + waited.max(1), g, 1));
            }
        }
        events.sort();
        for (minute, g, kind) in events {
            clock.set(at(*d, minute));
            let (code, windows, subjects) = &groups[g];
            if kind == 0 {
                queue::issue(&hist, None, code, false, "").await?;
                continue;
            }
            let window = windows[rng.random_range(0..windows.len())];
            let Some(ticket) = queue::call_next(&hist, &system, window).await? else {
                continue;
            };
            let (matter, bundle) = &subjects[rng.random_range(0..subjects.len())];
            let mut provided = checklists[&format!("{matter:?}{bundle:?}")].clone();
            let missing = rng.random_range(0..6) == 0 && !provided.is_empty();
            if missing {
                provided.pop();
            }
            let first17 = format!(
                "330105{}{:03}",
                19_600_101 + rng.random_range(0..28) + 10_000 * rng.random_range(0..40),
                rng.random_range(0..1000)
            );
            let id_number = format!(
                "{first17}{}",
                jiceng_core::id_card::check_char(first17.as_bytes())
            );
            let v = applications::submit(
                &hist,
                Some(&system),
                NewApplication {
                    matter: matter.clone(),
                    bundle: bundle.clone(),
                    applicant: ApplicantInput {
                        name: person(&mut rng),
                        id_number,
                        phone: format!("139{:04}0000", rng.random_range(0..10_000)),
                    },
                    provided,
                    window: window.into(),
                    ticket_id: Some(ticket.id),
                    ..Default::default()
                },
            )
            .await?;
            n += 1;
            if missing {
                to_supplement.push(v.id);
            } else {
                to_finish.push((v.id, v.code, v.window));
            }
        }
    }
    Ok(n)
}
