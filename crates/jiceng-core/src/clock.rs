//! The injected clock. Every component reads time through [`Clock`] so that tests and
//! `--fake-clock` runs can move time forward without waiting.

use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Wall clock plus an offset that only grows: simulated time keeps flowing and can jump ahead.
#[derive(Debug, Default)]
pub struct FakeClock {
    offset_seconds: AtomicI64,
}

impl FakeClock {
    pub fn new() -> Self {
        Self::default()
    }

    /// Moves simulated time forward and returns the new time.
    pub fn advance(&self, by: Duration) -> DateTime<Utc> {
        self.offset_seconds
            .fetch_add(by.num_seconds(), Ordering::SeqCst);
        self.now()
    }

    pub fn offset(&self) -> Duration {
        Duration::seconds(self.offset_seconds.load(Ordering::SeqCst))
    }
}

impl Clock for FakeClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset()
    }
}

/// A clock set by hand: for replaying history (the demo's six months) through the same code
/// paths as live requests.
#[derive(Debug)]
pub struct ManualClock {
    now: std::sync::Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self {
            now: std::sync::Mutex::new(at),
        }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.now.lock().expect("clock lock") = at;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().expect("clock lock")
    }
}

/// Asia/Shanghai has had no daylight saving since 1991: a fixed +08:00 offset is exact.
pub fn china_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("valid offset")
}

/// Formats a UTC instant as Beijing time for people (`2026-11-27 12:30`).
pub fn format_local(t: DateTime<Utc>) -> String {
    t.with_timezone(&china_offset())
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

/// Formats a deadline for people: one that ends at midnight (Beijing time) is "by the end of"
/// the day before (`2026-12-18 当日`), never `2026-12-19 00:00`; another shows its time.
pub fn format_due(t: DateTime<Utc>) -> String {
    let local = t.with_timezone(&china_offset());
    if chrono::Timelike::hour(&local) == 0 && chrono::Timelike::minute(&local) == 0 {
        let day = (local - Duration::minutes(1)).format("%Y-%m-%d");
        format!("{day} 当日")
    } else {
        format_local(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deadline_at_midnight_is_the_day_before() {
        use chrono::TimeZone;
        // 2026-12-19 00:00 in Beijing.
        let t = Utc.with_ymd_and_hms(2026, 12, 18, 16, 0, 0).unwrap();
        assert_eq!(format_due(t), "2026-12-18 当日");
        assert_eq!(format_due(t + Duration::minutes(30)), "2026-12-19 00:30");
    }

    #[test]
    fn fake_clock_advances() {
        let c = FakeClock::new();
        let before = c.now();
        let after = c.advance(Duration::minutes(90));
        assert!(after - before >= Duration::minutes(90));
        assert_eq!(c.offset(), Duration::minutes(90));
    }

    #[test]
    fn local_format_is_beijing_time() {
        let t = DateTime::parse_from_rfc3339("2026-01-01T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format_local(t), "2026-01-02 00:30");
    }
}
