//! The one retry policy of every read → decide → write loop (an incident's change, a sub-problem,
//! an attachment, a tax exemption, a payment notice, a draw, a claim): up to `ROUNDS` rounds,
//! each after the first preceded by a capped, jittered pause, so racing writers do not collide
//! again in lockstep, and none started once `BUDGET` has passed since the first, so a request
//! that keeps losing still answers (503) well inside the function's 10 s timeout. Each round has
//! one winner, so n concurrent writers need up to n rounds: `ROUNDS` covers a burst of 40
//! writers on one item (the contract suite sends 26 at once, in overlapping waves).
//!
//! Not for the sweep, which re-reads a contended incident once and leaves it to the next run
//! rather than spin (`sweep::signal_one`), nor for BatchWriteItem's unprocessed items (a
//! throttling back-off of the bench and test loader).

use std::time::Duration;

/// Rounds before a loop gives up (its caller answers a retryable 503).
pub const ROUNDS: u32 = 40;

/// No round starts later than this after the first.
pub const BUDGET: Duration = Duration::from_secs(6);

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
    first: Option<tokio::time::Instant>,
}

impl Rounds {
    pub fn new() -> Rounds {
        Rounds::default()
    }

    /// Starts the next round (pausing first, but before the first): `false` once all are used
    /// or the budget is spent.
    pub async fn start(&mut self) -> bool {
        if self.started >= ROUNDS {
            return false;
        }
        match self.first {
            None => self.first = Some(tokio::time::Instant::now()),
            Some(first) => {
                let pause = pause_before(self.started);
                if first.elapsed() + pause > BUDGET {
                    self.started = ROUNDS;
                    return false;
                }
                tokio::time::sleep(pause).await;
            }
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

    #[tokio::test(start_paused = true)]
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

    #[tokio::test(start_paused = true)]
    async fn no_round_starts_once_the_budget_is_spent() {
        let mut rounds = Rounds::new();
        assert!(rounds.start().await);
        assert!(rounds.start().await, "a second round inside the budget");
        tokio::time::advance(BUDGET).await;
        assert!(!rounds.start().await, "the budget is spent");
        assert!(!rounds.start().await, "and stays spent");
    }
}
