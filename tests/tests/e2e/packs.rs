//! packs (tests land with the issue)
