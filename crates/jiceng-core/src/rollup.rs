//! 数据驾驶舱 rollups: what each order adds to the county's figures, so that a dashboard sums a
//! few thousand rows instead of scanning millions of orders.
//!
//! An order counts in one row: the day it was received (Beijing time) and its place, category,
//! lead unit, channel and 诉求类型 *as they are now*, with counters for where it stands now
//! (dispatched, responded in time, replied, on time, closed, overdue, the callback's result, the
//! handling time). Every change to an order moves its contribution — out of the old row, into
//! the new — in the transaction of the change, so the table always equals a recomputation from
//! the orders; the figures of a period are those of the orders received in it (a cohort).

use crate::sla::Level;
use crate::work_order::State;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::Serialize;

/// The row an order counts in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Key {
    /// The day it was received, Beijing time.
    pub day: NaiveDate,
    /// Township and village codes ("" when unknown).
    pub township: String,
    pub village: String,
    /// The category code (the leaf; its levels are its prefixes).
    pub category: String,
    /// The lead unit's id (0 when not dispatched).
    pub unit: i64,
    pub channel: String,
    /// 诉求类型 code ("" when not said).
    pub kind: String,
}

/// What an order adds to its row. Integers only, so that sums in any order are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub received: i64,
    /// Not yet closed, withdrawn or merged.
    pub open: i64,
    pub dispatched: i64,
    /// Signed and first contacted in time (of those dispatched).
    pub responded: i64,
    pub replied: i64,
    /// Replied by the resolve deadline.
    pub on_time: i64,
    /// Seconds from dispatch to reply, of those replied.
    pub handling_seconds: i64,
    pub closed: i64,
    /// Open and past a deadline (red or 督办).
    pub overdue: i64,
    /// Open and close to a deadline (yellow).
    pub due_soon: i64,
    pub called_back: i64,
    pub resolved: i64,
    pub partly_resolved: i64,
    pub unresolved: i64,
    pub satisfied: i64,
    pub basically_satisfied: i64,
    pub dissatisfied: i64,
}

/// The counters' names, in the order of [`Counters::values`] (the table's columns).
pub const COUNTERS: [&str; 17] = [
    "received",
    "open",
    "dispatched",
    "responded",
    "replied",
    "on_time",
    "handling_seconds",
    "closed",
    "overdue",
    "due_soon",
    "called_back",
    "resolved",
    "partly_resolved",
    "unresolved",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
];

impl Counters {
    pub fn values(&self) -> [i64; 17] {
        [
            self.received,
            self.open,
            self.dispatched,
            self.responded,
            self.replied,
            self.on_time,
            self.handling_seconds,
            self.closed,
            self.overdue,
            self.due_soon,
            self.called_back,
            self.resolved,
            self.partly_resolved,
            self.unresolved,
            self.satisfied,
            self.basically_satisfied,
            self.dissatisfied,
        ]
    }

    pub fn from_values(v: [i64; 17]) -> Self {
        Self {
            received: v[0],
            open: v[1],
            dispatched: v[2],
            responded: v[3],
            replied: v[4],
            on_time: v[5],
            handling_seconds: v[6],
            closed: v[7],
            overdue: v[8],
            due_soon: v[9],
            called_back: v[10],
            resolved: v[11],
            partly_resolved: v[12],
            unresolved: v[13],
            satisfied: v[14],
            basically_satisfied: v[15],
            dissatisfied: v[16],
        }
    }

    fn zip(self, o: Self, f: impl Fn(i64, i64) -> i64) -> Self {
        let (a, b) = (self.values(), o.values());
        Self::from_values(std::array::from_fn(|i| f(a[i], b[i])))
    }

    pub fn plus(self, o: Self) -> Self {
        self.zip(o, |a, b| a + b)
    }

    pub fn minus(self, o: Self) -> Self {
        self.zip(o, |a, b| a - b)
    }

    pub fn is_zero(&self) -> bool {
        self.values().iter().all(|v| *v == 0)
    }
}

/// What the rollups need of an order.
#[derive(Debug, Clone)]
pub struct Facts {
    pub created_at: DateTime<Utc>,
    pub township: Option<String>,
    pub village: Option<String>,
    pub category: String,
    pub unit: Option<i64>,
    pub channel: String,
    pub kind: String,
    pub state: State,
    pub escalation: Level,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub signed_at: Option<DateTime<Utc>>,
    pub sign_by: Option<DateTime<Utc>>,
    pub contacted_at: Option<DateTime<Utc>>,
    pub contact_by: Option<DateTime<Utc>>,
    pub replied_at: Option<DateTime<Utc>>,
    pub resolve_by: Option<DateTime<Utc>>,
    /// Callback results as stored: `resolved` … and `satisfied` …, empty when not called back.
    pub resolution: String,
    pub satisfaction: String,
}

/// The row an order counts in and what it adds there.
pub fn contribution(f: &Facts) -> (Key, Counters) {
    let key = Key {
        day: f
            .created_at
            .with_timezone(&crate::clock::china_offset())
            .date_naive(),
        township: f.township.clone().unwrap_or_default(),
        village: f.village.clone().unwrap_or_default(),
        category: f.category.clone(),
        unit: f.unit.unwrap_or(0),
        channel: f.channel.clone(),
        kind: f.kind.clone(),
    };
    let open = !f.state.is_final();
    let in_time = |at: Option<DateTime<Utc>>, by: Option<DateTime<Utc>>| match (at, by) {
        (Some(a), Some(b)) => a <= b,
        (Some(_), None) => true,
        _ => false,
    };
    let dispatched = f.dispatched_at.is_some();
    let replied = match (f.replied_at, f.dispatched_at) {
        (Some(r), Some(d)) => Some((r - d).num_seconds().max(0)),
        _ => None,
    };
    let called_back = !f.resolution.is_empty();
    let b = |x: bool| i64::from(x);
    let c = Counters {
        received: 1,
        open: b(open),
        dispatched: b(dispatched),
        responded: b(dispatched
            && in_time(f.signed_at, f.sign_by)
            && in_time(f.contacted_at, f.contact_by)),
        replied: b(replied.is_some()),
        on_time: b(replied.is_some() && in_time(f.replied_at, f.resolve_by)),
        handling_seconds: replied.unwrap_or(0),
        closed: b(f.state == State::Closed),
        overdue: b(open && f.escalation >= Level::Red),
        due_soon: b(open && f.escalation == Level::Yellow),
        called_back: b(called_back),
        resolved: b(f.resolution == "resolved"),
        partly_resolved: b(f.resolution == "partly_resolved"),
        unresolved: b(f.resolution == "unresolved"),
        satisfied: b(called_back && f.satisfaction == "satisfied"),
        basically_satisfied: b(called_back && f.satisfaction == "basically_satisfied"),
        dissatisfied: b(called_back && f.satisfaction == "dissatisfied"),
    };
    (key, c)
}

/// How one change of an order moves the rollups: what to add to which rows (a negative
/// amount takes out). Nothing when the change moves no figure.
pub fn delta(before: Option<&Facts>, after: &Facts) -> Vec<(Key, Counters)> {
    let (k2, c2) = contribution(after);
    let Some(b) = before else {
        return vec![(k2, c2)];
    };
    let (k1, c1) = contribution(b);
    if k1 == k2 {
        let d = c2.minus(c1);
        if d.is_zero() { vec![] } else { vec![(k2, d)] }
    } else {
        vec![(k1, Counters::default().minus(c1)), (k2, c2)]
    }
}

/// The weights of the composite score and of 基本满意 in the satisfaction rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weights {
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
    /// How much a 基本满意 counts in 满意率 (0.8 by default).
    pub basically: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            response: 0.10,
            resolution: 0.45,
            satisfaction: 0.45,
            basically: 0.8,
        }
    }
}

/// The rates of a sum of counters (`None` where there is nothing to divide by).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Rates {
    /// 响应率: responded ÷ dispatched.
    pub response_rate: Option<f64>,
    /// 解决率: resolved ÷ called back.
    pub resolution_rate: Option<f64>,
    /// 满意率: (满意 + w × 基本满意) ÷ called back.
    pub satisfaction_rate: Option<f64>,
    pub composite: Option<f64>,
    /// Replied by the deadline ÷ replied.
    pub on_time_rate: Option<f64>,
    pub avg_handling_hours: Option<f64>,
}

pub fn rates(c: &Counters, w: Weights) -> Rates {
    let ratio = |a: f64, b: i64| (b > 0).then(|| a / b as f64);
    let response = ratio(c.responded as f64, c.dispatched);
    let resolution = ratio(c.resolved as f64, c.called_back);
    let satisfaction = ratio(
        c.satisfied as f64 + w.basically * c.basically_satisfied as f64,
        c.called_back,
    );
    let composite = match (response, resolution, satisfaction) {
        (Some(x), Some(y), Some(z)) => Some(w.response * x + w.resolution * y + w.satisfaction * z),
        _ => None,
    };
    Rates {
        response_rate: response,
        resolution_rate: resolution,
        satisfaction_rate: satisfaction,
        composite,
        on_time_rate: ratio(c.on_time as f64, c.replied),
        avg_handling_hours: ratio(c.handling_seconds as f64 / 3600.0, c.replied),
    }
}

/// A share of a total, in per cent to two decimals.
pub fn share(count: i64, total: i64) -> f64 {
    if total <= 0 {
        0.0
    } else {
        (count as f64 * 10_000.0 / total as f64).round() / 100.0
    }
}

/// A period of days, both ends included (Beijing time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// The period of the same length just before (环比).
    pub fn previous(&self) -> Period {
        let len = chrono::Duration::days(self.days());
        Period {
            from: self.from - len,
            to: self.to - len,
        }
    }

    /// The same days a year before (同比); 29 February falls on the 28th.
    pub fn year_before(&self) -> Period {
        let back = |d: NaiveDate| {
            d.with_year(d.year() - 1)
                .or_else(|| NaiveDate::from_ymd_opt(d.year() - 1, d.month(), 28))
                .unwrap_or(d)
        };
        Period {
            from: back(self.from),
            to: back(self.to),
        }
    }
}

/// The preset ranges of the cockpit, as of `today` (Beijing time): `today`, `yesterday`,
/// `week` (Monday to today), `last_week`, `month`, `last_month`, `quarter`, `last_quarter`,
/// `year`, `last_year`, `last_7_days`, `last_30_days`. `None` for another name.
pub fn preset(name: &str, today: NaiveDate) -> Option<Period> {
    let month_start = |d: NaiveDate| d.with_day(1).unwrap_or(d);
    let quarter_start = |d: NaiveDate| {
        NaiveDate::from_ymd_opt(d.year(), (d.month() - 1) / 3 * 3 + 1, 1).unwrap_or(d)
    };
    let monday = today - chrono::Duration::days(i64::from(today.weekday().num_days_from_monday()));
    let day = chrono::Duration::days(1);
    let p = |from, to| Some(Period { from, to });
    match name {
        "today" => p(today, today),
        "yesterday" => p(today - day, today - day),
        "week" => p(monday, today),
        "last_week" => p(monday - chrono::Duration::days(7), monday - day),
        "month" => p(month_start(today), today),
        "last_month" => {
            let end = month_start(today) - day;
            p(month_start(end), end)
        }
        "quarter" => p(quarter_start(today), today),
        "last_quarter" => {
            let end = quarter_start(today) - day;
            p(quarter_start(end), end)
        }
        "year" => p(NaiveDate::from_ymd_opt(today.year(), 1, 1)?, today),
        "last_year" => p(
            NaiveDate::from_ymd_opt(today.year() - 1, 1, 1)?,
            NaiveDate::from_ymd_opt(today.year() - 1, 12, 31)?,
        ),
        "last_7_days" => p(today - chrono::Duration::days(6), today),
        "last_30_days" => p(today - chrono::Duration::days(29), today),
        _ => None,
    }
}

/// The names of the presets, with their labels, for a range picker.
pub const PRESETS: [(&str, &str); 12] = [
    ("today", "今天"),
    ("yesterday", "昨天"),
    ("week", "本周"),
    ("last_week", "上周"),
    ("last_7_days", "近7天"),
    ("month", "本月"),
    ("last_month", "上月"),
    ("last_30_days", "近30天"),
    ("quarter", "本季度"),
    ("last_quarter", "上季度"),
    ("year", "今年"),
    ("last_year", "去年"),
];

/// The ISO week of a day, as `2026-W09`.
pub fn week_of(d: NaiveDate) -> String {
    let w = d.iso_week();
    format!("{}-W{:02}", w.year(), w.week())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn facts() -> Facts {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0).unwrap();
        Facts {
            created_at: t,
            township: Some("339901001000".into()),
            village: Some("339901001002".into()),
            category: "160103".into(),
            unit: None,
            channel: "hotline".into(),
            kind: String::new(),
            state: State::PendingDispatch,
            escalation: Level::None,
            dispatched_at: None,
            signed_at: None,
            sign_by: None,
            contacted_at: None,
            contact_by: None,
            replied_at: None,
            resolve_by: None,
            resolution: String::new(),
            satisfaction: String::new(),
        }
    }

    #[test]
    fn an_order_counts_on_its_day_in_beijing_and_moves_with_its_changes() {
        let f = facts();
        let (k, c) = contribution(&f);
        // 17:00 UTC is 01:00 the next day in Beijing.
        assert_eq!(k.day, NaiveDate::from_ymd_opt(2026, 3, 2).unwrap());
        assert_eq!((c.received, c.open, c.dispatched), (1, 1, 0));
        // Dispatched to a unit: out of the undispatched row, into the unit's.
        let mut g = f.clone();
        g.unit = Some(7);
        g.state = State::PendingSign;
        g.dispatched_at = Some(f.created_at);
        let d = delta(Some(&f), &g);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].1.received, -1);
        assert_eq!((d[1].0.unit, d[1].1.dispatched), (7, 1));
        // Replied in time and closed satisfied: one row changes.
        let mut h = g.clone();
        h.signed_at = Some(f.created_at + chrono::Duration::hours(1));
        h.contacted_at = h.signed_at;
        h.replied_at = Some(f.created_at + chrono::Duration::hours(5));
        h.resolve_by = Some(f.created_at + chrono::Duration::days(5));
        h.state = State::Closed;
        h.resolution = "resolved".into();
        h.satisfaction = "basically_satisfied".into();
        let d = delta(Some(&g), &h);
        assert_eq!(d.len(), 1);
        let c = d[0].1;
        assert_eq!((c.open, c.closed, c.replied, c.on_time), (-1, 1, 1, 1));
        assert_eq!(c.handling_seconds, 5 * 3600);
        assert_eq!(c.responded, 1);
        // Nothing moves, nothing is written.
        assert!(delta(Some(&h), &h).is_empty());
        let total = contribution(&h).1;
        let r = rates(&total, Weights::default());
        assert_eq!(r.resolution_rate, Some(1.0));
        assert_eq!(r.satisfaction_rate, Some(0.8));
        assert_eq!(r.avg_handling_hours, Some(5.0));
        assert!((r.composite.unwrap() - (0.1 + 0.45 + 0.45 * 0.8)).abs() < 1e-9);
        assert_eq!(share(1, 3), 33.33);
        assert_eq!(share(0, 0), 0.0);
    }

    #[test]
    fn presets_and_comparison_periods() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        let today = d(2026, 3, 4); // a Wednesday
        assert_eq!(
            preset("week", today),
            Some(Period {
                from: d(2026, 3, 2),
                to: today
            })
        );
        assert_eq!(
            preset("last_month", today),
            Some(Period {
                from: d(2026, 2, 1),
                to: d(2026, 2, 28)
            })
        );
        assert_eq!(
            preset("last_quarter", today),
            Some(Period {
                from: d(2025, 10, 1),
                to: d(2025, 12, 31)
            })
        );
        assert_eq!(preset("nope", today), None);
        let m = preset("month", today).unwrap();
        assert_eq!(
            m.previous(),
            Period {
                from: d(2026, 2, 25),
                to: d(2026, 2, 28)
            }
        );
        assert_eq!(
            m.year_before(),
            Period {
                from: d(2025, 3, 1),
                to: d(2025, 3, 4)
            }
        );
        let leap = Period {
            from: d(2028, 2, 29),
            to: d(2028, 2, 29),
        };
        assert_eq!(leap.year_before().from, d(2027, 2, 28));
        assert_eq!(week_of(d(2026, 1, 1)), "2026-W01");
    }
}
