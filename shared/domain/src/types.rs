//! The small closed vocabularies of the support business, each with its wire spelling.

use serde::{Deserialize, Serialize};

macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// The accepted spellings, for error messages.
            pub fn expected() -> String {
                [$($wire),+].join(", ")
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(format!("must be one of: {}", Self::expected())),
                }
            }
        }
    };
}
pub(crate) use wire_enum;

wire_enum!(
    /// Business impact of an incident (S2).
    Severity { A => "A", B => "B", C => "C" }
);

wire_enum!(
    /// Hours during which an incident is worked (S3).
    Handling { TwentyFourSeven => "24x7", BusinessHours => "business_hours" }
);

wire_enum!(
    /// The support calendars the product ships.
    CalendarId { Pl => "PL", Us => "US", Uk => "UK" }
);

wire_enum!(
    Offer { Single => "single", FivePack => "five_pack" }
);

wire_enum!(
    /// The language of the e-mails about an incident (`contact.language`) or to an account.
    Language { Pl => "pl", En => "en" }
);

impl Language {
    /// An incident's default: Polish on the Polish calendar, English elsewhere.
    pub fn default_for_calendar(calendar: CalendarId) -> Language {
        match calendar {
            CalendarId::Pl => Language::Pl,
            CalendarId::Us | CalendarId::Uk => Language::En,
        }
    }

    /// An account's language: Polish for billing country PL, English for any other or none.
    pub fn for_billing_country(country: Option<&str>) -> Language {
        match country {
            Some(c) if c.eq_ignore_ascii_case("PL") => Language::Pl,
            _ => Language::En,
        }
    }
}

wire_enum!(
    IncidentStatus {
        AwaitingResponse => "awaiting_response",
        InProgress => "in_progress",
        Resolved => "resolved",
        Unresolved => "unresolved",
        ClosedByCustomer => "closed_by_customer",
    }
);

wire_enum!(
    SlaOutcome { Pending => "pending", Met => "met", Breached => "breached", Withdrawn => "withdrawn" }
);

wire_enum!(
    Charge { Consumed => "consumed", Pending => "pending", Refunded => "refunded" }
);

wire_enum!(
    Channel { Email => "email", Phone => "phone", RemoteSession => "remote_session", OfflineResearch => "offline_research" }
);

wire_enum!(
    /// A pack as the API shows it: its payment state, and for a paid pack whether it is used up or
    /// expired as of now.
    PackStatus {
        AwaitingPayment => "awaiting_payment",
        Active => "active",
        UsedUp => "used_up",
        Expired => "expired",
        Cancelled => "cancelled",
    }
);

wire_enum!(
    /// Where a pack's order stands with payment, stored on the pack item as `status`: an order
    /// awaits its payment, is paid (`active`) or was never paid (`cancelled`). `used_up` and
    /// `expired` are not stored; they follow from remaining units and expiry.
    PackState { AwaitingPayment => "awaiting_payment", Active => "active", Cancelled => "cancelled" }
);

wire_enum!(
    ReviewStatus { Pending => "pending", Approved => "approved", Rejected => "rejected" }
);

wire_enum!(
    ExemptionStatus { Pending => "pending", Verified => "verified", Rejected => "rejected" }
);

impl Offer {
    pub fn incidents(self) -> u32 {
        match self {
            Offer::Single => 1,
            Offer::FivePack => 5,
        }
    }
}

impl IncidentStatus {
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            IncidentStatus::Resolved
                | IncidentStatus::Unresolved
                | IncidentStatus::ClosedByCustomer
        )
    }
}

/// Roles come from the identity's groups; every signed-in account is a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Customer,
    Engineer,
    Admin,
}

/// Who is acting: the account (`sub`) and the staff groups it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: crate::AccountId,
    pub email: Option<String>,
    /// The token's `name` claim, when it carries one (what people are shown).
    pub name: Option<String>,
    pub engineer: bool,
    pub admin: bool,
}

impl Actor {
    pub fn customer(account_id: impl Into<crate::AccountId>) -> Self {
        Actor {
            account_id: account_id.into(),
            email: None,
            name: None,
            engineer: false,
            admin: false,
        }
    }
    pub fn is_staff(&self) -> bool {
        self.engineer || self.admin
    }
    /// The scheduled sweep, acting on its own behalf (never an identity from a token).
    pub fn system() -> Self {
        Actor {
            account_id: SYSTEM_ACCOUNT.into(),
            email: None,
            name: None,
            engineer: false,
            admin: false,
        }
    }
    /// A caller without an identity, on a route whose request carries its own authority (a
    /// rating link): no account, no group.
    pub fn anonymous() -> Self {
        Actor {
            account_id: ANONYMOUS_ACCOUNT.into(),
            email: None,
            name: None,
            engineer: false,
            admin: false,
        }
    }
    /// How people are shown this account (API.md, Incident `owner`): the token's `name`, else
    /// the part of its e-mail address before `@`, else the account id.
    pub fn display_name(&self) -> String {
        let nonblank = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        nonblank(&self.name)
            .or_else(|| {
                nonblank(&self.email)
                    .and_then(|e| e.split('@').next().map(str::to_string))
                    .filter(|local| !local.is_empty())
            })
            .unwrap_or_else(|| self.account_id.to_string())
    }
    pub fn is_system(&self) -> bool {
        self.account_id == SYSTEM_ACCOUNT && !self.engineer && !self.admin && self.email.is_none()
    }
}

/// The account id the sweep acts as; recorded as the actor of `sla_breached` events.
pub const SYSTEM_ACCOUNT: &str = "system";

/// The account id of `Actor::anonymous()` (a caller of a public route without an identity).
pub const ANONYMOUS_ACCOUNT: &str = "anonymous";

/// Money in integer minor units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub currency: String,
    pub net: i64,
    pub tax: i64,
    pub gross: i64,
}
