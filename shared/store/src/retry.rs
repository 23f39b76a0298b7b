//! The one retry policy of every read → decide → write loop (an incident's change, a sub-problem,
//! an attachment, a tax exemption, a payment notice, a draw, a claim): up to `ROUNDS` rounds,
//! each after the first preceded by a pause drawn anywhere below a doubling, capped ceiling
//! (exponential back-off with full jitter), so racing writers spread out rather than collide
//! again in lockstep, and none started once the budget has passed since the first, so a request
//! that keeps losing still answers (503) well inside the function's 10 s timeout. The budget is
//! the store's (`Store::rounds`): `DEFAULT_BUDGET` unless `STORE_RETRY_BUDGET_MS` says otherwise
//! (`Store::from_env` reads it with the store's timeouts; the local stack, whose one-lock data store answers a burst far
//! more slowly than DynamoDB and whose functions have no 10 s timeout, gives 20 s). Each round has
//! one winner, so n concurrent writers need up to n rounds: `ROUNDS` covers a burst of 40
//! writers on one item (the contract suite sends 26 at once, in overlapping waves).
//!
//! Not for the sweep, which re-reads a contended incident once and leaves it to the next run
//! rather than spin (`sweep::signal_one`), nor for BatchWriteItem's unprocessed items (a
//! throttling back-off of the bench and test loader).

use std::time::Duration;

/// Rounds before a loop gives up (its caller answers a retryable 503).
pub const ROUNDS: u32 = 40;

/// No round starts later than this after the first, unless the store was given another budget.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(6);

/// The ceiling of the pause before round `round + 1`: 10 ms doubling per round already run, at
/// most `PAUSE_CAP_MS`.
pub fn pause_ceiling(round: u32) -> Duration {
    Duration::from_millis((5u64 << round.min(6)).min(PAUSE_CAP_MS))
}

/// The longest pause between two rounds.
pub const PAUSE_CAP_MS: u64 = 250;

/// The pause before round `round + 1`: anywhere from nothing to its ceiling ("full jitter"), so
/// writers that lost the same round spread out instead of all meeting again in the next one.
pub fn pause_before(round: u32) -> Duration {
    let ceiling = pause_ceiling(round).as_micros() as u64;
    let draw = u64::from(u16::from_le_bytes(crate::ids::random_bytes::<2>()));
    Duration::from_micros(ceiling * draw / u64::from(u16::MAX))
}

/// The rounds of one loop: `let mut rounds = store.rounds(); while rounds.start().await { … }`.
#[derive(Debug)]
pub struct Rounds {
    started: u32,
    first: Option<tokio::time::Instant>,
    budget: Duration,
}

impl Rounds {
    pub fn with_budget(budget: Duration) -> Rounds {
        Rounds {
            started: 0,
            first: None,
            budget,
        }
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
                if first.elapsed() + pause > self.budget {
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
    fn ceilings_double_then_stay_capped() {
        let ms: Vec<u128> = (1..=8).map(|r| pause_ceiling(r).as_millis()).collect();
        assert_eq!(ms, [10, 20, 40, 80, 160, 250, 250, 250]);
        assert_eq!(pause_ceiling(1_000).as_millis(), 250);
    }

    #[test]
    fn pauses_spread_over_the_whole_range_below_the_ceiling() {
        for round in [1, 4, 40] {
            let ceiling = pause_ceiling(round);
            let pauses: Vec<Duration> = (0..1_000).map(|_| pause_before(round)).collect();
            assert!(pauses.iter().all(|p| *p <= ceiling), "round {round}");
            let low = pauses.iter().filter(|p| **p < ceiling / 4).count();
            let high = pauses.iter().filter(|p| **p > ceiling * 3 / 4).count();
            // Uniform: about 250 each; below 100 would take a broken draw.
            assert!(
                low > 100 && high > 100,
                "round {round}: {low} low, {high} high"
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_loop_runs_exactly_the_policys_rounds() {
        // A budget that cannot bind: 40 pauses of up to 250 ms could pass the default 6 s.
        let mut rounds = Rounds::with_budget(Duration::from_secs(3_600));
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
        for budget in [DEFAULT_BUDGET, Duration::from_secs(20)] {
            let mut rounds = Rounds::with_budget(budget);
            assert!(rounds.start().await);
            assert!(rounds.start().await, "a second round inside the budget");
            tokio::time::advance(budget - Duration::from_millis(300)).await;
            assert!(rounds.start().await, "still inside {budget:?}");
            tokio::time::advance(Duration::from_millis(300)).await;
            assert!(!rounds.start().await, "the budget is spent");
            assert!(!rounds.start().await, "and stays spent");
        }
    }
}
