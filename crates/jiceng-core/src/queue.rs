//! 排队叫号: ticket labels and the wait-time statistics (mean and p90, by group and hour) that
//! make a claim such as "45 minutes down to 15" checkable.

use serde::Serialize;
use std::collections::BTreeMap;

coded!(
    /// A queue ticket's state (号票状态).
    TicketStatus {
        Waiting = "waiting" / "等候中",
        Called = "called" / "已叫号",
        Done = "done" / "已办结",
        NoShow = "no_show" / "过号",
        Transferred = "transferred" / "已转组",
    }
);

/// A ticket's label: the group's prefix and a three-digit number (`A007`).
pub fn ticket_label(prefix: &str, number: i32) -> String {
    format!("{prefix}{number:03}")
}

/// One waited time: the group, the hour of the day it was issued (Beijing time), and the
/// seconds from issue to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wait {
    pub group: String,
    pub hour: u32,
    pub seconds: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WaitStat {
    pub group: String,
    /// `None`: the whole day.
    pub hour: Option<u32>,
    pub count: usize,
    pub mean_minutes: f64,
    pub p90_minutes: f64,
}

/// The nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (sorted.len() * p).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn stat(group: &str, hour: Option<u32>, mut secs: Vec<i64>) -> WaitStat {
    secs.sort_unstable();
    let n = secs.len();
    let minutes = |s: f64| (s / 60.0 * 10.0).round() / 10.0;
    WaitStat {
        group: group.to_string(),
        hour,
        count: n,
        mean_minutes: minutes(secs.iter().sum::<i64>() as f64 / n as f64),
        p90_minutes: minutes(percentile(&secs, 90) as f64),
    }
}

/// Mean and p90 waits by group (the whole day first, then each hour), in group order.
pub fn wait_stats(waits: &[Wait]) -> Vec<WaitStat> {
    let mut by: BTreeMap<&str, BTreeMap<u32, Vec<i64>>> = BTreeMap::new();
    for w in waits {
        by.entry(&w.group)
            .or_default()
            .entry(w.hour)
            .or_default()
            .push(w.seconds.max(0));
    }
    let mut out = Vec::new();
    for (group, hours) in by {
        out.push(stat(
            group,
            None,
            hours.values().flatten().copied().collect(),
        ));
        for (h, secs) in hours {
            out.push(stat(group, Some(h), secs));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_and_p90() {
        let waits: Vec<Wait> = (1..=10)
            .map(|i| Wait {
                group: "A".into(),
                hour: if i <= 5 { 9 } else { 10 },
                seconds: i * 60,
            })
            .collect();
        let s = wait_stats(&waits);
        assert_eq!(s.len(), 3);
        assert_eq!((s[0].hour, s[0].count), (None, 10));
        assert_eq!(s[0].mean_minutes, 5.5);
        assert_eq!(s[0].p90_minutes, 9.0);
        assert_eq!(
            (s[1].hour, s[1].mean_minutes, s[1].p90_minutes),
            (Some(9), 3.0, 5.0)
        );
        assert_eq!(ticket_label("B", 7), "B007");
    }
}
