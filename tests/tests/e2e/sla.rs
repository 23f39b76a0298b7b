//! sla (tests land with the issue)
