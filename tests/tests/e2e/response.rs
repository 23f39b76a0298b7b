//! response (tests land with the issue)
