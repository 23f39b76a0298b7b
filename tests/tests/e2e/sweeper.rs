//! sweeper (tests land with the issue)
