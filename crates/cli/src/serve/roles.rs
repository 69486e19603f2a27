//! `credchain serve sts` and `credchain serve sso`: credchain-server's STS and SSO endpoints on
//! a loopback port, for trying role profiles (`role_arn`, `mfa_serial`, `external_id`, chains
//! of roles) and IAM Identity Center profiles without an AWS account.
//!
//! They share everything with `serve imds`: `--port`/`--bind`, `--stop-on-stdin-eof`,
//! `--fault`, `--throttle`, `--transcript`, `--quiet`, the request log, and the rule that
//! standard output carries only `export` lines. What they add is what a client needs besides
//! the endpoint:
//!
//! - STS signs nothing it does not know: it holds a source key (an IAM user's, `AKIA…`) that
//!   clients sign `AssumeRole` with. Its secret is written to a credentials file
//!   (`--credentials-file`, or one in a temporary directory removed at stop), never printed
//!   unless `--print-secret` asks for it. A profile that uses it is shown on standard error.
//! - SSO trades an access token for role credentials; the token is written where botocore's
//!   SSO provider reads it, the token cache (`--sso-cache-dir`), named by the SHA-1 of the start
//!   URL or of the `sso-session` name, so that an SSO profile works at once. With
//!   `--sso-session` the cache also holds a client registration and a refresh token, and the
//!   server's SSO-OIDC `/token` refreshes the access token as botocore does.
//! - With `--https` both serve TLS with a certificate made at start; the CA that signed it is
//!   written to a file and exported as `AWS_CA_BUNDLE`.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use credchain_core::sso::{CacheFileName, TokenCacheKey};
use credchain_server::{Credentials as Served, EndpointControls, Role, SsoServer, StsServer};

use super::{
    Faults, Listen, RequestLog, TRANSCRIPT, Watched, log, now_timestamp, print_exports,
    read_secret, serve_until_stopped,
};

/// The long help of `credchain serve sts`.
pub(crate) const STS_HELP: &str = "\
AWS STS's AssumeRole, AssumeRoleWithWebIdentity and GetCallerIdentity, with SigV4 signatures
checked for real: the server holds its own copy of the source key and of every key it mints,
and recomputes each signature. Roles are validated as IAM does (session names, durations,
ExternalId, MFA), errors are STS's XML error documents with STS's codes, and minted
credentials (ASIA...) sign further calls, so chains of roles work hop after hop.

Prints `export AWS_ENDPOINT_URL_STS=http://127.0.0.1:PORT` (and AWS_CA_BUNDLE with --https):
botocore, the AWS CLI, the AWS SDKs and credchain send STS calls there. The source key the
server accepts is written in ~/.aws/credentials form to --credentials-file (a new file), or to
a file in a temporary directory removed at stop; standard error says where, and shows a
profile that assumes the first role. Requests must be signed for --region (a profile needs
`region`, as botocore raises NoRegionError for a custom endpoint without one).

    credchain serve sts --credentials-file creds --require-mfa arn:aws:iam::123456789012:mfa/me:123456 > sts.env &
    until [ -s sts.env ]; do sleep 0.1; done; . ./sts.env
    AWS_SHARED_CREDENTIALS_FILE=creds AWS_CONFIG_FILE=config credchain export --profile credchain-role --format env

--fault, --throttle and --transcript work as for `serve imds` (see `credchain serve imds
--help`); e.g. `--fault status=503#1`: the first call gets 503 and botocore's retry the
second.";

/// The long help of `credchain serve sso`.
pub(crate) const SSO_HELP: &str = "\
IAM Identity Center (SSO): the portal's GetRoleCredentials (GET /federation/credentials with the
access token in x-amz-sso_bearer_token; 401 for a missing or expired token, which botocore
turns into \"run aws sso login\", 403 for a role the token may not use) and SSO-OIDC's
CreateToken (POST /token, the refresh grant) on one port.

Prints `export AWS_ENDPOINT_URL_SSO=...` and `export AWS_ENDPOINT_URL_SSO_OIDC=...` (and
AWS_CA_BUNDLE with --https). The access token is written to the token cache directory
--sso-cache-dir, as `aws sso login` writes it (file name: SHA-1 of the start URL, or of the
sso-session name with --sso-session); point it at ~/.aws/sso/cache of the HOME the clients use.
Standard error shows a profile that uses it; no token is ever printed.

    credchain serve sso --sso-cache-dir ~/.aws/sso/cache --sso-session dev > sso.env &
    until [ -s sso.env ]; do sleep 0.1; done; . ./sso.env
    credchain explain --profile credchain-sso   # after adding the profile shown on stderr

--fault, --throttle and --transcript work as for `serve imds`.";

/// `--https` and where the CA goes.
#[derive(Debug, Args)]
struct Https {
    /// Serve HTTPS with a certificate for localhost, 127.0.0.1 and ::1, signed by a CA made at
    /// start; the CA is written to a file exported as AWS_CA_BUNDLE.
    #[arg(long)]
    https: bool,
    /// With --https: write the CA certificate (PEM) to FILE (default: a file in a temporary
    /// directory removed at stop).
    #[arg(long, value_name = "FILE", requires = "https")]
    ca_bundle: Option<PathBuf>,
}

/// Options of `credchain serve sts`.
#[derive(Debug, Args)]
pub(crate) struct StsArgs {
    #[command(flatten)]
    listen: Listen,
    #[command(flatten)]
    https: Https,
    /// The region requests must be signed for (the scope of their SigV4 signature).
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    region: String,
    /// A role callers may assume (repeatable): arn:aws:iam::<12 digits>:role/<name>.
    #[arg(
        long = "role",
        value_name = "ARN",
        default_value = "arn:aws:iam::123456789012:role/credchain-role"
    )]
    roles: Vec<String>,
    /// AssumeRole must present this MFA device and code (SerialNumber and TokenCode), as a
    /// role whose trust policy demands MFA; the last `:` separates the code, e.g.
    /// arn:aws:iam::123456789012:mfa/me:123456. A wrong or missing code gets AccessDenied.
    #[arg(long, value_name = "SERIAL:CODE", value_parser = parse_mfa)]
    require_mfa: Option<(String, String)>,
    /// AssumeRole must send this ExternalId (the profile's external_id); otherwise
    /// AccessDenied.
    #[arg(long, value_name = "ID")]
    external_id: Option<String>,
    /// The roles' maximum session duration (3600-43200 s, as IAM allows): a longer
    /// DurationSeconds (the profile's duration_seconds) gets ValidationError. Role chaining is
    /// limited to 3600 s whatever this says, as in AWS.
    #[arg(long, value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u32).range(3600..=43200))]
    max_session_duration: u32,
    /// Minted credentials expire SECS after the call whatever DurationSeconds asked (to watch
    /// a client refresh them).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    session_lifetime: Option<u64>,
    /// AssumeRoleWithWebIdentity for the roles accepts the token in FILE (byte for byte; the
    /// profile's web_identity_token_file or AWS_WEB_IDENTITY_TOKEN_FILE names the same file).
    #[arg(long, value_name = "FILE")]
    web_identity_token_file: Option<PathBuf>,
    /// The source key's id (with --secret-key-file); default: a new random AKIA... key.
    #[arg(long, value_name = "ID", requires = "secret_key_file")]
    access_key_id: Option<String>,
    /// The file holding the secret access key of --access-key-id (a file, so that `ps` does
    /// not show it).
    #[arg(long, value_name = "FILE", requires = "access_key_id")]
    secret_key_file: Option<PathBuf>,
    /// Write the source key to FILE, a new file, as a ~/.aws/credentials section
    /// [--source-profile]; point AWS_SHARED_CREDENTIALS_FILE at it (default: a file in a
    /// temporary directory removed at stop, unless --secret-key-file gave the key).
    #[arg(long, value_name = "FILE")]
    credentials_file: Option<PathBuf>,
    /// The section name of the source key in the credentials file, and the source_profile of
    /// the profile shown.
    #[arg(long, value_name = "NAME", default_value = "credchain-source")]
    source_profile: String,
    /// Write a ~/.aws/config file (a new file) with the profile that assumes the first role;
    /// point AWS_CONFIG_FILE at it.
    #[arg(long, value_name = "FILE")]
    config_file: Option<PathBuf>,
    /// Also print the source key on standard output: `export AWS_ACCESS_KEY_ID=...` and
    /// `export AWS_SECRET_ACCESS_KEY=...` (for `credential_source = Environment`).
    #[arg(long)]
    print_secret: bool,
    #[command(flatten)]
    faults: Faults,
}

/// Options of `credchain serve sso`.
#[derive(Debug, Args)]
pub(crate) struct SsoArgs {
    #[command(flatten)]
    listen: Listen,
    #[command(flatten)]
    https: Https,
    /// Write the access token to this token cache directory (as `aws sso login` does; clients
    /// read ~/.aws/sso/cache of their HOME).
    #[arg(long, value_name = "DIR")]
    sso_cache_dir: PathBuf,
    /// A role any valid token may get credentials for (repeatable): ACCOUNT:ROLE_NAME.
    #[arg(long = "role", value_name = "ACCOUNT:ROLE", value_parser = parse_sso_role,
          default_value = "123456789012:credchain-sso-role")]
    roles: Vec<(String, String)>,
    /// The start URL of the profile shown, written into the cache (a legacy profile's cache
    /// file is named by it).
    #[arg(
        long,
        value_name = "URL",
        default_value = "https://credchain.awsapps.com/start"
    )]
    start_url: String,
    /// The sso_region of the profile shown, written into the cache.
    #[arg(long, value_name = "REGION", default_value = "us-east-1")]
    sso_region: String,
    /// An `[sso-session NAME]` profile: the cache file is named by NAME and holds a client
    /// registration and a refresh token, so that botocore and credchain refresh the access
    /// token through the server's SSO-OIDC CreateToken when it nears expiry.
    #[arg(long, value_name = "NAME")]
    sso_session: Option<String>,
    /// The access token written to the cache expires SECS from now (and the server stops
    /// accepting it then); tokens minted by a refresh live as long.
    #[arg(long, value_name = "SECS", default_value_t = 8 * 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    token_lifetime: u64,
    /// Role credentials are valid SECS.
    #[arg(long, value_name = "SECS", default_value_t = 3600,
          value_parser = clap::value_parser!(u64).range(1..))]
    session_lifetime: u64,
    /// Write a ~/.aws/config file (a new file) with a profile that uses the first role; point
    /// AWS_CONFIG_FILE at it.
    #[arg(long, value_name = "FILE")]
    config_file: Option<PathBuf>,
    #[command(flatten)]
    faults: Faults,
}

/// `SERIAL:CODE`, split at the last `:` (serials are ARNs, full of colons).
fn parse_mfa(text: &str) -> Result<(String, String), String> {
    match text.rsplit_once(':') {
        Some((serial, code)) if !serial.is_empty() && !code.is_empty() => {
            Ok((serial.to_owned(), code.to_owned()))
        }
        _ => Err(format!(
            "{text:?}: expected SERIAL:CODE, e.g. arn:aws:iam::123456789012:mfa/me:123456"
        )),
    }
}

/// `ACCOUNT:ROLE_NAME`.
fn parse_sso_role(text: &str) -> Result<(String, String), String> {
    match text.split_once(':') {
        Some((account, role))
            if account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && !role.is_empty() =>
        {
            Ok((account.to_owned(), role.to_owned()))
        }
        _ => Err(format!(
            "{text:?}: expected ACCOUNT:ROLE_NAME with a 12-digit account, e.g. \
             123456789012:ReadOnly"
        )),
    }
}

/// `--https`, `--fault` and `--throttle` applied to an STS or SSO builder (two types with the
/// same methods).
macro_rules! endpoint_options {
    ($builder:expr, $https:expr, $faults:expr) => {{
        let mut builder = $builder;
        if $https.https {
            builder = builder.https();
        }
        for rule in $faults.rules.iter().cloned() {
            builder = builder.fault(rule);
        }
        if let Some(t) = $faults.throttle {
            builder = builder.throttle(t.throttle);
        }
        builder
    }};
}

/// Files the server writes for its clients; the temporary ones go when it stops.
struct Scratch {
    dir: Option<tempfile::TempDir>,
}

impl Scratch {
    /// `given`, or `name` in a temporary directory made on first use.
    fn path(&mut self, given: Option<&Path>, name: &str) -> Result<PathBuf, String> {
        if let Some(p) = given {
            return Ok(p.to_owned());
        }
        if self.dir.is_none() {
            self.dir = Some(
                tempfile::Builder::new()
                    .prefix("credchain-serve-")
                    .tempdir()
                    .map_err(|e| format!("cannot make a temporary directory: {e}"))?,
            );
        }
        let dir = self.dir.as_ref().map(tempfile::TempDir::path);
        Ok(dir.unwrap_or_else(|| Path::new(".")).join(name))
    }
}

/// Writes `text` to `path`, readable by its owner only; `new_only` refuses an existing file.
fn write_private(path: &Path, text: &str, new_only: bool, what: &str) -> Result<(), String> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if new_only {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            format!(
                "{} already exists: credchain writes the {what} to a new file only (it never \
                 edits yours); name another",
                path.display()
            )
        } else {
            format!("cannot write the {what} to {}: {e}", path.display())
        }
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write the {what} to {}: {e}", path.display()))
}

/// For `--https`: the CA written to a file, and the `AWS_CA_BUNDLE` export.
fn ca_export(
    https: &Https,
    ca_pem: Option<&str>,
    scratch: &mut Scratch,
) -> Result<Option<String>, String> {
    let Some(pem) = ca_pem else { return Ok(None) };
    let path = scratch.path(https.ca_bundle.as_deref(), "ca.pem")?;
    write_private(&path, pem, false, "CA certificate")?;
    Ok(Some(path.display().to_string()))
}

/// A random string of `len` characters from the server's generator (the secret alphabet).
fn random_text(len: usize) -> Result<String, String> {
    let now = now_timestamp();
    let c = Served::generate(now, now).map_err(|e| e.to_string())?;
    Ok(c.secret_access_key
        .chars()
        .chain(c.session_token.chars().skip(16))
        .take(len)
        .collect())
}

/// A new IAM-user-shaped key: `AKIA` and 16 characters, and a 40-character secret.
fn new_user_key() -> Result<(String, String), String> {
    let now = now_timestamp();
    let c = Served::generate(now, now).map_err(|e| e.to_string())?;
    let id = format!("AKIA{}", c.access_key_id.get(4..).unwrap_or_default());
    Ok((id, c.secret_access_key))
}

/// Says where the profile `name` was written (`--config-file`), and shows it on standard
/// error, indented.
fn show_profile(name: &str, config_file: Option<&Path>, heading: &str, text: &str) {
    if let Some(path) = config_file {
        log(&format!(
            "profile {name} written to {} (AWS_CONFIG_FILE={})",
            path.display(),
            path.display()
        ));
    }
    log(heading);
    for line in text.lines() {
        log(format!("    {line}").trim_end());
    }
}

/// Says which faults are in force, then logs requests until the server is to stop.
async fn announce_and_serve(
    faults: &Faults,
    listen: &Listen,
    controls: &EndpointControls,
    request_log: RequestLog,
) {
    faults.announce();
    let watched = Watched::Api(controls.clone());
    serve_until_stopped(&watched, listen.stop_on_stdin_eof, request_log).await;
}

/// `credchain serve sts`.
pub(crate) async fn sts(args: StsArgs) -> Result<(), String> {
    let addr = args.listen.addr("sts");
    let mut scratch = Scratch { dir: None };
    let (key_id, secret, key_given) = match (&args.access_key_id, &args.secret_key_file) {
        (Some(id), Some(file)) => (id.clone(), read_secret(file, "secret access key")?, true),
        _ => {
            let (id, secret) = new_user_key()?;
            (id, secret, false)
        }
    };
    let web_token = match &args.web_identity_token_file {
        Some(f) => Some(read_secret(f, "web identity token")?),
        None => None,
    };
    let mut builder = StsServer::builder()
        .bind(addr)
        .region(args.region.clone())
        .user(key_id.clone(), secret.clone())
        .transcript_capacity(TRANSCRIPT);
    let mut roles_text = Vec::new();
    for arn in &args.roles {
        let mut role = Role::new(arn.clone()).max_session_duration(args.max_session_duration);
        if let Some((serial, code)) = &args.require_mfa {
            role = role.mfa(serial.clone(), code.clone());
        }
        if let Some(id) = &args.external_id {
            role = role.external_id(id.clone());
        }
        if let Some(t) = &web_token {
            role = role.web_identity_token(t.clone());
        }
        builder = builder.role(role);
        roles_text.push(arn.as_str());
    }
    if let Some(secs) = args.session_lifetime {
        builder = builder.session_lifetime(Duration::from_secs(secs));
    }
    builder = endpoint_options!(builder, args.https, args.faults);
    let request_log = RequestLog::open(&args.faults)?;
    // The files before the server: a refused file stops the command before any export.
    let credentials_file = match (&args.credentials_file, key_given) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => None,
        (None, false) => Some(scratch.path(None, "credentials")?),
    };
    if let Some(path) = &credentials_file {
        let section = format!(
            "[{}]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n",
            args.source_profile
        );
        write_private(path, &section, true, "source key")?;
    }
    let first_role = args.roles.first().map_or("", String::as_str);
    let mut profile = format!(
        "[profile credchain-role]\nrole_arn = {first_role}\nsource_profile = {}\nregion = {}\n",
        args.source_profile, args.region
    );
    if let Some((serial, _)) = &args.require_mfa {
        profile.push_str(&format!("mfa_serial = {serial}\n"));
    }
    if let Some(id) = &args.external_id {
        profile.push_str(&format!("external_id = {id}\n"));
    }
    if let Some(path) = &args.config_file {
        let config = format!(
            "[profile {}]\nregion = {}\n\n{profile}",
            args.source_profile, args.region
        );
        write_private(path, &config, true, "config file")?;
    }

    let server = builder.start().await.map_err(|e| e.to_string())?;
    let url = server.url();
    let ca = ca_export(&args.https, server.ca_pem(), &mut scratch)?;
    let mut exports: Vec<(&str, &str)> = vec![("AWS_ENDPOINT_URL_STS", &url)];
    if let Some(ca) = &ca {
        exports.push(("AWS_CA_BUNDLE", ca));
    }
    if args.print_secret {
        exports.push(("AWS_ACCESS_KEY_ID", &key_id));
        exports.push(("AWS_SECRET_ACCESS_KEY", &secret));
    }
    print_exports(&exports)?;
    drop(secret);

    let mut rules = vec![format!("sessions up to {} s", args.max_session_duration)];
    if let Some((serial, _)) = &args.require_mfa {
        rules.push(format!("MFA {serial} required"));
    }
    if args.external_id.is_some() {
        rules.push("ExternalId required".to_owned());
    }
    if web_token.is_some() {
        rules.push("web identity token accepted".to_owned());
    }
    log(&format!(
        "STS on {} ({}, region {}, SigV4 checked): role{} {} ({})",
        server.addr(),
        if ca.is_some() { "HTTPS" } else { "HTTP" },
        server.region(),
        if roles_text.len() == 1 { "" } else { "s" },
        roles_text.join(", "),
        rules.join(", ")
    ));
    match &credentials_file {
        Some(path) => log(&format!(
            "source key {key_id}: in [{}] of {} (AWS_SHARED_CREDENTIALS_FILE={})",
            args.source_profile,
            path.display(),
            path.display()
        )),
        None => log(&format!(
            "source key {key_id}: the secret of --secret-key-file"
        )),
    }
    show_profile(
        "credchain-role",
        args.config_file.as_deref(),
        "a profile that assumes the first role:",
        &profile,
    );
    announce_and_serve(&args.faults, &args.listen, server.controls(), request_log).await;
    server.stop().await;
    drop(scratch);
    Ok(())
}

/// `credchain serve sso`.
pub(crate) async fn sso(args: SsoArgs) -> Result<(), String> {
    let addr = args.listen.addr("sso");
    let mut scratch = Scratch { dir: None };
    let now = now_timestamp();
    let token_life = i64::try_from(args.token_lifetime).unwrap_or(i64::MAX);
    let expires = now.saturating_add_secs(token_life);
    let access_token = format!("aoa{}", random_text(120)?);
    let mut builder = SsoServer::builder()
        .bind(addr)
        .access_token_until(access_token.clone(), expires)
        .session_lifetime(Duration::from_secs(args.session_lifetime))
        .token_lifetime(Duration::from_secs(args.token_lifetime));
    for (account, role) in &args.roles {
        builder = builder.role(account.clone(), role.clone());
    }
    let mut cache = serde_json::Map::new();
    cache.insert("startUrl".into(), args.start_url.clone().into());
    cache.insert("region".into(), args.sso_region.clone().into());
    cache.insert("accessToken".into(), access_token.into());
    cache.insert("expiresAt".into(), expires.trunc_secs().to_string().into());
    let key = match &args.sso_session {
        Some(name) => {
            let client_id = format!("credchain-client-{}", random_text(16)?);
            let client_secret = random_text(40)?;
            let refresh_token = format!("aor{}", random_text(120)?);
            builder = builder
                .client(client_id.clone(), client_secret.clone())
                .refresh_token(refresh_token.clone());
            let registration = now.saturating_add_secs(90 * 24 * 3600);
            cache.insert("clientId".into(), client_id.into());
            cache.insert("clientSecret".into(), client_secret.into());
            cache.insert(
                "registrationExpiresAt".into(),
                registration.trunc_secs().to_string().into(),
            );
            cache.insert("refreshToken".into(), refresh_token.into());
            TokenCacheKey::SessionName(name)
        }
        None => TokenCacheKey::StartUrl(&args.start_url),
    };
    builder = endpoint_options!(builder, args.https, args.faults);
    let request_log = RequestLog::open(&args.faults)?;
    let cache_file = args.sso_cache_dir.join(CacheFileName::new(key).as_str());
    let json = serde_json::to_string(&serde_json::Value::Object(cache))
        .map_err(|e| format!("cannot write the token cache: {e}"))?;
    std::fs::create_dir_all(&args.sso_cache_dir).map_err(|e| {
        format!(
            "cannot make the token cache directory {}: {e}",
            args.sso_cache_dir.display()
        )
    })?;
    write_private(&cache_file, &json, false, "SSO token")?;

    let (account, role) = args
        .roles
        .first()
        .map_or(("", ""), |(a, r)| (a.as_str(), r.as_str()));
    let profile = match &args.sso_session {
        Some(name) => format!(
            "[profile credchain-sso]\nsso_session = {name}\nsso_account_id = {account}\n\
             sso_role_name = {role}\nregion = {region}\n\n[sso-session {name}]\n\
             sso_start_url = {url}\nsso_region = {region}\n",
            region = args.sso_region,
            url = args.start_url
        ),
        None => format!(
            "[profile credchain-sso]\nsso_start_url = {url}\nsso_region = {region}\n\
             sso_account_id = {account}\nsso_role_name = {role}\nregion = {region}\n",
            region = args.sso_region,
            url = args.start_url
        ),
    };
    if let Some(path) = &args.config_file {
        write_private(path, &profile, true, "config file")?;
    }

    let server = builder.start().await.map_err(|e| e.to_string())?;
    let url = server.url();
    let ca = ca_export(&args.https, server.ca_pem(), &mut scratch)?;
    let mut exports: Vec<(&str, &str)> = vec![
        ("AWS_ENDPOINT_URL_SSO", &url),
        ("AWS_ENDPOINT_URL_SSO_OIDC", &url),
    ];
    if let Some(ca) = &ca {
        exports.push(("AWS_CA_BUNDLE", ca));
    }
    print_exports(&exports)?;
    let roles: Vec<String> = args
        .roles
        .iter()
        .map(|(a, r)| format!("{r} in {a}"))
        .collect();
    log(&format!(
        "SSO portal and SSO-OIDC on {} ({}): role{} {}; role credentials valid {}",
        server.addr(),
        if ca.is_some() { "HTTPS" } else { "HTTP" },
        if roles.len() == 1 { "" } else { "s" },
        roles.join(", "),
        crate::render::human_duration(args.session_lifetime)
    ));
    log(&format!(
        "access token for {} written to {} (expires {}{})",
        match &args.sso_session {
            Some(name) => format!("sso-session {name}"),
            None => args.start_url.clone(),
        },
        cache_file.display(),
        expires.trunc_secs(),
        if args.sso_session.is_some() {
            ", refreshable through /token"
        } else {
            ""
        }
    ));
    show_profile(
        "credchain-sso",
        args.config_file.as_deref(),
        "a profile that uses it:",
        &profile,
    );
    announce_and_serve(&args.faults, &args.listen, server.controls(), request_log).await;
    server.stop().await;
    drop(scratch);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mfa_and_role_specs() {
        assert_eq!(
            parse_mfa("arn:aws:iam::123456789012:mfa/me:123456").unwrap(),
            (
                "arn:aws:iam::123456789012:mfa/me".to_owned(),
                "123456".to_owned()
            )
        );
        for bad in ["", "123456", ":123456", "arn:aws:iam::1:mfa/me:"] {
            assert!(parse_mfa(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(
            parse_sso_role("123456789012:ReadOnly").unwrap(),
            ("123456789012".to_owned(), "ReadOnly".to_owned())
        );
        for bad in [
            "",
            "ReadOnly",
            "12345:ReadOnly",
            "123456789012:",
            "12345678901x:R",
        ] {
            assert!(parse_sso_role(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
