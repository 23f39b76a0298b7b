//! The audit log (API.md "Audit", SPEC "Satisfaction and accountability"): one entry per staff
//! decision that changes money, ownership or personal data, written by the store in the same
//! transaction as the change it records. What an entry says is decided here, from the decision
//! itself: the incident's transition (`of_transition`), a claim's or an exemption's decision.
//! Entries are never changed: the store only creates them, and no role may update or delete one.

use crate::account::{PackClaim, TaxExemption};
use crate::incident::{EventDetails, EventKind, Incident, Transition};
use crate::time::{format_instant, Instant};
use crate::types::wire_enum;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

wire_enum!(
    /// What was decided. `ErasureDecision` and `DataExport` are written by the privacy use cases
    /// (`of_erasure_decision`, `of_data_export`) in the transactions of the decision / request.
    AuditAction {
        Assignment => "assignment",
        Resolution => "resolution",
        ChargeDecision => "charge_decision",
        ClaimDecision => "claim_decision",
        ExemptionDecision => "exemption_decision",
        ErasureDecision => "erasure_decision",
        DataExport => "data_export",
    }
);

wire_enum!(
    /// What an entry is about (`account`: erasure decisions and data exports).
    SubjectKind {
        Incident => "incident",
        Claim => "claim",
        TaxExemption => "tax_exemption",
        Account => "account",
    }
);

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub kind: SubjectKind,
    pub id: String,
}

/// One audit entry, as stored and as `GET /audit` answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    #[serde(with = "crate::time::serde_instant")]
    pub at: Instant,
    pub actor_account_id: crate::AccountId,
    pub action: AuditAction,
    pub subject: Subject,
    pub details: Map<String, Value>,
}

impl AuditEntry {
    pub fn new(
        at: Instant,
        actor: &str,
        action: AuditAction,
        subject: (SubjectKind, &str),
        details: Value,
    ) -> AuditEntry {
        AuditEntry {
            at,
            actor_account_id: actor.into(),
            action,
            subject: Subject {
                kind: subject.0,
                id: subject.1.to_string(),
            },
            details: match details {
                Value::Object(m) => m,
                _ => Map::new(),
            },
        }
    }

    /// The sort position of an entry among others: its instant, then `unique` (fixed-width
    /// instants sort by time).
    pub fn position(&self, unique: &str) -> String {
        format!("{}#{unique}", format_instant(self.at))
    }
}

/// The entries a transition of `before` owes: one per assignment (a first response's automatic
/// one included), one per resolution (resolved, or unresolved with its charge: one decision,
/// one entry), one per charge decision of a customer's closure. Nothing for a no-op.
pub fn of_transition(before: &Incident, t: &Transition) -> Vec<AuditEntry> {
    if t.no_op {
        return vec![];
    }
    let id = before.incident_id.as_str();
    let subject = (SubjectKind::Incident, id);
    let closes = t
        .events
        .iter()
        .any(|e| matches!(e.kind(), EventKind::Resolved | EventKind::ClosedUnresolved));
    let mut out = Vec::new();
    for e in &t.events {
        let who = e.actor_account_id.as_str();
        let entry = |action: AuditAction, details: Value| {
            AuditEntry::new(e.at, who, action, subject, details)
        };
        match &e.details {
            EventDetails::Assigned {
                owner_account_id,
                previous_owner_account_id,
                note,
            } => out.push(entry(
                AuditAction::Assignment,
                json!({
                    "owner_account_id": owner_account_id,
                    "previous_owner_account_id": previous_owner_account_id,
                    "note": note.kept().cloned().flatten(),
                }),
            )),
            EventDetails::Resolved { .. } | EventDetails::ClosedUnresolved { .. } => {
                let outcome = if e.kind() == EventKind::Resolved {
                    "resolved"
                } else {
                    "unresolved"
                };
                out.push(entry(
                    AuditAction::Resolution,
                    json!({
                        "outcome": outcome,
                        "charge": t.incident.charge,
                        "refund": t.refund,
                    }),
                ));
            }
            EventDetails::ChargeDecided { charge, .. } if !closes => out.push(entry(
                AuditAction::ChargeDecision,
                json!({
                    "charge": charge,
                    "previous_charge": before.charge,
                    "refund": t.refund,
                }),
            )),
            _ => {}
        }
    }
    out
}

/// The entry of an admin's decision on a claim (`decided` as the decision left it).
pub fn of_claim_decision(decided: &PackClaim) -> AuditEntry {
    AuditEntry::new(
        decided.decided_at.unwrap_or(decided.submitted_at),
        decided.decided_by.as_deref().unwrap_or_default(),
        AuditAction::ClaimDecision,
        (SubjectKind::Claim, &decided.claim_id),
        json!({
            "status": decided.status,
            "pack_id": decided.pack_id,
            "claimant_account_id": decided.claimant_account_id,
            "previous_owner_account_id": decided.owner_account_id,
            "note": decided.note,
        }),
    )
}

/// The entry of an admin's decision on a tax exemption.
pub fn of_exemption_decision(decided: &TaxExemption) -> AuditEntry {
    AuditEntry::new(
        decided.decided_at.unwrap_or(decided.submitted_at),
        decided.decided_by.as_deref().unwrap_or_default(),
        AuditAction::ExemptionDecision,
        (SubjectKind::TaxExemption, &decided.account_id),
        json!({
            "status": decided.status,
            "jurisdiction": decided.jurisdiction,
            "note": decided.note,
        }),
    )
}

/// An admin's decision on an erasure request (the request's reason is not copied: erasure
/// removes it, and entries are never changed).
pub fn of_erasure_decision(decided: &crate::privacy::ErasureRequest) -> AuditEntry {
    AuditEntry::new(
        decided.decided_at.unwrap_or(decided.requested_at),
        decided.decided_by.as_deref().unwrap_or_default(),
        AuditAction::ErasureDecision,
        (SubjectKind::Account, &decided.account_id),
        json!({
            "approve": decided.status != crate::privacy::ErasureStatus::Rejected,
            "status": decided.status,
        }),
    )
}

/// An account's data export, requested by the account itself.
pub fn of_data_export(export: &crate::privacy::DataExport) -> AuditEntry {
    AuditEntry::new(
        export.requested_at,
        &export.account_id,
        AuditAction::DataExport,
        (SubjectKind::Account, &export.account_id),
        json!({ "export_id": export.export_id }),
    )
}

/// The filters of `GET /audit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    pub from: Option<Instant>,
    pub to: Option<Instant>,
    pub actor: Option<String>,
    pub subject: Option<String>,
}

#[cfg(test)]
mod tests;
