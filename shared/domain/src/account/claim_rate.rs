//! The rate limit on wrong order confirmation numbers (S11).

use crate::time::Instant;
use chrono::Duration;

/// Wrong numbers one account may try within the window before it is refused.
pub const CLAIM_FAILURE_LIMIT: usize = 5;
/// The rolling window, in seconds.
pub const CLAIM_FAILURE_WINDOW_SECS: i64 = 3_600;

/// A failure at `at` counts while `now < at + window`: from this instant on it no longer does
/// (also the instant its record may be deleted).
pub fn failure_leaves_window(at: Instant) -> Instant {
    at + Duration::seconds(CLAIM_FAILURE_WINDOW_SECS)
}

/// Failures at or before this instant have left the window at `now`.
pub fn window_start(now: Instant) -> Instant {
    now - Duration::seconds(CLAIM_FAILURE_WINDOW_SECS)
}

/// `None` when another attempt is allowed; otherwise the whole seconds until enough failures
/// leave the window for one (at least 1), for `Retry-After`.
pub fn claim_lockout(failures: &[Instant], now: Instant) -> Option<u64> {
    let mut counting: Vec<Instant> = failures
        .iter()
        .copied()
        .filter(|at| failure_leaves_window(*at) > now)
        .collect();
    if counting.len() < CLAIM_FAILURE_LIMIT {
        return None;
    }
    counting.sort();
    // Allowed again once only LIMIT − 1 remain: when the failure at this position leaves.
    let freeing = counting[counting.len() - CLAIM_FAILURE_LIMIT];
    let wait = (failure_leaves_window(freeing) - now).num_seconds();
    Some(u64::try_from(wait).unwrap_or(0).max(1))
}
