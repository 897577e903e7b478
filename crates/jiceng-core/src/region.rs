//! Administrative regions (区划) and their 12-digit statistical codes.
//!
//! A code is `PPCCDDTTTVVV`: province, city, county (6 digits), township (3), village (3).
//! Within one county the level and the parent follow from the code itself, and a region's
//! subtree is every code that starts with its significant prefix.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    County,
    Township,
    Village,
}

impl RegionLevel {
    pub const ALL: [RegionLevel; 3] = [Self::County, Self::Township, Self::Village];

    pub fn code(self) -> &'static str {
        match self {
            Self::County => "county",
            Self::Township => "township",
            Self::Village => "village",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::County => "县（区）",
            Self::Township => "乡镇（街道）",
            Self::Village => "村（社区）",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.code() == s)
    }

    /// Length of the code prefix that identifies a region of this level.
    fn prefix_len(self) -> usize {
        match self {
            Self::County => 6,
            Self::Township => 9,
            Self::Village => 12,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionCodeError {
    #[error("区划代码必须是12位数字")]
    Format,
    #[error("区划代码的县级部分不能为0")]
    NoCounty,
}

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, RegionCodeError> {
        let s = s.trim();
        if s.len() != 12 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionCodeError::Format);
        }
        if &s[4..6] == "00" {
            return Err(RegionCodeError::NoCounty);
        }
        Ok(Self(s.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn level(&self) -> RegionLevel {
        if &self.0[6..] == "000000" {
            RegionLevel::County
        } else if &self.0[9..] == "000" {
            RegionLevel::Township
        } else {
            RegionLevel::Village
        }
    }

    /// The parent region's code within the county, or `None` for a county.
    pub fn parent(&self) -> Option<RegionCode> {
        match self.level() {
            RegionLevel::County => None,
            RegionLevel::Township => Some(Self(format!("{}000000", &self.0[..6]))),
            RegionLevel::Village => Some(Self(format!("{}000", &self.0[..9]))),
        }
    }

    /// Codes of this region and every region above it, from the county down.
    pub fn lineage(&self) -> Vec<RegionCode> {
        let mut out = vec![self.clone()];
        while let Some(p) = out.last().and_then(|c| c.parent()) {
            out.push(p);
        }
        out.reverse();
        out
    }

    /// The prefix shared by every code in this region's subtree.
    pub fn subtree_prefix(&self) -> &str {
        &self.0[..self.level().prefix_len()]
    }

    /// Whether `other` is this region or lies below it.
    pub fn contains(&self, other: &RegionCode) -> bool {
        other.0.starts_with(self.subtree_prefix())
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(c: RegionCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_parents() {
        let v = RegionCode::parse("330110001002").unwrap();
        assert_eq!(v.level(), RegionLevel::Village);
        let t = v.parent().unwrap();
        assert_eq!(t.as_str(), "330110001000");
        assert_eq!(t.level(), RegionLevel::Township);
        let c = t.parent().unwrap();
        assert_eq!(c.as_str(), "330110000000");
        assert_eq!(c.level(), RegionLevel::County);
        assert!(c.parent().is_none());
        assert_eq!(v.lineage(), vec![c.clone(), t.clone(), v.clone()]);
    }

    #[test]
    fn subtree_containment() {
        let c = RegionCode::parse("330110000000").unwrap();
        let t1 = RegionCode::parse("330110001000").unwrap();
        let t2 = RegionCode::parse("330110002000").unwrap();
        let v = RegionCode::parse("330110001007").unwrap();
        assert!(c.contains(&v) && c.contains(&t2));
        assert!(t1.contains(&v) && t1.contains(&t1));
        assert!(!t2.contains(&v));
        assert!(!v.contains(&t1));
    }

    #[test]
    fn rejects_bad_codes() {
        for bad in ["", "12345", "33011000100a", "0000000000001", "000000001000"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad}");
        }
    }
}

crate::stored_code!(RegionLevel);
