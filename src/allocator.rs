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

/// Memory for a few large, long-lived tables, straight from the OS (`mmap`) and given
/// back to it when freed (`munmap`); small blocks come from the global allocator.
///
/// For the tables that grow with a run's input: the de-duplication index
/// ([`crate::ingest::dedup`]) and the authors of the partial aggregates
/// ([`crate::aggregate::Tally`]). From mimalloc, a table freed when it doubled stayed with
/// the program for the purge delay above (held twice for that second), and so did the whole
/// index after ingest.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsPages;

impl OsPages {
    /// Blocks from this size on are mapped (a few pages at least: a mapping per small
    /// block would cost a system call and a page each).
    const MAPPED_FROM: usize = 1 << 16;

    fn mapped_len(layout: std::alloc::Layout) -> Option<usize> {
        const PAGE: usize = 4096;
        (layout.size() >= Self::MAPPED_FROM && layout.align() <= PAGE).then(|| layout.size().div_ceil(PAGE) * PAGE)
    }
}

// SAFETY: blocks are either the global allocator's (small ones, passed through) or fresh
// anonymous mappings of at least the layout's size, page-aligned (at least its alignment),
// unmapped exactly once with the same length; which of the two a block is follows from its
// layout, the same at allocation and deallocation.
unsafe impl allocator_api2::alloc::Allocator for OsPages {
    fn allocate(&self, layout: std::alloc::Layout) -> Result<std::ptr::NonNull<[u8]>, allocator_api2::alloc::AllocError> {
        let Some(len) = Self::mapped_len(layout) else {
            return allocator_api2::alloc::Global.allocate(layout);
        };
        // SAFETY: a new private anonymous mapping; no existing memory is touched.
        let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ | libc::PROT_WRITE, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0) };
        if p == libc::MAP_FAILED {
            return Err(allocator_api2::alloc::AllocError);
        }
        let p = std::ptr::NonNull::new(p.cast::<u8>()).ok_or(allocator_api2::alloc::AllocError)?;
        Ok(std::ptr::NonNull::slice_from_raw_parts(p, len))
    }

    unsafe fn deallocate(&self, ptr: std::ptr::NonNull<u8>, layout: std::alloc::Layout) {
        match Self::mapped_len(layout) {
            // SAFETY: `ptr` is a mapping of `len` bytes made by `allocate` for this layout.
            Some(len) => unsafe {
                libc::munmap(ptr.as_ptr().cast(), len);
            },
            // SAFETY: a block of the global allocator with this layout (the caller's promise).
            None => unsafe { allocator_api2::alloc::Global.deallocate(ptr, layout) },
        }
    }
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

    #[test]
    fn tables_in_os_pages_grow_and_give_their_memory_back() {
        use allocator_api2::alloc::Allocator;
        // A table grown through small and mapped blocks keeps its entries.
        let mut t: hashbrown::HashMap<u64, u64, _, super::OsPages> = hashbrown::HashMap::with_hasher_in(std::hash::RandomState::new(), super::OsPages);
        for k in 0..200_000u64 {
            t.insert(k.wrapping_mul(0x9e37_79b9_7f4a_7c15), k);
        }
        assert!((0..200_000u64).all(|k| t.get(&k.wrapping_mul(0x9e37_79b9_7f4a_7c15)) == Some(&k)));
        // A large block is a mapping of its own, gone when freed (`mincore` fails with
        // ENOMEM on addresses that are not mapped).
        let layout = std::alloc::Layout::from_size_align(1 << 20, 16).unwrap();
        let block = super::OsPages.allocate(layout).unwrap();
        let p = block.cast::<u8>();
        assert_eq!(p.as_ptr() as usize % 4096, 0);
        // SAFETY: the block is ours, `1 << 20` bytes long.
        unsafe { p.as_ptr().write_bytes(7, 1 << 20) };
        let mut pages = vec![0u8; 256];
        // SAFETY: `mincore` reads the page table only; `pages` has a byte for each of the 256
        // pages asked about.
        let mapped = |pages: &mut Vec<u8>| unsafe { libc::mincore(p.as_ptr().cast(), 1 << 20, pages.as_mut_ptr()) } == 0;
        assert!(mapped(&mut pages) && pages.iter().all(|&b| b & 1 == 1), "resident while in use");
        // SAFETY: allocated above with this layout, not used after.
        unsafe { super::OsPages.deallocate(p, layout) };
        assert!(!mapped(&mut pages), "returned to the system when freed");
    }
}
