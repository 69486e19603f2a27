//! Raw Linux x86_64 system calls: the only way this image talks to the world.
//!
//! There is no libc underneath. Each call is a `syscall` instruction with the number in `rax`
//! and up to six arguments in `rdi, rsi, rdx, r10, r8, r9`; the kernel clobbers `rcx` and `r11`
//! and returns a value in `rax` that is either a result or, between -4095 and -1, a negated
//! `errno`.
//!
//! The layer has three levels, so that a new call is one number in [`nr`] and one small safe
//! wrapper:
//!
//! 1. [`raw`]: `syscall3` (calls of up to three arguments), `syscall5` (`setsockopt`) and
//!    `syscall1_noreturn` (exit), one `asm!` block each.
//! 2. [`Errno`]: turns a raw return value into `Result<usize, Errno>`.
//! 3. Safe wrappers that take Rust types (`Fd`, `&[u8]`, `&mut [u8]`, [`SockAddrIn`],
//!    `Duration`) and uphold the kernel's expectations about pointers and lengths themselves:
//!    [`write`], [`read`], [`close`], [`exit`] for files; [`socket`], [`connect`],
//!    [`set_socket_timeout`] for the IMDS client's TCP connections; [`clock_gettime`] and
//!    [`nanosleep`] for its clock.

use core::fmt;
use core::time::Duration;

/// System call numbers of Linux x86_64 (`arch/x86/entry/syscalls/syscall_64.tbl`).
pub mod nr {
    /// `read(fd, buf, count)`.
    pub const READ: usize = 0;
    /// `write(fd, buf, count)`.
    pub const WRITE: usize = 1;
    /// `close(fd)`.
    pub const CLOSE: usize = 3;
    /// `nanosleep(req, rem)`.
    pub const NANOSLEEP: usize = 35;
    /// `socket(domain, type, protocol)`.
    pub const SOCKET: usize = 41;
    /// `connect(fd, addr, addrlen)`.
    pub const CONNECT: usize = 42;
    /// `sendto(fd, buf, len, flags, dest_addr, addrlen)`.
    pub const SENDTO: usize = 44;
    /// `setsockopt(fd, level, optname, optval, optlen)`.
    pub const SETSOCKOPT: usize = 54;
    /// `clock_gettime(clockid, tp)`.
    pub const CLOCK_GETTIME: usize = 228;
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

    /// Makes system call `n` with five arguments and returns `rax` as the kernel left it.
    ///
    /// # Safety
    /// As [`syscall3`]: every pointer argument must be valid for what call `n` does with it.
    #[inline(always)]
    pub unsafe fn syscall5(
        n: usize,
        a1: usize,
        a2: usize,
        a3: usize,
        a4: usize,
        a5: usize,
    ) -> isize {
        let ret: isize;
        // SAFETY: the caller guarantees the call's contract; the fourth and fifth arguments go
        // in r10 and r8 (the kernel's convention, not the C one), and rcx and r11 are clobbered.
        unsafe {
            asm!(
                "syscall",
                inlateout("rax") n as isize => ret,
                in("rdi") a1,
                in("rsi") a2,
                in("rdx") a3,
                in("r10") a4,
                in("r8") a5,
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
    /// A timeout set with `SO_RCVTIMEO`/`SO_SNDTIMEO` ran out (also `EWOULDBLOCK`).
    pub const EAGAIN: Errno = Errno(11);
    /// The other side is gone (writing to a connection the peer closed).
    pub const EPIPE: Errno = Errno(32);
    /// The socket is not connected.
    pub const ENOTCONN: Errno = Errno(107);
    /// The connection was aborted locally.
    pub const ECONNABORTED: Errno = Errno(103);
    /// The peer reset the connection.
    pub const ECONNRESET: Errno = Errno(104);
    /// `connect` timed out inside the kernel (no answer to the SYN).
    pub const ETIMEDOUT: Errno = Errno(110);
    /// Nothing listens on the port.
    pub const ECONNREFUSED: Errno = Errno(111);
    /// No route to the host.
    pub const EHOSTUNREACH: Errno = Errno(113);
    /// `connect` on a blocking socket whose `SO_SNDTIMEO` ran out before the handshake ended.
    pub const EINPROGRESS: Errno = Errno(115);
    /// The network is unreachable.
    pub const ENETUNREACH: Errno = Errno(101);

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

/// A file descriptor: an open file, pipe or socket of this process.
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

/// Reads up to `buf.len()` bytes from `fd`; `Ok(0)` is the end of the stream.
pub fn read(fd: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is a live, exclusively borrowed slice, writable for `buf.len()` bytes, which
    // is all `read` writes.
    let ret = unsafe {
        raw::syscall3(
            nr::READ,
            fd.0 as usize,
            buf.as_mut_ptr() as usize,
            buf.len(),
        )
    };
    Errno::check(ret)
}

/// Closes `fd`. Linux releases the descriptor even when `close` reports an error, so there is
/// nothing to retry.
pub fn close(fd: Fd) -> Result<(), Errno> {
    // SAFETY: `close` takes no pointer.
    let ret = unsafe { raw::syscall3(nr::CLOSE, fd.0 as usize, 0, 0) };
    Errno::check(ret).map(|_| ())
}

/// `AF_INET`: IPv4.
pub const AF_INET: u16 = 2;
/// `SOCK_STREAM`: TCP.
const SOCK_STREAM: usize = 1;
/// `SOCK_CLOEXEC`: not inherited by programs this one would start (it starts none, but a
/// socket should not leak).
const SOCK_CLOEXEC: usize = 0o2_000_000;
/// `SOL_SOCKET`: options of the socket itself.
const SOL_SOCKET: usize = 1;
/// `SO_RCVTIMEO`: how long a read may wait.
const SO_RCVTIMEO: usize = 20;
/// `SO_SNDTIMEO`: how long a write, or a blocking `connect`, may wait.
const SO_SNDTIMEO: usize = 21;
/// `CLOCK_MONOTONIC`: time since an arbitrary point, never set back.
pub const CLOCK_MONOTONIC: usize = 1;

/// `struct sockaddr_in`: an IPv4 address and port, both in network byte order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct SockAddrIn {
    family: u16,
    port_be: u16,
    addr: [u8; 4],
    zero: [u8; 8],
}

impl SockAddrIn {
    /// The address `a.b.c.d:port`.
    pub const fn new(addr: [u8; 4], port: u16) -> Self {
        SockAddrIn {
            family: AF_INET,
            port_be: port.to_be(),
            addr,
            zero: [0; 8],
        }
    }
}

/// `struct timeval` / `struct timespec` of x86_64: seconds and a fraction (micro- or
/// nanoseconds), both 64-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[repr(C)]
struct Time64 {
    secs: i64,
    frac: i64,
}

/// `MSG_NOSIGNAL`: a send to a connection the peer closed fails with `EPIPE` instead of
/// raising `SIGPIPE`, whose default action would end the process.
const MSG_NOSIGNAL: usize = 0x4000;

/// Sends some of `buf` on the connected socket `fd` and returns how many bytes the kernel took.
/// Unlike [`write`], a peer that has gone away is an error ([`Errno::EPIPE`]), not a signal.
pub fn send(fd: Fd, buf: &[u8]) -> Result<usize, Errno> {
    // SAFETY: `buf` is a live slice, readable for `buf.len()` bytes, which is all `sendto`
    // reads; the destination address is null (the socket is connected), so its length is
    // ignored.
    let ret = unsafe {
        raw::syscall5(
            nr::SENDTO,
            fd.0 as usize,
            buf.as_ptr() as usize,
            buf.len(),
            MSG_NOSIGNAL,
            0,
        )
    };
    Errno::check(ret)
}

/// Opens a TCP socket (IPv4, blocking, close-on-exec).
pub fn socket() -> Result<Fd, Errno> {
    // SAFETY: `socket` takes no pointer.
    let ret = unsafe {
        raw::syscall3(
            nr::SOCKET,
            usize::from(AF_INET),
            SOCK_STREAM | SOCK_CLOEXEC,
            0,
        )
    };
    // A descriptor is a small non-negative int.
    Errno::check(ret).map(|fd| Fd(i32::try_from(fd).unwrap_or(-1)))
}

/// Connects `fd` to `addr`, blocking at most the socket's `SO_SNDTIMEO` (then
/// [`Errno::EINPROGRESS`]).
pub fn connect(fd: Fd, addr: &SockAddrIn) -> Result<(), Errno> {
    let addr_ptr: *const SockAddrIn = addr;
    // SAFETY: `addr` is a live `sockaddr_in` of the size passed, which `connect` only reads.
    let ret = unsafe {
        raw::syscall3(
            nr::CONNECT,
            fd.0 as usize,
            addr_ptr as usize,
            core::mem::size_of::<SockAddrIn>(),
        )
    };
    Errno::check(ret).map(|_| ())
}

/// Sets both `SO_RCVTIMEO` and `SO_SNDTIMEO` of `fd` to `timeout`, rounded up to a whole
/// microsecond so that a tiny timeout does not become zero, which the kernel reads as "wait
/// forever".
pub fn set_socket_timeout(fd: Fd, timeout: Duration) -> Result<(), Errno> {
    let mut micros = i64::from(timeout.subsec_nanos().div_ceil(1000));
    let mut secs = i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX);
    if micros == 1_000_000 {
        micros = 0;
        secs = secs.saturating_add(1);
    }
    if secs == 0 && micros == 0 {
        micros = 1;
    }
    let tv = Time64 { secs, frac: micros };
    for option in [SO_RCVTIMEO, SO_SNDTIMEO] {
        let tv_ptr: *const Time64 = &tv;
        // SAFETY: `tv` is a live `struct timeval` of the size passed, which `setsockopt` only
        // reads.
        let ret = unsafe {
            raw::syscall5(
                nr::SETSOCKOPT,
                fd.0 as usize,
                SOL_SOCKET,
                option,
                tv_ptr as usize,
                core::mem::size_of::<Time64>(),
            )
        };
        Errno::check(ret)?;
    }
    Ok(())
}

/// The time of `clock` (such as [`CLOCK_MONOTONIC`]) as a duration since its origin.
pub fn clock_gettime(clock: usize) -> Result<Duration, Errno> {
    let mut ts = Time64::default();
    let ts_ptr: *mut Time64 = &mut ts;
    // SAFETY: `ts` is a live, exclusively borrowed `struct timespec`, which the call fills.
    let ret = unsafe { raw::syscall3(nr::CLOCK_GETTIME, clock, ts_ptr as usize, 0) };
    Errno::check(ret)?;
    let secs = u64::try_from(ts.secs).unwrap_or(0);
    let nanos = u32::try_from(ts.frac).unwrap_or(0).min(999_999_999);
    Ok(Duration::new(secs, nanos))
}

/// Sleeps for `duration` (restarting after a signal, until it has all passed).
pub fn nanosleep(duration: Duration) {
    let mut req = Time64 {
        secs: i64::try_from(duration.as_secs()).unwrap_or(i64::MAX),
        frac: i64::from(duration.subsec_nanos()),
    };
    loop {
        let mut rem = Time64::default();
        let (req_ptr, rem_ptr): (*const Time64, *mut Time64) = (&req, &mut rem);
        // SAFETY: `req` is a live `struct timespec` the call reads, `rem` a live, exclusively
        // borrowed one it may fill.
        let ret = unsafe { raw::syscall3(nr::NANOSLEEP, req_ptr as usize, rem_ptr as usize, 0) };
        match Errno::check(ret) {
            Err(Errno::EINTR) => req = rem,
            _ => return,
        }
    }
}
