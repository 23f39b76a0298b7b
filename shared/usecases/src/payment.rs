//! A verified payment notification (SPEC "Paying for a pack"): the domain decides what the
//! event does to the order it names (activate, cancel, record a mismatch for staff, or nothing),
//! and the store writes that in one conditional transaction that also records the event id, so
//! a duplicate, a replay or a late event changes nothing twice. Verifying the signature is the
//! webhook adapter's (`stripe::signature`), before anything here runs.

use crate::Failure;
use domain::payment::{decide, NoticeKind, PaymentDecision, PaymentNotice};
use domain::time::Instant;
use store::payments::NoticeOutcome;
use store::Store;

/// What the event does to its order, written once.
pub async fn apply(store: &Store, notice: &PaymentNotice, now: Instant) -> Result<(), Failure> {
    let event = notice.event_id.as_str();
    if notice.kind == NoticeKind::Other {
        tracing::info!(event_id = event, "payment notification changes no order");
        return Ok(());
    }
    let Some(pack_id) = notice.pack_id.as_deref() else {
        tracing::warn!(event_id = event, "payment notification names no pack");
        return Ok(());
    };
    let mut rounds = store.rounds();
    while rounds.start().await {
        let Some(pack) = store.pack(pack_id).await? else {
            tracing::warn!(
                event_id = event,
                pack_id,
                "payment notification for an unknown pack"
            );
            return Ok(());
        };
        let outcome = match decide(&pack, notice) {
            PaymentDecision::Ignore(reason) => {
                tracing::info!(
                    event_id = event,
                    pack_id,
                    reason,
                    "payment notification changes nothing"
                );
                return Ok(());
            }
            PaymentDecision::Activate(paid) => {
                let outcome = store.activate_pack(&pack, &paid, event, now).await?;
                if outcome == NoticeOutcome::Applied {
                    tracing::info!(event_id = event, pack_id, "pack paid and active");
                }
                outcome
            }
            PaymentDecision::Cancel(cancelled) => {
                let outcome = store.cancel_order(&pack, &cancelled, event, now).await?;
                if outcome == NoticeOutcome::Applied {
                    tracing::info!(event_id = event, pack_id, "unpaid order cancelled");
                }
                outcome
            }
            PaymentDecision::Mismatch(mismatch) => {
                let outcome = store.record_payment_mismatch(&pack, &mismatch, now).await?;
                if outcome == NoticeOutcome::Applied {
                    tracing::warn!(
                        event_id = event,
                        pack_id,
                        paid_amount = ?mismatch.paid_amount,
                        paid_currency = ?mismatch.paid_currency,
                        expected_amount = mismatch.expected_amount,
                        expected_currency = %mismatch.expected_currency,
                        "PAYMENT MISMATCH: the amount paid differs from the order; the pack stays awaiting payment (staff: settle with the customer)"
                    );
                }
                outcome
            }
        };
        match outcome {
            NoticeOutcome::Applied => return Ok(()),
            NoticeOutcome::Duplicate => {
                tracing::info!(
                    event_id = event,
                    pack_id,
                    "payment notification already applied"
                );
                return Ok(());
            }
            NoticeOutcome::PackChanged => continue,
        }
    }
    Err(Failure::Busy(
        "the pack kept changing under the notification".into(),
    ))
}
