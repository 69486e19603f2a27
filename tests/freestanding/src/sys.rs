//! Raw Linux x86_64 system calls: the only way this image talks to the world.
//!
//! There is no libc underneath. Each call is a `syscall` instruction with the number in `rax`
//! and up to six arguments in `rdi, rsi, rdx, r10, r8, r9`; the kernel clobbers `rcx` and `r11`
//! and returns a value in `rax` that is either a result or, between -4095 and -1, a negated
//! `errno`.
//!
//! The layer has three levels, so that a new call (the socket, connect, read and close a later
//! IMDS client needs) is one number in [`nr`] and one small safe wrapper:
//!
//! 1. [`raw`]: `syscall3` (calls of up to three arguments: write, and later socket, connect,
//!    read, close) and `syscall1_noreturn` (exit), one `asm!` block each.
//! 2. [`Errno`]: turns a raw return value into `Result<usize, Errno>`.
//! 3. Safe wrappers ([`write`], [`exit`]) that take Rust types (`Fd`, `&[u8]`) and uphold the
//!    kernel's expectations about pointers and lengths themselves.

use core::fmt;

/// System call numbers of Linux x86_64 (`arch/x86/entry/syscalls/syscall_64.tbl`).
pub mod nr {
    /// `write(fd, buf, count)`.
    pub const WRITE: usize = 1;
    /// `exit_group(status)`: ends every thread of the process.
    pub const EXIT_GROUP: usize = 231;
}

/// The `syscall` instruction itself.
pub mod raw {
    use core::arch::asm;

    /// Makes system call `n`, which never returns (`exit_group`), with one argument.
    ///
    /// # Safety
    /// Call `n` must be one that does not return to the caller.
    #[inline(always)]
    pub unsafe fn syscall1_noreturn(n: usize, a1: usize) -> ! {
        // SAFETY: the caller guarantees the call does not return, so nothing after the
        // instruction runs and no register needs to survive it.
        unsafe {
            asm!(
                "syscall",
                in("rax") n,
                in("rdi") a1,
                options(noreturn, nostack),
            )
        }
    }

    /// Makes system call `n` with three arguments and returns `rax` as the kernel left it.
    ///
    /// # Safety
    /// Every pointer argument must be valid for what call `n` does with it (read or write, for
    /// the length given).
    #[inline(always)]
    pub unsafe fn syscall3(n: usize, a1: usize, a2: usize, a3: usize) -> isize {
        let ret: isize;
        // SAFETY: the caller guarantees the call's contract; the asm only uses the registers it
        // names and declares the two (rcx, r11) the instruction clobbers.
        unsafe {
            asm!(
                "syscall",
                inlateout("rax") n as isize => ret,
                in("rdi") a1,
                in("rsi") a2,
                in("rdx") a3,
                lateout("rcx") _,
                lateout("r11") _,
                options(nostack),
            );
        }
        ret
    }
}

/// An error number the kernel returned (`EINTR`, `EBADF`, `EPIPE`, …).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Errno(pub u16);

impl Errno {
    /// Interrupted by a signal before anything happened: the call may simply be repeated.
    pub const EINTR: Errno = Errno(4);
    /// An input/output error.
    pub const EIO: Errno = Errno(5);

    /// Splits a raw return value into a result or an error: Linux reports errors as the
    /// negated error number, from -4095 to -1.
    fn check(ret: isize) -> Result<usize, Errno> {
        if (-4095..0).contains(&ret) {
            Err(Errno(ret.unsigned_abs() as u16))
        } else {
            Ok(ret.unsigned_abs())
        }
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "system call failed with errno {}", self.0)
    }
}

/// A file descriptor: an open file, pipe or (later) socket of this process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fd(pub i32);

impl Fd {
    /// Standard output.
    pub const STDOUT: Fd = Fd(1);
    /// Standard error.
    pub const STDERR: Fd = Fd(2);
}

/// Writes some of `buf` to `fd` and returns how many bytes the kernel took (possibly fewer than
/// `buf.len()`; see [`write_all`]).
pub fn write(fd: Fd, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is a live slice, readable for `buf.len()` bytes, which is all `write` reads.
    let ret = unsafe { raw::syscall3(nr::WRITE, fd.0 as usize, buf.as_ptr() as usize, buf.len()) };
    Errno::check(ret)
}

/// Writes all of `buf` to `fd`, repeating after short writes and interruptions.
pub fn write_all(fd: Fd, mut buf: &[u8]) -> Result<(), Errno> {
    while !buf.is_empty() {
        match write(fd, buf) {
            // A zero-byte write of a non-empty buffer would repeat forever: call it an I/O error.
            Ok(0) => return Err(Errno::EIO),
            Ok(n) => buf = buf.get(n..).unwrap_or_default(),
            Err(Errno::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Ends the process with `status` (of which the parent sees the low 8 bits).
pub fn exit(status: i32) -> ! {
    // SAFETY: `exit_group` takes no pointer and never returns.
    unsafe { raw::syscall1_noreturn(nr::EXIT_GROUP, status as usize) }
}
