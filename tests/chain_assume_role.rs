//! `assume-role-tests.json` (the cross-SDK profile-chain suite, aws-config §2.3) through the
//! chain planner of `credchain-core`, as a pure-logic suite.
//!
//! Each case's profiles become a config file; the walk runs with that profile selected
//! explicitly and an empty environment. Where a base needs I/O (a `credential_source` of
//! `Ec2InstanceMetadata`), the test plays the adapter and reports credentials. A chain case must
//! end in the planner handing out its role work with the same plan —
//! the same base, the same roles in the same order, the same session names and external ids; an
//! error case must end in an error.
//!
//! The suite encodes the AWS SDKs' rules; botocore — which credchain follows — differs on a few
//! cases. Those are listed in `DIVERGENCES` with botocore's reason, and a listed case must
//! really differ from the suite's expectation, or the test fails.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use credchain_core::chain::{
    Action, ActionOutcome, CredentialSource, ErrorKind, FileInput, Inputs, NoEnv, Resolution,
    RoleBase, RolePlan, Source, Step, Str, Walk,
};
use serde_json::Value as Json;

/// Cases where botocore 1.43.11 (the reference) answers differently from the SDK suite, with
/// why. Keyed by the case's index and docs.
const DIVERGENCES: &[(usize, &str, &str)] = &[
    (
        11,
        "profile only contains configuration",
        "botocore's assume-role provider needs `role_arn`; a profile with none is 'nothing here', \
         not an error (spec §9)",
    ),
    (
        25,
        "invalid SSO token configuration: sso_region must be in sso-session",
        "botocore's SSO provider applies only with `sso_role_name` or `sso_account_id` (spec §8.3); \
         without them the profile supplies nothing",
    ),
    (
        26,
        "SSO token profile selected",
        "an `sso_session` alone is a token configuration, not credentials, for botocore's SSO \
         provider (spec §8.3): nothing here",
    ),
    (
        27,
        "invalid SSO token configuration: sso-session not found",
        "as above: without `sso_role_name`/`sso_account_id` botocore never looks the session up",
    ),
];

fn config_text(input: &Json) -> String {
    let mut out = String::new();
    for (name, keys) in input["profiles"].as_object().unwrap() {
        if name == "default" {
            out.push_str("[default]\n");
        } else {
            out.push_str(&format!("[profile {name}]\n"));
        }
        for (k, v) in keys.as_object().unwrap() {
            out.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
        }
    }
    if let Some(sessions) = input.get("sso_sessions").and_then(Json::as_object) {
        for (name, keys) in sessions {
            out.push_str(&format!("[sso-session {name}]\n"));
            for (k, v) in keys.as_object().unwrap() {
                out.push_str(&format!("{k} = {}\n", v.as_str().unwrap()));
            }
        }
    }
    out
}

fn s(x: &Str<'_>) -> String {
    x.to_string()
}

fn opt(x: &Option<Str<'_>>) -> Option<String> {
    x.as_ref().map(s)
}

fn js(v: &Json, key: &str) -> Option<String> {
    v.get(key).and_then(Json::as_str).map(str::to_owned)
}

/// Compares our plan with the expected `ProfileChain`; `Err` says how they differ.
fn compare_plan(plan: &RolePlan<'_>, chain: &[Json]) -> Result<(), String> {
    let (base, roles) = chain.split_first().ok_or("empty chain")?;
    match (&plan.base, base) {
        (RoleBase::Static { credentials, .. }, Json::Object(o)) if o.contains_key("AccessKey") => {
            let e = &o["AccessKey"];
            let got = (
                s(&credentials.access_key_id),
                s(&credentials.secret_access_key),
                opt(&credentials.account_id),
            );
            let want = (
                js(e, "access_key_id").unwrap(),
                js(e, "secret_access_key").unwrap(),
                js(e, "account_id"),
            );
            if got != want {
                return Err(format!("static base {got:?}, expected {want:?}"));
            }
        }
        (RoleBase::CredentialSource(c), Json::Object(o)) if o.contains_key("NamedSource") => {
            if c.name() != o["NamedSource"] {
                return Err(format!("named source {c}, expected {}", o["NamedSource"]));
            }
        }
        (RoleBase::WebIdentity(w), Json::Object(o)) if o.contains_key("WebIdentityToken") => {
            let e = &o["WebIdentityToken"];
            let got = (s(&w.role_arn), s(&w.token_file), opt(&w.role_session_name));
            let want = (
                js(e, "role_arn").unwrap(),
                js(e, "web_identity_token_file").unwrap(),
                js(e, "role_session_name"),
            );
            if got != want {
                return Err(format!("web identity {got:?}, expected {want:?}"));
            }
        }
        (RoleBase::Sso(c), Json::Object(o)) if o.contains_key("Sso") => {
            let e = &o["Sso"];
            let got = (
                s(&c.start_url),
                s(&c.region),
                Some(s(&c.account_id)),
                Some(s(&c.role_name)),
                opt(&c.session),
            );
            let want = (
                js(e, "sso_start_url").unwrap(),
                js(e, "sso_region").unwrap(),
                js(e, "sso_account_id"),
                js(e, "sso_role_name"),
                js(e, "sso_session"),
            );
            if got != want {
                return Err(format!("sso {got:?}, expected {want:?}"));
            }
        }
        (ours, theirs) => return Err(format!("base {ours:?}, expected {theirs}")),
    }
    if plan.hops.len() != roles.len() {
        return Err(format!(
            "{} role(s), expected {}",
            plan.hops.len(),
            roles.len()
        ));
    }
    for (hop, role) in plan.hops.iter().zip(roles) {
        let e = &role["AssumeRole"];
        let got = (
            s(&hop.role_arn),
            opt(&hop.external_id),
            opt(&hop.role_session_name),
        );
        let want = (
            js(e, "role_arn").unwrap(),
            js(e, "external_id"),
            js(e, "role_session_name"),
        );
        if got != want {
            return Err(format!("role {got:?}, expected {want:?}"));
        }
    }
    Ok(())
}

/// Runs one case: `Ok` when it meets the suite's expectation, `Err(why not)` otherwise.
fn run_case(case: &Json) -> Result<(), String> {
    let input = &case["input"];
    let text = config_text(input);
    let selected = input["selected_profile"].as_str().unwrap();
    let env = NoEnv;
    let mut walk = Walk::new(Inputs {
        config: FileInput::Contents {
            path: "config",
            bytes: text.as_bytes(),
        },
        explicit_profile: Some(selected),
        ..Inputs::new(&env)
    });
    let resolution = loop {
        match walk.next_step() {
            Step::Done(r) => break r,
            // The suite's "NamedSource" bases need a live source: play an instance that has one.
            Step::Run(Action::Imds(_) | Action::Container) => {
                let _ = walk.report(ActionOutcome::Credentials { expiry: None });
            }
            Step::Run(Action::Process { .. }) => {
                return Err("no case runs a process".into());
            }
            // The plan is handed out for execution: compare it with the suite's chain.
            Step::Run(Action::Role(_)) => {
                let Some(chain) = case["output"].get("ProfileChain").and_then(Json::as_array)
                else {
                    return Err(format!(
                        "expected an error, got role work {:?}",
                        walk.role_plan()
                    ));
                };
                return compare_plan(walk.role_plan().ok_or("no plan")?, chain);
            }
        }
    };
    let output = &case["output"];
    if let Some(expected) = output.get("Error") {
        return match resolution {
            Resolution::Failed(e) if !matches!(e.kind, ErrorKind::NotSupported { .. }) => Ok(()),
            other => Err(format!("expected an error ({expected}), got {other:?}")),
        };
    }
    let chain = output["ProfileChain"].as_array().unwrap();
    match resolution {
        Resolution::Failed(e)
            if matches!(
                e.kind,
                ErrorKind::NotSupported {
                    source: Source::AssumeRole | Source::AssumeRoleWithWebIdentity | Source::Sso,
                    ..
                }
            ) =>
        {
            compare_plan(walk.role_plan().ok_or("no plan")?, chain)
        }
        other => Err(format!("expected a role plan, got {other:?}")),
    }
}

#[test]
fn assume_role_suite() {
    let path = credchain_tests::testdata("assume-role-tests.json");
    let cases: Vec<Json> =
        serde_json::from_slice(&std::fs::read(&path).expect("read the suite")).unwrap();
    assert_eq!(cases.len(), 28);
    let mut failures = Vec::new();
    let mut passed = 0;
    let mut diverged = 0;
    for (i, case) in cases.iter().enumerate() {
        let docs = case["docs"].as_str().unwrap();
        let listed = DIVERGENCES.iter().find(|(n, d, _)| *n == i && *d == docs);
        match (run_case(case), listed) {
            (Ok(()), None) => passed += 1,
            (Err(why), None) => failures.push(format!("#{i} {docs}: {why}")),
            (Err(_), Some(_)) => diverged += 1,
            (Ok(()), Some(_)) => failures.push(format!(
                "#{i} {docs}: listed as a botocore divergence, but credchain meets the suite's expectation"
            )),
        }
    }
    for (i, docs, _) in DIVERGENCES {
        assert_eq!(
            cases[*i]["docs"].as_str(),
            Some(*docs),
            "divergence #{i} names the wrong case"
        );
    }
    assert!(
        failures.is_empty(),
        "{} failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(passed + diverged, 28);
    assert_eq!(diverged, DIVERGENCES.len());
    println!(
        "assume-role-tests.json: {passed} cases as the suite expects, {diverged} botocore divergences"
    );
}

#[test]
fn credential_source_names_are_exact() {
    for (v, want) in [
        ("Environment", Some(CredentialSource::Environment)),
        ("EcsContainer", Some(CredentialSource::EcsContainer)),
        (
            "Ec2InstanceMetadata",
            Some(CredentialSource::Ec2InstanceMetadata),
        ),
        ("environment", None),
        ("SharedConfig", None),
        ("", None),
    ] {
        assert_eq!(CredentialSource::parse(&Str::Plain(v)), want, "{v:?}");
    }
}
