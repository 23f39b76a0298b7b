//! Tax exemptions, pack claims and their rate limit. (being written)
