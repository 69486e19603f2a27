//! Heap allocations per iteration of every bench line: a counting global allocator wraps the
//! system one, and each workload is run once to warm up, then once counted. credchain's lines
//! must allocate nothing (the run fails otherwise); the peers' counts are printed for
//! `BENCHMARKS.md`.
//!
//! `cargo bench -p credchain-benches --bench allocations` prints the table; `cargo test
//! --benches` runs the same checks. Not a criterion bench: the counts are exact, not sampled.

#![allow(
    unsafe_code,
    reason = "a GlobalAlloc is unsafe to implement; this one only forwards"
)]
#![allow(
    clippy::panic,
    clippy::arithmetic_side_effects,
    reason = "a failed check must stop the run; counters of a short run cannot overflow u64"
)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;

use credchain_benches::{
    CONFIG_50_PROFILES, IMDS_DOCUMENT, LOOKUP_PROFILE, LOOKUP_SECTION, imds, profile,
};
use credchain_core::profile::Dialect;

/// Allocation calls and bytes requested on this thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Usage {
    calls: u64,
    bytes: u64,
}

thread_local! {
    static USAGE: Cell<Usage> = const { Cell::new(Usage { calls: 0, bytes: 0 }) };
}

fn record(size: usize) {
    // The allocator may be called while this thread's locals are torn down: then skip.
    let _ = USAGE.try_with(|u| {
        let mut now = u.get();
        now.calls += 1;
        now.bytes += size as u64;
        u.set(now);
    });
}

struct Counting;

// SAFETY: each method hands its arguments to `System` unchanged and returns what it returns;
// the bookkeeping touches only a const-initialised thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller keeps `GlobalAlloc::alloc`'s contract, which `System` needs.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: as for `alloc`; `ptr` and `layout` come from this allocator, i.e. `System`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as for `realloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `routine` on a fresh `setup()` once to warm up, then once more counting only the
/// routine's allocations (the input's are made before the count starts).
fn measure<I, R>(setup: impl Fn() -> I, routine: impl Fn(I) -> R) -> Usage {
    black_box(routine(setup()));
    let input = setup();
    let before = USAGE.with(Cell::get);
    let out = routine(black_box(input));
    let after = USAGE.with(Cell::get);
    drop(black_box(out));
    Usage {
        calls: after.calls - before.calls,
        bytes: after.bytes - before.bytes,
    }
}

/// Peers that build owned strings and maps, so that a count of zero means a broken counter.
const OWNING_PEERS: [&str; 3] = ["serde_json/owned", "rust-ini", "configparser"];

struct Line {
    bench: &'static str,
    name: &'static str,
    credchain: bool,
    usage: Usage,
}

fn main() {
    let doc = IMDS_DOCUMENT;
    let text = CONFIG_50_PROFILES;
    let same = |s: &'static str| move || s;
    let owned = || text.to_owned();

    // The counter must see an allocation, or a zero below would prove nothing.
    let probe = measure(|| (), |()| vec![0u8; 64]);
    if probe.calls != 1 || probe.bytes != 64 {
        panic!("the counting allocator does not count: {probe:?}");
    }

    let mut lines = vec![
        Line {
            bench: "imds_document",
            name: "credchain/parse",
            credchain: true,
            usage: measure(same(doc), |d| imds::credchain_parse(d).is_ok()),
        },
        Line {
            bench: "imds_document",
            name: "credchain/parse+token+expiration",
            credchain: true,
            usage: measure(same(doc), imds::credchain_full),
        },
        Line {
            bench: "imds_document",
            name: "serde_json/owned",
            credchain: false,
            usage: measure(same(doc), imds::serde_json_owned),
        },
        Line {
            bench: "imds_document",
            name: "serde_json/borrowed",
            credchain: false,
            usage: measure(same(doc), |d| imds::serde_json_borrowed(d).is_ok()),
        },
        Line {
            bench: "imds_document",
            name: "serde_json_core/borrowed",
            credchain: false,
            usage: measure(same(doc), |d| imds::serde_json_core(d).is_ok()),
        },
    ];
    for (bench, lookup) in [("profile_file", false), ("profile_file_lookup", true)] {
        for (name, dialect) in [
            ("credchain/botocore", Dialect::Botocore),
            ("credchain/sdk", Dialect::Sdk),
        ] {
            let usage = if lookup {
                measure(same(text), |t| {
                    profile::credchain_lookup(t, dialect, LOOKUP_PROFILE).is_some()
                })
            } else {
                measure(same(text), |t| profile::credchain_visit(t, dialect))
            };
            lines.push(Line {
                bench,
                name,
                credchain: true,
                usage,
            });
        }
        let rust_ini = if lookup {
            measure(same(text), |t| profile::rust_ini_lookup(t, LOOKUP_SECTION))
        } else {
            measure(same(text), profile::rust_ini_visit)
        };
        lines.push(Line {
            bench,
            name: "rust-ini",
            credchain: false,
            usage: rust_ini,
        });
        let configparser = if lookup {
            measure(owned, |t| profile::configparser_lookup(t, LOOKUP_SECTION))
        } else {
            measure(owned, profile::configparser_visit)
        };
        lines.push(Line {
            bench,
            name: "configparser",
            credchain: false,
            usage: configparser,
        });
    }

    println!("| bench | line | allocations / iteration | bytes allocated / iteration |");
    println!("|---|---|---:|---:|");
    for line in &lines {
        println!(
            "| {} | {} | {} | {} |",
            line.bench, line.name, line.usage.calls, line.usage.bytes
        );
    }
    let allocating: Vec<_> = lines
        .iter()
        .filter(|l| l.credchain && l.usage != Usage::default())
        .map(|l| format!("{} {}: {:?}", l.bench, l.name, l.usage))
        .collect();
    if !allocating.is_empty() {
        panic!("credchain lines allocated: {allocating:?}");
    }
    let silent: Vec<_> = lines
        .iter()
        .filter(|l| OWNING_PEERS.contains(&l.name) && l.usage.calls == 0)
        .map(|l| format!("{} {}", l.bench, l.name))
        .collect();
    if !silent.is_empty() {
        panic!("peers that allocate were counted at zero: {silent:?}");
    }
}
