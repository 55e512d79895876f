//! Rows read on every request (a webhook's source, a public survey, the caller's API key),
//! kept in memory for a moment so that a burst of deliveries, submissions or API calls costs no
//! query each.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long this process trusts a row it has read. A change made through this process (a
/// secret rotated, a source archived, a survey edited or closed, a key revoked) is seen at
/// once; one made through another replica within this time.
pub const TRUSTED_FOR: Duration = Duration::from_secs(2);

/// Rows read recently, by id. Only rows that exist are kept, so ids made up by a caller fill
/// nothing; at [`Recent::MAX`] entries it starts afresh.
#[derive(Debug)]
pub(super) struct Recent<T> {
    map: Mutex<HashMap<String, (Instant, Arc<T>)>>,
    /// Counts [`Recent::forget_all`]: a row read before one is not kept after it.
    changes: AtomicU64,
}

impl<T> Default for Recent<T> {
    fn default() -> Self {
        Self {
            map: Mutex::new(HashMap::new()),
            changes: AtomicU64::new(0),
        }
    }
}

impl<T> Recent<T> {
    const MAX: usize = 4_096;

    pub(super) fn get(&self, id: &str) -> Option<Arc<T>> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.get(id)
            .filter(|(at, _)| at.elapsed() < TRUSTED_FOR)
            .map(|(_, row)| row.clone())
    }

    pub(super) fn put(&self, id: &str, row: Arc<T>) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(id.to_owned(), (Instant::now(), row));
    }

    /// Drops a row that has just changed: the next request reads it again.
    pub(super) fn forget(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// Where the rows stand: taken before a row is read, given back to [`Recent::put_read`].
    pub(super) fn mark(&self) -> u64 {
        self.changes.load(Ordering::SeqCst)
    }

    /// Keeps a row read after [`Recent::mark`] gave `mark`, unless every row was dropped since
    /// (the row may be older than the change that dropped them).
    pub(super) fn put_read(&self, id: &str, row: Arc<T>, mark: u64) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if self.changes.load(Ordering::SeqCst) != mark {
            return;
        }
        if map.len() >= Self::MAX {
            map.clear();
        }
        map.insert(id.to_owned(), (Instant::now(), row));
    }

    /// Drops every row (after a change whose row is not known here by its id).
    pub(super) fn forget_all(&self) {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        self.changes.fetch_add(1, Ordering::SeqCst);
        map.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_rows_until_forgotten_or_too_many() {
        let recent: Recent<u32> = Recent::default();
        assert!(recent.get("a").is_none());
        recent.put("a", Arc::new(1));
        assert_eq!(recent.get("a").as_deref(), Some(&1));
        recent.forget("a");
        assert!(recent.get("a").is_none());
        for i in 0..Recent::<u32>::MAX {
            recent.put(&i.to_string(), Arc::new(0));
        }
        recent.put("b", Arc::new(2));
        assert!(recent.get("0").is_none(), "a full map starts afresh");
        assert_eq!(recent.get("b").as_deref(), Some(&2));
        let mark = recent.mark();
        recent.forget_all();
        assert!(recent.get("b").is_none());
        recent.put_read("c", Arc::new(3), mark);
        assert!(
            recent.get("c").is_none(),
            "read before the change: not kept"
        );
        recent.put_read("c", Arc::new(3), recent.mark());
        assert_eq!(recent.get("c").as_deref(), Some(&3));
    }
}
