//! `credchain serve imds` and `credchain serve container`: credchain-server's faithful
//! metadata endpoints on a loopback port, for a test suite or a program that expects to run on
//! EC2, ECS or EKS.
//!
//! ## What a client is told
//!
//! Standard output carries only `export` lines, the environment a client needs
//! (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, or `AWS_CONTAINER_CREDENTIALS_FULL_URI` with
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`), flushed as soon as the port is bound, so a script can
//! read them and go on. Everything else — what is served, then one line per request — goes to
//! standard error, and never carries a secret: the server's transcript replaces tokens and
//! `Authorization` values by their length and a fingerprint, and credentials are named by
//! their access key id only.
//!
//! ## What a tester sees and controls
//!
//! Every request is one line on standard error (`--quiet` turns that off). `--transcript FILE`
//! also writes each one, with its sequence number, its connection and its place on it
//! (keep-alive reuse shows), and the HTTP version, as text or as JSON Lines (the server's
//! [`Exchange`] record, whose header values for tokens and `Authorization` are redacted by the
//! server); `-` writes that to standard error instead of the short lines. Every fault the
//! server can inject is reachable: `--fault` (5xx and any status, delay, stall, reset, close,
//! truncated and oversized bodies, per path and for the first N requests) and `--throttle`
//! (a request rate beyond which requests are held or reset, as IMDS's packet limit does);
//! each rule in force is announced in words at start. `--no-role` and `--endpoint-disabled`
//! give two more instance states a test needs: no role (404 on the listing) and the metadata
//! service turned off (403 everywhere, a mode amazon-ec2-metadata-mock lacks).
//!
//! ## How long it runs
//!
//! Until SIGINT (Ctrl-C) or SIGTERM, and, with `--stop-on-stdin-eof`, until standard input
//! closes: a supervising program (or a test) that dies takes the server with it, without
//! signals. Standard input is not watched by default, because a server started in the
//! background of a script (`credchain serve imds > env.sh &`) has its standard input at end of
//! file from the start. Either way the exit status is 0.
//!
//! ## Where it listens
//!
//! `--bind 127.0.0.1 --port 0` by default: a free loopback port. A server that hands out
//! credentials must not be reachable by more than intended, so any other address needs
//! `--allow-non-loopback` (which also lets non-loopback peers in); without it the command stops
//! with exit status 2 like any other bad argument. This is what aws-vault cannot do without
//! root: nothing is aliased onto 169.254.169.254; SDKs are pointed at the port instead.
//!
//! ## What is served
//!
//! Generated credentials shaped like STS's, rotating as EC2 rotates them (a new set every hour,
//! each valid six hours; `--rotate` and `--lifetime` change that); or fixed ones
//! (`--access-key-id` with `--secret-key-file`: the secret is read from a file, never from the
//! command line where `ps` would show it); or those botocore's chain resolves here
//! (`--from-chain`, through `DefaultChain`, whose cache refreshes them as botocore would,
//! spec §5).

use std::fmt::Write as _;
use std::io::{Read as _, Write as _};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Args, Subcommand, ValueEnum};
use credchain_core::time::Timestamp;
use credchain_server::{
    AuthCheck, ContainerServer, Controls, CredentialSource, Credentials as Served,
    EndpointControls, Exchange, Fault, FaultRule, HttpEndpoint, HttpTokens, ImdsServer, Outcome,
    PeerPolicy, Rotating, Rotation, SourceError, Throttle, ThrottleAction,
};

use crate::export::shell_quote;
use crate::model::DefaultChain;

mod roles;

/// The long help of `credchain serve`.
pub(crate) const SERVE_HELP: &str = "\
Run credchain's faithful EC2 instance metadata service (IMDS) or ECS/EKS container-credentials
endpoint on a loopback port, so that boto3, the AWS CLI, the AWS SDKs or credchain itself get
credentials exactly as they would on an instance or in a task, with no AWS account involved;
or STS (`serve sts`: role profiles, MFA, ExternalId, chains of roles) or IAM Identity Center
(`serve sso`: SSO profiles and their token refresh), with signatures and tokens checked.

Standard output gets the `export` lines a client needs, as soon as the port is open; standard
error gets what is served and then one line per request (tokens and secrets never appear). The
server runs until Ctrl-C or SIGTERM (or, with --stop-on-stdin-eof, until standard input
closes). A typical session:

    credchain serve imds > imds.env &
    until [ -s imds.env ]; do sleep 0.1; done; . ./imds.env
    aws configure list      # access_key ****…  iam-role: the AWS CLI found the role
    credchain explain       # iam-role supplies them, and why every other source did not";

/// The long help of `credchain serve imds`.
const IMDS_HELP: &str = "\
The EC2 instance metadata service, IMDSv1 and IMDSv2, as the EC2 User Guide documents it:
`PUT /latest/api/token` with `X-aws-ec2-metadata-token-ttl-seconds` (1-21600) issues a session
token, answered with the IP TTL set to the hop limit; a bad or expired token gets 401; with
--tokens required a request without one gets 401 too (IMDSv1 off), as on an instance launched
with HttpTokens=required. The role's credentials are at
`/latest/meta-data/iam/security-credentials/<role>`; everything is text/plain.

Prints `export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:PORT/`: botocore, the AWS CLI,
the AWS SDKs and credchain use that instead of 169.254.169.254.

Fault injection (--fault, repeatable) makes the endpoint fail the way it fails in the field:

    --fault KIND[@PATH][#N]
      KIND   status=CODE  answer with this status (e.g. 503, 429, 500)
             delay=TIME   answer late (e.g. 2s, 500ms): past a client's timeout, a timeout
             stall        read the request and never answer
             reset        reset the connection (TCP RST) without answering
             close        close the connection without answering
             truncate     send half of the body after a longer Content-Length
             oversize[=BYTES]  a body of this size (default 10 MiB)
      @PATH  only this path; a trailing * makes it a prefix (default: every path)
      #N     only the first N matching requests (default: all of them)

    e.g. --fault status=503@/latest/api/token#1   the first token request gets 503
         --fault delay=2s@/latest/meta-data/iam/*  every credential read is 2 s late
         --fault stall@/latest/api/token           the token request times out: botocore
                                                   falls back to IMDSv1 at once (spec 4.4)
         --fault truncate#1                        the first answer is cut short (a retry)

Throttling (--throttle RATE[/BURST][:stall|drop]) is the other way IMDS fails in the field: a
real interface allows 1024 packets per second to 169.254.169.254, and what is beyond it is
dropped. Requests beyond RATE per second (in bursts of up to BURST, default RATE) are held
without an answer (stall, the default: the client times out) or reset (drop).

    e.g. --throttle 2/1          two requests a second, the third of a burst times out
         --throttle 1:drop       one a second, the rest reset

What happens to each request is logged on standard error (one line each: time, peer, method,
path, status, what became of the token). --transcript FILE writes a fuller line per request to
FILE (`-`: standard error instead of the short lines): the connection it came on and its place
there (keep-alive reuse shows), the HTTP version, faults and delays; --transcript-format json
writes one JSON object per line instead (the server's record: headers included, the token and
Authorization values replaced by their length and a fingerprint). No line ever holds a token
or a secret key.";

/// The long help of `credchain serve container`.
const CONTAINER_HELP: &str = "\
The container-credentials endpoint of ECS and EKS Pod Identity: one path serves the credentials
as JSON (AccessKeyId, SecretAccessKey, Token, Expiration, AccountId, RoleArn) to a request whose
`Authorization` header holds the token, 401 without it, 403 with a wrong one, and 403 to a
request whose Host header is not loopback or the endpoint's own address (the DNS-rebinding
defence).

Prints `export AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/v2/credentials/ID` and
`export AWS_CONTAINER_AUTHORIZATION_TOKEN=...`: the token is random, made at start, and this is
the only place it is shown. --fault, --throttle and --transcript work as for `serve imds`
(see `credchain serve imds --help`), e.g. `--fault status=500#2`: the first two requests get
500, and botocore's retry gets the third.";

/// Options of `credchain serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Which endpoint to serve.
    #[command(subcommand)]
    pub(crate) server: ServeCommand,
}

/// `credchain serve imds|container`.
#[derive(Debug, Subcommand)]
pub(crate) enum ServeCommand {
    /// The EC2 instance metadata service (IMDSv1/IMDSv2) with the role's credentials.
    #[command(long_about = IMDS_HELP)]
    Imds(Box<ImdsArgs>),
    /// The ECS / EKS container-credentials endpoint, with a random authorization token.
    #[command(long_about = CONTAINER_HELP)]
    Container(Box<ContainerArgs>),
    /// STS (AssumeRole, AssumeRoleWithWebIdentity, GetCallerIdentity) with SigV4 checked, for
    /// role profiles: MFA, ExternalId, chains of roles.
    #[command(long_about = roles::STS_HELP)]
    Sts(Box<roles::StsArgs>),
    /// IAM Identity Center (SSO) GetRoleCredentials and SSO-OIDC token refresh, with the access
    /// token written to a token cache directory.
    #[command(long_about = roles::SSO_HELP)]
    Sso(Box<roles::SsoArgs>),
}

/// Options of `credchain serve imds`.
#[derive(Debug, Args)]
pub(crate) struct ImdsArgs {
    #[command(flatten)]
    listen: Listen,
    /// `HttpTokens` of the instance: `required` answers 401 to a request without a session
    /// token (IMDSv2 only, the default of current Amazon Linux); `optional` also serves IMDSv1.
    #[arg(long, value_enum, default_value_t = Tokens::Required)]
    tokens: Tokens,
    /// `HttpPutResponseHopLimit` (1-64): the IP TTL of the answer to a token PUT. 1, the EC2
    /// default, means a client one router hop away (a container on a bridge network) never
    /// gets a token.
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u8).range(1..=64))]
    hop_limit: u8,
    /// The name of the instance's role, listed at /latest/meta-data/iam/security-credentials/.
    #[arg(long, value_name = "NAME", default_value = "credchain-role")]
    role: String,
    /// An instance without a role: the listing at /latest/meta-data/iam/security-credentials/
    /// is 404, so SDKs find no credentials here and say so.
    #[arg(long, conflicts_with = "role")]
    no_role: bool,
    /// `HttpEndpoint=disabled`: every request gets 403, as on an instance whose metadata
    /// service is turned off.
    #[arg(long)]
    endpoint_disabled: bool,
    #[command(flatten)]
    faults: Faults,
    #[command(flatten)]
    credentials: CredentialArgs,
}

/// Options of `credchain serve container`.
#[derive(Debug, Args)]
pub(crate) struct ContainerArgs {
    #[command(flatten)]
    listen: Listen,
    /// The path that serves the credentials (default: /v2/credentials/ and a random id, as
    /// ECS has it).
    #[arg(long, value_name = "PATH")]
    path: Option<String>,
    #[command(flatten)]
    faults: Faults,
    #[command(flatten)]
    credentials: CredentialArgs,
}

/// Where to listen and when to stop.
#[derive(Debug, Args)]
struct Listen {
    /// The TCP port; 0 picks a free one (the printed `export` line says which).
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,
    /// The address to listen on. Only loopback addresses unless --allow-non-loopback.
    #[arg(long, value_name = "ADDR", default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,
    /// Allow --bind on an address other hosts can reach, and answer peers that are not
    /// loopback: anyone who reaches the port gets the credentials.
    #[arg(long)]
    allow_non_loopback: bool,
    /// Also stop when standard input reaches end of file (for a supervising program or a test
    /// that holds the pipe). Ctrl-C and SIGTERM always stop the server.
    #[arg(long)]
    stop_on_stdin_eof: bool,
}

/// `--fault`, repeatable, `--throttle`, and what is logged.
#[derive(Debug, Args)]
struct Faults {
    /// Inject a fault: KIND[@PATH][#N], e.g. `status=503@/latest/api/token#1`, `delay=2s`,
    /// `stall`, `reset@/latest/meta-data/iam/*`, `close`, `truncate`, `oversize` (see --help
    /// for every kind).
    #[arg(long = "fault", value_name = "SPEC", value_parser = parse_fault)]
    rules: Vec<FaultRule>,
    /// Allow RATE requests per second (bursts of BURST, default RATE); hold the rest without
    /// an answer (`stall`, the default) or reset them (`drop`), as IMDS's packet limit does.
    #[arg(long, value_name = "RATE[/BURST][:stall|drop]", value_parser = parse_throttle)]
    throttle: Option<ThrottleSpec>,
    /// Write every request to FILE (`-`: standard error, instead of the short lines), one
    /// line each, with its connection; never a token or a secret.
    #[arg(long, value_name = "FILE")]
    transcript: Option<PathBuf>,
    /// How --transcript writes a request: `text`, one line, or `json`, one JSON object.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TranscriptFormat::Text,
          requires = "transcript")]
    transcript_format: TranscriptFormat,
    /// Do not log requests on standard error (--transcript still writes its file).
    #[arg(long, short = 'q')]
    quiet: bool,
}

/// `--transcript-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TranscriptFormat {
    /// One line per request: time, sequence number, connection.request, peer, method, path,
    /// HTTP version, then what the server did and what became of the token.
    Text,
    /// One JSON object per request (JSON Lines): the server's record of it.
    Json,
}

/// Which credentials are served.
#[derive(Debug, Args)]
struct CredentialArgs {
    /// Generated credentials: a new set every SECS seconds (default 3600, as on EC2).
    #[arg(long, value_name = "SECS", conflicts_with_all = ["access_key_id", "from_chain"],
          value_parser = clap::value_parser!(u64).range(1..))]
    rotate: Option<u64>,
    /// Generated credentials: each set is valid SECS seconds (default: six hours, or
    /// --rotate plus 5 minutes if that is longer; at least --rotate plus 5 minutes, the overlap
    /// AWS promises).
    #[arg(long, value_name = "SECS", conflicts_with_all = ["access_key_id", "from_chain"],
          value_parser = clap::value_parser!(u64).range(1..))]
    lifetime: Option<u64>,
    /// Serve these fixed credentials instead of generated ones (with --secret-key-file).
    #[arg(
        long,
        value_name = "ID",
        requires = "secret_key_file",
        conflicts_with = "from_chain"
    )]
    access_key_id: Option<String>,
    /// The file holding the secret access key of --access-key-id (a file, so that the secret
    /// is not in the command line for `ps` to show). Surrounding white space is ignored.
    #[arg(long, value_name = "FILE", requires = "access_key_id")]
    secret_key_file: Option<PathBuf>,
    /// The file holding the session token of --access-key-id (default: a made-up one; the
    /// documents always carry a Token).
    #[arg(long, value_name = "FILE", requires = "access_key_id")]
    session_token_file: Option<PathBuf>,
    /// The Expiration of --access-key-id, RFC 3339 (default: always one hour from the time of
    /// the request).
    #[arg(long, value_name = "TIME", requires = "access_key_id", value_parser = parse_time)]
    expiration: Option<Timestamp>,
    /// Serve the credentials botocore's chain resolves here (what `credchain explain` shows),
    /// kept fresh by credchain's cache with botocore's refresh windows.
    #[arg(long)]
    from_chain: bool,
    /// With --from-chain: use this profile, as `boto3.Session(profile_name=P)` does.
    #[arg(long, short = 'p', value_name = "P", requires = "from_chain")]
    profile: Option<String>,
}

/// `--tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Tokens {
    /// IMDSv2 only: requests without a session token get 401.
    Required,
    /// IMDSv1 and IMDSv2.
    Optional,
}

fn parse_time(text: &str) -> Result<Timestamp, String> {
    Timestamp::parse(text)
        .map_err(|e| format!("not an RFC 3339 time such as 2030-01-01T00:00:00Z: {e}"))
}

fn parse_duration(text: &str) -> Option<Duration> {
    let (digits, unit): (&str, fn(u64) -> Duration) = if let Some(d) = text.strip_suffix("ms") {
        (d, Duration::from_millis)
    } else if let Some(d) = text.strip_suffix('s') {
        (d, Duration::from_secs)
    } else {
        return None;
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok().map(unit)
}

/// Parses `KIND[@PATH][#N]` (see `IMDS_HELP`).
fn parse_fault(spec: &str) -> Result<FaultRule, String> {
    let (rest, count) = match spec.rsplit_once('#') {
        Some((rest, n)) => match n.parse::<u32>() {
            Ok(n) if n > 0 => (rest, Some(n)),
            _ => return Err(format!("#{n}: the count must be a whole number from 1")),
        },
        None => (spec, None),
    };
    let (kind, path) = match rest.split_once('@') {
        Some((kind, path)) => (kind, Some(path)),
        None => (rest, None),
    };
    let (name, arg) = match kind.split_once('=') {
        Some((name, arg)) => (name, Some(arg)),
        None => (kind, None),
    };
    let fault = match (name, arg) {
        ("status", Some(code)) => match code.parse::<u16>() {
            Ok(c) if (200..=599).contains(&c) => Fault::Status(c),
            _ => {
                return Err(format!(
                    "status={code}: expected an HTTP status from 200 to 599"
                ));
            }
        },
        ("delay", Some(t)) => match parse_duration(t) {
            Some(d) => Fault::Delay(d),
            None => return Err(format!("delay={t}: expected a time such as 2s or 500ms")),
        },
        ("stall", None) => Fault::Stall,
        ("reset", None) => Fault::Reset,
        ("close", None) => Fault::Close,
        ("truncate", None) => Fault::TruncatedBody,
        ("oversize", None) => Fault::oversized(),
        ("oversize", Some(n)) => match n.parse::<u64>() {
            Ok(bytes) if bytes <= 1 << 40 => Fault::OversizedBody { bytes },
            _ => {
                return Err(format!(
                    "oversize={n}: expected a number of bytes up to 1 TiB"
                ));
            }
        },
        _ => {
            return Err(format!(
                "{kind:?} is not a fault: expected status=CODE, delay=TIME, stall, reset, \
                 close, truncate or oversize[=BYTES], then optionally @PATH and #N"
            ));
        }
    };
    let rule = match path {
        None => FaultRule::everywhere(fault),
        Some(p) if !p.starts_with('/') => {
            return Err(format!("@{p}: the path must start with /"));
        }
        Some(p) => match p.strip_suffix('*') {
            Some(prefix) => FaultRule::on_prefix(prefix, fault),
            None => FaultRule::on_path(p, fault),
        },
    };
    Ok(match count {
        Some(n) => rule.times(n),
        None => rule,
    })
}

/// A parsed `--throttle`, with its numbers (to say what is in force).
#[derive(Debug, Clone, Copy)]
struct ThrottleSpec {
    throttle: Throttle,
    per_second: f64,
    burst: u32,
}

/// Parses `RATE[/BURST][:stall|drop]` (see `IMDS_HELP`).
fn parse_throttle(spec: &str) -> Result<ThrottleSpec, String> {
    let (rate, action) = match spec.split_once(':') {
        Some((rate, "stall")) => (rate, ThrottleAction::Stall),
        Some((rate, "drop")) => (rate, ThrottleAction::Drop),
        Some((_, other)) => {
            return Err(format!(
                ":{other}: expected :stall (hold the request) or :drop (reset it)"
            ));
        }
        None => (spec, ThrottleAction::Stall),
    };
    let (rate, burst) = match rate.split_once('/') {
        Some((rate, burst)) => (rate, Some(burst)),
        None => (rate, None),
    };
    let per_second: f64 = rate
        .parse()
        .ok()
        .filter(|r: &f64| r.is_finite() && *r > 0.0)
        .ok_or_else(|| format!("{rate}: expected a number of requests per second above 0"))?;
    let burst = match burst {
        Some(b) => b
            .parse::<u32>()
            .ok()
            .filter(|b| *b >= 1)
            .ok_or_else(|| format!("/{b}: the burst must be a whole number from 1"))?,
        // Whole requests: a rate below 1 still lets one through.
        None => format!("{:.0}", per_second.ceil())
            .parse::<u32>()
            .unwrap_or(1)
            .max(1),
    };
    let throttle = Throttle::new(per_second, burst, action).map_err(|e| e.to_string())?;
    Ok(ThrottleSpec {
        throttle,
        per_second,
        burst,
    })
}

/// Stops the command with clap's message and exit status 2, for a combination of arguments
/// clap cannot check by itself.
fn usage_error(subcommand: &str, message: &str) -> ! {
    use clap::CommandFactory as _;
    let mut cli = crate::args::Cli::command();
    cli.build();
    let cmd = cli
        .find_subcommand_mut("serve")
        .and_then(|serve| serve.find_subcommand_mut(subcommand))
        .cloned()
        .unwrap_or(cli);
    cmd.clone()
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

impl Listen {
    /// The address to bind, or exit 2 for a non-loopback one without the flag.
    fn addr(&self, subcommand: &str) -> SocketAddr {
        if !self.bind.is_loopback() && !self.allow_non_loopback {
            usage_error(
                subcommand,
                &format!(
                    "--bind {} is not a loopback address: anyone who can reach it would get the \
                     credentials; add --allow-non-loopback if that is what you want",
                    self.bind
                ),
            );
        }
        SocketAddr::new(self.bind, self.port)
    }

    fn peers(&self) -> PeerPolicy {
        if self.allow_non_loopback {
            PeerPolicy::Any
        } else {
            PeerPolicy::LoopbackOnly
        }
    }
}

/// What a server serves, decided from the arguments.
enum Plan {
    Generated(Rotation),
    Fixed(FixedSource),
    Chain(ChainSource),
}

impl Plan {
    async fn of(args: &CredentialArgs) -> Result<Plan, String> {
        if let (Some(id), Some(secret_file)) = (&args.access_key_id, &args.secret_key_file) {
            let secret = read_secret(secret_file, "secret access key")?;
            let token = match &args.session_token_file {
                Some(f) => read_secret(f, "session token")?,
                None => made_up_token()?,
            };
            return Ok(Plan::Fixed(FixedSource {
                access_key_id: id.clone(),
                secret_access_key: secret,
                session_token: token,
                expiration: args.expiration,
                issued: now_timestamp(),
            }));
        }
        if args.from_chain {
            return ChainSource::start(args.profile.as_deref())
                .await
                .map(Plan::Chain);
        }
        let period = Duration::from_secs(args.rotate.unwrap_or(3600));
        let default_validity = Duration::from_secs(6 * 3600)
            .max(period.saturating_add(credchain_server::credentials::MIN_OVERLAP));
        let validity = args.lifetime.map_or(default_validity, Duration::from_secs);
        Rotation::new(period, validity)
            .map(Plan::Generated)
            .map_err(|e| format!("{e} (--rotate, --lifetime)"))
    }

    fn describe(&self) -> String {
        match self {
            Plan::Generated(r) => format!(
                "generated credentials, a new set every {}, each valid {}",
                crate::render::human_duration(r.period().as_secs()),
                crate::render::human_duration(r.validity().as_secs())
            ),
            Plan::Fixed(f) => format!(
                "fixed credentials {} (expiring {})",
                f.access_key_id,
                f.expiration.map_or_else(
                    || "one hour after each request".to_owned(),
                    |t| t.to_string()
                )
            ),
            Plan::Chain(c) => format!(
                "the chain's credentials, from {} ({}), refreshed by credchain's cache",
                c.source, c.first_key_id
            ),
        }
    }
}

fn read_secret(path: &PathBuf, what: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the {what} from {}: {e}", path.display()))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(format!("{} holds no {what}", path.display()));
    }
    Ok(trimmed.to_owned())
}

/// A session token for fixed credentials given without one: the server's generator makes
/// tokens shaped like STS's.
fn made_up_token() -> Result<String, String> {
    let now = now_timestamp();
    Served::generate(now, now)
        .map(|c| c.session_token)
        .map_err(|e| e.to_string())
}

fn now_timestamp() -> Timestamp {
    timestamp_of(SystemTime::now())
}

fn timestamp_of(t: SystemTime) -> Timestamp {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs())
            .unwrap_or(i64::MAX)
            .saturating_neg(),
    };
    Timestamp::from_unix_secs(secs).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// Fixed credentials: the given expiration, or one hour after every request.
struct FixedSource {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: Option<Timestamp>,
    issued: Timestamp,
}

impl CredentialSource for FixedSource {
    fn credentials(&self, now: Timestamp) -> Result<Served, SourceError> {
        Ok(Served {
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            session_token: self.session_token.clone(),
            expiration: self
                .expiration
                .unwrap_or_else(|| now.saturating_add_secs(3600)),
            last_updated: self.issued,
            account_id: None,
        })
    }
}

/// The chain's credentials, as its cache last handed them out. A task asks the chain every few
/// seconds (a cache hit costs nothing; a refresh happens when botocore's windows say so), and
/// the server reads the latest answer: a server request never waits for a refresh.
#[derive(Clone)]
struct ChainSource {
    latest: Arc<RwLock<Result<Arc<credchain::Credentials>, String>>>,
    source: &'static str,
    first_key_id: String,
}

impl ChainSource {
    async fn start(profile: Option<&str>) -> Result<ChainSource, String> {
        let mut builder =
            DefaultChain::builder().mfa_prompt(crate::mfa::prompt(crate::mfa::Mode::Interactive));
        if let Some(p) = profile {
            builder = builder.profile(p);
        }
        let chain = builder.build().map_err(|e| e.to_string())?;
        let first = chain.credentials().await.map_err(|e| {
            format!("the chain found no credentials to serve: {e}\n(`credchain explain` shows every source and why)")
        })?;
        let source = ChainSource {
            source: first.provider(),
            first_key_id: first.access_key_id().to_owned(),
            latest: Arc::new(RwLock::new(Ok(first))),
        };
        let latest = Arc::clone(&source.latest);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let answer = chain.credentials().await.map_err(|e| e.to_string());
                let mut slot = latest.write().unwrap_or_else(PoisonError::into_inner);
                match (&*slot, &answer) {
                    (Ok(old), Ok(new)) if old.access_key_id() != new.access_key_id() => {
                        log(&format!(
                            "the chain refreshed its credentials: now serving {}",
                            new.access_key_id()
                        ));
                    }
                    (Ok(_), Err(e)) => log(&format!("the chain failed to refresh: {e}")),
                    (Err(_), Ok(new)) => log(&format!(
                        "the chain has credentials again: serving {}",
                        new.access_key_id()
                    )),
                    _ => {}
                }
                *slot = answer;
            }
        });
        Ok(source)
    }
}

impl CredentialSource for ChainSource {
    fn credentials(&self, now: Timestamp) -> Result<Served, SourceError> {
        let slot = self.latest.read().unwrap_or_else(PoisonError::into_inner);
        let c = slot.as_ref().map_err(|e| SourceError::new(e.clone()))?;
        Ok(Served {
            access_key_id: c.access_key_id().to_owned(),
            secret_access_key: c.expose_secret_access_key().to_owned(),
            // Long-term keys have no token; the documents carry an empty one, which botocore
            // accepts (it signs without X-Amz-Security-Token).
            session_token: c.expose_session_token().unwrap_or_default().to_owned(),
            expiration: c
                .expiry()
                .map_or_else(|| now.saturating_add_secs(3600), timestamp_of),
            last_updated: now,
            account_id: c.account_id().map(str::to_owned),
        })
    }
}

/// One line on standard error.
fn log(message: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "credchain serve: {message}");
}

/// Prints the `export` lines on standard output, at once.
fn print_exports(pairs: &[(&str, &str)]) -> Result<(), String> {
    let mut text = String::new();
    for (name, value) in pairs {
        let _ = writeln!(text, "export {name}={}", shell_quote(value));
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .map_err(|e| format!("cannot write to standard output: {e}"))
}

/// `credchain serve …`.
pub(crate) async fn run(args: ServeArgs) -> ExitCode {
    let result = match args.server {
        ServeCommand::Imds(a) => imds(*a).await,
        ServeCommand::Container(a) => container(*a).await,
        ServeCommand::Sts(a) => roles::sts(*a).await,
        ServeCommand::Sso(a) => roles::sso(*a).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "credchain: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn imds(args: ImdsArgs) -> Result<(), String> {
    let addr = args.listen.addr("imds");
    let plan = Plan::of(&args.credentials).await?;
    let description = plan.describe();
    let mut builder = ImdsServer::builder()
        .bind(addr)
        .peers(args.listen.peers())
        .http_tokens(match args.tokens {
            Tokens::Required => HttpTokens::Required,
            Tokens::Optional => HttpTokens::Optional,
        })
        .hop_limit(args.hop_limit)
        .transcript_capacity(TRANSCRIPT);
    builder = if args.no_role {
        builder.no_role()
    } else {
        builder.role(args.role.clone())
    };
    if args.endpoint_disabled {
        builder = builder.http_endpoint(HttpEndpoint::Disabled);
    }
    for rule in args.faults.rules.iter().cloned() {
        builder = builder.fault(rule);
    }
    if let Some(t) = args.faults.throttle {
        builder = builder.throttle(t.throttle);
    }
    let request_log = RequestLog::open(&args.faults)?;
    builder = match plan {
        Plan::Generated(r) => builder.rotation(r).credentials(Rotating::new(r)),
        Plan::Fixed(f) => builder.credentials(f),
        Plan::Chain(c) => builder.credentials(c),
    };
    let server = builder.start().await.map_err(|e| e.to_string())?;
    print_exports(&[("AWS_EC2_METADATA_SERVICE_ENDPOINT", &server.endpoint())])?;
    log(&format!(
        "IMDS on {} (IMDSv2 tokens {}, hop limit {}, {}{}): {description}",
        server.addr(),
        match args.tokens {
            Tokens::Required => "required",
            Tokens::Optional => "optional, IMDSv1 served too",
        },
        args.hop_limit,
        if args.no_role {
            "no role".to_owned()
        } else {
            format!("role {}", args.role)
        },
        if args.endpoint_disabled {
            ", endpoint disabled: every request gets 403"
        } else {
            ""
        }
    ));
    args.faults.announce();
    if std::env::var_os("AWS_EC2_METADATA_DISABLED").is_some() {
        log("note: AWS_EC2_METADATA_DISABLED is set here; clients that inherit it skip IMDS");
    }
    let controls = Watched::Metadata(server.controls().clone());
    serve_until_stopped(&controls, args.listen.stop_on_stdin_eof, request_log).await;
    server.stop().await;
    Ok(())
}

async fn container(args: ContainerArgs) -> Result<(), String> {
    let addr = args.listen.addr("container");
    let plan = Plan::of(&args.credentials).await?;
    let description = plan.describe();
    let mut builder = ContainerServer::builder()
        .bind(addr)
        .peers(args.listen.peers())
        .transcript_capacity(TRANSCRIPT);
    if let Some(p) = args.path {
        builder = builder.path(p);
    }
    for rule in args.faults.rules.iter().cloned() {
        builder = builder.fault(rule);
    }
    if let Some(t) = args.faults.throttle {
        builder = builder.throttle(t.throttle);
    }
    let request_log = RequestLog::open(&args.faults)?;
    builder = match plan {
        Plan::Generated(r) => builder.rotation(r).credentials(Rotating::new(r)),
        Plan::Fixed(f) => builder.credentials(f),
        Plan::Chain(c) => builder.credentials(c),
    };
    let server = builder.start().await.map_err(|e| e.to_string())?;
    let uri = server.full_uri();
    let token = server.authorization_token().unwrap_or_default().to_owned();
    print_exports(&[
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", &uri),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", &token),
    ])?;
    log(&format!(
        "container endpoint on {} (Authorization token and Host checked): {description}",
        server.addr()
    ));
    args.faults.announce();
    let controls = Watched::Metadata(server.controls().clone());
    serve_until_stopped(&controls, args.listen.stop_on_stdin_eof, request_log).await;
    server.stop().await;
    Ok(())
}

/// How many requests the transcript keeps: the log reads it as it grows.
const TRANSCRIPT: usize = 10_000;

/// The controls of the server that runs: an IMDS or container endpoint's, or STS's or SSO's.
/// The log needs the same three things of each.
#[derive(Clone)]
enum Watched {
    /// `serve imds`, `serve container`.
    Metadata(Controls),
    /// `serve sts`, `serve sso`.
    Api(EndpointControls),
}

impl Watched {
    fn transcript(&self) -> Vec<Exchange> {
        match self {
            Watched::Metadata(c) => c.transcript(),
            Watched::Api(c) => c.transcript(),
        }
    }

    fn requests_seen(&self) -> u64 {
        match self {
            Watched::Metadata(c) => c.requests_seen(),
            Watched::Api(c) => c.requests_seen(),
        }
    }

    async fn wait_for_requests(&self, n: u64) {
        match self {
            Watched::Metadata(c) => c.wait_for_requests(n).await,
            Watched::Api(c) => c.wait_for_requests(n).await,
        }
    }
}

/// Logs every request until a signal (or end of standard input, when asked) says to stop.
async fn serve_until_stopped(controls: &Watched, watch_stdin: bool, log_to: RequestLog) {
    let log_to = Arc::new(std::sync::Mutex::new(log_to));
    let logger = tokio::spawn(log_requests(controls.clone(), Arc::clone(&log_to)));
    let stdin_closed = async {
        if watch_stdin {
            let (tx, rx) = tokio::sync::oneshot::channel::<()>();
            // A plain thread, not the runtime's blocking pool: a read that never ends must not
            // keep the runtime from shutting down.
            std::thread::spawn(move || {
                let mut sink = [0u8; 512];
                let mut stdin = std::io::stdin().lock();
                while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
                let _ = tx.send(());
            });
            let _ = rx.await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let why = tokio::select! {
        why = signal() => why,
        () = stdin_closed => "standard input closed",
    };
    // Let the logger print what was recorded before the stop.
    tokio::task::yield_now().await;
    logger.abort();
    log_to
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .write(&pending(controls));
    log(&format!(
        "stopping ({why}) after {} requests",
        controls.requests_seen()
    ));
}

#[cfg(unix)]
async fn signal() -> &'static str {
    use tokio::signal::unix::{SignalKind, signal};
    match (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) {
        (Ok(mut int), Ok(mut term)) => tokio::select! {
            _ = int.recv() => "SIGINT",
            _ = term.recv() => "SIGTERM",
        },
        _ => {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    }
}

#[cfg(not(unix))]
async fn signal() -> &'static str {
    let _ = tokio::signal::ctrl_c().await;
    "Ctrl-C"
}

/// How many requests of the transcript the log has printed (one server per process).
static PRINTED: std::sync::Mutex<u64> = std::sync::Mutex::new(0);

/// The requests recorded since the last call (shared by the logger task and the final flush,
/// under one lock so that no request is written twice).
fn pending(controls: &Watched) -> Vec<Exchange> {
    let mut done = PRINTED.lock().unwrap_or_else(PoisonError::into_inner);
    let snapshot = controls.transcript();
    let recorded = controls.requests_seen();
    // The snapshot holds the last `len` of the `recorded` requests.
    let first_kept = recorded.saturating_sub(snapshot.len() as u64);
    let skip = usize::try_from(done.saturating_sub(first_kept)).unwrap_or(usize::MAX);
    let new: Vec<Exchange> = snapshot.into_iter().skip(skip).collect();
    *done = recorded.max(*done);
    new
}

async fn log_requests(controls: Watched, log_to: Arc<std::sync::Mutex<RequestLog>>) {
    loop {
        let next = PRINTED
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .saturating_add(1);
        controls.wait_for_requests(next).await;
        let new = pending(&controls);
        log_to
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write(&new);
    }
}

/// Where each request is written: the short line on standard error (unless `--quiet` or
/// `--transcript -`), and the `--transcript` line or JSON object.
struct RequestLog {
    short: bool,
    transcript: Option<(Box<dyn std::io::Write + Send>, TranscriptFormat)>,
}

impl RequestLog {
    fn open(args: &Faults) -> Result<RequestLog, String> {
        let to_stderr = args.transcript.as_deref() == Some(std::path::Path::new("-"));
        let transcript = match &args.transcript {
            None => None,
            Some(_) if to_stderr => Some((
                Box::new(std::io::stderr()) as Box<dyn std::io::Write + Send>,
                args.transcript_format,
            )),
            Some(path) => {
                let file = std::fs::File::create(path).map_err(|e| {
                    format!("cannot write the transcript to {}: {e}", path.display())
                })?;
                Some((
                    Box::new(std::io::LineWriter::new(file)) as Box<dyn std::io::Write + Send>,
                    args.transcript_format,
                ))
            }
        };
        Ok(RequestLog {
            short: !args.quiet && !to_stderr,
            transcript,
        })
    }

    fn write(&mut self, requests: &[Exchange]) {
        for e in requests {
            if self.short {
                log(&request_line(e));
            }
            if let Some((out, format)) = &mut self.transcript {
                let line = match format {
                    TranscriptFormat::Text => transcript_line(e),
                    TranscriptFormat::Json => serde_json::to_string(e)
                        .unwrap_or_else(|err| format!("{{\"error\":\"{err}\"}}")),
                };
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
    }
}

impl Faults {
    /// Says on standard error which faults and throttle are in force, and where the transcript
    /// goes.
    fn announce(&self) {
        for rule in &self.rules {
            log(&format!("fault: {}", describe_rule(rule)));
        }
        if let Some(t) = &self.throttle {
            log(&format!(
                "throttle: {} requests per second, bursts of {}, the rest {}",
                t.per_second,
                t.burst,
                match t.throttle.action() {
                    ThrottleAction::Drop => "reset (drop)",
                    _ => "held without an answer (stall)",
                }
            ));
        }
        if let Some(path) = self.transcript.as_ref().filter(|p| p.as_os_str() != "-") {
            log(&format!("transcript: {}", path.display()));
        }
    }
}

/// `status 503 on /latest/api/token, the first 1 request(s)`.
fn describe_rule(rule: &FaultRule) -> String {
    let what = match rule.fault() {
        Fault::Status(c) => format!("answer {c}"),
        Fault::Delay(d) => format!("answer {} ms late", d.as_millis()),
        Fault::Stall => "never answer (stall)".to_owned(),
        Fault::Reset => "reset the connection".to_owned(),
        Fault::Close => "close the connection without answering".to_owned(),
        Fault::TruncatedBody => "cut the body short".to_owned(),
        Fault::OversizedBody { bytes } => format!("send a {bytes}-byte body"),
        other => format!("{other:?}"),
    };
    let on = match rule.path() {
        credchain_server::PathMatch::Exact(p) => format!("on {p}"),
        credchain_server::PathMatch::Prefix(p) => format!("on {p}*"),
        _ => "on every path".to_owned(),
    };
    let times = match rule.remaining() {
        Some(1) => ", the first matching request only".to_owned(),
        Some(n) => format!(", the first {n} matching requests"),
        None => String::new(),
    };
    format!("{what} {on}{times}")
}

/// One request as `--transcript` writes it: the short line's content plus the sequence number,
/// the connection (accept order) and the request's place on it (from 0: above 0 is keep-alive
/// reuse), and the HTTP version.
fn transcript_line(e: &Exchange) -> String {
    format!(
        "{} #{} conn {}.{} {} {} {} {} -> {}",
        millis(e.at),
        e.seq,
        e.connection,
        e.on_connection,
        e.peer,
        e.method,
        e.path,
        e.version,
        what_happened(e)
    )
}

/// One request as the log shows it: time, peer, method, path, what the server did, and what
/// it made of the token or `Authorization` (never their value).
pub(crate) fn request_line(e: &Exchange) -> String {
    format!(
        "{} {} {} {} -> {}",
        millis(e.at),
        e.peer,
        e.method,
        e.path,
        what_happened(e)
    )
}

/// What the server did with a request and made of its token: `200, token valid`.
fn what_happened(e: &Exchange) -> String {
    let answer = match e.outcome {
        Outcome::Answered { status, .. } => status.to_string(),
        Outcome::Truncated { status, sent, .. } => format!("{status}, body cut after {sent} bytes"),
        Outcome::Oversized { status, body_len } => format!("{status}, {body_len}-byte body"),
        Outcome::Fault { fault } => format!("no answer ({fault:?} injected)"),
        Outcome::Throttled { fault } => format!("no answer (throttled: {fault:?})"),
        _ => "no answer".to_owned(),
    };
    let auth = match e.auth {
        AuthCheck::Issued { ttl_seconds } => format!(
            ", token issued for {ttl_seconds} s{}",
            e.socket_ttl
                .map(|t| format!(", sent with IP TTL {t}"))
                .unwrap_or_default()
        ),
        AuthCheck::Valid => ", token valid".to_owned(),
        AuthCheck::Invalid => ", token invalid".to_owned(),
        AuthCheck::Expired => ", token expired".to_owned(),
        AuthCheck::Absent => ", no token".to_owned(),
        _ if e.status() == Some(403) => {
            ", refused before any token check (Host header, peer address or X-Forwarded-For)"
                .to_owned()
        }
        _ => String::new(),
    };
    let delay = if e.delay.is_zero() {
        String::new()
    } else {
        format!(", delayed {} ms", e.delay.as_millis())
    };
    format!("{answer}{auth}{delay}")
}

/// `2026-01-01T00:00:00.123Z`: RFC 3339 to the millisecond.
fn millis(t: Timestamp) -> String {
    let whole = t.trunc_secs().to_string();
    let ms = t.subsec_nanos().checked_div(1_000_000).unwrap_or(0);
    match whole.strip_suffix('Z') {
        Some(base) => format!("{base}.{ms:03}Z"),
        None => whole,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs() {
        let r = parse_fault("status=503@/latest/api/token#1").unwrap();
        assert_eq!(r.fault(), Fault::Status(503));
        assert_eq!(
            r.path(),
            &credchain_server::PathMatch::Exact("/latest/api/token".into())
        );
        assert_eq!(r.remaining(), Some(1));
        let r = parse_fault("delay=250ms@/latest/meta-data/iam/*").unwrap();
        assert_eq!(r.fault(), Fault::Delay(Duration::from_millis(250)));
        assert_eq!(
            r.path(),
            &credchain_server::PathMatch::Prefix("/latest/meta-data/iam/".into())
        );
        assert_eq!(r.remaining(), None);
        let r = parse_fault("reset").unwrap();
        assert_eq!(r.fault(), Fault::Reset);
        assert_eq!(r.path(), &credchain_server::PathMatch::Any);
        assert_eq!(
            parse_fault("oversize=2048").unwrap().fault(),
            Fault::OversizedBody { bytes: 2048 }
        );
        for bad in [
            "",
            "status",
            "status=99",
            "status=abc",
            "delay=2",
            "delay=s",
            "boom",
            "stall=1",
            "reset@latest",
            "reset#0",
            "reset#x",
            "oversize=-1",
        ] {
            assert!(parse_fault(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn throttle_specs() {
        let t = parse_throttle("5").unwrap();
        assert_eq!((t.per_second, t.burst), (5.0, 5));
        assert_eq!(t.throttle.action(), ThrottleAction::Stall);
        let t = parse_throttle("2/1:drop").unwrap();
        assert_eq!((t.per_second, t.burst), (2.0, 1));
        assert_eq!(t.throttle.action(), ThrottleAction::Drop);
        let t = parse_throttle("0.01:stall").unwrap();
        assert_eq!((t.per_second, t.burst), (0.01, 1));
        for bad in [
            "", "0", "-1", "inf", "NaN", "1/0", "1/x", "1:x", "a/b", "1/2:",
        ] {
            assert!(parse_throttle(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
