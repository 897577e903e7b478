//! The login lockout rule: 5 failures within 15 minutes lock the name for 15 minutes.
//!
//! The state is kept per user name, whether or not such a user exists, so that a lockout
//! tells an attacker nothing about which names are real.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockoutPolicy {
    pub max_failures: u32,
    pub window: Duration,
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            max_failures: 5,
            window: Duration::minutes(15),
            lock_for: Duration::minutes(15),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LockoutState {
    pub failures: u32,
    pub window_start: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureOutcome {
    /// Counted; the name is not locked.
    Counted,
    /// This failure locked the name.
    Locked,
}

impl LockoutPolicy {
    pub fn is_locked(&self, state: &LockoutState, now: DateTime<Utc>) -> bool {
        state.locked_until.is_some_and(|t| t > now)
    }

    /// The state after one more failed attempt at `now`.
    pub fn on_failure(
        &self,
        state: &LockoutState,
        now: DateTime<Utc>,
    ) -> (LockoutState, FailureOutcome) {
        let in_window = state
            .window_start
            .is_some_and(|start| now - start < self.window);
        let (failures, window_start) = if in_window {
            (state.failures + 1, state.window_start)
        } else {
            (1, Some(now))
        };
        if failures >= self.max_failures {
            let next = LockoutState {
                failures: 0,
                window_start: None,
                locked_until: Some(now + self.lock_for),
            };
            (next, FailureOutcome::Locked)
        } else {
            let next = LockoutState {
                failures,
                window_start,
                locked_until: None,
            };
            (next, FailureOutcome::Counted)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap() + Duration::minutes(min)
    }

    #[test]
    fn five_failures_in_window_lock() {
        let p = LockoutPolicy::default();
        let mut s = LockoutState::default();
        for i in 0..4 {
            let (n, o) = p.on_failure(&s, t(i));
            assert_eq!(o, FailureOutcome::Counted);
            s = n;
        }
        let (s, o) = p.on_failure(&s, t(5));
        assert_eq!(o, FailureOutcome::Locked);
        assert!(p.is_locked(&s, t(19)));
        assert!(!p.is_locked(&s, t(20)));
    }

    #[test]
    fn failures_outside_window_restart_the_count() {
        let p = LockoutPolicy::default();
        let mut s = LockoutState::default();
        for i in 0..4 {
            s = p.on_failure(&s, t(i)).0;
        }
        let (s, o) = p.on_failure(&s, t(16));
        assert_eq!(o, FailureOutcome::Counted);
        assert_eq!(s.failures, 1);
    }
}
