//! reliability (tests land with the issue)
