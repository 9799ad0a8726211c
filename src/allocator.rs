//! The allocator's settings for batch jobs. The binaries use mimalloc (`#[global_allocator]`
//! in `main.rs` and the benches); [`tune_for_batch`] is called first thing in `main`.

/// mimalloc's option number of `purge_delay` (`mi_option_purge_delay` in `mimalloc.h`, 15
/// in mimalloc 2 and 3; the Rust bindings do not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// How long freed memory stays with the program before mimalloc returns it to the OS.
const PURGE_DELAY_MS: std::ffi::c_long = 1000;

/// Keeps memory the program freed for a second (mimalloc's default: 10 ms) before
/// returning it to the OS.
///
/// A run frees and allocates batches of mentions, Parquet buffers and hash tables all the
/// time; returned memory comes back as fresh pages the kernel must zero. Measured on a
/// 1M-mention run (`--phase run` of `benches/ingest.rs`, `/usr/bin/time`, 2026-12-01):
/// 10 ms took 6.6 s, 2.0–2.3 s of system time, 445–450 MiB; 1 s took 6.0–6.4 s, 0.8–1.1 s
/// system time, 575–630 MiB. Never purging (-1) was no faster and let memory grow with the
/// input (3M mentions: 860–880 MiB against 690 MiB with 1 s), since memory freed on one
/// thread is not always reused by another. `MIMALLOC_PURGE_DELAY` in the environment still
/// decides when it is set.
pub fn tune_for_batch() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_none() {
        // SAFETY: sets one integer option of the linked mimalloc; valid at any time.
        unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
    }
}
