//! 一窗受理 applications: the materials checklist a window clerk checks, the outcome of the
//! check (accepted, a one-time correction notice listing everything missing at once, or not
//! accepted), and the back office's clock — each matter's steps held to the working-day
//! calendar, the clock stopped during 补正 and 特别程序, bundle parts run in DAG order.

use crate::calendar::{Limit, LimitUnit, WorkCalendar};
use crate::catalog::{CaseKind, MatterSpec, Necessity};
use crate::clock::china_offset;
use chrono::{DateTime, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeSet, HashMap};

macro_rules! coded {
    ($(#[$m:meta])* $name:ident { $($v:ident = $code:literal / $label:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($v),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$v),+];
            pub fn code(self) -> &'static str {
                match self { $(Self::$v => $code),+ }
            }
            pub fn label(self) -> &'static str {
                match self { $(Self::$v => $label),+ }
            }
            pub fn parse(s: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|x| x.code() == s)
            }
        }
    };
}

coded!(
    /// Where an application was received.
    Channel {
        Window = "window" / "窗口",
        Online = "online" / "网上办",
        Kiosk = "kiosk" / "自助终端",
        Assisted = "assisted" / "帮办代办",
    }
);

coded!(
    /// An application as the citizen sees it.
    Status {
        NeedsCorrection = "needs_correction" / "待补正",
        NotAccepted = "not_accepted" / "不予受理",
        InProgress = "in_progress" / "办理中",
        Completed = "completed" / "已办结",
    }
);

coded!(
    /// One matter of an application in the back office.
    PartStatus {
        Waiting = "waiting" / "等待前序事项",
        Active = "active" / "办理中",
        Suspended = "suspended" / "暂停计时",
        Done = "done" / "已办结",
    }
);

coded!(
    /// Why a part's clock is stopped.
    Pause {
        Correction = "correction" / "补正材料",
        Hearing = "hearing" / "听证",
        ExpertReview = "expert_review" / "专家评审",
        Inspection = "inspection" / "现场勘验",
        Publicity = "publicity" / "公示",
    }
);

coded!(
    /// How a result reaches the applicant.
    Delivery {
        Pickup = "pickup" / "窗口领取",
        Mail = "mail" / "邮寄送达",
        Electronic = "electronic" / "电子证照",
    }
);

/// One line of the materials checklist: a material asked of the applicant, once, for every
/// matter that needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistItem {
    pub name: String,
    /// Matter codes that need it.
    pub needed_by: Vec<String>,
    /// Whether it must be handed over for this application.
    pub required: bool,
    /// The condition of a conditional material (empty otherwise).
    #[serde(default)]
    pub condition: String,
    pub standard: String,
}

/// Whether a conditional material's condition is met by an agent acting for the applicant.
fn agent_condition(condition: &str) -> bool {
    ["委托", "代理", "代办"]
        .iter()
        .any(|w| condition.contains(w))
}

/// The checklist of an application: every material the applicant is asked for, each once.
/// Materials issued by a unit are fetched, and what a matter of the bundle produces
/// (`produced`) is never asked. A conditional material is required when its name is in
/// `applies`, or when an agent acts and its condition is about agents.
pub fn checklist(
    members: &[(&str, &MatterSpec)],
    produced: &BTreeSet<String>,
    applies: &BTreeSet<String>,
    has_agent: bool,
) -> Vec<ChecklistItem> {
    let mut out: Vec<ChecklistItem> = Vec::new();
    for (code, spec) in members {
        for m in spec.asked_materials() {
            if produced.contains(&m.name) {
                continue;
            }
            let (required, condition) = match &m.necessity {
                Necessity::Required => (true, String::new()),
                Necessity::Optional => (false, String::new()),
                Necessity::Conditional { condition } => (
                    applies.contains(&m.name) || (has_agent && agent_condition(condition)),
                    condition.clone(),
                ),
            };
            match out.iter_mut().find(|i| i.name == m.name) {
                Some(i) => {
                    i.needed_by.push(code.to_string());
                    i.required |= required;
                }
                None => out.push(ChecklistItem {
                    name: m.name.clone(),
                    needed_by: vec![code.to_string()],
                    required,
                    condition,
                    standard: m.standard.clone(),
                }),
            }
        }
    }
    out
}

/// One item of a one-time correction notice (一次性告知): a material missing or defective.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Defect {
    pub name: String,
    pub reason: String,
}

/// What the window found: the materials handed over and those found defective, with why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handed {
    pub provided: BTreeSet<String>,
    pub defective: Vec<Defect>,
}

/// Every missing or defective item, at once; empty when the application can be accepted.
/// A name that is not on the checklist is an error of the caller (the names it lists).
pub fn defects(list: &[ChecklistItem], handed: &Handed) -> Result<Vec<Defect>, Vec<String>> {
    let known: BTreeSet<&str> = list.iter().map(|i| i.name.as_str()).collect();
    let unknown: Vec<String> = handed
        .provided
        .iter()
        .map(String::as_str)
        .chain(handed.defective.iter().map(|d| d.name.as_str()))
        .filter(|n| !known.contains(n))
        .map(String::from)
        .collect();
    if !unknown.is_empty() {
        return Err(unknown);
    }
    let mut out = Vec::new();
    for item in list {
        if let Some(d) = handed.defective.iter().find(|d| d.name == item.name) {
            out.push(Defect {
                name: item.name.clone(),
                reason: if d.reason.trim().is_empty() {
                    "材料不符合要求".into()
                } else {
                    d.reason.trim().to_string()
                },
            });
        } else if item.required && !handed.provided.contains(&item.name) {
            let reason = if item.condition.is_empty() {
                "未提交".to_string()
            } else {
                format!("未提交（{}须提交）", item.condition)
            };
            out.push(Defect {
                name: item.name.clone(),
                reason,
            });
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The clock

/// A matter's promised limit as its part is held to: 即办件 are due by the end of the day.
pub fn part_limit(spec: &MatterSpec) -> Limit {
    match spec.case_kind {
        CaseKind::Immediate => Limit::working_days(0),
        CaseKind::Promised => spec.promised_limit,
    }
}

fn local_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&china_offset()).date_naive()
}

fn midnight_after(d: NaiveDate) -> DateTime<Utc> {
    let end = d
        .checked_add_days(Days::new(1))
        .expect("date in range")
        .and_time(NaiveTime::MIN);
    china_offset()
        .from_local_datetime(&end)
        .single()
        .expect("fixed offset is unambiguous")
        .with_timezone(&Utc)
}

/// The deadline of a limit started at `start` when the clock has been stopped for `paused`
/// days (working or natural, as the limit counts). A 0-day limit ends with the start day.
pub fn deadline(
    cal: &WorkCalendar,
    limit: Limit,
    start: DateTime<Utc>,
    paused: u32,
) -> DateTime<Utc> {
    match limit.unit {
        LimitUnit::WorkingDays => {
            // A part that starts at midnight, when the one before it ended, has that day.
            let first = local_day(start - Duration::seconds(1));
            let last = cal.nth_workday_after(first, limit.amount + paused);
            midnight_after(last)
        }
        LimitUnit::NaturalDays if limit.amount == 0 => midnight_after(local_day(start)),
        _ => limit.deadline(cal, start) + Duration::days(paused as i64),
    }
}

/// The last day of a deadline that ends at midnight, as people say it (`2026-12-04`).
pub fn due_day(t: DateTime<Utc>) -> String {
    (t - Duration::seconds(1))
        .with_timezone(&china_offset())
        .format("%Y-%m-%d")
        .to_string()
}

/// The days a stop from `from` to `to` takes off the clock: the working days (or calendar
/// days) after the day it began, up to and including the day it ended.
pub fn paused_days(
    cal: &WorkCalendar,
    unit: LimitUnit,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> u32 {
    let (a, b) = (local_day(from), local_day(to));
    if b <= a {
        return 0;
    }
    match unit {
        LimitUnit::WorkingDays => a
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= b)
            .filter(|d| cal.is_workday(*d))
            .count() as u32,
        _ => (b - a).num_days() as u32,
    }
}

/// The deadline of step `k` (1-based) of the `n` steps left after acceptance: the limit is
/// shared evenly, the last step ending with the part.
pub fn step_deadline(
    cal: &WorkCalendar,
    limit: Limit,
    start: DateTime<Utc>,
    paused: u32,
    k: usize,
    n: usize,
) -> DateTime<Utc> {
    let n = n.max(1) as u32;
    let k = (k as u32).clamp(1, n);
    let share = Limit {
        amount: (limit.amount * k).div_ceil(n),
        unit: limit.unit,
    };
    deadline(cal, share, start, paused)
}

/// A part's clock as stored: its limit, when it started (if it has), the days stopped so far
/// and when it finished (if it has).
#[derive(Debug, Clone, Copy)]
pub struct PartClock {
    pub limit: Limit,
    pub started_at: Option<DateTime<Utc>>,
    pub paused: u32,
    pub done_at: Option<DateTime<Utc>>,
}

/// When each part will be done, projected along the DAG from the parts' clocks: a part not yet
/// started starts when the last part before it is done (or at acceptance). `order` lists the
/// parts in a topological order. The application's promised date is the latest of these.
pub fn projected(
    cal: &WorkCalendar,
    order: &[String],
    edges: &[(String, String)],
    clocks: &HashMap<String, PartClock>,
    accepted_at: DateTime<Utc>,
) -> HashMap<String, DateTime<Utc>> {
    let mut finish: HashMap<String, DateTime<Utc>> = HashMap::new();
    for m in order {
        let Some(c) = clocks.get(m) else { continue };
        let end = if let Some(done) = c.done_at {
            done
        } else if let Some(start) = c.started_at {
            deadline(cal, c.limit, start, c.paused)
        } else {
            let start = edges
                .iter()
                .filter(|(_, b)| b == m)
                .filter_map(|(a, _)| finish.get(a).copied())
                .max()
                .unwrap_or(accepted_at);
            deadline(cal, c.limit, start, c.paused)
        };
        finish.insert(m.clone(), end);
    }
    finish
}

/// The parts that may start once `done` are done: those whose every predecessor is done.
pub fn ready(parts: &[String], edges: &[(String, String)], done: &BTreeSet<String>) -> Vec<String> {
    parts
        .iter()
        .filter(|m| !done.contains(*m))
        .filter(|m| {
            edges
                .iter()
                .filter(|(_, b)| b == *m)
                .all(|(a, _)| done.contains(a))
        })
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Material, MaterialForm, MaterialSource, MatterType};

    fn spec(materials: Vec<(&str, Necessity, bool)>) -> MatterSpec {
        MatterSpec {
            basic_code: "000000000001".into(),
            code: "m".into(),
            name: "m".into(),
            matter_type: MatterType::PublicService,
            unit_code: "u".into(),
            level: "县级".into(),
            case_kind: CaseKind::Promised,
            legal_limit: Limit::working_days(20),
            promised_limit: Limit::working_days(5),
            conditions: String::new(),
            steps: vec!["受理".into(), "审查".into(), "决定".into()],
            visits: 1,
            fees: String::new(),
            place: "p".into(),
            hours: "h".into(),
            consult_phone: "1".into(),
            complaint_phone: "1".into(),
            online_depth: 2,
            summary: String::new(),
            materials: materials
                .into_iter()
                .map(|(name, necessity, issued)| Material {
                    name: name.into(),
                    necessity,
                    form: MaterialForm::Either,
                    copies: 1,
                    source: if issued {
                        MaterialSource::Issued { by: "u".into() }
                    } else {
                        MaterialSource::Applicant
                    },
                    standard: String::new(),
                    blank_form: String::new(),
                    sample: String::new(),
                })
                .collect(),
        }
    }

    fn names(v: &[Defect]) -> Vec<&str> {
        v.iter().map(|d| d.name.as_str()).collect()
    }

    #[test]
    fn every_missing_item_is_listed_at_once() {
        let a = spec(vec![
            ("身份证", Necessity::Required, false),
            ("户口簿", Necessity::Required, true),
            ("申请表", Necessity::Required, false),
            (
                "委托书",
                Necessity::Conditional {
                    condition: "委托他人办理的".into(),
                },
                false,
            ),
            ("照片", Necessity::Optional, false),
        ]);
        let b = spec(vec![
            ("身份证", Necessity::Required, false),
            ("出生证明", Necessity::Required, false),
        ]);
        let produced: BTreeSet<String> = ["出生证明".to_string()].into();
        let list = checklist(
            &[("a", &a), ("b", &b)],
            &produced,
            &Default::default(),
            false,
        );
        let listed: Vec<&str> = list.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(listed, vec!["身份证", "申请表", "委托书", "照片"]);
        assert_eq!(list[0].needed_by, vec!["a", "b"]);
        assert!(!list[2].required && !list[3].required);

        let none = defects(&list, &Handed::default()).unwrap();
        assert_eq!(names(&none), vec!["身份证", "申请表"]);
        let handed = Handed {
            provided: ["身份证".to_string()].into(),
            defective: vec![Defect {
                name: "身份证".into(),
                reason: "已过有效期".into(),
            }],
        };
        let d = defects(&list, &handed).unwrap();
        assert_eq!(names(&d), vec!["身份证", "申请表"]);
        assert_eq!(d[0].reason, "已过有效期");

        // An agent makes the power of attorney required.
        let with_agent = checklist(&[("a", &a)], &produced, &Default::default(), true);
        let d = defects(
            &with_agent,
            &Handed {
                provided: ["身份证".to_string(), "申请表".to_string()].into(),
                defective: vec![],
            },
        )
        .unwrap();
        assert_eq!(names(&d), vec!["委托书"]);
        assert!(d[0].reason.contains("委托他人办理的"));

        let unknown = defects(
            &list,
            &Handed {
                provided: ["结婚证".to_string()].into(),
                defective: vec![],
            },
        );
        assert_eq!(unknown, Err(vec!["结婚证".to_string()]));
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        china_offset()
            .with_ymd_and_hms(y, m, d, h, 0, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_clock_counts_working_days_and_stops() {
        let cal = WorkCalendar::default();
        // Accepted Friday 2026-11-27 at 10:00; 5 working days end with Friday 12-04.
        let start = at(2026, 11, 27, 10);
        let five = Limit::working_days(5);
        assert_eq!(deadline(&cal, five, start, 0), at(2026, 12, 5, 0));
        // 即办件: by the end of the day.
        assert_eq!(
            deadline(&cal, Limit::working_days(0), start, 0),
            at(2026, 11, 28, 0)
        );
        // Stopped from Monday to Wednesday: two working days off the clock.
        let stopped = paused_days(
            &cal,
            LimitUnit::WorkingDays,
            at(2026, 11, 30, 15),
            at(2026, 12, 2, 9),
        );
        assert_eq!(stopped, 2);
        assert_eq!(deadline(&cal, five, start, stopped), at(2026, 12, 9, 0));
        // A weekend stop costs nothing.
        assert_eq!(
            paused_days(
                &cal,
                LimitUnit::WorkingDays,
                at(2026, 11, 27, 16),
                at(2026, 11, 29, 9)
            ),
            0
        );
        // Steps share the limit: the first of three gets ⌈5/3⌉ = 2 working days (Monday and
        // Tuesday); the last ends with the part.
        assert_eq!(
            step_deadline(&cal, five, start, 0, 1, 3),
            at(2026, 12, 2, 0)
        );
        assert_eq!(
            step_deadline(&cal, five, start, 0, 3, 3),
            at(2026, 12, 5, 0)
        );
    }

    #[test]
    fn bundle_parts_follow_the_dag() {
        let cal = WorkCalendar::default();
        let accepted = at(2026, 11, 27, 10);
        let order: Vec<String> = ["cert", "hukou", "med", "card"].map(String::from).to_vec();
        let edges = vec![
            ("cert".to_string(), "hukou".to_string()),
            ("hukou".to_string(), "med".to_string()),
            ("hukou".to_string(), "card".to_string()),
        ];
        let clock = |days: u32| PartClock {
            limit: Limit::working_days(days),
            started_at: None,
            paused: 0,
            done_at: None,
        };
        let mut clocks: HashMap<String, PartClock> = [
            ("cert".to_string(), clock(0)),
            ("hukou".to_string(), clock(1)),
            ("med".to_string(), clock(0)),
            ("card".to_string(), clock(10)),
        ]
        .into();
        clocks.get_mut("cert").unwrap().started_at = Some(accepted);
        let p = projected(&cal, &order, &edges, &clocks, accepted);
        assert_eq!(p["cert"], at(2026, 11, 28, 0));
        // The next part counts from the day the one before ends: Monday is its first day.
        assert_eq!(p["hukou"], at(2026, 12, 1, 0));
        assert_eq!(p["card"], at(2026, 12, 15, 0));
        let all = p.values().max().unwrap();
        assert_eq!(*all, p["card"]);

        let none = BTreeSet::new();
        assert_eq!(ready(&order, &edges, &none), vec!["cert"]);
        let done: BTreeSet<String> = ["cert".to_string(), "hukou".to_string()].into();
        assert_eq!(ready(&order, &edges, &done), vec!["med", "card"]);
    }
}
