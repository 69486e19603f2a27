//! A counting global allocator for the zero-allocation proofs.
//!
//! A test binary installs it with
//!
//! ```ignore
//! #[global_allocator]
//! static GLOBAL: credchain_tests::alloc::CountingAllocator = credchain_tests::alloc::CountingAllocator;
//! ```
//!
//! and then asks [`count`] how many allocations a closure made. The counter is per thread, so
//! the test harness's other threads (and tokio's workers) do not disturb a measurement; code
//! under test that hands work to another thread is not counted, so keep measured code on the
//! calling thread.

#![allow(unsafe_code)] // a GlobalAlloc impl is unsafe by definition; it only forwards to System.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

/// Forwards every request to [`System`] and counts allocations (not frees) per thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // `try_with`: the allocator may run while this thread's locals are being torn down.
    let _ = ALLOCATIONS.try_with(|c| c.set(c.get().saturating_add(1)));
}

// SAFETY: every method forwards to the system allocator unchanged; counting touches only a
// const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract; we pass it on.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Runs `f` once and returns its result with the number of allocations it made on this thread.
///
/// Only meaningful in a binary whose global allocator is [`CountingAllocator`]; elsewhere the
/// count is always 0.
pub fn count<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = ALLOCATIONS.with(Cell::get);
    let r = f();
    let after = ALLOCATIONS.with(Cell::get);
    (r, after.saturating_sub(before))
}

/// Runs `f` twice (the first run warms up anything initialised lazily) and returns how many
/// allocations the second run made on this thread.
pub fn allocations<R>(mut f: impl FnMut() -> R) -> u64 {
    black_box(f());
    count(|| black_box(f())).1
}

/// Runs `f` once and panics, naming `what`, if it allocated on this thread.
pub fn no_alloc<R>(what: &str, f: impl FnOnce() -> R) -> R {
    let (r, n) = count(f);
    assert_eq!(n, 0, "{what} allocated {n} times");
    r
}

/// Panics unless this binary's global allocator is [`CountingAllocator`]: without it every count
/// is 0 and a zero-allocation proof would prove nothing. Each such test binary calls it once.
pub fn assert_installed() {
    let (_, n) = count(|| black_box(vec![1u8; 64]));
    assert!(
        n >= 1,
        "the counting allocator saw no allocation: the proofs here would be empty"
    );
}
