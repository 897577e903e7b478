//! The demo county's responsibility list (权责清单): which unit leads and assists for which
//! categories at which level.

use crate::demo::org::COUNTY_CODE;
use crate::error::AppResult;
use crate::kernel::actor::Actor;
use crate::kernel::app::App;

/// The demo county's responsibility list (权责清单), published: which unit leads and which
/// assist for each kind of request.
pub(crate) async fn responsibility_list(app: &App) -> AppResult<()> {
    use crate::work_orders::resp_list::{self, NewList};
    use jiceng_core::dispatch::{ItemType, ListItem, UnitRef};
    let reference = crate::reference::of(app).get();
    let city = |leaf: &str| {
        reference
            .categories
            .all()
            .into_iter()
            .find(|c| c.path.starts_with(crate::reference::CITY_MANAGEMENT_NAME) && c.name == leaf)
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
            top(crate::reference::CITY_MANAGEMENT_NAME),
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
