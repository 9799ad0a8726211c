//! The allocator's settings for batch jobs. The binaries use mimalloc (`#[global_allocator]`
//! in `main.rs` and the benches) and register [`tune_for_batch`] with
//! [`tune_allocator_before_main!`](crate::tune_allocator_before_main), so that it runs before
//! `main` and before the first allocation: mimalloc maps its first arena then and keeps using
//! it, so an option read when memory is mapped must be set before.

/// mimalloc's option number of `purge_delay` (`mi_option_purge_delay` in `mimalloc.h`, 15
/// in mimalloc 2 and 3; the Rust bindings do not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the program before mimalloc returns it to the OS.
const PURGE_DELAY_MS: std::ffi::c_long = 1000;

/// mimalloc's option number of `allow_thp` (`mi_option_allow_thp` in mimalloc 3's
/// `mimalloc.h`; the Rust bindings do not name it).
const MI_OPTION_ALLOW_THP: libmimalloc_sys::mi_option_t = 43;

/// Two settings, each unless its mimalloc variable is in the environment (read with
/// `getenv`, which does not allocate).
///
/// `MIMALLOC_PURGE_DELAY`: freed memory stays with the program for a second (mimalloc's
/// default: 10 ms) before it is returned to the OS. A run frees and allocates batches of
/// mentions, Parquet buffers and hash tables all the time; returned memory comes back as
/// fresh pages the kernel must zero. Measured on a 1M-mention run (`--phase run` of
/// `benches/ingest.rs`, `/usr/bin/time`, 2026-12-01): 10 ms took 6.6 s, 2.0–2.3 s of system
/// time, 445–450 MiB; 1 s took 6.0–6.4 s, 0.8–1.1 s system time, 575–630 MiB. Never purging
/// (-1) was no faster and let memory grow with the input (3M mentions: 860–880 MiB against
/// 690 MiB with 1 s), since memory freed on one thread is not always reused by another.
///
/// `MIMALLOC_ALLOW_THP`: no transparent huge pages. mimalloc 3 marks its 1 GiB arenas
/// `MADV_HUGEPAGE` and returns freed memory in 64 KiB pieces: the next use of a returned
/// 2 MiB region faults in a whole huge page the kernel must zero (`clear_page_erms` under
/// `do_huge_pmd_anonymous_page`: 8.5 % of a 1M-row realistic run's CPU time in `perf`). With
/// 4 KiB pages, 1M-row runs took 0.96–0.97× the wall time, half the system time and 23–86 MiB
/// less at their peak (2026-12-06, BENCHMARKS.md).
pub extern "C" fn tune_for_batch() {
    extern "C" {
        fn getenv(name: *const std::ffi::c_char) -> *const std::ffi::c_char;
    }
    // SAFETY: `getenv` with NUL-terminated names, before any thread is started;
    // `mi_option_set` sets one integer option of the linked mimalloc.
    unsafe {
        if getenv(c"MIMALLOC_PURGE_DELAY".as_ptr()).is_null() {
            libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS);
        }
        if getenv(c"MIMALLOC_ALLOW_THP".as_ptr()).is_null() {
            libmimalloc_sys::mi_option_set(MI_OPTION_ALLOW_THP, 0);
        }
    }
}

/// Registers [`tune_for_batch`] to run before `main` (an ELF constructor, on Linux;
/// elsewhere nothing), in a binary that uses mimalloc.
#[macro_export]
macro_rules! tune_allocator_before_main {
    () => {
        #[cfg(target_os = "linux")]
        #[used]
        #[link_section = ".init_array"]
        static TUNE_ALLOCATOR_BEFORE_MAIN: extern "C" fn() = $crate::allocator::tune_for_batch;
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn huge_pages_are_turned_off_unless_the_environment_says_otherwise() {
        if std::env::var_os("MIMALLOC_ALLOW_THP").is_some() || std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
            return;
        }
        // SAFETY: reads options of the linked mimalloc.
        let get = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        // Option 43 is `allow_thp`, on by default on Linux (a wrong number names another option).
        assert_eq!(get(super::MI_OPTION_ALLOW_THP), 1);
        super::tune_for_batch();
        assert_eq!(get(super::MI_OPTION_ALLOW_THP), 0);
        assert_eq!(get(super::MI_OPTION_PURGE_DELAY), super::PURGE_DELAY_MS);
    }
}
