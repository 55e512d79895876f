//! The one memory setting Tingjian chooses for its process: no transparent huge pages.
//!
//! mimalloc asks the kernel for huge pages on its arenas (`madvise(MADV_HUGEPAGE)`, honoured
//! where the kernel's setting is `madvise`, as on Debian), so memory it gave back and touched
//! again came back as a whole 2 MiB page, zeroed by the thread that touched it. Under
//! `bench/webhooks/load.sh` the process peaked at 229–234 MB with huge pages and 166–197 MB
//! without, whatever the allocator's purge delay (docs/performance.md, session 29); so the
//! allocator keeps its own default delay, which the batches run faster with. An operator who
//! sets `MIMALLOC_ALLOW_THP` (mimalloc's own switch, read before `main`) decides instead.

/// Turns transparent huge pages off for this process, unless `MIMALLOC_ALLOW_THP` is set.
pub(super) fn no_transparent_huge_pages() {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
        return;
    }
    #[cfg(target_os = "linux")]
    {
        // SAFETY: `prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0)` takes integers only and sets a flag
        // of this process's memory map; a kernel without it answers EINVAL, which changes
        // nothing and is ignored.
        let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) };
    }
}

#[cfg(test)]
mod tests {
    /// After it, the kernel reports huge pages off for the process.
    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_are_turned_off() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() {
            eprintln!("MIMALLOC_ALLOW_THP is set: the setting is the operator's");
            return;
        }
        super::no_transparent_huge_pages();
        // SAFETY: reads the flag set above; integer arguments only.
        assert_eq!(
            unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) },
            1
        );
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        assert!(status.contains("THP_enabled:\t0"), "{status}");
    }
}
