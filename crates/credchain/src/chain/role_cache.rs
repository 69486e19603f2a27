//! The AWS CLI's file cache of assumed-role credentials (spec §8.5), opt-in through
//! `DefaultChainBuilder::role_cache_dir`: read before an STS call, written after one, in the
//! AWS CLI's own form so that both share it.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use credchain_core::sso::Sha1Hex;
use credchain_core::time::Timestamp;

use super::role::{Ctx, RoleCall, expires};
use crate::Credentials;
use crate::clock::RandomSource;
use crate::credentials::timestamp_to_system_time;

/// botocore's `CachedCredentialFetcher` reuses cached credentials only with at least this long
/// left (`DEFAULT_EXPIRY_WINDOW_SECONDS`, spec §8.5).
const CACHE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The AWS CLI's JSON file cache of assumed credentials (`~/.aws/cli/cache`, botocore's
/// `JSONFileCache`): one `<cache key>.json` per role, holding the `AssumeRole` answer as
/// botocore's parser gave it, `{"Credentials": {"AccessKeyId", "SecretAccessKey",
/// "SessionToken", "Expiration", "AccountId"}, …}`, `Expiration` written by `strftime` as
/// `2026-11-29T12:00:00UTC`.
#[derive(Debug, Clone)]
pub(super) struct RoleFileCache {
    pub(super) dir: PathBuf,
}

#[derive(serde::Deserialize)]
struct CacheDocument {
    #[serde(rename = "Credentials")]
    credentials: CachedCredentials,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CachedCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
    #[serde(default)]
    account_id: Option<String>,
}

impl RoleFileCache {
    fn path(&self, key: &Sha1Hex) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    /// The cached credentials for `key`: `Ok(None)` without a file, `Err` (why it is not
    /// used, never its content) for a file that cannot be used.
    fn load(
        &self,
        key: &Sha1Hex,
        now: SystemTime,
        provider: &'static str,
    ) -> Result<Option<Credentials>, String> {
        let path = self.path(key);
        let shown = path.display();
        let text = match std::fs::read(&path) {
            Ok(t) => zeroize::Zeroizing::new(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("cannot read the role cache file {shown}: {e}")),
        };
        // The position only: serde's message may quote a value.
        let doc: CacheDocument = serde_json::from_slice(&text).map_err(|e| {
            format!(
                "the role cache file {shown} is not a cached AssumeRole answer with \
                 Credentials.{{AccessKeyId, SecretAccessKey, SessionToken, Expiration}} \
                 ({:?} error at line {}, column {})",
                e.classify(),
                e.line(),
                e.column()
            )
        })?;
        let c = doc.credentials;
        let expiry = credchain_core::sso::parse_expires_at(&c.expiration)
            .map(timestamp_to_system_time)
            .map_err(|e| {
                format!(
                    "the role cache file {shown} has an Expiration that does not parse ({e}): {:?}",
                    c.expiration
                )
            })?;
        if expiry
            .duration_since(now)
            .map_or(true, |left| left < CACHE_WINDOW)
        {
            return Err(format!(
                "the credentials in the role cache file {shown} expire at {}, less than 15 \
                 minutes from now",
                c.expiration
            ));
        }
        Ok(Some(
            Credentials::new(
                c.access_key_id,
                c.secret_access_key,
                Some(c.session_token),
                provider,
            )
            .with_expiry(Some(expiry))
            .with_account_id(c.account_id),
        ))
    }

    /// Writes `c` as the AWS CLI does: the directory created `0700` if missing, a temporary
    /// file `0600` beside the target, synced, then renamed over it.
    fn store(&self, key: &Sha1Hex, c: &Credentials, nonce: u64) -> Result<(), String> {
        let path = self.path(key);
        let expiration = c
            .expiry_unix_secs()
            .and_then(Timestamp::from_unix_secs)
            .map(|t| format!("{}UTC", t.to_string().trim_end_matches('Z')))
            .ok_or_else(|| "the credentials have no expiry".to_owned())?;
        let mut creds = serde_json::json!({
            "AccessKeyId": c.access_key_id(),
            "SecretAccessKey": c.expose_secret_access_key(),
            "SessionToken": c.expose_session_token(),
            "Expiration": expiration,
        });
        if let (Some(a), Some(map)) = (c.account_id(), creds.as_object_mut()) {
            map.insert("AccountId".to_owned(), a.into());
        }
        let body = zeroize::Zeroizing::new(
            serde_json::to_vec(&serde_json::json!({ "Credentials": creds }))
                .map_err(|e| e.to_string())?,
        );
        let tmp = self
            .dir
            .join(format!(".{key}.{}.{nonce:016x}.tmp", std::process::id()));
        write_private(&self.dir, &tmp, &path, &body)
            .map_err(|e| format!("cannot write the role cache file {}: {e}", path.display()))
    }
}

/// Writes `body` to `path` through `tmp` (created `0600` in `dir`, synced, renamed over
/// `path`), creating `dir` `0700` if missing: botocore's `JSONFileCache` write, shared by the
/// role cache and the SSO token cache (`chain::sso`).
pub(super) fn write_private(
    dir: &Path,
    tmp: &Path,
    path: &Path,
    body: &[u8],
) -> std::io::Result<()> {
    use std::io::Write;
    let mut dirs = std::fs::DirBuilder::new();
    dirs.recursive(true);
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
        dirs.mode(0o700);
        file.mode(0o600);
    }
    dirs.create(dir)?;
    let written = file.open(tmp).and_then(|mut f| {
        f.write_all(body)?;
        f.sync_all()?;
        std::fs::rename(tmp, path)
    });
    if written.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    written
}

/// A [`RoleCall`] of the file cache (no STS call): `cached`, `cache-ignored`,
/// `cache-not-written`.
pub(super) fn cache_call(
    kind: &'static str,
    profile: &str,
    role: &str,
    outcome: &'static str,
) -> RoleCall {
    RoleCall {
        kind,
        endpoint: None,
        profile: profile.to_owned(),
        role: role.to_owned(),
        session_name: None,
        signed_with: None,
        outcome,
        access_key_id: None,
        expires_at: None,
        error: None,
    }
}

impl Ctx {
    /// The role's credentials from the file cache, recording a `cached` or `cache-ignored`
    /// call; `None` without a cache, a file, or usable credentials in it.
    pub(super) fn cached(
        &self,
        key: &Sha1Hex,
        call: impl Fn(&'static str) -> RoleCall,
    ) -> Option<Credentials> {
        let cache = self.role_cache.as_ref()?;
        match cache.load(key, self.clock.now(), self.provider) {
            Ok(None) => None,
            Ok(Some(c)) => {
                let mut r = call("cached");
                tracing::debug!(
                    target: "credchain::chain",
                    profile = r.profile,
                    role = r.role,
                    access_key_id = c.access_key_id(),
                    "assumed-role credentials from the role cache"
                );
                r.access_key_id = Some(c.access_key_id().to_owned());
                r.expires_at = expires(&c);
                self.record(r);
                Some(c)
            }
            Err(why) => {
                tracing::debug!(target: "credchain::chain", %why, "role cache file not used");
                let mut r = call("cache-ignored");
                r.error = Some(why);
                self.record(r);
                None
            }
        }
    }

    /// Writes fresh credentials to the file cache; a failure is recorded, never raised.
    pub(super) fn store(
        &self,
        key: &Sha1Hex,
        c: &Credentials,
        call: impl Fn(&'static str) -> RoleCall,
    ) {
        let Some(cache) = &self.role_cache else {
            return;
        };
        if let Err(why) = cache.store(key, c, self.random.next_u64()) {
            tracing::warn!(target: "credchain::chain", %why, "role cache file not written");
            let mut r = call("cache-not-written");
            r.error = Some(why);
            self.record(r);
        }
    }
}
