//! What a list request asks for: how many items, and where the previous page stopped (the
//! store's position, opened from the client's sealed cursor by `api::cursor`).

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub limit: i32,
    pub cursor: Option<String>,
}

impl Default for Page {
    fn default() -> Self {
        Page {
            limit: 25,
            cursor: None,
        }
    }
}
