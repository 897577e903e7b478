//! The demo county's organisation (示范县), generated deterministically from a fixed seed: 8
//! townships and their villages, a 12 × 10 lattice of grids, departments, and the accounts.

use geo::{Coord, LineString, Polygon};
use jiceng_core::geometry;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

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

pub(crate) struct Township {
    pub(crate) code: &'static str,
    pub(crate) slug: &'static str,
    pub(crate) name: &'static str,
    pub(crate) street: bool,
}

pub(crate) const TOWNSHIPS: [Township; 8] = [
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

pub(crate) const STEMS: [&str; 64] = [
    "文昌", "和平", "新华", "幸福", "红星", "光明", "建设", "朝阳", "丰收", "长青", "杨柳", "桃源",
    "永安", "金桥", "向阳", "团结", "民主", "胜利", "凤凰", "龙泉", "白马", "石门", "清溪", "梅林",
    "竹园", "荷花", "黄岭", "高桥", "大塘", "新塘", "上河", "下湾", "东岭", "西坡", "南塘", "北山",
    "前进", "联合", "五星", "新民", "太平", "长乐", "安康", "富民", "兴隆", "双河", "三里", "七星",
    "青山", "绿水", "云岭", "松林", "枫树", "茶园", "桑园", "稻香", "花园", "锦绣", "春晖", "秋实",
    "金沙", "银杏", "玉泉", "翠竹",
];

pub(crate) const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
pub(crate) const GIVEN: [&str; 24] = [
    "建国", "秀英", "丽华", "志强", "海燕", "国平", "桂兰", "明", "静", "伟", "芳", "军", "敏",
    "磊", "洋", "艳", "勇", "杰", "娟", "涛", "霞", "平", "刚", "婷",
];

pub(crate) const COUNTY_DEPARTMENTS: [(&str, &str, &str); 21] = [
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

pub(crate) const UTILITIES: [(&str, &str); 2] =
    [("gdgs", "示范县供电公司"), ("rqgs", "示范县燃气有限公司")];

pub(crate) const PROPERTY_FIRMS: [(&str, &str, usize); 3] = [
    ("wy-anju", "城关安居物业服务有限公司", 0),
    ("wy-lvyuan", "东城绿苑物业管理有限公司", 1),
    ("wy-jiahe", "南山嘉禾物业服务有限公司", 2),
];

/// The demo county's layout: 12 × 10 cells, townships 3 × 5 cells each.
pub(crate) const COLS: usize = 12;
pub(crate) const ROWS: usize = 10;
pub(crate) const ORIGIN: (f64, f64) = (119.90, 29.80);
pub(crate) const CELL: (f64, f64) = (0.03, 0.025);

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

pub(crate) fn boundary_json(polys: &[Polygon<f64>]) -> serde_json::Value {
    let union = geometry::union_all(polys);
    serde_json::to_value(geojson::Geometry::new(geometry::multipolygon_to_geojson(
        &union,
    )))
    .expect("geojson")
}

pub(crate) fn person(rng: &mut ChaCha8Rng) -> String {
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
