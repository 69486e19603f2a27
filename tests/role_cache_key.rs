//! The assumed-role cache key (`credchain_core::sts::cache_key`, spec §8.5) against botocore's
//! own `_create_cache_key` (oracle `oracle/role_cache_key.py`): generated arguments for
//! `AssumeRole` and `AssumeRoleWithWebIdentity` — every combination of the optional ones,
//! session names that botocore generates (absent, empty), durations from negative to huge,
//! strings with quotes, backslashes, control characters, DEL, Latin-1, CJK, astral characters
//! (surrogate pairs) — each key computed without allocating.
//!
//! Set `CREDCHAIN_SKIP_BOTOCORE=1` to skip the oracle comparison.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use credchain_core::sts::cache_key::{AssumeRoleKey, WebIdentityKey};
use credchain_tests::alloc::no_alloc;
use credchain_tests::oracle::{run_json_oracle, skip_botocore};
use credchain_tests::rng::Rng;
use serde_json::{Value as Json, json};

#[global_allocator]
static GLOBAL: credchain_tests::alloc::CountingAllocator =
    credchain_tests::alloc::CountingAllocator;

/// Pieces strings are made of: the hard cases of Python's `ensure_ascii` escaping, and plain
/// text.
const PIECES: &[&str] = &[
    "arn:aws:iam::123456789012:role/",
    "admin",
    "a b",
    "\"",
    "\\",
    "\\u0041",
    "/",
    "\n",
    "\r\t",
    "\u{8}\u{c}",
    "\u{0}",
    "\u{1f}",
    "\u{7f}",
    "~",
    "é",
    "ß",
    "\u{80}",
    "\u{ff}",
    "日本",
    "\u{2028}",
    "\u{fffd}",
    "\u{ffff}",
    "😀",
    "\u{10000}",
    "\u{10ffff}",
    "{}",
    ": ",
    ", ",
];

fn text(rng: &mut Rng) -> String {
    let n = rng.below(6);
    (0..n).map(|_| *rng.pick(PIECES)).collect()
}

fn maybe_text(rng: &mut Rng) -> Option<String> {
    match rng.below(4) {
        0 => None,
        1 => Some(String::new()),
        _ => Some(text(rng)),
    }
}

struct Case {
    web: bool,
    role_arn: String,
    session: Option<String>,
    external_id: Option<String>,
    serial: Option<String>,
    duration: Option<i64>,
}

impl Case {
    fn generate(rng: &mut Rng) -> Case {
        let web = rng.chance(30);
        let role_arn = format!("arn:aws:iam::123456789012:role/{}", text(rng));
        let session = maybe_text(rng);
        let (external_id, serial, duration) = if web {
            (None, None, None)
        } else {
            let duration = match rng.below(6) {
                0 => None,
                1 => Some(900),
                2 => Some(43_200),
                3 => Some(-1),
                4 => Some(i64::MAX),
                _ => Some(
                    i64::try_from(rng.next() >> 1)
                        .unwrap()
                        .wrapping_sub(1 << 62),
                ),
            };
            (maybe_text(rng), maybe_text(rng), duration)
        };
        Case {
            web,
            role_arn,
            session,
            external_id,
            serial,
            duration,
        }
    }

    /// botocore's `extra_args` as its providers build them (`RoleSessionName` when configured,
    /// even empty; the others when set).
    fn to_json(&self) -> Json {
        let mut extra = serde_json::Map::new();
        if let Some(s) = &self.session {
            extra.insert("RoleSessionName".into(), json!(s));
        }
        if let Some(e) = &self.external_id {
            extra.insert("ExternalId".into(), json!(e));
        }
        if let Some(s) = &self.serial {
            extra.insert("SerialNumber".into(), json!(s));
        }
        if let Some(d) = self.duration {
            extra.insert("DurationSeconds".into(), json!(d));
        }
        json!({
            "kind": if self.web { "web-identity" } else { "assume-role" },
            "role_arn": self.role_arn,
            "extra_args": extra,
        })
    }

    fn ours(&self) -> String {
        let key = no_alloc("the cache key", || {
            if self.web {
                WebIdentityKey {
                    role_arn: &self.role_arn,
                    role_session_name: self.session.as_deref(),
                }
                .cache_key()
            } else {
                AssumeRoleKey {
                    role_arn: &self.role_arn,
                    role_session_name: self.session.as_deref(),
                    external_id: self.external_id.as_deref(),
                    serial_number: self.serial.as_deref(),
                    duration_seconds: self.duration,
                }
                .cache_key()
            }
        });
        key.as_str().to_owned()
    }
}

#[test]
fn cache_keys_match_botocore() {
    if skip_botocore() {
        eprintln!("CREDCHAIN_SKIP_BOTOCORE=1: the cache keys are not compared with botocore");
        return;
    }
    let mut rng = Rng(0x5eed_cace_0006);
    let cases: Vec<Case> = (0..400).map(|_| Case::generate(&mut rng)).collect();
    let json: Vec<Json> = cases.iter().map(Case::to_json).collect();
    let answers = run_json_oracle("role_cache_key.py", &json);
    let mut failures = Vec::new();
    let mut web = 0;
    let mut non_ascii = 0;
    for (i, (case, answer)) in cases.iter().zip(&answers).enumerate() {
        let theirs = answer["key"].as_str().unwrap();
        let ours = case.ours();
        if ours != theirs {
            failures.push(format!(
                "case {i} {}: credchain {ours}, botocore {theirs}",
                json[i]
            ));
        }
        web += usize::from(case.web);
        non_ascii += usize::from(!json[i].to_string().is_ascii());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The generator reached what it is meant to reach.
    assert!(web >= 50 && cases.len() - web >= 200, "web identity {web}");
    assert!(non_ascii >= 100, "non-ASCII cases {non_ascii}");
}
