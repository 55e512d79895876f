//! New ids: UUID v7, so they sort by creation time.

/// A new random id: UUID v7, so ids sort by creation time (used as the pagination cursor).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
