//! 督办单: a written supervision order the supervision office issues to a unit that is late
//! with an order. It names its own deadline (in working days); when that passes while the unit
//! still owes the reply, the notice is missed and the order goes up to the county's leaders
//! (提级督办) — exactly once, like every escalation step.

use crate::sla::DeadlineKind;
use crate::work_order::{Progress, deadline_met};
use chrono::{DateTime, Datelike, NaiveDate, Utc};

coded!(
    /// Where a supervision notice stands.
    Status {
        Open = "open" / "督办中",
        Met = "met" / "已按期办理",
        Missed = "missed" / "逾期未办，已提级",
    }
);

/// The working days a notice may give, at most (and at least one).
pub const MAX_DAYS: u32 = 15;

/// What becomes of an open notice at `now`: met once the unit no longer owes the reply,
/// missed once its deadline has passed first, open until then.
pub fn settle(order: Progress, due_at: DateTime<Utc>, now: DateTime<Utc>) -> Status {
    if deadline_met(order, DeadlineKind::Resolve) {
        Status::Met
    } else if now >= due_at {
        Status::Missed
    } else {
        Status::Open
    }
}

/// The notice's printed number, `督字〔2026〕第12号`: the year of issue (Beijing time) and the
/// notice's own number.
pub fn number(issued_at: DateTime<Utc>, id: i64) -> String {
    let year = issued_at
        .with_timezone(&crate::clock::china_offset())
        .year();
    format!("督字〔{year}〕第{id}号")
}

/// Whole days an order is past its deadline at `now` (0 when it is not late).
pub fn days_overdue(due: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    if now <= due {
        0
    } else {
        (now - due).num_days().max(1)
    }
}

/// The week (Monday to Sunday, Beijing time) that holds `now`: its first instant and its
/// first and last days.
pub fn week_of(now: DateTime<Utc>) -> (DateTime<Utc>, NaiveDate, NaiveDate) {
    let local = now
        .with_timezone(&crate::clock::china_offset())
        .date_naive();
    let monday = local - chrono::Duration::days(i64::from(local.weekday().num_days_from_monday()));
    let start = monday
        .and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(crate::clock::china_offset()).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or(now);
    (start, monday, monday + chrono::Duration::days(6))
}

/// One unit's week in the bulletin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitWeek {
    pub unit: String,
    /// Open orders past their deadline now (红牌), and under 督办.
    pub red: u64,
    pub supervised: u64,
    /// 督办单 issued this week, and those missed this week (whenever issued).
    pub notices: u64,
    pub missed: u64,
}

/// The week's figures for the bulletin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Week {
    pub received: u64,
    pub closed: u64,
    pub units: Vec<UnitWeek>,
}

/// The draft of the week's 通报, as the supervision office sends it to units and leaders
/// (plain text to edit before it goes out): figures first, then the units named, the worst
/// first.
pub fn bulletin_text(county: &str, monday: NaiveDate, sunday: NaiveDate, w: &Week) -> String {
    let day = |d: NaiveDate| format!("{}月{}日", d.month(), d.day());
    let mut out = format!(
        "{county}12345热线办理情况通报（{}—{}）\n\n一、总体情况\n本周共受理群众诉求{}件，已办结{}件。",
        day(monday),
        day(sunday),
        w.received,
        w.closed
    );
    let late: Vec<&UnitWeek> = w
        .units
        .iter()
        .filter(|u| u.red + u.supervised > 0)
        .collect();
    let red: u64 = late.iter().map(|u| u.red + u.supervised).sum();
    let notices: u64 = w.units.iter().map(|u| u.notices).sum();
    let missed: u64 = w.units.iter().map(|u| u.missed).sum();
    out.push_str(&format!(
        "截至目前，超期未办结工单{red}件，涉及{}个单位；本周下发督办单{notices}件，逾期未办{missed}件。\n\n二、超期未办结情况\n",
        late.len()
    ));
    if late.is_empty() {
        out.push_str("无超期未办结工单。\n");
    } else {
        for (i, u) in late.iter().enumerate() {
            out.push_str(&format!(
                "{}. {}：超期{}件，其中督办{}件。\n",
                i + 1,
                u.unit,
                u.red + u.supervised,
                u.supervised
            ));
        }
    }
    out.push_str("\n三、督办单办理情况\n");
    let pressed: Vec<&UnitWeek> = w
        .units
        .iter()
        .filter(|u| u.notices + u.missed > 0)
        .collect();
    if pressed.is_empty() {
        out.push_str("本周未下发督办单，也没有逾期未办的督办单。\n");
    } else {
        for u in pressed {
            out.push_str(&format!(
                "{}：本周督办单{}件{}。\n",
                u.unit,
                u.notices,
                if u.missed > 0 {
                    format!("，逾期未办{}件，予以通报批评", u.missed)
                } else {
                    String::new()
                }
            ));
        }
    }
    out.push_str(
        "\n四、工作要求\n请上述单位对照清单逐件整改，于下周三前将办理情况书面报送督查督办室。",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::work_order::State;
    use chrono::TimeZone;

    fn order(state: State, replied: bool) -> Progress {
        Progress {
            state,
            signed: true,
            contacted: true,
            replied,
        }
    }

    #[test]
    fn a_notice_is_met_by_the_reply_and_missed_only_after_its_deadline() {
        let due = Utc.with_ymd_and_hms(2026, 3, 10, 9, 0, 0).unwrap();
        let before = due - chrono::Duration::hours(1);
        let after = due + chrono::Duration::seconds(1);
        assert_eq!(
            settle(order(State::InProgress, false), due, before),
            Status::Open
        );
        assert_eq!(
            settle(order(State::InProgress, false), due, due),
            Status::Missed
        );
        assert_eq!(settle(order(State::Replied, true), due, after), Status::Met);
        // Turned back and not answered again: still owed.
        assert_eq!(
            settle(order(State::InProgress, false), due, after),
            Status::Missed
        );
        assert_eq!(settle(order(State::Closed, true), due, after), Status::Met);
    }

    #[test]
    fn numbers_and_days_late() {
        let t = Utc.with_ymd_and_hms(2026, 12, 31, 17, 0, 0).unwrap();
        // 01:00 on 1 January in Beijing.
        assert_eq!(number(t, 7), "督字〔2027〕第7号");
        assert_eq!(days_overdue(t, t), 0);
        assert_eq!(days_overdue(t, t + chrono::Duration::hours(2)), 1);
        assert_eq!(days_overdue(t, t + chrono::Duration::days(3)), 3);
    }

    #[test]
    fn the_week_starts_on_monday_in_beijing_and_the_bulletin_names_late_units() {
        // Sunday 20:00 UTC is Monday 04:00 in Beijing.
        let t = Utc.with_ymd_and_hms(2026, 11, 29, 20, 0, 0).unwrap();
        let (start, mon, sun) = week_of(t);
        assert_eq!(mon, NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
        assert_eq!(sun, NaiveDate::from_ymd_opt(2026, 12, 6).unwrap());
        assert_eq!(start, Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap());
        let w = Week {
            received: 120,
            closed: 80,
            units: vec![
                UnitWeek {
                    unit: "县住建局".into(),
                    red: 3,
                    supervised: 1,
                    notices: 2,
                    missed: 1,
                },
                UnitWeek {
                    unit: "县水利局".into(),
                    ..Default::default()
                },
            ],
        };
        let text = bulletin_text("某县", mon, sun, &w);
        assert!(text.starts_with("某县12345热线办理情况通报（11月30日—12月6日）"));
        assert!(text.contains("本周共受理群众诉求120件，已办结80件"));
        assert!(text.contains("超期未办结工单4件，涉及1个单位"));
        assert!(text.contains("1. 县住建局：超期4件，其中督办1件。"));
        assert!(text.contains("县住建局：本周督办单2件，逾期未办1件"));
        assert!(!text.contains("县水利局"));
        let quiet = bulletin_text("某县", mon, sun, &Week::default());
        assert!(quiet.contains("无超期未办结工单") && quiet.contains("本周未下发督办单"));
    }
}
