//! [`DefaultChain`] end to end: against `credchain-server`'s IMDS and container endpoints on
//! loopback, and on local files, variables and `credential_process` scripts in a temporary
//! home. `explain()` must tell the truth (every earlier source "nothing" with its reason, the
//! winner supplying, the later ones not reached), and `credentials()` must resolve once and then
//! serve the cache (one upstream fetch, counted in the server's transcript).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use credchain::{
    ChainFailure, Credentials, DefaultChain, ExplainOutcome, Explanation, ProvideCredentials,
    StepOutcome,
};
use credchain_fs::EnvSnapshot;
use credchain_server::{ContainerServer, ImdsServer};

const LIMIT: Duration = Duration::from_secs(60);

async fn within<F: Future>(f: F) -> F::Output {
    match tokio::time::timeout(LIMIT, f).await {
        Ok(out) => out,
        Err(_) => panic!("the test did not finish within {LIMIT:?}"),
    }
}

/// An environment that reads nothing of this machine: an empty home, the files in it, no
/// boto2 file, and the IMDS switched off unless the test points it somewhere.
fn sandbox(home: &Path) -> EnvSnapshot {
    let h = home.display();
    EnvSnapshot::from_pairs([
        ("HOME", format!("{h}")),
        ("AWS_CONFIG_FILE", format!("{h}/.aws/config")),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            format!("{h}/.aws/credentials"),
        ),
        ("BOTO_CONFIG", format!("{h}/.boto")),
        ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ("PATH", "/usr/bin:/bin".to_owned()),
    ])
}

fn write(home: &Path, rel: &str, text: &str) {
    let p = home.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

fn step<'e>(e: &'e Explanation, source: &str) -> &'e credchain::ExplainStep {
    e.step(source)
        .unwrap_or_else(|| panic!("no step for {source}: {e}"))
}

fn failure(e: &credchain::Error) -> ChainFailure {
    std::error::Error::source(e)
        .and_then(|s| s.downcast_ref::<ChainFailure>())
        .cloned()
        .unwrap_or_else(|| panic!("not a chain failure: {e}"))
}

/// The sources before `winner` (in botocore's order) found nothing, each with a reason; the
/// winner supplied; everything after was not reached.
fn assert_walk(e: &Explanation, winner: &str) {
    let at = e
        .steps
        .iter()
        .position(|s| s.source == winner)
        .unwrap_or_else(|| panic!("{winner} missing: {e}"));
    for (i, s) in e.steps.iter().enumerate() {
        let want = match i.cmp(&at) {
            std::cmp::Ordering::Less => StepOutcome::Nothing,
            std::cmp::Ordering::Equal => StepOutcome::Supplied,
            std::cmp::Ordering::Greater => StepOutcome::NotReached,
        };
        assert_eq!(s.outcome, want, "{}: {e}", s.source);
        assert!(!s.reason.is_empty(), "{}: no reason", s.source);
    }
    assert_eq!(e.steps.len(), 12, "{e}");
}

fn assert_no_secret(e: &Explanation, creds: &Credentials) {
    let json = serde_json::to_string(e).unwrap();
    let text = e.to_string();
    for shown in [&json, &text] {
        assert!(!shown.contains(creds.expose_secret_access_key()), "{shown}");
        if let Some(t) = creds.expose_session_token() {
            assert!(!shown.contains(t), "{shown}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_supplies_after_every_earlier_source_found_nothing_and_is_fetched_once() {
    within(async {
        let server = ImdsServer::builder().start().await.unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut env = sandbox(home.path());
        env.remove("AWS_EC2_METADATA_DISABLED");
        env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint());
        let chain = DefaultChain::builder().env(env).build().unwrap();

        let e = chain.explain().await;
        assert_walk(&e, "iam-role");
        assert_eq!(e.profile.name, "default");
        assert_eq!(e.profile.origin, "default");
        assert!(step(&e, "env").reason.contains("AWS_ACCESS_KEY_ID"), "{e}");
        assert!(
            step(&e, "container-role")
                .reason
                .contains("AWS_CONTAINER_CREDENTIALS"),
            "{e}"
        );
        assert!(
            e.files.iter().all(|f| f.state == "missing"),
            "an empty home: {e}"
        );
        let ExplainOutcome::Credentials {
            source,
            access_key_id,
            has_session_token,
            expires_at,
            expires_in_secs,
            ..
        } = &e.outcome
        else {
            panic!("{e}")
        };
        assert_eq!(*source, "iam-role");
        assert!(has_session_token);
        assert!(expires_at.is_some() && expires_in_secs.unwrap() > 0, "{e}");

        let docs = |s: &credchain_server::ServerHandle| {
            s.transcript()
                .iter()
                .filter(|x| {
                    x.method == "GET"
                        && x.path
                            .starts_with("/latest/meta-data/iam/security-credentials/")
                        && x.path.len() > "/latest/meta-data/iam/security-credentials/".len()
                })
                .count()
        };
        let before = docs(&server);
        assert_eq!(before, 1, "explain fetched once");
        let first = chain.credentials().await.unwrap();
        let second = chain.credentials().await.unwrap();
        let third = chain.provide().await.unwrap();
        assert_eq!(docs(&server) - before, 1, "one fetch for three calls");
        assert_eq!(first.provider(), "iam-role");
        assert_eq!(first.access_key_id(), access_key_id);
        assert!(std::sync::Arc::ptr_eq(&first, &second));
        assert_eq!(third.access_key_id(), first.access_key_id());
        assert_eq!(chain.resolved_source(), Some("iam-role"));
        assert_no_secret(&e, &first);
        assert!(!format!("{chain:?}").contains(first.expose_secret_access_key()));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_container_endpoint_supplies_and_the_imds_is_not_reached() {
    within(async {
        let server = ContainerServer::builder().start().await.unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut env = sandbox(home.path());
        env.remove("AWS_EC2_METADATA_DISABLED");
        env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.full_uri());
        env.set(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            server.authorization_token().unwrap(),
        );
        let chain = DefaultChain::builder().env(env).build().unwrap();

        let e = chain.explain().await;
        assert_walk(&e, "container-role");
        assert_eq!(step(&e, "iam-role").outcome, StepOutcome::NotReached);
        let served = server.credentials().unwrap();
        let ExplainOutcome::Credentials { access_key_id, .. } = &e.outcome else {
            panic!("{e}")
        };
        assert_eq!(access_key_id, &served.access_key_id);

        let gets = |s: &credchain_server::ContainerHandle| {
            s.transcript().iter().filter(|x| x.method == "GET").count()
        };
        let before = gets(&server);
        let first = chain.credentials().await.unwrap();
        let _ = chain.credentials().await.unwrap();
        assert_eq!(gets(&server) - before, 1, "one fetch for two calls");
        assert_eq!(first.provider(), "container-role");
        assert_eq!(first.expose_secret_access_key(), served.secret_access_key);
        assert_no_secret(&e, &first);
    })
    .await;
}

#[tokio::test]
async fn an_empty_home_has_no_credentials_and_says_why_for_every_source() {
    let home = tempfile::tempdir().unwrap();
    let chain = DefaultChain::builder()
        .env(sandbox(home.path()))
        .build()
        .unwrap();
    let e = chain.explain().await;
    assert_eq!(e.outcome, ExplainOutcome::NoCredentials, "{e}");
    assert!(
        e.steps.iter().all(|s| s.outcome == StepOutcome::Nothing),
        "{e}"
    );
    assert!(
        step(&e, "iam-role")
            .reason
            .contains("AWS_EC2_METADATA_DISABLED"),
        "{e}"
    );
    let err = chain.credentials().await.unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert!(
        err.to_string().contains("Unable to locate credentials"),
        "{err}"
    );
}

#[tokio::test]
async fn env_keys_win_and_are_never_refreshed() {
    let home = tempfile::tempdir().unwrap();
    write(
        home.path(),
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIAFILE\naws_secret_access_key = file-secret\n",
    );
    let mut env = sandbox(home.path());
    env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
    env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
    env.set("AWS_SESSION_TOKEN", "env-token");
    let chain = DefaultChain::builder().env(env).build().unwrap();
    let c = chain.credentials().await.unwrap();
    assert_eq!((c.access_key_id(), c.provider()), ("AKIAENV", "env"));
    assert_eq!(c.expose_session_token(), Some("env-token"));
    let e = chain.explain().await;
    assert_walk(&e, "env");
    assert!(step(&e, "env").reason.contains("AWS_SESSION_TOKEN"), "{e}");
    assert_no_secret(&e, &c);
}

#[tokio::test]
async fn an_explicit_profile_skips_env_and_names_the_file_and_line() {
    let home = tempfile::tempdir().unwrap();
    write(
        home.path(),
        ".aws/credentials",
        "[default]\naws_access_key_id = AKIADEFAULT\naws_secret_access_key = s1\n\n\
         [dev]\n# keys\naws_access_key_id = AKIADEV\naws_secret_access_key = s2\n",
    );
    let mut env = sandbox(home.path());
    env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
    env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
    let chain = DefaultChain::builder()
        .env(env)
        .profile("dev")
        .build()
        .unwrap();
    let c = chain.credentials().await.unwrap();
    assert_eq!(
        (c.access_key_id(), c.provider()),
        ("AKIADEV", "shared-credentials-file")
    );
    let e = chain.explain().await;
    assert_eq!(e.profile.origin, "explicit");
    assert_eq!(step(&e, "env").outcome, StepOutcome::Skipped, "{e}");
    let won = e.winner().unwrap();
    assert_eq!(won.source, "shared-credentials-file");
    let at = won.location.as_ref().unwrap();
    assert!(at.file.ends_with(".aws/credentials"), "{e}");
    assert_eq!(at.line, 7, "{e}");
}

#[tokio::test]
async fn a_broken_file_and_a_missing_profile_stop_the_chain_with_botocore_classes() {
    let home = tempfile::tempdir().unwrap();
    write(home.path(), ".aws/config", "[default]\nregion us-east-1\n");
    let chain = DefaultChain::builder()
        .env(sandbox(home.path()))
        .build()
        .unwrap();
    let err = chain.credentials().await.unwrap_err();
    let f = failure(&err);
    assert_eq!(f.class, "ConfigParseError");
    assert!(f.message.contains(".aws/config"), "{f}");
    let e = chain.explain().await;
    let config = e.files.iter().find(|f| f.role == "config").unwrap();
    assert_eq!(config.state, "parse error", "{e}");
    assert!(config.detail.as_ref().unwrap().contains("line 2"), "{e}");
    assert!(
        matches!(e.outcome, ExplainOutcome::Error { source: None, .. }),
        "{e}"
    );

    let home = tempfile::tempdir().unwrap();
    let mut env = sandbox(home.path());
    env.set("AWS_PROFILE", "nope");
    let chain = DefaultChain::builder().env(env).build().unwrap();
    let f = failure(&chain.credentials().await.unwrap_err());
    assert_eq!(f.class, "ProfileNotFound");
    assert!(f.message.contains("nope"), "{f}");
    assert_eq!(chain.explain().await.profile.origin, "AWS_PROFILE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credential_process_runs_once_then_again_only_to_refresh() {
    let home = tempfile::tempdir().unwrap();
    let counter = home.path().join("runs");
    let script = home.path().join("creds.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho run >> {}\nprintf '%s' '{{\"Version\": 1, \"AccessKeyId\": \
             \"AKIAPROC\", \"SecretAccessKey\": \"proc-secret\", \"SessionToken\": \
             \"proc-token\", \"Expiration\": \"2099-01-01T00:00:00Z\"}}'\n",
            counter.display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    write(
        home.path(),
        ".aws/config",
        &format!(
            "[default]\ncredential_process = {}\naws_account_id = 123456789012\n",
            script.display()
        ),
    );
    let chain = DefaultChain::builder()
        .env(sandbox(home.path()))
        .build()
        .unwrap();
    let a = chain.credentials().await.unwrap();
    let b = chain.credentials().await.unwrap();
    assert_eq!(
        (a.access_key_id(), a.provider()),
        ("AKIAPROC", "custom-process")
    );
    assert_eq!(
        a.account_id(),
        Some("123456789012"),
        "the profile's account id"
    );
    assert_eq!(a.expiry_unix_secs(), Some(4_070_908_800));
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    let runs = std::fs::read_to_string(&counter).unwrap();
    assert_eq!(runs.lines().count(), 1, "the command ran once");
}

#[tokio::test]
async fn a_failing_credential_process_names_the_profile_and_carries_stderr() {
    let home = tempfile::tempdir().unwrap();
    let script = home.path().join("fail.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\necho 'token expired, run login' >&2\nexit 3\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    write(
        home.path(),
        ".aws/config",
        &format!(
            "[profile work]\ncredential_process = {}\n",
            script.display()
        ),
    );
    let chain = DefaultChain::builder()
        .env(sandbox(home.path()))
        .profile("work")
        .build()
        .unwrap();
    let err = chain.credentials().await.unwrap_err();
    assert_eq!(err.provider(), "custom-process");
    let f = failure(&err);
    assert_eq!(f.class, "CredentialRetrievalError");
    assert!(f.message.contains("token expired, run login"), "{f}");
    assert!(f.message.contains("work"), "{f}");
    let e = chain.explain().await;
    let s = step(&e, "custom-process");
    assert_eq!(s.outcome, StepOutcome::Error);
    assert!(s.reason.contains("status 3"), "{e}");
    assert_eq!(step(&e, "config-file").outcome, StepOutcome::NotReached);
}

#[tokio::test]
async fn explicit_credentials_win_over_everything() {
    let home = tempfile::tempdir().unwrap();
    let mut env = sandbox(home.path());
    env.set("AWS_ACCESS_KEY_ID", "AKIAENV");
    env.set("AWS_SECRET_ACCESS_KEY", "env-secret");
    let chain = DefaultChain::builder()
        .env(env)
        .explicit_credentials(Credentials::new("AKIAMINE", "mine", None, "explicit"))
        .build()
        .unwrap();
    let c = chain.credentials().await.unwrap();
    assert_eq!((c.access_key_id(), c.provider()), ("AKIAMINE", "explicit"));
    let e = chain.explain().await;
    assert_eq!(e.steps[0].source, "explicit");
    assert_eq!(e.steps[0].outcome, StepOutcome::Supplied);
    assert!(
        e.steps[1..]
            .iter()
            .all(|s| s.outcome == StepOutcome::NotReached),
        "{e}"
    );
    let json: serde_json::Value = serde_json::to_value(&e).unwrap();
    assert_eq!(json["outcome"]["result"], "credentials");
    assert_eq!(json["outcome"]["source"], "explicit");
    assert_eq!(json["steps"][1]["outcome"], "not-reached");
    assert_eq!(json["profile"]["origin"], "default");
}
