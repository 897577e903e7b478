//! The working-day calendar (工作日历) and deadlines (时限).
//!
//! A day is a working day when it is Monday to Friday, unless the calendar says otherwise:
//! statutory holidays are off, adjusted workdays (调休上班) on. Times are UTC; days are counted
//! in Beijing time.

use crate::clock::china_offset;
use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One day that differs from the Monday-to-Friday rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecialDay {
    pub date: NaiveDate,
    /// `true`: a holiday; `false`: an adjusted workday.
    pub off: bool,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    special: BTreeMap<NaiveDate, (bool, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("日历文件格式不正确：{0}")]
    Format(String),
}

#[derive(Deserialize)]
struct HolidayCnFile {
    days: Vec<HolidayCnDay>,
}

#[derive(Deserialize)]
struct HolidayCnDay {
    name: String,
    date: NaiveDate,
    #[serde(rename = "isOffDay")]
    is_off_day: bool,
}

/// Parses one year of NateScarlet/holiday-cn JSON.
pub fn parse_holiday_cn(json: &str) -> Result<Vec<SpecialDay>, CalendarError> {
    let f: HolidayCnFile =
        serde_json::from_str(json).map_err(|e| CalendarError::Format(e.to_string()))?;
    Ok(f.days
        .into_iter()
        .map(|d| SpecialDay {
            date: d.date,
            off: d.is_off_day,
            name: d.name,
        })
        .collect())
}

impl WorkCalendar {
    pub fn new(days: impl IntoIterator<Item = SpecialDay>) -> Self {
        Self {
            special: days
                .into_iter()
                .map(|d| (d.date, (d.off, d.name)))
                .collect(),
        }
    }

    pub fn is_workday(&self, d: NaiveDate) -> bool {
        match self.special.get(&d) {
            Some((off, _)) => !off,
            None => !matches!(d.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The holiday or adjusted-workday name of a day, if it has one.
    pub fn name_of(&self, d: NaiveDate) -> Option<&str> {
        self.special.get(&d).map(|(_, n)| n.as_str())
    }

    /// The `n`-th working day after `date` (not counting `date` itself).
    pub fn nth_workday_after(&self, date: NaiveDate, n: u32) -> NaiveDate {
        let mut d = date;
        let mut left = n;
        while left > 0 {
            d = d.checked_add_days(Days::new(1)).expect("date in range");
            if self.is_workday(d) {
                left -= 1;
            }
        }
        d
    }
}

/// Units a time limit is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitUnit {
    Minutes,
    Hours,
    NaturalDays,
    WorkingDays,
}

impl LimitUnit {
    pub fn label(self) -> &'static str {
        match self {
            Self::Minutes => "分钟",
            Self::Hours => "小时",
            Self::NaturalDays => "自然日",
            Self::WorkingDays => "个工作日",
        }
    }
}

/// A time limit such as "30 minutes" or "5 working days".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limit {
    pub amount: u32,
    pub unit: LimitUnit,
}

impl Limit {
    pub const fn minutes(amount: u32) -> Self {
        Self {
            amount,
            unit: LimitUnit::Minutes,
        }
    }
    pub const fn hours(amount: u32) -> Self {
        Self {
            amount,
            unit: LimitUnit::Hours,
        }
    }
    pub const fn working_days(amount: u32) -> Self {
        Self {
            amount,
            unit: LimitUnit::WorkingDays,
        }
    }

    /// The deadline of this limit started at `start`. Working days end at midnight (Beijing
    /// time) of the `amount`-th working day after the start day; the start day never counts.
    pub fn deadline(&self, cal: &WorkCalendar, start: DateTime<Utc>) -> DateTime<Utc> {
        match self.unit {
            LimitUnit::Minutes => start + Duration::minutes(self.amount as i64),
            LimitUnit::Hours => start + Duration::hours(self.amount as i64),
            LimitUnit::NaturalDays => start + Duration::days(self.amount as i64),
            LimitUnit::WorkingDays => {
                let tz = china_offset();
                let local_day = start.with_timezone(&tz).date_naive();
                let last = cal.nth_workday_after(local_day, self.amount);
                let end = last
                    .checked_add_days(Days::new(1))
                    .expect("date in range")
                    .and_time(NaiveTime::MIN);
                tz.from_local_datetime(&end)
                    .single()
                    .expect("fixed offset is unambiguous")
                    .with_timezone(&Utc)
            }
        }
    }

    pub fn describe(&self) -> String {
        format!("{}{}", self.amount, self.unit.label())
    }
}

/// The instant a given share of the time from `start` to `deadline` has passed (80% → the
/// yellow warning, 150% → 督办).
pub fn fraction_point(
    start: DateTime<Utc>,
    deadline: DateTime<Utc>,
    percent: u32,
) -> DateTime<Utc> {
    let span = (deadline - start).num_seconds().max(0);
    start + Duration::seconds(span * percent as i64 / 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cal2025() -> WorkCalendar {
        let json = r#"{"year":2025,"days":[
            {"name":"国庆节、中秋节","date":"2025-09-28","isOffDay":false},
            {"name":"国庆节、中秋节","date":"2025-10-01","isOffDay":true},
            {"name":"国庆节、中秋节","date":"2025-10-02","isOffDay":true},
            {"name":"国庆节、中秋节","date":"2025-10-03","isOffDay":true},
            {"name":"国庆节、中秋节","date":"2025-10-04","isOffDay":true},
            {"name":"国庆节、中秋节","date":"2025-10-05","isOffDay":true},
            {"name":"国庆节、中秋节","date":"2025-10-06","isOffDay":true},
            {"name":"国庆节、中秋节","date":"2025-10-07","isOffDay":true},
            {"name":"国庆节、中秋节","date":"2025-10-08","isOffDay":true},
            {"name":"国庆节、中秋节","date":"2025-10-11","isOffDay":false}]}"#;
        WorkCalendar::new(parse_holiday_cn(json).unwrap())
    }

    fn beijing(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn weekends_holidays_and_adjusted_workdays() {
        let c = cal2025();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(c.is_workday(d("2025-09-26"))); // Friday
        assert!(!c.is_workday(d("2025-09-27"))); // Saturday
        assert!(c.is_workday(d("2025-09-28"))); // Sunday, adjusted workday
        assert!(!c.is_workday(d("2025-10-03"))); // National Day, a Friday
        assert!(c.is_workday(d("2025-10-11"))); // Saturday, adjusted workday
        assert_eq!(c.name_of(d("2025-10-01")), Some("国庆节、中秋节"));
    }

    #[test]
    fn five_working_days_across_national_day() {
        let c = cal2025();
        // Friday 26 September 2025, 16:00 in Beijing: Sun 28 (adjusted), Mon 29, Tue 30, then
        // the holiday to 8 October, Thu 9, Fri 10 → ends at midnight after Friday 10 October.
        let due = Limit::working_days(5).deadline(&c, beijing("2025-09-26T16:00:00+08:00"));
        assert_eq!(due, beijing("2025-10-11T00:00:00+08:00"));
        // Asked for on 9 October, 2 more working days: Fri 10, Sat 11 (adjusted).
        let due = Limit::working_days(2).deadline(&c, beijing("2025-10-09T09:00:00+08:00"));
        assert_eq!(due, beijing("2025-10-12T00:00:00+08:00"));
        // A late-evening start counts from the Beijing day, not the UTC day.
        let due = Limit::working_days(1).deadline(&c, beijing("2025-09-30T23:30:00+08:00"));
        assert_eq!(due, beijing("2025-10-10T00:00:00+08:00"));
    }

    #[test]
    fn natural_limits_and_fractions() {
        let c = WorkCalendar::default();
        let start = beijing("2026-03-02T10:00:00+08:00");
        let due = Limit::minutes(30).deadline(&c, start);
        assert_eq!(due - start, Duration::minutes(30));
        assert_eq!(
            fraction_point(start, due, 80) - start,
            Duration::minutes(24)
        );
        assert_eq!(
            fraction_point(start, due, 150) - start,
            Duration::minutes(45)
        );
        let due = Limit::hours(2).deadline(&c, start);
        assert_eq!(
            fraction_point(start, due, 80) - start,
            Duration::minutes(96)
        );
    }
}
