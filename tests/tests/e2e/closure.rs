//! closure (tests land with the issue)
