//! 接诉即办 metrics (响应率 / 解决率 / 满意率 and the composite score) per unit, township or
//! category, from the facts of each order.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the metrics need of one order.
#[derive(Debug, Clone, Default)]
pub struct OrderFacts {
    pub group: String,
    pub dispatched: bool,
    pub signed_in_time: bool,
    pub contacted_in_time: bool,
    /// Callback result: `resolved`, `partly_resolved`, `unresolved`, or empty when not called back.
    pub resolution: String,
    /// `satisfied`, `basically_satisfied`, `dissatisfied`, or empty.
    pub satisfaction: String,
    pub replied_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub resolve_by: Option<DateTime<Utc>>,
    pub send_backs: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Weights {
    pub response: f64,
    pub resolution: f64,
    pub satisfaction: f64,
}

impl Default for Weights {
    /// 10% 响应 + 45% 解决 + 45% 满意.
    fn default() -> Self {
        Self {
            response: 0.10,
            resolution: 0.45,
            satisfaction: 0.45,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GroupMetrics {
    pub group: String,
    pub orders: u64,
    pub dispatched: u64,
    pub called_back: u64,
    /// Signed and contacted in time ÷ dispatched.
    pub response_rate: Option<f64>,
    /// 解决 ÷ called back.
    pub resolution_rate: Option<f64>,
    /// (满意 + 0.8 × 基本满意) ÷ called back.
    pub satisfaction_rate: Option<f64>,
    pub composite: Option<f64>,
    /// Replied by the resolve deadline ÷ replied.
    pub on_time_rate: Option<f64>,
    pub average_handling_hours: Option<f64>,
    /// Send-backs ÷ dispatched: a 推诿 signal.
    pub send_back_rate: Option<f64>,
}

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

/// Metrics per group, best composite first (groups without a composite last).
pub fn compute(orders: &[OrderFacts], w: Weights) -> Vec<GroupMetrics> {
    #[derive(Default)]
    struct Acc {
        orders: u64,
        dispatched: u64,
        responded: u64,
        called_back: u64,
        resolved: u64,
        satisfied: f64,
        replied: u64,
        on_time: u64,
        hours: f64,
        send_backs: u64,
    }
    let mut groups: BTreeMap<&str, Acc> = BTreeMap::new();
    for o in orders {
        let a = groups.entry(o.group.as_str()).or_default();
        a.orders += 1;
        if o.dispatched {
            a.dispatched += 1;
            if o.signed_in_time && o.contacted_in_time {
                a.responded += 1;
            }
        }
        if !o.resolution.is_empty() {
            a.called_back += 1;
            if o.resolution == "resolved" {
                a.resolved += 1;
            }
            a.satisfied += match o.satisfaction.as_str() {
                "satisfied" => 1.0,
                "basically_satisfied" => 0.8,
                _ => 0.0,
            };
        }
        if let (Some(r), Some(d)) = (o.replied_at, o.dispatched_at) {
            a.replied += 1;
            a.hours += (r - d).num_seconds() as f64 / 3600.0;
            if o.resolve_by.is_some_and(|due| r <= due) {
                a.on_time += 1;
            }
        }
        a.send_backs += o.send_backs as u64;
    }
    let mut out: Vec<GroupMetrics> = groups
        .into_iter()
        .map(|(g, a)| {
            let response = ratio(a.responded, a.dispatched);
            let resolution = ratio(a.resolved, a.called_back);
            let satisfaction = (a.called_back > 0).then(|| a.satisfied / a.called_back as f64);
            let composite = match (response, resolution, satisfaction) {
                (Some(x), Some(y), Some(z)) => {
                    Some(w.response * x + w.resolution * y + w.satisfaction * z)
                }
                _ => None,
            };
            GroupMetrics {
                group: g.to_string(),
                orders: a.orders,
                dispatched: a.dispatched,
                called_back: a.called_back,
                response_rate: response,
                resolution_rate: resolution,
                satisfaction_rate: satisfaction,
                composite,
                on_time_rate: ratio(a.on_time, a.replied),
                average_handling_hours: (a.replied > 0).then(|| a.hours / a.replied as f64),
                send_back_rate: ratio(a.send_backs, a.dispatched),
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.composite
            .unwrap_or(-1.0)
            .total_cmp(&a.composite.unwrap_or(-1.0))
            .then(a.group.cmp(&b.group))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_follow_the_formulas() {
        let t = |h: i64| DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap();
        let base = OrderFacts {
            group: "城管".into(),
            dispatched: true,
            signed_in_time: true,
            contacted_in_time: true,
            dispatched_at: Some(t(0)),
            resolve_by: Some(t(10)),
            ..Default::default()
        };
        let orders = vec![
            OrderFacts {
                resolution: "resolved".into(),
                satisfaction: "satisfied".into(),
                replied_at: Some(t(4)),
                ..base.clone()
            },
            OrderFacts {
                resolution: "resolved".into(),
                satisfaction: "basically_satisfied".into(),
                replied_at: Some(t(12)),
                ..base.clone()
            },
            OrderFacts {
                resolution: "unresolved".into(),
                satisfaction: "dissatisfied".into(),
                signed_in_time: false,
                send_backs: 1,
                ..base.clone()
            },
            OrderFacts {
                group: "水务".into(),
                ..base.clone()
            },
        ];
        let m = compute(&orders, Weights::default());
        let cg = m.iter().find(|g| g.group == "城管").unwrap();
        assert_eq!(cg.orders, 3);
        assert!((cg.response_rate.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!((cg.resolution_rate.unwrap() - 2.0 / 3.0).abs() < 1e-9);
        assert!((cg.satisfaction_rate.unwrap() - 1.8 / 3.0).abs() < 1e-9);
        let want = 0.1 * (2.0 / 3.0) + 0.45 * (2.0 / 3.0) + 0.45 * (1.8 / 3.0);
        assert!((cg.composite.unwrap() - want).abs() < 1e-9);
        assert_eq!(cg.on_time_rate, Some(0.5));
        assert_eq!(cg.average_handling_hours, Some(8.0));
        assert!((cg.send_back_rate.unwrap() - 1.0 / 3.0).abs() < 1e-9);
        // A group nobody called back has no composite and ranks last.
        assert_eq!(m.last().unwrap().group, "水务");
        assert_eq!(m.last().unwrap().composite, None);
    }
}
