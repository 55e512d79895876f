//! The allocator's one setting that Tingjian chooses itself.

/// `mi_option_purge_delay` in mimalloc 3's `mimalloc.h` (libmimalloc-sys does not name it).
const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Freed memory goes back to the kernel at once instead of a second later (mimalloc 3's
/// default): under 32 senders of 1,000-item batches the process's peak fell from 266–279 MB to
/// 234–249 MB, for some 10–25 % of those batches' speed (docs/performance.md, session 28). An operator's own `MIMALLOC_PURGE_DELAY`, which the
/// allocator reads before `main`, is left as it is.
pub(super) fn purge_freed_memory_at_once() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: `mi_option_set` stores an option's value in the allocator's table (an
        // in-range index, checked by mimalloc too); the allocator reads it when it next purges.
        unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 0) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option number is mimalloc 3's purge delay, whose default is 1,000 ms: a crate update
    /// that renumbered the options would set something else.
    #[test]
    fn the_purge_delay_is_the_option_set() {
        if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            eprintln!("MIMALLOC_PURGE_DELAY is set: the default is not visible");
            return;
        }
        // SAFETY: reads an in-range option of the allocator's table.
        let get = || unsafe { libmimalloc_sys::mi_option_get(PURGE_DELAY) };
        assert_eq!(get(), 1_000);
        purge_freed_memory_at_once();
        assert_eq!(get(), 0);
    }
}
