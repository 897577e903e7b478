//! 好差评: the five levels, the national dimensions of offline and online ratings, and monthly
//! rankings with the bottom tenth flagged and those flagged two months running marked for
//! review.

use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

coded!(
    /// A 差评's rectification (整改) state.
    RectStatus {
        Open = "open" / "待联系",
        Contacted = "contacted" / "整改中",
        Answered = "answered" / "已答复",
        Closed = "closed" / "已办结",
    }
);

coded!(
    /// A desk case's (办不成事反映) state.
    DeskStatus {
        Open = "open" / "办理中",
        Resolved = "resolved" / "已办结",
    }
);

/// The five levels; the score is 5 (非常满意) down to 1 (非常不满意).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    VerySatisfied,
    Satisfied,
    Fair,
    Dissatisfied,
    VeryDissatisfied,
}

impl Level {
    pub const ALL: [Level; 5] = [
        Self::VerySatisfied,
        Self::Satisfied,
        Self::Fair,
        Self::Dissatisfied,
        Self::VeryDissatisfied,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::VerySatisfied => "very_satisfied",
            Self::Satisfied => "satisfied",
            Self::Fair => "fair",
            Self::Dissatisfied => "dissatisfied",
            Self::VeryDissatisfied => "very_dissatisfied",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::VerySatisfied => "非常满意",
            Self::Satisfied => "满意",
            Self::Fair => "基本满意",
            Self::Dissatisfied => "不满意",
            Self::VeryDissatisfied => "非常不满意",
        }
    }

    pub fn score(self) -> u8 {
        5 - Self::ALL.iter().position(|l| *l == self).unwrap_or(0) as u8
    }

    pub fn from_score(score: u8) -> Option<Self> {
        (1..=5)
            .contains(&score)
            .then(|| Self::ALL[(5 - score) as usize])
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == s)
    }

    /// 差评: 不满意 and 非常不满意 open a rectification task.
    pub fn is_bad(self) -> bool {
        self.score() <= 2
    }
}

/// Where the service was rated, each with its national dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatingChannel {
    Offline,
    Online,
}

impl RatingChannel {
    pub fn code(self) -> &'static str {
        match self {
            Self::Offline => "offline",
            Self::Online => "online",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Offline => "线下（窗口）",
            Self::Online => "线上",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "offline" => Some(Self::Offline),
            "online" => Some(Self::Online),
            _ => None,
        }
    }

    pub fn dimensions(self) -> &'static [&'static str] {
        match self {
            Self::Offline => &["整体满意度", "服务效率", "服务水平", "服务态度"],
            Self::Online => &[
                "整体满意度",
                "办事效率",
                "办事指南精确度",
                "办事便捷度",
                "平台操作性",
            ],
        }
    }
}

/// The ratings of one window, staff member, matter or unit in a month.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub key: String,
    pub name: String,
    pub scores: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ranked {
    pub rank: usize,
    pub key: String,
    pub name: String,
    pub count: usize,
    /// Mean score, 1–5.
    pub mean: f64,
    /// Share rated 基本满意 or better, in per cent.
    pub satisfaction: f64,
    pub bad: usize,
    /// In the bottom tenth this month.
    pub flagged: bool,
    /// Flagged this month and the month before: to be reviewed.
    pub review: bool,
}

/// Ranks groups by mean score (ties: more ratings first, then key), flags the bottom tenth
/// (at least one when there are two groups or more), and marks for review those flagged in
/// `flagged_before` too.
pub fn rank(groups: Vec<Group>, flagged_before: &BTreeSet<String>) -> Vec<Ranked> {
    let mut out: Vec<Ranked> = groups
        .into_iter()
        .filter(|g| !g.scores.is_empty())
        .map(|g| {
            let n = g.scores.len();
            let sum: u32 = g.scores.iter().map(|s| *s as u32).sum();
            let good = g.scores.iter().filter(|s| **s >= 3).count();
            Ranked {
                rank: 0,
                count: n,
                mean: (sum as f64 / n as f64 * 100.0).round() / 100.0,
                satisfaction: (good as f64 * 1000.0 / n as f64).round() / 10.0,
                bad: n - good,
                flagged: false,
                review: false,
                key: g.key,
                name: g.name,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        b.mean
            .total_cmp(&a.mean)
            .then(b.count.cmp(&a.count))
            .then(a.key.cmp(&b.key))
    });
    let n = out.len();
    let flagged = if n >= 2 { n.div_ceil(10) } else { 0 };
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i + 1;
        r.flagged = i >= n - flagged;
        r.review = r.flagged && flagged_before.contains(&r.key);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(key: &str, scores: &[u8]) -> Group {
        Group {
            key: key.into(),
            name: key.into(),
            scores: scores.to_vec(),
        }
    }

    #[test]
    fn levels_and_scores() {
        assert_eq!(Level::VerySatisfied.score(), 5);
        assert_eq!(Level::VeryDissatisfied.score(), 1);
        assert_eq!(Level::from_score(3), Some(Level::Fair));
        assert_eq!(Level::from_score(0), None);
        assert!(Level::Dissatisfied.is_bad() && !Level::Fair.is_bad());
    }

    #[test]
    fn the_bottom_tenth_is_flagged_and_twice_reviewed() {
        let mut groups: Vec<Group> = (0..11)
            .map(|i| g(&format!("w{i:02}"), &[5, 5, 4]))
            .collect();
        groups.push(g("bad", &[1, 2, 3]));
        groups.push(g("worse", &[1, 1]));
        groups.push(g("none", &[]));
        let before: BTreeSet<String> = ["worse".to_string()].into();
        let r = rank(groups, &before);
        assert_eq!(r.len(), 13, "groups without ratings are not ranked");
        // 13 groups: the bottom two are flagged.
        let flagged: Vec<&str> = r
            .iter()
            .filter(|x| x.flagged)
            .map(|x| x.key.as_str())
            .collect();
        assert_eq!(flagged, vec!["bad", "worse"]);
        let worse = r.iter().find(|x| x.key == "worse").unwrap();
        assert!(worse.review && worse.rank == 13 && worse.bad == 2);
        assert!(!r.iter().find(|x| x.key == "bad").unwrap().review);
        assert_eq!(r[0].mean, 4.67);
        assert_eq!(r[0].satisfaction, 100.0);
        // One group alone is never flagged.
        assert!(!rank(vec![g("only", &[1])], &before)[0].flagged);
    }
}

crate::stored_code!(Level, RatingChannel);
