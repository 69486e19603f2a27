//! `memcpy`, `memmove`, `memset`, `memcmp` and `bcmp`: the five functions the compiler calls on
//! its own.
//!
//! rustc and LLVM turn slice copies, struct moves, zeroed arrays and slice comparisons into calls
//! to these C functions and expect someone to define them. In a normal program libc does. Here
//! there is no libc, and the `compiler_builtins` shipped for this target leaves them out (it
//! carries them only for targets that have no C library), so the image brings them. Linking a
//! static libc for them is not an option: glibc picks its `memcpy` through IFUNC relocations
//! that its start-up code resolves, and this image has no start-up code but its own `_start`.
//!
//! Copies and fills use the x86 string instructions (`rep movsb`, `rep stosb`), which modern
//! CPUs execute quickly and which cannot be "optimised" back into a call to the very function
//! being defined, the classic trap of writing `memcpy` as a loop. Comparisons are short loops.
//! [`self_test`] runs all five on tricky inputs when the image starts, and `check.sh`
//! disassembles them and fails if any of them calls anything.
//!
//! The x86-64 System V ABI guarantees the direction flag is clear on function entry and must be
//! clear on return; `memmove` sets it for a backward copy and clears it again.

use core::arch::asm;

/// Copies `n` bytes from `src` to `dest`; the two regions must not overlap.
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes, and the regions must not overlap.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees both regions are valid for `n` bytes; `rep movsb` copies
    // exactly `rcx` bytes forwards (the direction flag is clear per the ABI).
    unsafe {
        asm!(
            "rep movsb",
            inout("rcx") n => _,
            inout("rdi") dest => _,
            inout("rsi") src => _,
            options(nostack, preserves_flags),
        );
    }
    dest
}

/// Copies `n` bytes from `src` to `dest`; the regions may overlap.
///
/// # Safety
/// `src` must be readable and `dest` writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // A forward copy is safe unless `dest` starts inside `src`'s region.
    let forward = (dest as usize).wrapping_sub(src as usize) >= n;
    if forward {
        // SAFETY: same contract as `memcpy`, and a forward copy never reads a byte it has
        // already overwritten when `dest` does not start inside the source region.
        unsafe {
            asm!(
                "rep movsb",
                inout("rcx") n => _,
                inout("rdi") dest => _,
                inout("rsi") src => _,
                options(nostack, preserves_flags),
            );
        }
    } else {
        // Here `n > dest - src > 0`, so `n >= 1` and the last byte of each region is at offset
        // `n - 1`. Copying from the end backwards (direction flag set) never overwrites a source
        // byte before reading it; the flag is cleared again as the ABI requires.
        let last = n.wrapping_sub(1);
        // SAFETY: both regions are valid for `n` bytes (caller), so `dest + last` and
        // `src + last` are their last bytes; `rep movsb` with DF=1 copies `n` bytes down to
        // `dest`/`src`, and `cld` restores the direction flag.
        unsafe {
            asm!(
                "std",
                "rep movsb",
                "cld",
                inout("rcx") n => _,
                inout("rdi") dest.wrapping_add(last) => _,
                inout("rsi") src.wrapping_add(last) => _,
                options(nostack),
            );
        }
    }
    dest
}

/// Sets `n` bytes at `dest` to the low byte of `c`.
///
/// # Safety
/// `dest` must be writable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memset(dest: *mut u8, c: i32, n: usize) -> *mut u8 {
    // SAFETY: the caller guarantees `dest` is writable for `n` bytes; `rep stosb` stores `al`
    // into exactly `rcx` bytes forwards.
    unsafe {
        asm!(
            "rep stosb",
            inout("rcx") n => _,
            inout("rdi") dest => _,
            in("al") c as u8,
            options(nostack, preserves_flags),
        );
    }
    dest
}

/// Compares `n` bytes as unsigned chars: negative, zero or positive as `a` sorts before, equal
/// to or after `b`.
///
/// # Safety
/// Both `a` and `b` must be readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: `i < n` and `a` is readable for `n` bytes (caller).
        let x = unsafe { *a.wrapping_add(i) };
        // SAFETY: `i < n` and `b` is readable for `n` bytes (caller).
        let y = unsafe { *b.wrapping_add(i) };
        if x != y {
            return if x < y { -1 } else { 1 };
        }
        i = i.wrapping_add(1);
    }
    0
}

/// Whether `n` bytes at `a` and `b` differ: zero if equal, non-zero otherwise. LLVM calls this
/// for equality tests of byte slices and strings.
///
/// # Safety
/// Both `a` and `b` must be readable for `n` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: same contract as `memcmp`.
    unsafe { memcmp(a, b, n) }
}

/// Checks the five functions on known inputs, including the cases that are easy to get wrong:
/// overlapping moves in both directions, empty ranges, and bytes above 127 (compared unsigned).
/// Returns the name of the first function that misbehaved.
///
/// The image runs this before anything else: the functions are `unsafe` code that everything
/// else relies on, and some (`memmove`, `memcmp`) may otherwise not be called at all. They are
/// called through function pointers the optimiser cannot see through, so what runs is the
/// out-of-line symbol the rest of the image links to, not a copy inlined here.
pub fn self_test() -> Result<(), &'static str> {
    use core::hint::black_box;

    type Copy = unsafe extern "C" fn(*mut u8, *const u8, usize) -> *mut u8;
    type Fill = unsafe extern "C" fn(*mut u8, i32, usize) -> *mut u8;
    type Compare = unsafe extern "C" fn(*const u8, *const u8, usize) -> i32;
    let memcpy: Copy = black_box(memcpy);
    let memmove: Copy = black_box(memmove);
    let memset: Fill = black_box(memset);
    let memcmp: Compare = black_box(memcmp);
    let bcmp: Compare = black_box(bcmp);

    let mut a = *b"0123456789abcdef";
    let src = *b"ABCDEFGHIJKLMNOP";
    // SAFETY: both arrays are 16 bytes and distinct.
    unsafe {
        memcpy(
            black_box(a.as_mut_ptr()),
            black_box(src.as_ptr()),
            black_box(10),
        )
    };
    if &a != b"ABCDEFGHIJabcdef" {
        return Err("memcpy");
    }
    // SAFETY: a zero-length copy touches nothing.
    unsafe {
        memcpy(
            black_box(a.as_mut_ptr()),
            black_box(src.as_ptr()),
            black_box(0),
        )
    };
    if &a != b"ABCDEFGHIJabcdef" {
        return Err("memcpy of 0 bytes");
    }

    let mut m = *b"0123456789abcdef";
    let p = m.as_mut_ptr();
    // Forward overlap: bytes 4..14 move to 2..12.
    // SAFETY: both ranges lie inside the 16-byte array `m`.
    unsafe {
        memmove(
            black_box(p.wrapping_add(2)),
            black_box(p.wrapping_add(4)),
            black_box(10),
        )
    };
    if &m != b"01456789abcdcdef" {
        return Err("memmove towards lower addresses");
    }
    let mut m = *b"0123456789abcdef";
    let p = m.as_mut_ptr();
    // Backward overlap: bytes 2..12 move to 4..14.
    // SAFETY: both ranges lie inside the 16-byte array `m`.
    unsafe {
        memmove(
            black_box(p.wrapping_add(4)),
            black_box(p.wrapping_add(2)),
            black_box(10),
        )
    };
    if &m != b"012323456789abef" {
        return Err("memmove towards higher addresses");
    }
    // SAFETY: a zero-length move touches nothing.
    unsafe { memmove(black_box(p.wrapping_add(4)), black_box(p), black_box(0)) };
    if &m != b"012323456789abef" {
        return Err("memmove of 0 bytes");
    }

    let mut z = [7u8; 16];
    // SAFETY: bytes 3..12 lie inside the 16-byte array `z`.
    unsafe {
        memset(
            black_box(z.as_mut_ptr().wrapping_add(3)),
            black_box(0x1a5),
            black_box(9),
        )
    };
    if z != [
        7, 7, 7, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 7, 7, 7, 7,
    ] {
        return Err("memset");
    }

    let x = [1u8, 2, 3, 0x80];
    let y = [1u8, 2, 3, 0x7f];
    let cmp = |a: &[u8; 4], b: &[u8; 4], n: usize| {
        // SAFETY: both arrays are 4 bytes and `n <= 4` at every call below.
        unsafe { memcmp(black_box(a.as_ptr()), black_box(b.as_ptr()), black_box(n)) }
    };
    let ne = |a: &[u8; 4], b: &[u8; 4], n: usize| {
        // SAFETY: both arrays are 4 bytes and `n <= 4` at every call below.
        unsafe { bcmp(black_box(a.as_ptr()), black_box(b.as_ptr()), black_box(n)) }
    };
    if cmp(&x, &y, 3) != 0 || cmp(&x, &y, 4) <= 0 || cmp(&y, &x, 4) >= 0 || cmp(&x, &y, 0) != 0 {
        return Err("memcmp");
    }
    if ne(&x, &y, 3) != 0 || ne(&x, &y, 4) == 0 || ne(&x, &x, 4) != 0 {
        return Err("bcmp");
    }
    Ok(())
}
