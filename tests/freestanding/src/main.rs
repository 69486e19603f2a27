//! # credchain-freestanding
//!
//! A Linux x86_64 program with no standard library, no C library, no start-up files and no
//! global allocator, that links `credchain-core`, parses a credentials file and an IMDS
//! credentials document embedded in it, and prints what it found. If it links, the core needs
//! neither `std` nor a heap; `check.sh` runs it, checks what it prints, and reads its symbol
//! table to make sure no allocator crept in.
//!
//! What is here, from the bottom up:
//!
//! - `_start` (below): the entry point the kernel jumps to. It aligns the stack and calls Rust.
//! - [`sys`]: raw system calls (`write`, `exit_group`), the image's only contact with the world.
//! - [`mem`]: `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp`, which the compiler calls and libc
//!   would normally provide.
//! - [`out`]: a buffered `core::fmt::Write` to a file descriptor.
//! - [`report`]: the part that uses the core: parse the embedded inputs, print the findings.
//! - the panic handler: prints the panic to standard error and exits with status 101.

#![no_std]
#![no_main]

mod mem;
mod out;
mod report;
mod sys;

use core::fmt::Write as _;

use out::Out;
use sys::Fd;

/// The process entry point, where the kernel starts the program.
///
/// On entry `rsp` points at `argc`, followed by `argv`, `envp` and the auxiliary vector; there is
/// no return address. The System V ABI wants `rsp` to be a multiple of 16 just before a `call`,
/// so the stack is aligned explicitly before calling into Rust (the kernel does align it, but
/// the image should not depend on that). `rbp` is zeroed to mark the outermost frame for
/// debuggers, and `rdi` passes the initial stack pointer, where a later version can find its
/// arguments and environment.
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
extern "C" fn entry(_initial_stack: *const usize) -> ! {
    sys::exit(run())
}

/// Runs the image: prints a banner, checks the mem* functions, then prints the report. Returns
/// the exit status: 0 when everything passed, parsed and was printed, 1 otherwise (with the
/// reason on standard error).
fn run() -> i32 {
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
            report::parse_embedded(&mut stdout)
        }
        Err(function) => Err(report::Failure::Mem(function)),
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
