//! The demo's service catalog: 109 county matters from a committed table, and the 一件事
//! bundles.

use crate::demo::org::COUNTY_CODE;
use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;

/// High-frequency matters of the demo county's hall (a first part of the catalog).
/// The demo catalog (`data/catalog/matters.txt`), parsed.
pub fn demo_matters() -> Vec<jiceng_core::catalog::MatterSpec> {
    use jiceng_core::calendar::Limit;
    use jiceng_core::catalog::{
        CaseKind, Material, MaterialForm, MaterialSource, MatterSpec, MatterType, Necessity,
    };
    const MATTERS: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/data/catalog/matters.txt"
    ));
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
pub(crate) type DemoBundle = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, &'static str)],
    &'static [(&'static str, &'static str)],
);

pub(crate) const BUNDLES: [DemoBundle; 4] = [
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

pub(crate) async fn service_catalog(app: &App) -> AppResult<()> {
    let actor = Actor::System("demo");
    let specs = demo_matters()
        .into_iter()
        .enumerate()
        .map(|(i, s)| (format!("matters.txt 第{}项", i + 1), s))
        .collect();
    crate::hall::catalog::save_many(app, &actor, specs, Vec::new()).await?;
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
        crate::hall::catalog::save_bundle(app, &actor, spec).await?;
    }
    // The hall's service groups (排队叫号).
    type Group<'a> = (&'a str, &'a str, &'a str, &'a [&'a str], &'a [&'a str]);
    let groups: [Group; 4] = [
        (
            "social",
            "社保医保",
            "A",
            &["1号窗口", "2号窗口"],
            &["rsj", "ybj", "gjj"],
        ),
        ("hukou", "户政出入境", "B", &["3号窗口"], &["gahz"]),
        // The general window takes every matter.
        (
            "general",
            "综合受理（一件事）",
            "C",
            &["4号窗口", "5号窗口"],
            &[],
        ),
        (
            "business",
            "市场主体登记",
            "D",
            &["6号窗口"],
            &["scjgj", "sw"],
        ),
    ];
    for (code, name, prefix, windows, units) in groups {
        crate::hall::queue::set_group(
            app,
            &actor,
            crate::hall::queue::GroupInput {
                code: code.into(),
                name: name.into(),
                prefix: prefix.into(),
                windows: windows.iter().map(|w| w.to_string()).collect(),
                region_code: None,
                units: units.iter().map(|u| u.to_string()).collect(),
            },
        )
        .await?;
    }
    Ok(())
}
