//! The program's arguments and environment, read from the stack the kernel built.
//!
//! A freestanding program has no `std::env`: the kernel leaves everything on the initial stack,
//! where `_start` finds it and passes its address on. The layout is fixed by the System V ABI
//! for x86_64:
//!
//! ```text
//! rsp ->  argc
//!         argv[0] … argv[argc - 1]   pointers to NUL-terminated strings
//!         NULL
//!         envp[0] … envp[n - 1]      pointers to "NAME=value\0"
//!         NULL
//!         auxiliary vector …
//! ```
//!
//! The strings live until the process ends, so they are handed out as `&'static str`.
//! Entries that are not UTF-8 are skipped.

use core::ffi::c_char;

/// The environment variables of the process.
#[derive(Debug, Clone, Copy)]
pub struct Environment {
    vars: &'static [*const c_char],
}

impl Environment {
    /// Reads the environment from the initial stack.
    ///
    /// # Safety
    /// `initial_stack` must be the stack pointer the kernel passed to `_start`, and the memory
    /// it describes must not have been changed.
    pub unsafe fn from_initial_stack(initial_stack: *const usize) -> Environment {
        // SAFETY: the caller guarantees `initial_stack` points at `argc`.
        let argc = unsafe { initial_stack.read() };
        // `envp` starts after `argc`, the `argc` argument pointers and their NULL.
        let envp = initial_stack
            .wrapping_add(argc.saturating_add(2))
            .cast::<*const c_char>();
        let mut count = 0usize;
        // SAFETY: the kernel ends `envp` with a NULL pointer, so every slot read up to and
        // including it is part of the array.
        while !unsafe { envp.wrapping_add(count).read() }.is_null() {
            count = count.saturating_add(1);
        }
        // SAFETY: `count` pointers from `envp` were just read: they are initialised, aligned,
        // and stay untouched for the life of the process.
        let vars = unsafe { core::slice::from_raw_parts(envp, count) };
        Environment { vars }
    }

    /// The value of variable `name`, if it is set (and UTF-8). The first of duplicates wins,
    /// as `getenv` does.
    pub fn get(&self, name: &str) -> Option<&'static str> {
        self.vars.iter().find_map(|&entry| {
            // SAFETY: each entry is a NUL-terminated string the kernel copied onto the
            // initial stack, alive for the whole process.
            let bytes = unsafe { c_string(entry) };
            let text = core::str::from_utf8(bytes).ok()?;
            let (key, value) = text.split_once('=')?;
            (key == name).then_some(value)
        })
    }
}

/// The bytes of the NUL-terminated string at `p`, without the NUL.
///
/// `CStr::from_ptr` would do, but it calls the C library's `strlen`, which this image does not
/// have. The bytes are read with `read_volatile` so that the compiler cannot recognise the loop
/// as `strlen` and call it anyway.
///
/// # Safety
/// `p` must point at a NUL-terminated string that is never changed or freed.
unsafe fn c_string(p: *const c_char) -> &'static [u8] {
    let p = p.cast::<u8>();
    let mut len = 0usize;
    // SAFETY: every byte up to and including the NUL belongs to the string, and the loop stops
    // at the NUL, so `p + len` never leaves it.
    while unsafe { p.wrapping_add(len).read_volatile() } != 0 {
        len = len.saturating_add(1);
    }
    // SAFETY: the `len` bytes before the NUL were just read; the caller guarantees they live
    // and stay unchanged for the rest of the process.
    unsafe { core::slice::from_raw_parts(p, len) }
}
