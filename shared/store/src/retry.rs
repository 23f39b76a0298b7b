//! The one retry policy of every read → decide → write loop (an incident's change, a sub-problem,
//! an attachment, a tax exemption, a payment notice): up to `ROUNDS` rounds, each after the first
//! preceded by a capped, jittered pause, so racing writers do not collide again in lockstep.
//! Each round has one winner, so n concurrent writers need up to n rounds.
//!
//! Not for the sweep, which re-reads a contended incident once and leaves it to the next run
//! rather than spin (`sweep::signal_one`), nor for BatchWriteItem's unprocessed items (a
//! throttling back-off of the bench and test loader).

use std::time::Duration;

/// Rounds before a loop gives up (its caller answers a retryable 503).
pub const ROUNDS: u32 = 20;

/// The pause before round `round + 1`: 5 ms per round already run, at most 100 ms, plus up to
/// 49 ms of jitter.
pub fn pause_before(round: u32) -> Duration {
    let jitter = u64::from(crate::ids::random_bytes::<1>()[0]) % 50;
    Duration::from_millis((5 * u64::from(round)).min(100) + jitter)
}

/// The rounds of one loop: `while rounds.start().await { … }`.
#[derive(Debug, Default)]
pub struct Rounds {
    started: u32,
}

impl Rounds {
    pub fn new() -> Rounds {
        Rounds::default()
    }

    /// Starts the next round (pausing first, but before the first): `false` once all are used.
    pub async fn start(&mut self) -> bool {
        if self.started >= ROUNDS {
            return false;
        }
        if self.started > 0 {
            tokio::time::sleep(pause_before(self.started)).await;
        }
        self.started += 1;
        true
    }

    /// The round just started is the last one.
    pub fn is_last(&self) -> bool {
        self.started >= ROUNDS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_grow_then_stay_capped_with_jitter_below_50_ms() {
        for round in [1, 5, 19, 20, 1_000] {
            let base = (5 * u64::from(round)).min(100);
            let p = pause_before(round).as_millis() as u64;
            assert!((base..base + 50).contains(&p), "round {round}: {p} ms");
        }
    }

    #[tokio::test]
    async fn a_loop_runs_exactly_the_policys_rounds() {
        let mut rounds = Rounds::new();
        let mut n = 0;
        while rounds.start().await {
            n += 1;
            assert_eq!(rounds.is_last(), n == ROUNDS);
        }
        assert_eq!(n, ROUNDS);
        assert!(!rounds.start().await, "exhausted stays exhausted");
    }
}
