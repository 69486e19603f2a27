//! The `aws-sdk` feature: credchain's providers asked through the AWS SDK for Rust's
//! `ProvideCredentials`, the way an SDK client asks before it signs. Against credchain-server's
//! IMDS and container endpoint on loopback, environment keys, a profile, `credential_process`
//! scripts; every `CredentialsError` variant a caller can meet; an IMDS set near its expiry
//! refreshed through credchain's cache.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::future::Future;
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_credential_types::provider::ProvideCredentials as SdkProvideCredentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::provider::error::CredentialsError;
use credchain::sdk::{SdkProvider, sdk_config_builder};
use credchain::{
    Credentials, CredentialsCache, DefaultChain, Error, ManualClock, ProvideCredentials,
    SharedProvider, StaticProvider,
};
use credchain_core::time::Timestamp;
use credchain_fs::EnvSnapshot;
use credchain_server::{
    Clock, ContainerServer, CredentialSet, Fault, FaultRule, ImdsServer, ImdsSettings,
};

const LIMIT: Duration = Duration::from_secs(60);

async fn within<F: Future>(f: F) -> F::Output {
    match tokio::time::timeout(LIMIT, f).await {
        Ok(out) => out,
        Err(_) => panic!("the test did not finish within {LIMIT:?}"),
    }
}

/// An environment that reads nothing of this machine: an empty home, the files in it, and the
/// IMDS switched off unless the test points it somewhere.
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

/// Asks the way an SDK client does: through the `SdkConfig`'s shared provider.
async fn through_sdk(
    provider: impl SdkProvideCredentials + 'static,
) -> Result<aws_credential_types::Credentials, CredentialsError> {
    let config = sdk_config_builder(provider).build();
    let shared: SharedCredentialsProvider = config.credentials_provider().unwrap();
    shared.provide_credentials().await
}

fn unix(t: SystemTime) -> i64 {
    i64::try_from(t.duration_since(UNIX_EPOCH).unwrap().as_secs()).unwrap()
}

fn unix_now() -> i64 {
    unix(SystemTime::now())
}

/// Neither the SDK's `Debug` of the credentials nor of an error shows a secret.
fn assert_hidden(shown: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(!shown.contains(s), "a secret is shown: {shown}");
    }
}

fn assert_served(
    got: &aws_credential_types::Credentials,
    served: &credchain_server::Credentials,
    what: &str,
) {
    assert_eq!(got.access_key_id(), served.access_key_id, "{what}");
    assert_eq!(got.secret_access_key(), served.secret_access_key, "{what}");
    assert_eq!(
        got.session_token(),
        Some(served.session_token.as_str()),
        "{what}"
    );
    assert_eq!(
        got.expiry().map(unix),
        Some(served.expiration.unix_secs()),
        "{what}"
    );
    assert_hidden(
        &format!("{got:?}"),
        &[&served.secret_access_key, &served.session_token],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_gives_the_sdk_the_imds_credentials_with_expiry_and_account() {
    within(async {
        let mut settings = ImdsSettings::default();
        settings.include_account_id = true;
        let server = ImdsServer::builder()
            .settings(settings)
            .start()
            .await
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut env = sandbox(home.path());
        env.remove("AWS_EC2_METADATA_DISABLED");
        env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint());
        let chain = DefaultChain::builder().env(env).build().unwrap();

        let got = through_sdk(chain.clone()).await.unwrap();
        let served = server.credentials(CredentialSet::RoleV2).unwrap();
        assert_served(&got, &served, "IMDS through the chain");
        assert_eq!(got.account_id().map(|a| a.as_str()), Some("123456789012"));
        assert!(format!("{got:?}").contains("iam-role"), "{got:?}");
        // The second SDK call is served by credchain's cache: one document fetch in all.
        let again = through_sdk(chain.clone()).await.unwrap();
        assert_eq!(again.access_key_id(), got.access_key_id());
        let docs = server
            .transcript()
            .iter()
            .filter(|x| x.method == "GET" && x.path.ends_with("/credchain-role"))
            .count();
        assert_eq!(docs, 1);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chain_gives_the_sdk_the_container_credentials_and_their_account() {
    within(async {
        let server = ContainerServer::builder()
            .account_id(Some("210987654321".into()))
            .start()
            .await
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut env = sandbox(home.path());
        env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.full_uri());
        env.set(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            server.authorization_token().unwrap(),
        );
        let chain = DefaultChain::builder().env(env).build().unwrap();
        let got = through_sdk(chain).await.unwrap();
        assert_served(&got, &server.credentials().unwrap(), "container");
        assert_eq!(got.account_id().map(|a| a.as_str()), Some("210987654321"));
        assert!(format!("{got:?}").contains("container-role"), "{got:?}");
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn environment_keys_keep_their_token_and_expiry() {
    within(async {
        let home = tempfile::tempdir().unwrap();
        let mut env = sandbox(home.path());
        env.set("AWS_ACCESS_KEY_ID", "ASIAENVEXAMPLE000001");
        env.set("AWS_SECRET_ACCESS_KEY", "env-secret-never-shown");
        env.set("AWS_SESSION_TOKEN", "env-token-never-shown");
        env.set("AWS_CREDENTIAL_EXPIRATION", "2031-05-06T07:08:09Z");
        let chain = DefaultChain::builder().env(env).build().unwrap();
        let got = through_sdk(chain).await.unwrap();
        assert_eq!(got.access_key_id(), "ASIAENVEXAMPLE000001");
        assert_eq!(got.secret_access_key(), "env-secret-never-shown");
        assert_eq!(got.session_token(), Some("env-token-never-shown"));
        let want = Timestamp::parse("2031-05-06T07:08:09Z")
            .unwrap()
            .unix_secs();
        assert_eq!(got.expiry().map(unix), Some(want));
        assert_eq!(got.account_id(), None);
        assert_hidden(
            &format!("{got:?}"),
            &["env-secret-never-shown", "env-token-never-shown"],
        );
    })
    .await;
}

#[tokio::test]
async fn a_named_profile_of_the_credentials_file_reaches_the_sdk() {
    within(async {
        let home = tempfile::tempdir().unwrap();
        write(
            home.path(),
            ".aws/credentials",
            "[default]\naws_access_key_id = AKIDDEFAULT000000000\naws_secret_access_key = d\n\
             [dev]\naws_access_key_id = AKIDDEVPROFILE000001\naws_secret_access_key = dev-secret\n",
        );
        let chain = DefaultChain::builder()
            .env(sandbox(home.path()))
            .profile("dev")
            .build()
            .unwrap();
        let got = through_sdk(chain).await.unwrap();
        assert_eq!(got.access_key_id(), "AKIDDEVPROFILE000001");
        assert_eq!(got.secret_access_key(), "dev-secret");
        assert_eq!(got.session_token(), None);
        assert_eq!(got.expiry(), None);
        assert!(
            format!("{got:?}").contains("shared-credentials-file"),
            "{got:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn no_credentials_anywhere_is_credentials_not_loaded() {
    within(async {
        let home = tempfile::tempdir().unwrap();
        let chain = DefaultChain::builder()
            .env(sandbox(home.path()))
            .build()
            .unwrap();
        let e = through_sdk(chain).await.unwrap_err();
        let CredentialsError::CredentialsNotLoaded(_) = &e else {
            panic!("{e:?}")
        };
        // The credchain error is the source: what the chain said stays readable.
        let ours = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<Error>())
            .unwrap();
        assert_eq!(ours.provider(), "credential-chain");
        assert!(
            ours.to_string().contains("Unable to locate credentials"),
            "{ours}"
        );
    })
    .await;
}

#[tokio::test]
async fn configuration_errors_are_invalid_configuration() {
    within(async {
        let home = tempfile::tempdir().unwrap();
        // An explicit profile that does not exist (botocore: ProfileNotFound).
        let chain = DefaultChain::builder()
            .env(sandbox(home.path()))
            .profile("nope")
            .build()
            .unwrap();
        let e = through_sdk(chain).await.unwrap_err();
        assert!(
            matches!(e, CredentialsError::InvalidConfiguration(_)),
            "{e:?}"
        );

        // An access key without its secret (botocore: PartialCredentialsError).
        write(
            home.path(),
            ".aws/credentials",
            "[default]\naws_access_key_id = AKIDONLYHALF00000000\n",
        );
        let mut env = sandbox(home.path());
        env.set("AWS_ACCESS_KEY_ID", "AKIDONLYHALF00000000");
        let chain = DefaultChain::builder().env(env).build().unwrap();
        let e = through_sdk(chain).await.unwrap_err();
        assert!(
            matches!(e, CredentialsError::InvalidConfiguration(_)),
            "{e:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_failing_credential_process_is_a_provider_error_without_its_secrets() {
    within(async {
        let home = tempfile::tempdir().unwrap();
        write(
            home.path(),
            ".aws/config",
            "[default]\ncredential_process = sh -c 'echo denied by policy >&2; exit 3'\n",
        );
        let chain = DefaultChain::builder()
            .env(sandbox(home.path()))
            .build()
            .unwrap();
        let e = through_sdk(chain).await.unwrap_err();
        let CredentialsError::ProviderError(_) = &e else {
            panic!("{e:?}")
        };
        let ours = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<Error>())
            .unwrap();
        assert_eq!(ours.provider(), "custom-process");
        assert!(ours.to_string().contains("denied by policy"), "{ours}");
    })
    .await;
}

#[tokio::test]
async fn a_credential_process_past_its_deadline_is_provider_timed_out() {
    within(async {
        let home = tempfile::tempdir().unwrap();
        write(
            home.path(),
            ".aws/config",
            "[default]\ncredential_process = sleep 30\n",
        );
        let chain = DefaultChain::builder()
            .env(sandbox(home.path()))
            .process_deadline(Duration::from_millis(300))
            .build()
            .unwrap();
        let e = through_sdk(chain).await.unwrap_err();
        let CredentialsError::ProviderTimedOut(t) = &e else {
            panic!("{e:?}")
        };
        assert_eq!(t.timeout_duration(), Duration::from_millis(300));
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_container_endpoint_that_never_answers_is_provider_timed_out() {
    within(async {
        let server = ContainerServer::builder()
            .fault(FaultRule::everywhere(Fault::Stall))
            .start()
            .await
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut env = sandbox(home.path());
        env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", server.full_uri());
        env.set(
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            server.authorization_token().unwrap(),
        );
        let chain = DefaultChain::builder().env(env).build().unwrap();
        // The chain's first resolution (its failure is a ChainFailure) …
        let e = through_sdk(chain).await.unwrap_err();
        let CredentialsError::ProviderTimedOut(t) = &e else {
            panic!("{e:?}")
        };
        // … botocore's container timeout, per request (spec §6).
        assert_eq!(t.timeout_duration(), Duration::from_secs(2));
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiring_imds_credential_is_refreshed_through_the_cache() {
    within(async {
        let t = unix_now();
        let server_clock = Clock::frozen(Timestamp::from_unix_secs(t).unwrap());
        // Default rotation: a new generation every hour, each valid for six.
        let server = ImdsServer::builder()
            .clock(server_clock.clone())
            .start()
            .await
            .unwrap();
        let home = tempfile::tempdir().unwrap();
        let mut env = sandbox(home.path());
        env.remove("AWS_EC2_METADATA_DISABLED");
        env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", server.endpoint());
        let clock = ManualClock::at_unix_secs(t);
        let chain = DefaultChain::builder()
            .env(env)
            .clock(clock.clone())
            .build()
            .unwrap();
        let provider = SharedCredentialsProvider::new(chain.clone());

        let first = provider.provide_credentials().await.unwrap();
        assert_eq!(first.expiry().map(unix), Some(t + 6 * 3600));

        // Five minutes before the expiry: inside botocore's mandatory window (10 minutes), so
        // the SDK's call waits for a refresh and gets the server's current generation.
        let later = Duration::from_secs(6 * 3600 - 300);
        server_clock.advance(later);
        clock.advance(later);
        let second = provider.provide_credentials().await.unwrap();
        let served = server.credentials(CredentialSet::RoleV2).unwrap();
        assert_ne!(second.access_key_id(), first.access_key_id());
        assert_served(&second, &served, "after the refresh");
        assert!(unix(second.expiry().unwrap()) > t + 6 * 3600);
        let docs = server
            .transcript()
            .iter()
            .filter(|x| x.method == "GET" && x.path.ends_with("/credchain-role"))
            .count();
        assert_eq!(docs, 2, "one fetch at the start, one refresh");
        server.stop().await;
    })
    .await;
}

#[derive(Debug)]
struct Refusing;

impl ProvideCredentials for Refusing {
    async fn provide(&self) -> Result<Credentials, Error> {
        Err(Error::failed("vault", "the vault is sealed"))
    }
}

#[tokio::test]
async fn every_provider_of_the_facade_and_the_adapter_speak_the_sdk_trait() {
    within(async {
        let creds = Credentials::new("AKIDSTATIC0000000001", "static-secret", None, "explicit");
        let got = through_sdk(StaticProvider::new(creds.clone()))
            .await
            .unwrap();
        assert_eq!(got.access_key_id(), "AKIDSTATIC0000000001");
        let got = through_sdk(SharedProvider::new(StaticProvider::new(creds.clone())))
            .await
            .unwrap();
        assert_eq!(got.secret_access_key(), "static-secret");
        let got = through_sdk(SdkProvider::new(StaticProvider::new(creds)))
            .await
            .unwrap();
        assert_eq!(got.access_key_id(), "AKIDSTATIC0000000001");
        let e = through_sdk(SdkProvider::new(Refusing)).await.unwrap_err();
        assert!(matches!(e, CredentialsError::ProviderError(_)), "{e:?}");
    })
    .await;
}

#[tokio::test]
async fn the_cache_falls_back_on_interrupt_to_credentials_that_have_not_expired() {
    within(async {
        let t = unix_now();
        let expiry = UNIX_EPOCH + Duration::from_secs(u64::try_from(t + 3600).unwrap());
        let clock = ManualClock::at_unix_secs(t);
        let cache = CredentialsCache::builder(StaticProvider::new(
            Credentials::new("ASIACACHED0000000001", "s", Some("tok".into()), "iam-role")
                .with_expiry(Some(expiry)),
        ))
        .clock(clock.clone())
        .build();
        // Nothing cached yet: nothing to fall back on.
        assert!(SdkProvideCredentials::fallback_on_interrupt(&cache).is_none());
        let got = through_sdk(cache.clone()).await.unwrap();
        assert_eq!(got.expiry(), Some(expiry));
        let held = SdkProvideCredentials::fallback_on_interrupt(&cache).unwrap();
        assert_eq!(held.access_key_id(), "ASIACACHED0000000001");
        // Past the expiry the held set is no use.
        clock.advance(Duration::from_secs(3601));
        assert!(SdkProvideCredentials::fallback_on_interrupt(&cache).is_none());
    })
    .await;
}
