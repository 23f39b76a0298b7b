//! intake (tests land with the issue)
