//! Packs and their append-only usage ledger. Remaining units live on the pack item for cheap
//! conditional draws; the ledger (opening, one debit per incident, at most one credit per
//! incident) lets anyone recompute them: remaining = total − debits + credits.

use crate::error::classify;
use crate::idempotency::{IdempotencyRecord, IdempotencyWrite};
use crate::items::{from_item, key_attrs, n, put_new, s, to_item, with, Item, Record};
use crate::keys::{self, LEDGER_PREFIX};
use crate::table::{BY_OWNER, USABLE_PACKS};
use crate::{Page, Store, StoreError};
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use domain::pack::Pack;
use domain::time::{format_instant, Instant};
use domain::PackState;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerKind {
    Opening,
    Debit,
    Credit,
    Transfer,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub pack_id: String,
    pub kind: LedgerKind,
    /// Signed change of remaining units: +total, −1, +1, 0.
    pub units: i64,
    pub reference: String,
    pub account_id: String,
    pub at: String,
}

impl LedgerEntry {
    pub fn sort_key(&self) -> String {
        match self.kind {
            LedgerKind::Opening => keys::LEDGER_OPENING.to_string(),
            LedgerKind::Debit => keys::ledger_entry("DEBIT", &self.reference),
            LedgerKind::Credit => keys::ledger_entry("CREDIT", &self.reference),
            LedgerKind::Transfer => keys::ledger_entry("TRANSFER", &self.reference),
        }
    }

    /// Written once: the key names what it is for, and the put refuses to overwrite.
    pub(crate) fn transact_item(&self, table: &str) -> Result<TransactWriteItem, StoreError> {
        let item = with(
            to_item(self)?,
            key_attrs(&keys::ledger(&self.pack_id, &self.sort_key())),
        );
        put_new(table, item)
    }
}

/// The ledger's opening: the pack's units, written once, when it is paid for.
pub(crate) fn opening(pack: &Pack, reference: &str, paid_at: Instant) -> LedgerEntry {
    LedgerEntry {
        pack_id: pack.pack_id.to_string(),
        kind: LedgerKind::Opening,
        units: i64::from(pack.incidents_total),
        reference: reference.to_string(),
        account_id: pack.owner_account_id.to_string(),
        at: format_instant(paid_at),
    }
}

/// The ledger of one pack, recomputed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    pub pack_id: String,
    pub total: i64,
    pub debits: i64,
    pub credits: i64,
    pub stored_remaining: i64,
}

impl Reconciliation {
    pub fn ledger_remaining(&self) -> i64 {
        self.total - self.debits + self.credits
    }
    pub fn balances(&self) -> bool {
        self.ledger_remaining() == self.stored_remaining
            && self.stored_remaining >= 0
            && self.stored_remaining <= self.total
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum PurchaseOutcome {
    Created,
    /// The same `Idempotency-Key` was used before: its record.
    Replayed(IdempotencyRecord),
    /// The order confirmation number is taken (astronomically unlikely): draw another.
    NumberTaken,
}

pub(crate) fn pack_item(pack: &Pack) -> Result<Item, StoreError> {
    let usable = (pack.state == PackState::Active && pack.incidents_remaining > 0)
        .then(|| usable_keys(pack))
        .flatten();
    Ok(with(
        to_item(pack)?,
        key_attrs(&keys::pack(&pack.pack_id))
            .into_iter()
            .chain([
                (BY_OWNER.pk, s(keys::account(&pack.owner_account_id))),
                (
                    BY_OWNER.sk,
                    s(keys::owner_pack(
                        &format_instant(pack.ordered_at),
                        &pack.pack_id,
                    )),
                ),
            ])
            .chain(usable.into_iter().flatten()),
    ))
}

/// The sparse `usable_packs` keys of a paid pack: its owner's partition (the same value as its
/// `by_owner` partition, so a refund can copy it whoever owns the pack by then) and its expiry.
/// A pack is in the index while it may have units left: from its payment until a draw takes
/// its last unit, and again after a refund. Expired packs stay in it but lie before any draw's
/// key range (`Store::usable_packs_of`). `None` for a pack without an expiry (unpaid).
fn usable_keys(pack: &Pack) -> Option<[(&'static str, AttributeValue); 2]> {
    let expires_at = pack.expires_at?;
    Some([
        (USABLE_PACKS.pk, s(keys::account(&pack.owner_account_id))),
        (
            USABLE_PACKS.sk,
            s(usable_sort_key(expires_at, &pack.pack_id)),
        ),
    ])
}

pub(crate) fn usable_sort_key(expires_at: Instant, pack_id: &str) -> String {
    format!("{}#{}", format_instant(expires_at), pack_id)
}

/// An order confirmation number's item: the pack it names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct OrderNumberItem {
    pack_id: String,
}

fn order_number_item(pack: &Pack) -> Result<Item, StoreError> {
    let order = OrderNumberItem {
        pack_id: pack.pack_id.to_string(),
    };
    Ok(with(
        to_item(&order)?,
        key_attrs(&keys::order_confirmation(&pack.order_confirmation_number)),
    ))
}

impl Store {
    /// Writes a new pack (or an order awaiting payment), its order number and the idempotency
    /// record in one transaction; a pack that is active at once gets its ledger opening in it too
    /// (an order gets its opening with the payment: `Store::activate_pack`).
    pub async fn purchase(
        &self,
        pack: &Pack,
        idempotency: &IdempotencyWrite,
    ) -> Result<PurchaseOutcome, StoreError> {
        let order = order_number_item(pack)?;
        let mut items = vec![
            crate::idempotency::transact_item(idempotency, &self.table)?,
            put_new(&self.table, pack_item(pack)?)?,
            put_new(&self.table, order)?,
        ];
        if let (PackState::Active, Some(paid_at)) = (pack.state, pack.purchased_at) {
            items.push(
                opening(pack, &pack.order_confirmation_number, paid_at)
                    .transact_item(&self.table)?,
            );
            items.push(bump_generation(
                &self.table,
                &pack.owner_account_id,
                &pack.pack_id,
                paid_at,
            )?);
        }
        match self.transact_keeping_old(items).await {
            Ok(()) => Ok(PurchaseOutcome::Created),
            Err((e, mut old)) if e.condition_failed_at(0) => {
                let handed_back = old.get_mut(0).and_then(Option::take);
                Ok(PurchaseOutcome::Replayed(
                    self.replayed_record(idempotency, handed_back).await?,
                ))
            }
            Err((e, _)) if e.condition_failed_at(2) => Ok(PurchaseOutcome::NumberTaken),
            Err((e, _)) => Err(e),
        }
    }

    pub async fn pack(&self, pack_id: &str) -> Result<Option<Pack>, StoreError> {
        self.get(&keys::pack(pack_id))
            .await?
            .map(from_item)
            .transpose()
    }

    pub async fn pack_id_by_order_number(
        &self,
        number: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(self
            .get(&keys::order_confirmation(number))
            .await?
            .and_then(|item| item.get("pack_id").and_then(|v| v.as_s().ok()).cloned()))
    }

    /// One page of an account's packs, newest first.
    pub async fn packs_of(
        &self,
        account_id: &str,
        page: &Page,
    ) -> Result<(Vec<Pack>, Option<String>), StoreError> {
        self.query_index_page(
            &BY_OWNER,
            &keys::account(account_id),
            Some(keys::OWNER_PACK_PREFIX),
            true,
            page,
        )
        .await
    }

    /// The account's packs that may have units left and expire after `now`, soonest expiry
    /// first (the sparse `usable_packs` index): what a draw chooses from. Its cost follows the
    /// packs in use, not the account's history of used-up and expired packs. The index is read
    /// eventually consistently: a draw's own condition decides (`draw_unit`).
    pub async fn usable_packs_of(
        &self,
        account_id: &str,
        now: Instant,
    ) -> Result<Vec<Pack>, StoreError> {
        let mut packs = Vec::new();
        let mut start = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(USABLE_PACKS.name)
                .key_condition_expression("#pk = :pk AND #sk > :now")
                .expression_attribute_names("#pk", USABLE_PACKS.pk)
                .expression_attribute_names("#sk", USABLE_PACKS.sk)
                .expression_attribute_values(":pk", s(keys::account(account_id)))
                .expression_attribute_values(":now", s(format_instant(now)))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("Query", e))?;
            for item in out.items.unwrap_or_default() {
                packs.push(from_item(item)?);
            }
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(k) => start = Some(k),
                None => return Ok(packs),
            }
        }
    }

    /// Every pack an account owns (the draw's fallback when no usable pack was indexed).
    pub async fn all_packs_of(&self, account_id: &str) -> Result<Vec<Pack>, StoreError> {
        let mut packs = Vec::new();
        let mut page = Page {
            limit: 100,
            cursor: None,
        };
        loop {
            let (mut items, next) = self.packs_of(account_id, &page).await?;
            packs.append(&mut items);
            match next {
                Some(c) => page.cursor = Some(c),
                None => return Ok(packs),
            }
        }
    }

    pub async fn ledger(&self, pack_id: &str) -> Result<Vec<LedgerEntry>, StoreError> {
        self.query_prefix(&keys::pack(pack_id).pk, LEDGER_PREFIX)
            .await?
            .into_iter()
            .map(from_item)
            .collect()
    }

    /// Recomputes a pack's remaining units from its ledger, next to the stored figure.
    pub async fn reconcile(&self, pack_id: &str) -> Result<Option<Reconciliation>, StoreError> {
        let Some(pack) = self.pack(pack_id).await? else {
            return Ok(None);
        };
        let mut r = Reconciliation {
            pack_id: pack_id.to_string(),
            total: 0,
            debits: 0,
            credits: 0,
            stored_remaining: i64::from(pack.incidents_remaining),
        };
        for entry in self.ledger(pack_id).await? {
            match entry.kind {
                LedgerKind::Opening => r.total += entry.units,
                LedgerKind::Debit => r.debits += -entry.units,
                LedgerKind::Credit => r.credits += entry.units,
                LedgerKind::Transfer => {}
            }
        }
        Ok(Some(r))
    }

    /// Moves a pack's expiry (operations and tests: e.g. to prove an expired pack is refused).
    /// The owner's pack generation moves with it (a pack may now expire sooner than the one a
    /// draw remembered).
    pub async fn set_pack_expiry(
        &self,
        pack_id: &str,
        expires_at: Instant,
    ) -> Result<(), StoreError> {
        let Some(pack) = self.pack(pack_id).await? else {
            return Err(StoreError::Other(format!("no pack {pack_id}")));
        };
        let update = crate::items::update(
            &self.table,
            keys::pack(pack_id).to_item(),
            "SET expires_at = :e, #usable_sk = :usable_sk",
            crate::items::Cond::new("owner_account_id = :owner")
                .name("#usable_sk", USABLE_PACKS.sk)
                .value(":e", AttributeValue::S(format_instant(expires_at)))
                .value(
                    ":usable_sk",
                    AttributeValue::S(usable_sort_key(expires_at, pack_id)),
                )
                .value(":owner", s(&pack.owner_account_id)),
        )?;
        let bump = bump_generation(
            &self.table,
            &pack.owner_account_id,
            pack_id,
            chrono::Utc::now(),
        )?;
        self.transact(vec![update, bump]).await
    }
}

/// `Pack::usable_by` stated for the data store: only a paid (`active`) pack, only its owner, only
/// before expiry, only while units remain. Remaining can never go below zero, whatever the
/// concurrency. The draw's update and `Store::usable_in_store` share it, and the store test
/// `the_draw_condition_agrees_with_the_domain_rule_of_usability` checks it against the domain.
pub(crate) fn usable_condition(caller: &str, now: Instant) -> crate::items::Cond {
    crate::items::Cond::new(
        "#status = :active AND owner_account_id = :caller AND expires_at > :now AND incidents_remaining > :zero",
    )
    .name("#status", PACK_STATE_ATTRIBUTE)
    .value(":active", s(PackState::Active.as_str()))
    .value(":zero", n(0))
    .value(":caller", s(caller))
    .value(":now", s(format_instant(now)))
}

/// The pack item's attribute holding its `PackState` (`Pack::state`, serialised as `status`).
pub const PACK_STATE_ATTRIBUTE: &str = "status";

/// How a draw treats the pack it read and the `usable_packs` index.
#[derive(Debug, Clone, Copy, Default)]
pub struct PackDraw<'a> {
    /// The units the pack had when it was read. `Some(1)`: the draw holds only if that last
    /// unit is still there (else read the pack again), and takes the pack out of the index.
    /// More: any remaining unit will do, so concurrent draws from one pack do not conflict.
    /// `None` (tests, the bench's floor): any remaining unit, the index left as it is.
    pub seen: Option<u32>,
    /// The pack was found outside the index (the draw's fallback): a draw that leaves units
    /// puts it back in.
    pub reindex: bool,
    /// Packs the index still lists although they have no unit left (their last unit went to a
    /// draw that had read more): taken out of the index in the same transaction, each only
    /// while it still has no unit.
    pub used_up: &'a [domain::PackId],
    /// The drawing account's e-mail address to keep on its profile in the same transaction (the
    /// identity hook's write folded into a write the request makes anyway; see
    /// `profiles::email_item`), or `None`.
    pub remember_email: Option<&'a str>,
    /// The account's pack generation the choice of this pack was made at (`PackGeneration`):
    /// the draw holds only while it is unchanged, i.e. while no pack has become usable by the
    /// account since (a draw from memory, `usecases::draw`). `None`: no such check.
    pub generation: Option<u64>,
}

/// The conditional decrement of a draw (see `PackDraw`).
pub(crate) fn draw_unit(
    table: &str,
    pack_id: &str,
    caller: &str,
    now: Instant,
    draw: &PackDraw<'_>,
) -> Result<TransactWriteItem, StoreError> {
    let cond = usable_condition(caller, now).value(":one", n(1));
    let (expression, cond) = match draw.seen {
        Some(seen) if seen <= 1 => {
            let mut cond = cond.name("#usable_pk", USABLE_PACKS.pk);
            cond.expression = cond
                .expression
                .map(|e| format!("{e} AND incidents_remaining = :one"));
            (
                "SET incidents_remaining = incidents_remaining - :one REMOVE #usable_pk",
                cond,
            )
        }
        Some(_) if draw.reindex => (
            "SET incidents_remaining = incidents_remaining - :one, #usable_pk = #owner_pk",
            cond.name("#usable_pk", USABLE_PACKS.pk)
                .name("#owner_pk", BY_OWNER.pk),
        ),
        _ => ("SET incidents_remaining = incidents_remaining - :one", cond),
    };
    crate::items::update(table, keys::pack(pack_id).to_item(), expression, cond)
}

/// A listed pack with no unit left, out of `usable_packs` (only while it still has none: a
/// refund meanwhile keeps it listed).
pub(crate) fn unlist_used_up(table: &str, pack_id: &str) -> Result<TransactWriteItem, StoreError> {
    crate::items::update(
        table,
        keys::pack(pack_id).to_item(),
        "REMOVE #usable_pk",
        crate::items::Cond::new("incidents_remaining = :zero")
            .name("#usable_pk", USABLE_PACKS.pk)
            .value(":zero", n(0)),
    )
}

impl Store {
    /// Whether the data store would let `caller` draw from the pack now (the draw's own condition,
    /// checked without writing). For tests and operations.
    pub async fn usable_in_store(
        &self,
        pack_id: &str,
        caller: &str,
        now: Instant,
    ) -> Result<bool, StoreError> {
        let check = crate::items::check(
            &self.table,
            keys::pack(pack_id).to_item(),
            usable_condition(caller, now),
        )?;
        match self.transact(vec![check]).await {
            Ok(()) => Ok(true),
            Err(e) if e.condition_failed_at(0) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// The increment of a refund: to the incident's own pack, whatever its state, while `owner` owns
/// it (the caller moves that owner's pack generation in the same transaction; a pack claimed
/// since by another account fails the condition, and the caller reads who owns it now). The pack
/// is back in `usable_packs` under its owner (its `by_owner` partition).
pub(crate) fn return_unit(
    table: &str,
    pack_id: &str,
    owner: &str,
) -> Result<TransactWriteItem, StoreError> {
    crate::items::update(
        table,
        keys::pack(pack_id).to_item(),
        "SET incidents_remaining = incidents_remaining + :one, #usable_pk = #owner_pk",
        crate::items::Cond::new("attribute_exists(PK) AND owner_account_id = :owner")
            .value(":one", n(1))
            .value(":owner", s(owner))
            .name("#usable_pk", USABLE_PACKS.pk)
            .name("#owner_pk", BY_OWNER.pk),
    )
}

impl Record for Pack {
    fn from_record(item: Item) -> Result<Pack, StoreError> {
        from_item(item)
    }
}

/// An account's pack generation as read (`keys::pack_generation`): how many times a pack became
/// usable by the account (bought, activated, claimed, refunded), which pack did last, when, and
/// when the change before it was. A new account's is all zero / `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackGeneration {
    pub generation: u64,
    pub last_pack: Option<String>,
    pub changed_at: Option<Instant>,
    pub previous_changed_at: Option<Instant>,
}

/// Moves the account's pack generation: in the transaction of every write that may give the
/// account a usable pack (`purchase`, `activate_pack`, an approved claim, a refund), so a draw
/// relying on an earlier choice (`PackDraw::generation`) no longer holds. No condition: it never
/// fails a write.
pub(crate) fn bump_generation(
    table: &str,
    account_id: &str,
    pack_id: &str,
    now: Instant,
) -> Result<TransactWriteItem, StoreError> {
    crate::items::update(
        table,
        keys::pack_generation(account_id).to_item(),
        // Operands read the item as it was before the update: the previous change's time moves
        // to previous_changed_at.
        "SET previous_changed_at = if_not_exists(changed_at, :never), changed_at = :now, \
         last_pack = :pack, generation = if_not_exists(generation, :zero) + :one",
        crate::items::Cond::default()
            .value(":never", s(""))
            .value(":now", s(format_instant(now)))
            .value(":pack", s(pack_id))
            .value(":zero", n(0))
            .value(":one", n(1)),
    )
}

/// The draw's check that the account's pack generation is still `generation`.
pub(crate) fn generation_unchanged(
    table: &str,
    account_id: &str,
    generation: u64,
) -> Result<TransactWriteItem, StoreError> {
    let cond = if generation == 0 {
        crate::items::Cond::new("attribute_not_exists(generation)")
    } else {
        crate::items::Cond::new("generation = :g").value(":g", n(generation))
    };
    crate::items::check(table, keys::pack_generation(account_id).to_item(), cond)
}

impl Store {
    /// The account's pack generation (a consistent read).
    pub async fn pack_generation(&self, account_id: &str) -> Result<PackGeneration, StoreError> {
        let Some(item) = self.get(&keys::pack_generation(account_id)).await? else {
            return Ok(PackGeneration::default());
        };
        let text = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned();
        let instant = |name: &str| {
            text(name)
                .filter(|v| !v.is_empty())
                .and_then(|v| domain::time::parse_instant(&v))
        };
        Ok(PackGeneration {
            generation: item
                .get("generation")
                .and_then(|v| v.as_n().ok())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            last_pack: text("last_pack"),
            changed_at: instant("changed_at"),
            previous_changed_at: instant("previous_changed_at"),
        })
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::items::attribute_types;
    use chrono::TimeZone;
    use domain::{Money, Offer};

    pub(crate) fn an_order() -> Pack {
        Pack::order(
            "pck_1".into(),
            Offer::Single,
            "acc_1",
            chrono::Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap(),
            "ORD-1".into(),
            Money {
                currency: "PLN".into(),
                net: 100,
                tax: 23,
                gross: 123,
            },
            false,
        )
    }

    #[test]
    fn an_order_number_item_keeps_its_attribute_names_and_types() {
        let pack = an_order();
        let item = order_number_item(&pack).unwrap();
        assert_eq!(
            attribute_types(&item),
            [("PK", "S"), ("SK", "S"), ("pack_id", "S")]
        );
        assert_eq!(item["pack_id"].as_s().unwrap(), "pck_1");
        let key = keys::order_confirmation("ORD-1");
        assert_eq!(item["PK"].as_s().unwrap(), &key.pk);
        assert_eq!(item["SK"].as_s().unwrap(), &key.sk);
    }
}
