//! Zero allocation: a counting global allocator shows that every parse and every machine step of
//! `credchain-core` allocates nothing, on success and on error paths alike.
//!
//! The counter is per thread, so the test harness's own threads do not disturb a measurement.
//! Each check runs its closure once to warm up anything lazily initialised by the test itself,
//! then counts a second run.

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
use credchain_core::document::{
    ContainerCredentials, IamInfo, ImdsCredentials, ProcessCredentials, RoleListing,
};
use credchain_core::profile::{Dialect, FileKind, Merged, ProfileFile};
use credchain_core::refresh::{FetchFailure, RefreshMachine, RefreshPolicy};
use credchain_core::time::Timestamp;

#[global_allocator]
static GLOBAL: credchain_tests::alloc::CountingAllocator =
    credchain_tests::alloc::CountingAllocator;

use credchain_tests::alloc::allocations;

fn assert_no_allocation<R>(what: &str, f: impl FnMut() -> R) {
    let n = allocations(f);
    assert_eq!(n, 0, "{what}: {n} heap allocation(s), expected none");
}

const CONFIG_50: &str = include_str!("../benches/data/config-50-profiles");
const IMDS_DOC: &str = include_str!("../benches/data/imds-credentials.json");

#[test]
fn the_counter_sees_allocations() {
    // Without this the other tests could pass with a counter that never counts.
    let n = allocations(|| {
        let v: Vec<u64> = Vec::with_capacity(black_box(16));
        v.capacity()
    });
    assert_eq!(n, 1);
    let n = allocations(|| {
        let mut s = String::new();
        write!(s, "{}", black_box(12_345_678)).unwrap();
        s
    });
    assert!(
        n >= 1,
        "formatting into a String allocates, the counter saw {n}"
    );
}

/// Visits every profile, property, value and sub-property the way a caller that needs all of
/// them would, writing multi-line values into a stack buffer.
fn walk(file: &ProfileFile<'_>) -> usize {
    let mut buf = [0u8; 4096];
    let mut total = 0usize;
    for section in file
        .profiles()
        .chain(file.sso_sessions())
        .chain(file.services())
    {
        total += section.name().write_to(&mut buf).map_or(0, str::len);
        for property in section.properties() {
            total += property.key.len();
            total += property.value.write_to(&mut buf).map_or(0, str::len);
            if let Some(subs) = property.value.sub_properties() {
                for (k, v) in subs {
                    total += k.len() + v.len();
                }
            }
        }
    }
    total
}

#[test]
fn profile_files_parse_and_walk_without_allocating() {
    let mut inputs: Vec<(String, Vec<u8>)> = vec![("config-50-profiles".into(), CONFIG_50.into())];
    let dir = credchain_tests::testdata("botocore-cfg");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        inputs.push((path.display().to_string(), std::fs::read(&path).unwrap()));
    }
    assert!(
        inputs.len() > 10,
        "botocore's fixtures were not found in {}",
        dir.display()
    );

    let mut parsed = 0;
    let mut failed = 0;
    for (name, bytes) in &inputs {
        for dialect in [Dialect::Botocore, Dialect::Sdk] {
            for kind in [FileKind::Config, FileKind::Credentials] {
                // Success and error paths both count: botocore-cfg holds files that fail.
                let what = format!("{name} as {kind} ({dialect:?})");
                assert_no_allocation(&what, || {
                    match ProfileFile::parse_bytes(bytes, kind, dialect) {
                        Ok(file) => walk(&file),
                        Err(e) => {
                            // Displaying the error into a fixed buffer must not allocate either.
                            let mut buf = [0u8; 512];
                            let mut w = Writer::new(&mut buf);
                            write!(w, "{e}").unwrap();
                            w.len()
                        }
                    }
                });
                match ProfileFile::parse_bytes(bytes, kind, dialect) {
                    Ok(_) => parsed += 1,
                    Err(_) => failed += 1,
                }
            }
        }
    }
    assert!(
        parsed > 30 && failed > 0,
        "parsed {parsed}, failed {failed}"
    );
}

#[test]
fn merged_lookups_do_not_allocate() {
    let creds = "[default]\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = secret\n\n[team42-prod]\nregion = eu-west-1\n";
    let config = ProfileFile::parse(CONFIG_50, FileKind::Config, Dialect::Botocore).unwrap();
    let credentials = ProfileFile::parse(creds, FileKind::Credentials, Dialect::Botocore).unwrap();
    assert_no_allocation("merged view", || {
        let merged = Merged::new(Some(&config), Some(&credentials));
        let mut found = 0;
        for name in ["default", "team42-prod", "team07-audit", "nope"] {
            if let Some(p) = merged.profile(name) {
                found += usize::from(p.get("region").is_some());
                found += p.properties().count();
            }
        }
        found += merged.profile_names().count();
        found += usize::from(merged.sso_session("corp").is_some());
        found
    });
}

#[test]
fn a_large_file_parses_without_allocating() {
    let mut text = String::new();
    for i in 0..20_000 {
        writeln!(
            text,
            "[profile p{i}]\nregion = us-east-1\naws_access_key_id = AKIA{i:016}"
        )
        .unwrap();
    }
    for dialect in [Dialect::Botocore, Dialect::Sdk] {
        assert_no_allocation("20,000 profiles", || {
            let file = ProfileFile::parse(&text, FileKind::Config, dialect).unwrap();
            file.profile("p19999").unwrap().get("region").unwrap().len()
        });
    }
}

#[test]
fn documents_parse_and_decode_without_allocating() {
    let process_ok = r#"{"Version": 1, "AccessKeyId": "AKIDEXAMPLE", "SecretAccessKey": "c2VjcmV0\/", "SessionToken": null, "Expiration": "2026-11-29T12:00:00+01:00", "AccountId": "123456789012"}"#;
    let process_bad = r#"{"Version": "1", "AccessKeyId": "AKIDEXAMPLE"}"#;
    let container = r#"{"AccessKeyId":"ASIA","SecretAccessKey":"s","Token":"t\u002Bx","Expiration":"2026-11-29T12:00:00Z","AccountId":"123456789012","RoleArn":"arn:aws:iam::123456789012:role/r"}"#;
    let failure = r#"{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role","LastUpdated":"2026-11-29T00:00:00Z"}"#;
    let info = r#"{"Code":"Success","LastUpdated":"2026-11-29T00:00:00Z","InstanceProfileArn":"arn:aws:iam::123456789012:instance-profile/p","InstanceProfileId":"AIPAEXAMPLE"}"#;

    assert_no_allocation("IMDS role credentials", || {
        let doc = ImdsCredentials::parse(IMDS_DOC).unwrap();
        let creds = doc.credentials().unwrap();
        let mut buf = [0u8; 2048];
        let token = creds.token.decode_into(&mut buf).unwrap().len();
        let expiry = creds.expiration().unwrap();
        let mut tbuf = [0u8; 32];
        token + expiry.format_rfc3339(&mut tbuf).unwrap().len()
    });
    assert_no_allocation("IMDS failure document", || {
        let doc = ImdsCredentials::parse(failure).unwrap();
        assert!(!doc.is_success());
        doc.credentials().is_none()
    });
    assert_no_allocation("iam/info", || IamInfo::parse(info).is_ok());
    assert_no_allocation("role listing", || {
        let listing = RoleListing::parse("my-role\r\nsecond\n");
        let mut buf = [0u8; 64];
        listing.first().map(str::len).unwrap_or(0)
            + listing.iter().count()
            + listing.botocore_name().write_to(&mut buf).unwrap().len()
    });
    assert_no_allocation("container document", || {
        let doc = ContainerCredentials::parse(container).unwrap();
        let mut buf = [0u8; 16];
        doc.credentials.token.decode_into(&mut buf).unwrap().len()
    });
    assert_no_allocation("credential_process output", || {
        let out = ProcessCredentials::parse(process_ok).unwrap();
        out.expiration().unwrap().map(|t| t.unix_secs())
    });
    assert_no_allocation("credential_process errors and their messages", || {
        let err = ProcessCredentials::parse(process_bad).unwrap_err();
        let mut buf = [0u8; 256];
        let mut w = Writer::new(&mut buf);
        write!(w, "{err}").unwrap();
        w.len()
    });
    assert_no_allocation("a too-small buffer", || {
        let doc = ImdsCredentials::parse(IMDS_DOC).unwrap();
        let mut buf = [0u8; 8];
        doc.credentials()
            .unwrap()
            .token
            .decode_into(&mut buf)
            .unwrap_err()
            .needed
    });
    assert_no_allocation("malformed JSON", || {
        ImdsCredentials::parse_bytes(b"{\"Code\": \"Success\", \"AccessKeyId\": \xff}").is_err()
    });
}

#[test]
fn time_parses_and_formats_without_allocating() {
    assert_no_allocation("timestamps", || {
        let mut sum = 0i64;
        for s in [
            "2026-11-29T12:00:00Z",
            "2026-11-29t12:00:00.123456789z",
            "2026-11-29 12:00:00+05:30",
            "2026-11-29T12:00:00",    // naive: an error
            "not a timestamp at all", // garbage: an error
        ] {
            if let Ok(t) = Timestamp::parse(s) {
                let mut buf = [0u8; 40];
                sum += t.unix_secs() + t.format_rfc3339_nanos(&mut buf).unwrap().len() as i64;
            }
            sum += i64::from(Timestamp::parse_botocore_strict(s).is_ok());
        }
        sum
    });
}

#[test]
fn refresh_machine_steps_do_not_allocate() {
    for policy in [
        RefreshPolicy::botocore(),
        RefreshPolicy::botocore_exact(),
        RefreshPolicy::cross_sdk(),
    ] {
        assert_no_allocation("refresh machine", || {
            let mut m = RefreshMachine::new(policy);
            let mut now = 1_000_000i64;
            let mut steps = 0u32;
            for i in 0..200u64 {
                let _ = m.poll(now);
                if m.fetch_started(now).is_ok() {
                    if i % 3 == 0 {
                        let _ = m.fetch_failed(now, FetchFailure::Recoverable, i);
                    } else {
                        let _ = m.fetch_succeeded(now, Some(now + 3600), i);
                    }
                    steps += 1;
                }
                let _ = m.poll_timeout(now);
                let _ = m.extend(now, now + 60, i);
                let _ = m.invalidate(i % 7 == 0);
                now += 97;
            }
            steps
        });
    }
}
