//! The IMDS and container providers behind the cache, against `credchain-server` on loopback:
//! the server's credentials come out; a rotation on the server is picked up in the advisory
//! window while callers keep the cached set; static stability stretches near-expiry IMDS
//! credentials before they reach the cache; "nothing here" and errors keep their kind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use credchain::{
    AdvisoryRefresh, ContainerAuth, ContainerProvider, ContainerSettings, Credentials,
    CredentialsCache, ErrorKind, ImdsProvider, ManualClock, RefreshError,
};
use credchain_core::imds::{Endpoint, ImdsConfig};
use credchain_core::time::Timestamp;
use credchain_http::WallClock;
use credchain_server::{Clock, ContainerServer, CredentialSet, ImdsServer};
use zeroize::Zeroizing;

const LIMIT: Duration = Duration::from_secs(30);

async fn within<F: Future>(f: F) -> F::Output {
    match tokio::time::timeout(LIMIT, f).await {
        Ok(out) => out,
        Err(_) => panic!("the test did not finish within {LIMIT:?}"),
    }
}

fn unix_now() -> i64 {
    i64::try_from(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

/// The provider keeps one fetcher for its lifetime, which borrows the endpoint: a test server's
/// URL is made `'static` the way a chain built once per process would.
fn imds_config(url: String) -> ImdsConfig<'static> {
    let url: &'static str = Box::leak(url.into_boxed_str());
    ImdsConfig {
        endpoint: Endpoint::custom(url).unwrap(),
        ..ImdsConfig::default()
    }
}

fn assert_same(found: &Credentials, served: &credchain_server::Credentials, what: &str) {
    assert_eq!(found.access_key_id(), served.access_key_id, "{what}");
    assert_eq!(
        found.expose_secret_access_key(),
        served.secret_access_key,
        "{what}"
    );
    assert_eq!(
        found.expose_session_token(),
        Some(served.session_token.as_str()),
        "{what}"
    );
    assert_eq!(
        found.expiry_unix_secs(),
        Some(served.expiration.unix_secs()),
        "{what}"
    );
}

const DOC: &str = "/latest/meta-data/iam/security-credentials/credchain-role";

fn document_fetches(server: &credchain_server::ServerHandle) -> usize {
    server
        .transcript()
        .iter()
        .filter(|e| e.method == "GET" && e.path == DOC)
        .count()
}

async fn wait_for_fetch<P: credchain::ProvideCredentials + 'static>(cache: &CredentialsCache<P>) {
    for _ in 0..3000 {
        if cache.machine().fetch_in_flight().is_none() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("the background fetch did not finish");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imds_credentials_come_out_of_the_cache_and_a_rotation_is_picked_up_in_the_advisory_window()
{
    within(async {
        let t = unix_now();
        let server_clock = Clock::frozen(Timestamp::from_unix_secs(t).unwrap());
        // Default rotation: a generation every hour, each valid for six.
        let server = ImdsServer::builder()
            .clock(server_clock.clone())
            .start()
            .await
            .unwrap();
        let clock = ManualClock::at_unix_secs(t);
        let cache = CredentialsCache::builder(ImdsProvider::new(imds_config(server.endpoint())))
            .clock(clock.clone())
            .build();

        let first = cache.get().await.unwrap();
        assert_same(
            &first,
            &server.credentials(CredentialSet::RoleV2).unwrap(),
            "first",
        );
        assert_eq!(first.provider(), "iam-role");
        assert_eq!(first.expiry_unix_secs(), Some(t + 6 * 3600));

        // Two hours on, the server has rotated twice, but the cached set has four hours left:
        // served from the cache, IMDS is not asked.
        server_clock.advance(Duration::from_secs(2 * 3600));
        clock.advance(Duration::from_secs(2 * 3600));
        assert_eq!(
            cache.get().await.unwrap().access_key_id(),
            first.access_key_id()
        );
        assert_eq!(document_fetches(&server), 1);

        // 899 s before the expiry (botocore's advisory window): the caller still gets the cached
        // set at once, and one refresh fetches the server's current generation.
        let advisory = Duration::from_secs(6 * 3600 - 899);
        server_clock.set(Timestamp::from_unix_secs(t + 6 * 3600 - 899).unwrap());
        clock.set(UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap()) + advisory);
        let during = cache.get().await.unwrap();
        assert_eq!(during.access_key_id(), first.access_key_id());
        wait_for_fetch(&cache).await;
        let after = cache.get().await.unwrap();
        let served = server.credentials(CredentialSet::RoleV2).unwrap();
        assert_same(&after, &served, "after the rotation");
        assert_ne!(after.access_key_id(), first.access_key_id());
        assert_eq!(document_fetches(&server), 2);
        server.stop().await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_wait_mode_the_refreshing_caller_gets_the_rotated_credentials() {
    within(async {
        let t = unix_now();
        let server_clock = Clock::frozen(Timestamp::from_unix_secs(t).unwrap());
        let server = ImdsServer::builder()
            .clock(server_clock.clone())
            .start()
            .await
            .unwrap();
        let clock = ManualClock::at_unix_secs(t);
        let cache = CredentialsCache::builder(ImdsProvider::new(imds_config(server.endpoint())))
            .clock(clock.clone())
            .advisory_refresh(AdvisoryRefresh::Wait)
            .build();
        let first = cache.get().await.unwrap();
        server_clock.advance(Duration::from_secs(6 * 3600 - 800));
        clock.advance(Duration::from_secs(6 * 3600 - 800));
        let after = cache.get().await.unwrap();
        assert_ne!(after.access_key_id(), first.access_key_id());
        assert_same(
            &after,
            &server.credentials(CredentialSet::RoleV2).unwrap(),
            "rotated",
        );
        server.stop().await;
    })
    .await;
}

static PINNED_NOW: AtomicI64 = AtomicI64::new(0);

fn pinned_now() -> i64 {
    PINNED_NOW.load(Ordering::SeqCst)
}

#[tokio::test]
async fn near_expiry_imds_credentials_are_extended_before_they_reach_the_cache() {
    within(async {
        let t = unix_now();
        PINNED_NOW.store(t, Ordering::SeqCst);
        let now = Timestamp::from_unix_secs(t).unwrap();
        // IMDS keeps handing out a set with ten minutes left (an outage behind it).
        let served = credchain_server::Credentials::generate(
            now.saturating_sub_secs(3600),
            now.saturating_add_secs(600),
        )
        .unwrap();
        let server = ImdsServer::builder()
            .credentials(served.clone())
            .start()
            .await
            .unwrap();
        let wall = WallClock {
            now_unix_secs: pinned_now,
            jitter: || 0,
        };
        let clock = ManualClock::at_unix_secs(t);
        let cache = CredentialsCache::builder(ImdsProvider::with_wall_clock(
            imds_config(server.endpoint()),
            wall,
        ))
        .clock(clock.clone())
        .build();
        let got = cache.get().await.unwrap();
        assert_eq!(got.access_key_id(), served.access_key_id);
        // spec §4.8: now + 900 + randint(120, 600); jitter 0 picks 120.
        assert_eq!(got.expiry_unix_secs(), Some(t + 1020));
        // 1020 s left is outside the 900 s advisory window: served without asking IMDS again.
        clock.advance(Duration::from_secs(120));
        assert_eq!(
            cache.get().await.unwrap().access_key_id(),
            served.access_key_id
        );
        assert_eq!(document_fetches(&server), 1);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn imds_without_a_role_is_nothing_here() {
    within(async {
        let server = ImdsServer::builder().no_role().start().await.unwrap();
        let cache = CredentialsCache::new(ImdsProvider::new(imds_config(server.endpoint())));
        let e = cache.get().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
        assert_eq!(e.provider(), "iam-role");
        // Nothing was cached to fall back on: the source's "nothing" is the answer.
        assert_eq!(e.refresh_error(), Some(RefreshError::Incomplete));
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn container_credentials_come_out_of_the_cache_with_the_token_from_env_or_file() {
    within(async {
        let server = ContainerServer::builder()
            .account_id(Some("123456789012".into()))
            .start()
            .await
            .unwrap();
        let token = server.authorization_token().unwrap().to_owned();

        let settings = ContainerSettings {
            full_uri: Some(server.full_uri()),
            auth: Some(ContainerAuth::Token(Zeroizing::new(token.clone()))),
            ..ContainerSettings::default()
        };
        let cache = CredentialsCache::new(ContainerProvider::new(settings.clone()));
        let got = cache.get().await.unwrap();
        let served = server.credentials().unwrap();
        assert_same(&got, &served, "token from the environment");
        assert_eq!(got.provider(), "container-role");
        // The endpoint adds the account it was given to every document.
        assert_eq!(got.account_id(), Some("123456789012"));

        // The token file, with a trailing newline (trimmed), read at each fetch.
        let dir = std::env::temp_dir().join(format!("credchain-facade-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        std::fs::write(&file, format!("{token}\n")).unwrap();
        let from_file = ContainerProvider::new(ContainerSettings {
            auth: Some(ContainerAuth::File(file.clone())),
            ..settings.clone()
        });
        let got = CredentialsCache::new(from_file).get().await.unwrap();
        assert_same(&got, &server.credentials().unwrap(), "token from a file");

        // A missing token file is an error of this source, naming the file.
        std::fs::remove_file(&file).unwrap();
        let missing = ContainerProvider::new(ContainerSettings {
            auth: Some(ContainerAuth::File(file.clone())),
            ..settings
        });
        let e = CredentialsCache::new(missing).get().await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Failed);
        assert!(e.to_string().contains(&file.display().to_string()), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
        server.stop().await;
    })
    .await;
}

#[tokio::test]
async fn container_without_a_uri_is_nothing_here_and_a_foreign_host_is_an_error() {
    let e = CredentialsCache::new(ContainerProvider::new(ContainerSettings::default()))
        .get()
        .await
        .unwrap_err();
    assert!(e.is_not_found(), "{e}");
    let vars = |name: &str| match name {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI" => Some("http://192.168.1.1/creds".to_owned()),
        _ => None,
    };
    let e = CredentialsCache::new(ContainerProvider::new(ContainerSettings::from_vars(vars)))
        .get()
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Failed);
    assert!(
        e.to_string()
            .starts_with("container-role: no credentials are cached yet and fetching them failed: Unsupported host '192.168.1.1'."),
        "{e}"
    );
}

#[tokio::test]
async fn printed_credentials_from_a_server_never_show_the_secret_or_the_token() {
    within(async {
        let server = ImdsServer::builder().start().await.unwrap();
        let cache = CredentialsCache::new(ImdsProvider::new(imds_config(server.endpoint())));
        let got = cache.get().await.unwrap();
        let secret = got.expose_secret_access_key().to_owned();
        let token = got.expose_session_token().unwrap().to_owned();
        assert!(secret.len() >= 40 && token.len() >= 100);
        let shown = [
            format!("{got}"),
            format!("{got:?}"),
            format!("{got:#?}"),
            format!("{cache:?}"),
        ];
        for s in &shown {
            assert!(!s.contains(&secret), "the secret key shows in {s}");
            assert!(!s.contains(&token), "the session token shows in {s}");
            assert!(!s.contains(&token[..16]), "part of the token shows in {s}");
            assert!(s.contains(got.access_key_id()), "{s}");
        }
        assert!(
            shown[0].contains("from iam-role (session token, expires "),
            "{}",
            shown[0]
        );
        server.stop().await;
    })
    .await;
}
