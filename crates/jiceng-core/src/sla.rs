//! Service levels (时限策略) and escalation (督查督办).
//!
//! A policy gives three limits — sign (签收), first contact (首次联系) and resolve (办结) — and
//! the escalation thresholds as shares of each limit: a yellow warning at 80%, red (催办) at
//! 100%, 督办 at 150% by default. Each step happens once per order and deadline; the scheduler
//! records it under that key.

use crate::calendar::{Limit, WorkCalendar, fraction_point};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    Urgent,
    Expedited,
    Normal,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Self::Urgent, Self::Expedited, Self::Normal];

    pub fn code(self) -> &'static str {
        match self {
            Self::Urgent => "urgent",
            Self::Expedited => "expedited",
            Self::Normal => "normal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Urgent => "紧急",
            Self::Expedited => "加急",
            Self::Normal => "一般",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    Sign,
    Contact,
    Resolve,
}

impl DeadlineKind {
    pub const ALL: [DeadlineKind; 3] = [Self::Sign, Self::Contact, Self::Resolve];

    pub fn code(self) -> &'static str {
        match self {
            Self::Sign => "sign",
            Self::Contact => "contact",
            Self::Resolve => "resolve",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Sign => "签收",
            Self::Contact => "首次联系",
            Self::Resolve => "办结",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    None,
    /// 黄牌预警 to the handler.
    Yellow,
    /// 红牌催办 to the handler and the unit head.
    Red,
    /// 督办 by the supervision office; the order is flagged.
    Supervised,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Yellow => "yellow",
            Self::Red => "red",
            Self::Supervised => "supervised",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::None => "正常",
            Self::Yellow => "黄牌预警",
            Self::Red => "红牌催办",
            Self::Supervised => "督办",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::None, Self::Yellow, Self::Red, Self::Supervised]
            .into_iter()
            .find(|l| l.code() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thresholds {
    pub yellow_percent: u32,
    pub red_percent: u32,
    pub supervise_percent: u32,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            yellow_percent: 80,
            red_percent: 100,
            supervise_percent: 150,
        }
    }
}

impl Thresholds {
    pub fn steps(&self) -> [(Level, u32); 3] {
        [
            (Level::Yellow, self.yellow_percent),
            (Level::Red, self.red_percent),
            (Level::Supervised, self.supervise_percent),
        ]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub sign: Limit,
    pub contact: Limit,
    pub resolve: Limit,
    pub thresholds: Thresholds,
}

impl Policy {
    /// The defaults: 紧急 30 min / 1 h / 2 h, 加急 2 h / 12 h / 24 h, 一般 1 / 1 / 5 working days.
    pub fn default_for(p: Priority) -> Self {
        let (sign, contact, resolve) = match p {
            Priority::Urgent => (Limit::minutes(30), Limit::hours(1), Limit::hours(2)),
            Priority::Expedited => (Limit::hours(2), Limit::hours(12), Limit::hours(24)),
            Priority::Normal => (
                Limit::working_days(1),
                Limit::working_days(1),
                Limit::working_days(5),
            ),
        };
        Self {
            sign,
            contact,
            resolve,
            thresholds: Thresholds::default(),
        }
    }

    pub fn limit(&self, k: DeadlineKind) -> Limit {
        match k {
            DeadlineKind::Sign => self.sign,
            DeadlineKind::Contact => self.contact,
            DeadlineKind::Resolve => self.resolve,
        }
    }

    pub fn deadlines(&self, cal: &WorkCalendar, dispatched_at: DateTime<Utc>) -> Deadlines {
        Deadlines {
            sign_by: self.sign.deadline(cal, dispatched_at),
            contact_by: self.contact.deadline(cal, dispatched_at),
            resolve_by: self.resolve.deadline(cal, dispatched_at),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlines {
    pub sign_by: DateTime<Utc>,
    pub contact_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
}

impl Deadlines {
    pub fn get(&self, k: DeadlineKind) -> DateTime<Utc> {
        match k {
            DeadlineKind::Sign => self.sign_by,
            DeadlineKind::Contact => self.contact_by,
            DeadlineKind::Resolve => self.resolve_by,
        }
    }
}

/// One escalation step of one deadline of one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Step {
    pub kind: DeadlineKind,
    pub level: Level,
    pub at: DateTime<Utc>,
}

/// Every step of a deadline running from `start` to `due`, in order.
pub fn steps_for(
    kind: DeadlineKind,
    start: DateTime<Utc>,
    due: DateTime<Utc>,
    t: &Thresholds,
) -> Vec<Step> {
    t.steps()
        .into_iter()
        .map(|(level, pct)| Step {
            kind,
            level,
            at: fraction_point(start, due, pct),
        })
        .collect()
}

/// Steps due by `now` for the deadlines not yet met, in time order. `start(kind)` is when each
/// deadline started running (a reopened order restarts its resolve deadline); `met(kind)` says
/// whether it was met (signed, contacted, replied).
pub fn due_steps(
    start: impl Fn(DeadlineKind) -> DateTime<Utc>,
    d: &Deadlines,
    t: &Thresholds,
    now: DateTime<Utc>,
    met: impl Fn(DeadlineKind) -> bool,
) -> Vec<Step> {
    let mut out: Vec<Step> = DeadlineKind::ALL
        .into_iter()
        .filter(|k| !met(*k))
        .flat_map(|k| steps_for(k, start(k), d.get(k), t))
        .filter(|s| s.at <= now)
        .collect();
    out.sort_by_key(|s| (s.at, s.kind, s.level));
    out
}

/// When the next step falls due, if any: what the scheduler indexes on.
pub fn next_step_at(
    start: impl Fn(DeadlineKind) -> DateTime<Utc>,
    d: &Deadlines,
    t: &Thresholds,
    after: DateTime<Utc>,
    met: impl Fn(DeadlineKind) -> bool,
) -> Option<DateTime<Utc>> {
    DeadlineKind::ALL
        .into_iter()
        .filter(|k| !met(*k))
        .flat_map(|k| steps_for(k, start(k), d.get(k), t))
        .map(|s| s.at)
        .filter(|at| *at > after)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn the_fire_lane_timetable() {
        let start = DateTime::parse_from_rfc3339("2026-03-02T10:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let p = Policy::default_for(Priority::Urgent);
        let d = p.deadlines(&WorkCalendar::default(), start);
        let mins = |s: &Step| (s.at - start).num_minutes();
        // Nobody signs.
        let steps = due_steps(
            |_| start,
            &d,
            &p.thresholds,
            start + Duration::hours(5),
            |k| k != DeadlineKind::Sign,
        );
        assert_eq!(steps.iter().map(mins).collect::<Vec<_>>(), vec![24, 30, 45]);
        // Signed and contacted at once, never resolved.
        let steps = due_steps(
            |_| start,
            &d,
            &p.thresholds,
            start + Duration::hours(5),
            |k| k != DeadlineKind::Resolve,
        );
        assert_eq!(
            steps.iter().map(mins).collect::<Vec<_>>(),
            vec![96, 120, 180]
        );
        assert_eq!(
            steps.iter().map(|s| s.level).collect::<Vec<_>>(),
            vec![Level::Yellow, Level::Red, Level::Supervised]
        );
        // The next step after 100 minutes is red at 120.
        let next = next_step_at(
            |_| start,
            &d,
            &p.thresholds,
            start + Duration::minutes(100),
            |k| k != DeadlineKind::Resolve,
        );
        assert_eq!(next, Some(start + Duration::minutes(120)));
        assert_eq!(
            next_step_at(|_| start, &d, &p.thresholds, start, |_| true),
            None
        );
    }
}

crate::stored_code!(Priority, Level);
