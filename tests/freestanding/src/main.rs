//! # credchain-freestanding
//!
//! A Linux x86_64 program with no standard library, no C library, no start-up files and no
//! global allocator, that links `credchain-core` and `credchain-embedded` and runs in one of two
//! modes:
//!
//! - **offline** (the default): parses a credentials file and an IMDS credentials document
//!   embedded in it, and prints what it found;
//! - **network**, when `CREDCHAIN_IMDS_ENDPOINT=http://127.0.0.1:PORT` is in its environment:
//!   fetches the instance role's credentials from that IMDS over a TCP socket made of raw
//!   system calls, as botocore's `iam-role` provider does, and prints them (secrets only as
//!   lengths).
//!
//! If it links, the core and the embedded driver need neither `std` nor a heap; `check.sh` runs
//! both modes (the second against `credchain-server`'s IMDS on loopback), checks what they
//! print, and reads the symbol table to make sure no allocator crept in.
//!
//! What is here, from the bottom up:
//!
//! - `_start` (below): the entry point the kernel jumps to. It aligns the stack and calls Rust,
//!   passing the initial stack pointer, where the environment is.
//! - [`sys`]: raw system calls (`read`, `write`, `sendto`, `close`, `socket`, `connect`,
//!   `setsockopt`, `clock_gettime`, `nanosleep`, `exit_group`), the image's only contact with
//!   the world.
//! - [`mem`]: `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp`, which the compiler calls and libc
//!   would normally provide.
//! - [`out`]: a buffered `core::fmt::Write` to a file descriptor.
//! - [`env`]: the environment variables, read from the initial stack.
//! - [`net`]: a TCP socket implementing `embedded_io::{Read, Write}`, and the connector the
//!   embedded driver opens sockets and reads the clock with.
//! - [`report`]: the offline mode: parse the embedded inputs, print the findings.
//! - [`fetch`]: the network mode: fetch role credentials from an IMDS, print them.
//! - the panic handler: prints the panic to standard error and exits with status 101.

#![no_std]
#![no_main]

mod env;
mod fetch;
mod mem;
mod net;
mod out;
mod report;
mod sys;

use core::fmt::{self, Write as _};

use env::Environment;
use out::Out;
use sys::Fd;

/// The process entry point, where the kernel starts the program.
///
/// On entry `rsp` points at `argc`, followed by `argv`, `envp` and the auxiliary vector; there is
/// no return address. The System V ABI wants `rsp` to be a multiple of 16 just before a `call`,
/// so the stack is aligned explicitly before calling into Rust (the kernel does align it, but
/// the image should not depend on that). `rbp` is zeroed to mark the outermost frame for
/// debuggers, and `rdi` passes the initial stack pointer, where [`env`] finds the environment.
#[unsafe(naked)]
#[unsafe(no_mangle)]
pub extern "C" fn _start() -> ! {
    core::arch::naked_asm!(
        "xor ebp, ebp",
        "mov rdi, rsp",
        "and rsp, -16",
        "call {entry}",
        // `entry` never returns; trap if it somehow does.
        "ud2",
        entry = sym entry,
    )
}

/// The first Rust code to run: does the work and exits with its status.
extern "C" fn entry(initial_stack: *const usize) -> ! {
    // SAFETY: `_start` passes the stack pointer the kernel started the process with, before
    // anything was pushed on it.
    let env = unsafe { Environment::from_initial_stack(initial_stack) };
    sys::exit(run(&env))
}

/// Why the image failed.
#[derive(Debug, Clone, Copy)]
enum Failure {
    /// The offline mode (or the mem* self-test).
    Report(report::Failure),
    /// The network mode.
    Fetch(fetch::Failure),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Report(e) => e.fmt(f),
            Failure::Fetch(e) => e.fmt(f),
        }
    }
}

/// Runs the image: prints a banner, checks the mem* functions, then fetches credentials from
/// the IMDS named by `CREDCHAIN_IMDS_ENDPOINT` when it is set, or prints the report of the
/// embedded files when it is not. Returns the exit status: 0 when everything passed and was
/// printed, 1 otherwise (with the reason on standard error).
fn run(env: &Environment) -> i32 {
    let mut stdout = Out::new(Fd::STDOUT);
    let _ = writeln!(
        stdout,
        "credchain-freestanding: no_std, no_main, no global allocator"
    );
    let result = match mem::self_test() {
        Ok(()) => {
            let _ = writeln!(
                stdout,
                "mem self-test: memcpy memmove memset memcmp bcmp ok"
            );
            match env.get(fetch::ENDPOINT_VARIABLE) {
                Some(endpoint) => fetch::fetch_role_credentials(&mut stdout, env, endpoint)
                    .map_err(Failure::Fetch),
                None => report::parse_embedded(&mut stdout).map_err(Failure::Report),
            }
        }
        Err(function) => Err(Failure::Report(report::Failure::Mem(function))),
    };
    let flushed = stdout.flush();

    let mut stderr = Out::new(Fd::STDERR);
    let status = match (result, flushed) {
        (Ok(()), Ok(())) => 0,
        (Err(failure), _) => {
            let _ = writeln!(stderr, "credchain-freestanding: {failure}");
            1
        }
        (Ok(()), Err(errno)) => {
            let _ = writeln!(
                stderr,
                "credchain-freestanding: writing the report: {errno}"
            );
            1
        }
    };
    let _ = stderr.flush();
    status
}

/// The personality routine named by the unwind tables of the precompiled `core`.
///
/// `core` ships built for unwinding, so some of its functions carry landing pads whose tables
/// refer to `rust_eh_personality`, which `std` normally provides. Whether the linker keeps such a
/// function depends on inlining (the release build happens to drop them all, the debug build
/// does not), so the symbol is defined here. It can never run: with `panic = "abort"` nothing
/// starts an unwind, and no unwinder is linked that could call it. Should it be called anyway,
/// it ends the process.
#[unsafe(no_mangle)]
pub extern "C" fn rust_eh_personality() -> ! {
    sys::exit(134)
}

/// Prints the panic's location and message to standard error and exits with status 101, as a
/// std program's default panic would. There is no unwinding (`panic = "abort"`).
#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    let mut stderr = Out::new(Fd::STDERR);
    let _ = writeln!(stderr, "credchain-freestanding: {info}");
    let _ = stderr.flush();
    sys::exit(101)
}
