//! Zero allocation: a full walk of the chain planner — parsing both files, every source in
//! order, a role plan, a `credential_process` hand-off and report, rendering the trace into a
//! fixed buffer — allocates nothing. The counting allocator is the one of `zero_alloc.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::fmt::Write as _;
use std::hint::black_box;

use credchain_core::buf::Writer;
use credchain_core::chain::{
    Action, ActionOutcome, FileInput, Inputs, ProcessExit, Resolution, Step, Walk,
};

#[global_allocator]
static GLOBAL: credchain_tests::alloc::CountingAllocator =
    credchain_tests::alloc::CountingAllocator;

use credchain_tests::alloc::allocations;

const CONFIG: &[u8] = b"[default]\nregion = eu-west-1\n\
[profile dev]\nrole_arn = arn:aws:iam::1:role/Dev\nsource_profile = base\n\
[profile base]\nrole_arn = arn:aws:iam::1:role/Base\nsource_profile = keys\nexternal_id = x\n\
[profile keys]\naws_access_key_id = AK\naws_secret_access_key = SK\n\
[profile proc]\ncredential_process = /bin/creds --flag\naws_account_id = 42\n";
const CREDENTIALS: &[u8] = b"[other]\naws_access_key_id = A\naws_secret_access_key = S\n";
const OUTPUT: &[u8] = br#"{"Version": 1, "AccessKeyId": "PK", "SecretAccessKey": "PS", "Expiration": "2099-01-01T00:00:00Z"}"#;

/// Walks to the end, answering a process with `OUTPUT` and IMDS with "nothing here"; renders
/// the trace and the result into `out`. Returns the number of trace entries.
fn walk(env: &[(&str, &str)], profile: Option<&str>, out: &mut [u8]) -> usize {
    let boto = [FileInput::Missing];
    let mut w = Walk::new(Inputs {
        explicit_profile: profile,
        config: FileInput::Contents {
            path: "config",
            bytes: CONFIG,
        },
        credentials: FileInput::Contents {
            path: "credentials",
            bytes: CREDENTIALS,
        },
        boto: &boto,
        ..Inputs::new(&env)
    });
    let result = loop {
        match w.next_step() {
            Step::Done(r) => break r,
            Step::Run(Action::Process { .. }) => {
                let c = w
                    .report_process(ProcessExit::Exited {
                        success: true,
                        code: Some(0),
                        stdout: OUTPUT,
                    })
                    .unwrap();
                black_box(c);
            }
            Step::Run(_) => {
                let _ = w.report(ActionOutcome::NothingHere);
            }
        }
    };
    let mut wr = Writer::new(out);
    for entry in w.trace() {
        let _ = writeln!(wr, "{entry}");
    }
    match result {
        Resolution::Failed(e) => {
            let _ = write!(wr, "{e}");
        }
        Resolution::Credentials {
            source,
            credentials,
        } => {
            let _ = write!(wr, "{source}: {credentials:?}");
        }
        other => {
            let _ = write!(wr, "{other:?}");
        }
    }
    let _ = wr.finish();
    if let Some(plan) = w.role_plan() {
        black_box(plan.hops.len());
    }
    w.trace().len()
}

/// One walk's environment, explicit profile and expected trace length.
type Case<'x> = (&'x [(&'x str, &'x str)], Option<&'x str>, usize);

#[test]
fn a_full_walk_allocates_nothing() {
    let mut buf = [0u8; 4096];
    let cases: [Case<'_>; 5] = [
        // Every source visited, IMDS asked and finding nothing.
        (&[("AWS_CREDENTIAL_FILE_UNSET", "")], None, 12),
        // A role chain of two hops, planned, then "not supported yet".
        (&[("AWS_EC2_METADATA_DISABLED", "true")], Some("dev"), 2),
        // A process hand-off and report.
        (&[("AWS_PROFILE", "proc")], None, 7),
        // Env credentials with an expiry.
        (
            &[
                ("AWS_ACCESS_KEY_ID", "AK"),
                ("AWS_SECRET_ACCESS_KEY", "SK"),
                ("AWS_CREDENTIAL_EXPIRATION", "2099-01-01T00:00:00Z"),
            ],
            None,
            1,
        ),
        // An error before any source.
        (&[("AWS_PROFILE", "nope")], None, 0),
    ];
    for (env, profile, expected_entries) in cases {
        let mut entries = 0;
        let n = allocations(|| {
            entries = walk(env, profile, &mut buf);
        });
        assert_eq!(
            n, 0,
            "{env:?} {profile:?}: {n} heap allocation(s), expected none"
        );
        assert_eq!(
            entries, expected_entries,
            "{env:?} {profile:?}: trace length"
        );
    }
}

#[test]
fn the_counting_allocator_is_installed() {
    credchain_tests::alloc::assert_installed();
}
