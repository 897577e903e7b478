//! Explainable dispatch by the responsibility list (权责清单).
//!
//! Category × location × the published list → one lead unit (主办) and zero or more assisting
//! units (协办), each with the reasons that name the list item and the region. Anything the
//! list does not decide — no item, two equally specific items, a unit that does not exist
//! where the order is — goes to the dispatcher's manual queue, never dropped.

use serde::{Deserialize, Serialize};

coded!(
    /// A responsibility list version's state (权责清单版本).
    ListStatus {
        Draft = "draft" / "草稿",
        Published = "published" / "现行",
        Superseded = "superseded" / "已废止",
    }
);

coded!(
    /// A unit's part in a work order (主办 or 协办).
    AssignmentRole {
        Lead = "lead" / "主办",
        Assist = "assist" / "协办",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemType {
    /// 乡镇法定职权
    TownshipPower,
    /// 村级协助事项
    VillageAssist,
    /// 县级部门职责
    CountyDuty,
}

impl ItemType {
    pub fn label(self) -> &'static str {
        match self {
            Self::TownshipPower => "乡镇法定职权",
            Self::VillageAssist => "村级协助事项",
            Self::CountyDuty => "县级部门职责",
        }
    }
}

/// Which unit: a named one, or "the one of this kind where the order is".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum UnitRef {
    /// A department by its code.
    Named { code: String },
    /// The township office (乡镇/街道) of the order's township.
    TownshipOffice,
    /// The village or community committee of the order's village.
    VillageCommittee,
    /// An assisting unit (物业, 供电, …) of the order's township or county whose name contains
    /// `name_contains`.
    AssistingUnit { name_contains: String },
}

impl UnitRef {
    /// The form used in spreadsheets: `部门:cgj`, `属地乡镇`, `属地村社区`, `属地协办:物业`.
    pub fn to_text(&self) -> String {
        match self {
            Self::Named { code } => format!("部门:{code}"),
            Self::TownshipOffice => "属地乡镇".into(),
            Self::VillageCommittee => "属地村社区".into(),
            Self::AssistingUnit { name_contains } => format!("属地协办:{name_contains}"),
        }
    }

    pub fn from_text(s: &str) -> Option<Self> {
        let s = s.trim().replace('：', ":");
        match s.as_str() {
            "属地乡镇" => Some(Self::TownshipOffice),
            "属地村社区" => Some(Self::VillageCommittee),
            _ => {
                let (kind, value) = s.split_once(':')?;
                let value = value.trim();
                if value.is_empty() {
                    return None;
                }
                match kind.trim() {
                    "部门" => Some(Self::Named {
                        code: value.to_string(),
                    }),
                    "属地协办" => Some(Self::AssistingUnit {
                        name_contains: value.to_string(),
                    }),
                    _ => None,
                }
            }
        }
    }
}

impl ItemType {
    pub fn from_label(s: &str) -> Option<Self> {
        [Self::TownshipPower, Self::VillageAssist, Self::CountyDuty]
            .into_iter()
            .find(|t| t.label() == s.trim())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListItem {
    pub code: String,
    pub name: String,
    pub item_type: ItemType,
    pub legal_basis: String,
    /// Category codes (any level) this item covers; a code covers its subcategories.
    pub categories: Vec<String>,
    pub lead: UnitRef,
    pub assisting: Vec<UnitRef>,
}

/// A unit as dispatch needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: i64,
    pub name: String,
}

/// Where the order is, as far as it is known.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub village: Option<(String, String)>,
    pub township: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub item_code: String,
    pub lead: Unit,
    pub assisting: Vec<Unit>,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Outcome {
    Dispatch(Plan),
    /// To the manual queue, with why.
    Manual(Vec<String>),
}

/// How specific an item is for a category: the length of the longest covering code.
fn specificity(item: &ListItem, category: &str) -> Option<usize> {
    item.categories
        .iter()
        .filter(|c| category.starts_with(c.as_str()))
        .map(|c| c.len())
        .max()
}

fn describe(r: &UnitRef) -> String {
    match r {
        UnitRef::Named { code } => format!("部门 {code}"),
        UnitRef::TownshipOffice => "属地乡镇（街道）".into(),
        UnitRef::VillageCommittee => "属地村（社区）".into(),
        UnitRef::AssistingUnit { name_contains } => format!("属地{name_contains}"),
    }
}

/// Decides the dispatch. `resolve` finds the unit a reference means at `place`.
pub fn plan(
    items: &[ListItem],
    category: &str,
    category_name: &str,
    place: &Place,
    resolve: impl Fn(&UnitRef, &Place) -> Option<Unit>,
) -> Outcome {
    let mut best: Vec<(&ListItem, usize)> = Vec::new();
    for item in items {
        if let Some(s) = specificity(item, category) {
            match best.first().map(|b| b.1) {
                Some(b) if s < b => {}
                Some(b) if s == b => best.push((item, s)),
                _ => best = vec![(item, s)],
            }
        }
    }
    let item = match best.as_slice() {
        [] => {
            return Outcome::Manual(vec![format!(
                "权责清单中没有“{category_name}”类事项的责任单位，转派单员人工派单"
            )]);
        }
        [(one, _)] => *one,
        many => {
            let codes: Vec<&str> = many.iter().map(|(i, _)| i.code.as_str()).collect();
            return Outcome::Manual(vec![format!(
                "权责清单中有多项同样适用（{}），转派单员人工判断",
                codes.join("、")
            )]);
        }
    };
    let Some(lead) = resolve(&item.lead, place) else {
        return Outcome::Manual(vec![format!(
            "依据权责清单第{}项“{}”应由{}主办，但事发地没有对应单位，转派单员人工派单",
            item.code,
            item.name,
            describe(&item.lead)
        )]);
    };
    let where_ = match (&place.township, &place.village) {
        (Some(t), Some(v)) => format!("{}{}", t.1, v.1),
        (Some(t), None) => t.1.clone(),
        _ => "本县".into(),
    };
    let mut reasons = vec![format!(
        "“{category_name}”属于权责清单第{}项“{}”（{}），由{}主办",
        item.code,
        item.name,
        item.item_type.label(),
        lead.name
    )];
    if !item.legal_basis.is_empty() {
        reasons.push(format!("依据：{}", item.legal_basis));
    }
    reasons.push(format!("事发地：{where_}"));
    let mut assisting = Vec::new();
    for r in &item.assisting {
        match resolve(r, place) {
            Some(u) if u.id != lead.id && !assisting.iter().any(|a: &Unit| a.id == u.id) => {
                // A unit the list names is its own reason; one found by place says how.
                reasons.push(match r {
                    UnitRef::Named { .. } => format!("{}协办", u.name),
                    _ => format!("{}协办（{}）", u.name, describe(r)),
                });
                assisting.push(u);
            }
            Some(_) => {}
            None => reasons.push(format!("{}在事发地没有对应单位，未派协办", describe(r))),
        }
    }
    Outcome::Dispatch(Plan {
        item_code: item.code.clone(),
        lead,
        assisting,
        reasons,
    })
}

/// Publishing rules for a list version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PublishLimits {
    /// 村级协助事项 at most this many (default 30).
    pub village_assist_cap: usize,
    /// 乡镇法定职权 above this many gives a warning (default 150).
    pub township_power_warning: usize,
}

impl Default for PublishLimits {
    fn default() -> Self {
        Self {
            village_assist_cap: 30,
            township_power_warning: 150,
        }
    }
}

/// A report placed outside the county: taken, and left to a dispatcher to place.
pub fn outside_area() -> Outcome {
    Outcome::Manual(vec![
        "反映的位置不在本县范围内，请派单员核实属地后派单或转办".into(),
    ])
}

/// An automatic dispatch is only as good as the category it rests on: when the classifier
/// guessed the category with less than `min_confidence`, the order goes to the dispatcher's
/// 待派单 instead, saying why. A category chosen by a person counts as certain (1.0).
pub fn unless_unsure(outcome: Outcome, confidence: f64, min_confidence: f64) -> Outcome {
    match outcome {
        Outcome::Dispatch(_) if confidence < min_confidence => Outcome::Manual(vec![format!(
            "自动分类把握不足（{:.0}%，低于{:.0}%），请派单员确认分类后派单",
            confidence * 100.0,
            min_confidence * 100.0
        )]),
        o => o,
    }
}

/// Checks a list before publishing: an error refuses it, warnings are shown.
pub fn check_publish(items: &[ListItem], limits: PublishLimits) -> Result<Vec<String>, String> {
    let village = items
        .iter()
        .filter(|i| i.item_type == ItemType::VillageAssist)
        .count();
    if village > limits.village_assist_cap {
        return Err(format!(
            "村级协助事项有{village}项，超过上限{}项：请精简后再发布（为村级组织减负）",
            limits.village_assist_cap
        ));
    }
    let township = items
        .iter()
        .filter(|i| i.item_type == ItemType::TownshipPower)
        .count();
    let mut warnings = Vec::new();
    if township > limits.township_power_warning {
        warnings.push(format!(
            "乡镇法定职权有{township}项，多于{}项，请确认",
            limits.township_power_warning
        ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(code: &str, cats: &[&str], lead: UnitRef, assisting: Vec<UnitRef>) -> ListItem {
        ListItem {
            code: code.into(),
            name: format!("事项{code}"),
            item_type: ItemType::CountyDuty,
            legal_basis: "《消防法》第二十八条".into(),
            categories: cats.iter().map(|c| c.to_string()).collect(),
            lead,
            assisting,
        }
    }

    fn place() -> Place {
        Place {
            village: Some(("339901001001".into(), "文昌社区".into())),
            township: Some(("339901001000".into(), "城关街道".into())),
        }
    }

    fn resolve(r: &UnitRef, _: &Place) -> Option<Unit> {
        match r {
            UnitRef::Named { code } if code == "xfjy" => Some(Unit {
                id: 1,
                name: "消防救援大队".into(),
            }),
            UnitRef::Named { .. } => None,
            UnitRef::TownshipOffice => Some(Unit {
                id: 2,
                name: "城关街道办事处".into(),
            }),
            UnitRef::VillageCommittee => Some(Unit {
                id: 3,
                name: "文昌社区居委会".into(),
            }),
            UnitRef::AssistingUnit { .. } => Some(Unit {
                id: 4,
                name: "安居物业".into(),
            }),
        }
    }

    #[test]
    fn the_most_specific_item_decides_with_reasons() {
        let items = vec![
            item("1", &["16"], UnitRef::TownshipOffice, vec![]),
            item(
                "2",
                &["1601"],
                UnitRef::Named {
                    code: "xfjy".into(),
                },
                vec![
                    UnitRef::AssistingUnit {
                        name_contains: "物业".into(),
                    },
                    UnitRef::VillageCommittee,
                ],
            ),
        ];
        match plan(&items, "160101", "占用消防通道", &place(), resolve) {
            Outcome::Dispatch(p) => {
                assert_eq!(p.item_code, "2");
                assert_eq!(p.lead.id, 1);
                assert_eq!(
                    p.assisting.iter().map(|u| u.id).collect::<Vec<_>>(),
                    vec![4, 3]
                );
                assert!(
                    p.reasons[0].contains("权责清单第2项") && p.reasons[0].contains("消防救援大队")
                );
                assert!(p.reasons.iter().any(|r| r.contains("城关街道文昌社区")));
            }
            other => panic!("{other:?}"),
        }
        // A category only the broad item covers.
        assert!(
            matches!(plan(&items, "1699", "其他", &place(), resolve), Outcome::Dispatch(p) if p.item_code == "1")
        );
    }

    #[test]
    fn nothing_ambiguous_or_unresolvable_goes_to_a_person() {
        let items = vec![
            item("1", &["16"], UnitRef::TownshipOffice, vec![]),
            item("2", &["16"], UnitRef::VillageCommittee, vec![]),
        ];
        assert!(
            matches!(plan(&items, "1601", "x", &place(), resolve), Outcome::Manual(r) if r[0].contains("1、2"))
        );
        assert!(
            matches!(plan(&items, "0101", "x", &place(), resolve), Outcome::Manual(r) if r[0].contains("没有"))
        );
        let items = vec![item(
            "3",
            &["16"],
            UnitRef::Named {
                code: "nobody".into(),
            },
            vec![],
        )];
        assert!(
            matches!(plan(&items, "1601", "x", &place(), resolve), Outcome::Manual(r) if r[0].contains("没有对应单位"))
        );
    }

    #[test]
    fn unit_refs_round_trip_through_text() {
        for r in [
            UnitRef::Named { code: "cgj".into() },
            UnitRef::TownshipOffice,
            UnitRef::VillageCommittee,
            UnitRef::AssistingUnit {
                name_contains: "物业".into(),
            },
        ] {
            assert_eq!(UnitRef::from_text(&r.to_text()), Some(r));
        }
        assert_eq!(
            UnitRef::from_text("部门：xfjy"),
            Some(UnitRef::Named {
                code: "xfjy".into()
            })
        );
        assert_eq!(UnitRef::from_text("随便"), None);
        assert_eq!(
            ItemType::from_label("村级协助事项"),
            Some(ItemType::VillageAssist)
        );
    }

    #[test]
    fn village_assist_items_are_capped() {
        let mut items: Vec<ListItem> = (0..31)
            .map(|i| ListItem {
                item_type: ItemType::VillageAssist,
                ..item(&i.to_string(), &["1"], UnitRef::VillageCommittee, vec![])
            })
            .collect();
        assert!(
            check_publish(&items, PublishLimits::default())
                .unwrap_err()
                .contains("超过上限30项")
        );
        items.pop();
        assert_eq!(check_publish(&items, PublishLimits::default()), Ok(vec![]));
    }
}

#[cfg(test)]
mod unsure_tests {
    use super::*;

    #[test]
    fn an_unsure_guess_waits_for_a_dispatcher_and_a_sure_one_goes() {
        let manual = Outcome::Manual(vec!["没有匹配的清单事项".into()]);
        assert_eq!(unless_unsure(manual.clone(), 0.1, 0.5), manual);
        let Outcome::Manual(r) = unless_unsure(Outcome::Dispatch(plan_for_test()), 0.27, 0.5)
        else {
            panic!("an unsure guess was dispatched");
        };
        assert!(r[0].contains("27%"), "{r:?}");
        assert!(matches!(
            unless_unsure(Outcome::Dispatch(plan_for_test()), 0.5, 0.5),
            Outcome::Dispatch(_)
        ));
        // A person's choice is certain.
        assert!(matches!(
            unless_unsure(Outcome::Dispatch(plan_for_test()), 1.0, 0.99),
            Outcome::Dispatch(_)
        ));
    }
}

#[cfg(test)]
fn plan_for_test() -> Plan {
    Plan {
        item_code: "XF-01".into(),
        lead: Unit {
            id: 7,
            name: "示范县消防救援大队".into(),
        },
        assisting: Vec::new(),
        reasons: vec!["权责清单 XF-01".into()],
    }
}
