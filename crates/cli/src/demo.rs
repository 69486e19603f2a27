//! `credchain demo`: how a program on EC2 gets its role's credentials, told step by step.
//!
//! The demo needs no AWS account, no instance and no file of the user's: it starts
//! credchain-server's IMDS on a loopback port (IMDSv2 tokens required, hop limit 1, credentials
//! valid 40 minutes and rotated every 10), builds an environment holding nothing but that
//! endpoint and an empty temporary `HOME`, and then:
//!
//! 1. sends the three requests an SDK sends (spec §4.3) by hand and shows each: the token PUT
//!    with its TTL header (the token is shown only as its length), the role name, the
//!    credentials document (access key id and expiry, never the secret or the session token);
//! 2. shows that a request without the token is refused, which is why botocore's IMDSv1
//!    fallback gets nothing on such an instance (spec §4.4);
//! 3. lets credchain's chain find the same credentials as boto3 would (every source in
//!    botocore's order, spec §1.1), and shows the requests it made, from the server's
//!    transcript;
//! 4. moves a virtual clock (the chain's, the server's and the IMDS client's together) into
//!    botocore's advisory refresh window (less than 15 minutes left, spec §5.1) and shows the
//!    cache fetching the credentials the server has rotated meanwhile;
//! 5. prints `credchain explain` for that environment.
//!
//! Why 40 and 10 minutes: the IMDS client extends any expiry closer than 17 to 25 minutes
//! (spec §4.8), so credentials that should be seen to expire must have more than 25 minutes
//! left when fetched; and the server must have rotated before the refresh, or the refresh
//! would fetch the same set again. With a new set every 10 minutes, each valid 40, the set
//! fetched at minute 26 (in the advisory window of the first one) was issued at minute 20 and
//! has 34 minutes left.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Args;
use credchain::{Clock as ChainClock, DefaultChain};
use credchain_core::time::Timestamp;
use credchain_fs::EnvSnapshot;
use credchain_http::WallClock;
use credchain_server::{
    Clock as ServerClock, Exchange, HttpTokens, ImdsServer, Rotation, ServerHandle,
};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::render::{self, Style};

/// The long help of `credchain demo`.
pub(crate) const DEMO_HELP: &str = "\
The main job of credchain, shown on a built-in EC2 instance metadata service (IMDS) on a
loopback port: how a program on EC2 gets the credentials of the instance's role, step by step.

1. the session token (IMDSv2): PUT /latest/api/token with a TTL header;
2. the role's name: GET /latest/meta-data/iam/security-credentials/;
3. the role's credentials: GET .../security-credentials/<role> (the access key id and the expiry
   are shown, the secret key and the session token never are);
4. why a request without the token gets nothing on an instance that requires IMDSv2;
5. the same through botocore's whole chain, as boto3 and the AWS CLI do it;
6. the refresh: a virtual clock moves into botocore's refresh window (15 minutes before the
   expiry) and the cache fetches the credentials the service has rotated meanwhile;
7. `credchain explain` for that environment.

Nothing of yours is read or changed: HOME is an empty temporary directory and the environment
holds only the endpoint. It takes about a second and exits 0.

--json tells the same story as one JSON document, for scripts: `imds` (the endpoint and its
settings), `steps` (each with `step`, `name`, `title`, and the `requests` it made: method, path,
the headers sent, the status, and what the answer held), `requests_seen`, `secrets_checked`.
Tokens and secret keys appear only as their lengths; the document is checked for every secret
the demo handled before it is printed. Times are RFC 3339; `seconds_left` is on the demo's
clock.";

/// Options of `credchain demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// When to colour the `explain` part: `auto` colours only a terminal, and never when
    /// NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = crate::args::ColorChoice::Auto)]
    color: crate::args::ColorChoice,
    /// Print the story as one JSON document (steps, requests, answers; never a token or a
    /// secret) instead of text.
    #[arg(long)]
    json: bool,
}

/// The role the demo instance has.
const ROLE: &str = "credchain-demo-role";
/// The TTL an SDK asks for its session token (botocore: 21600 s, spec §4.3).
const TOKEN_TTL: &str = "21600";
/// A new set of credentials every 10 minutes…
const ROTATE: Duration = Duration::from_secs(10 * 60);
/// …each valid 40 minutes.
const LIFETIME: Duration = Duration::from_secs(40 * 60);
/// How far the clock moves: 26 minutes, leaving 14 of the first set (advisory window).
const JUMP: Duration = Duration::from_secs(26 * 60);
/// A bound on every wait of the demo (a request, a background refresh).
const PATIENCE: Duration = Duration::from_secs(10);

/// The demo's virtual time, in Unix seconds: it starts at the system time (whole seconds) and
/// moves only when the demo moves it, so every "how long is left" is exact. Shared by the
/// chain's clock and the IMDS client's wall clock (a plain function); the server's clock is
/// frozen at the same time and moved with it.
static VIRTUAL_NOW: AtomicI64 = AtomicI64::new(0);

fn virtual_unix_secs() -> i64 {
    VIRTUAL_NOW.load(Ordering::SeqCst)
}

fn os_jitter() -> u64 {
    use std::hash::BuildHasher as _;
    std::collections::hash_map::RandomState::new().hash_one(SystemTime::now())
}

/// The chain's clock: [`VIRTUAL_NOW`].
#[derive(Debug)]
struct VirtualClock;

impl ChainClock for VirtualClock {
    fn now(&self) -> SystemTime {
        let secs = virtual_unix_secs();
        let shift = Duration::from_secs(secs.unsigned_abs());
        if secs >= 0 {
            UNIX_EPOCH.checked_add(shift)
        } else {
            UNIX_EPOCH.checked_sub(shift)
        }
        .unwrap_or(UNIX_EPOCH)
    }
}

/// The text being built; printed at the end of each step so the story appears as it happens.
#[derive(Default)]
struct Story {
    text: String,
    /// Everything printed so far, to check at the end that no secret is in it.
    printed: String,
    /// The secrets the demo handled: the IMDS token, secret keys, session tokens.
    secrets: Vec<String>,
    /// With --json: the steps told so far, and no text is printed.
    steps: Option<Vec<Value>>,
}

impl Story {
    fn line(&mut self, line: impl AsRef<str>) {
        self.text.push_str(line.as_ref());
        self.text.push('\n');
    }

    fn blank(&mut self) {
        self.text.push('\n');
    }

    /// Records a step of the JSON story (with --json; nothing otherwise).
    fn step(&mut self, step: Value) {
        if let Some(steps) = &mut self.steps {
            steps.push(step);
        }
    }

    fn flush(&mut self) {
        if self.steps.is_some() {
            self.text.clear();
            return;
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(self.text.as_bytes());
        let _ = out.flush();
        self.printed.push_str(&self.text);
        self.text.clear();
    }

    fn secret(&mut self, value: &str) {
        if !value.is_empty() && !self.secrets.iter().any(|s| s == value) {
            self.secrets.push(value.to_owned());
        }
    }

    fn remember(&mut self, c: &credchain::Credentials) {
        self.secret(c.expose_secret_access_key());
        self.secret(c.expose_session_token().unwrap_or_default());
    }

    /// Whether anything printed contains a secret the demo handled.
    fn leaked(&self) -> bool {
        self.secrets
            .iter()
            .any(|s| self.printed.contains(s.as_str()))
    }
}

/// `credchain demo`.
pub(crate) async fn run(args: DemoArgs) -> ExitCode {
    match demo(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            let mut err = std::io::stderr().lock();
            let _ = writeln!(err, "credchain demo: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn demo(args: &DemoArgs) -> Result<(), String> {
    let mut story = Story {
        steps: args.json.then(Vec::new),
        ..Story::default()
    };
    let rotation = Rotation::new(ROTATE, LIFETIME).map_err(|e| e.to_string())?;
    let start = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    VIRTUAL_NOW.store(start, Ordering::SeqCst);
    let start = Timestamp::from_unix_secs(start).unwrap_or(Timestamp::UNIX_EPOCH);
    let imds = ImdsServer::builder()
        .clock(ServerClock::frozen(start))
        .http_tokens(HttpTokens::Required)
        .hop_limit(1)
        .role(ROLE)
        .rotation(rotation)
        .start()
        .await
        .map_err(|e| format!("cannot start the metadata service: {e}"))?;
    let home = tempfile::Builder::new()
        .prefix("credchain-demo-home-")
        .tempdir()
        .map_err(|e| format!("cannot make a temporary HOME: {e}"))?;

    story.line("credchain demo: how a program on EC2 gets its role's credentials");
    story.blank();
    story.line(format!(
        "An EC2 instance metadata service (IMDS) listens on {}, standing in",
        imds.endpoint()
    ));
    story.line("for 169.254.169.254 on an instance. Like an instance of a current Amazon Linux");
    story
        .line("image, it requires IMDSv2 session tokens, with hop limit 1. The instance's role is");
    story.line(format!(
        "{ROLE}; its credentials are valid {} minutes, and a new set is issued every {} minutes.",
        LIFETIME.as_secs() / 60,
        ROTATE.as_secs() / 60
    ));
    story.line("Nothing of yours is read: HOME is an empty temporary directory, and the only");
    story.line("variable set is AWS_EC2_METADATA_SERVICE_ENDPOINT.");
    story.line(format!(
        "The time on the instance is {start}, and stands still: the demo moves it."
    ));
    story.blank();
    story.flush();

    let addr = imds.addr();
    by_hand(&mut story, &imds, addr).await?;
    story.flush();

    // The same through botocore's chain, in an environment of the demo's making.
    let env = EnvSnapshot::from_os_pairs([
        ("HOME", home.path().as_os_str().to_owned()),
        // boto2's /etc/boto.cfg would be read otherwise.
        (
            "BOTO_CONFIG",
            home.path().join("no-boto.cfg").into_os_string(),
        ),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint().into()),
    ])
    .map_err(|e| e.to_string())?;
    let chain = DefaultChain::builder()
        .env(env)
        .clock(VirtualClock)
        .imds_wall_clock(WallClock {
            now_unix_secs: virtual_unix_secs,
            jitter: os_jitter,
        })
        .build()
        .map_err(|e| e.to_string())?;
    through_the_chain(&mut story, &imds, &chain).await?;
    story.flush();
    refresh(&mut story, &imds, &chain).await?;
    story.flush();

    story.line("Step 7  credchain explain, in this environment");
    story.line("  Every source of botocore's chain, in its order, what it found and why:");
    story.blank();
    let explanation = chain.explain().await;
    story
        .text
        .push_str(&render::explain_text(&explanation, style(args.color)));
    story.blank();
    story.flush();
    story.step(json!({
        "step": 7,
        "name": "explain",
        "title": "credchain explain, in this environment",
        "explanation": serde_json::to_value(&explanation).map_err(|e| e.to_string())?,
    }));
    if let Some(steps) = story.steps.take() {
        let document = json!({
            "demo": "credchain",
            "version": 1,
            "imds": {
                "endpoint": imds.endpoint(),
                "http_tokens": "required",
                "hop_limit": 1,
                "role": ROLE,
                "lifetime_seconds": LIFETIME.as_secs(),
                "rotation_seconds": ROTATE.as_secs(),
            },
            "start": start.to_string(),
            "steps": steps,
            "requests_seen": imds.controls().requests_seen(),
            "secrets_checked": story.secrets.len(),
        });
        let mut text = serde_json::to_string_pretty(&document).map_err(|e| e.to_string())?;
        text.push('\n');
        if story.secrets.iter().any(|s| text.contains(s.as_str())) {
            return Err(
                "a secret is in the JSON story: this is a bug, please report it".to_owned(),
            );
        }
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(|e| format!("cannot write to standard output: {e}"))?;
        imds.stop().await;
        drop(home);
        return Ok(());
    }
    if story.leaked() {
        return Err("a secret was printed above: this is a bug, please report it".to_owned());
    }
    story.line(format!(
        "The server answered {} requests. Checked: nothing above shows any of the {} secrets",
        imds.controls().requests_seen(),
        story.secrets.len()
    ));
    story.line("handled (the IMDS token, the secret keys, the session tokens).");
    story.blank();
    story.line("Now on your own setup: credchain explain");
    story.flush();
    imds.stop().await;
    drop(home);
    Ok(())
}

/// Steps 1–4: the requests an SDK makes, sent by hand.
async fn by_hand(story: &mut Story, imds: &ServerHandle, addr: SocketAddr) -> Result<(), String> {
    story.line("Step 1  Ask for a session token (IMDSv2)");
    story.line("  > PUT /latest/api/token");
    story.line(format!(
        "  > X-aws-ec2-metadata-token-ttl-seconds: {TOKEN_TTL}"
    ));
    let put = request(
        addr,
        "PUT",
        "/latest/api/token",
        &[("X-aws-ec2-metadata-token-ttl-seconds", TOKEN_TTL)],
    )
    .await?;
    expect_ok(&put, "the token request")?;
    let token = put.body.trim().to_owned();
    story.secret(&token);
    story.line(format!(
        "  < {}, X-aws-ec2-metadata-token-ttl-seconds: {}",
        put.status_line(),
        put.header("x-aws-ec2-metadata-token-ttl-seconds")
            .unwrap_or("(missing)")
    ));
    story.line(format!(
        "  < a token of {} characters (not shown: it opens the metadata for six hours)",
        token.len()
    ));
    // What the server set on the socket for that answer, read back from its transcript.
    let ttl = imds
        .transcript()
        .iter()
        .rev()
        .find(|e| e.method == "PUT")
        .and_then(|e| e.socket_ttl);
    if let Some(ttl) = ttl {
        story.line(format!(
            "  The answer left with IP TTL {ttl} (the hop limit): one router further it is dropped,"
        ));
        story.line("  which is how a container behind a bridge network is kept from the token.");
    }
    story.blank();
    story.step(json!({
        "step": 1,
        "name": "token",
        "title": "Ask for a session token (IMDSv2)",
        "requests": [{
            "method": "PUT",
            "path": "/latest/api/token",
            "headers": {"X-aws-ec2-metadata-token-ttl-seconds": TOKEN_TTL},
            "status": put.status,
            "reason": put.reason,
            "response": {
                "ttl_seconds_header": put.header("x-aws-ec2-metadata-token-ttl-seconds"),
                "token_length": token.len(),
                "ip_ttl": ttl,
            },
        }],
    }));

    let auth = [("X-aws-ec2-metadata-token", token.as_str())];
    story.line("Step 2  Ask which role the instance has");
    story.line("  > GET /latest/meta-data/iam/security-credentials/");
    story.line("  > X-aws-ec2-metadata-token: <the token>");
    let listing = request(
        addr,
        "GET",
        "/latest/meta-data/iam/security-credentials/",
        &auth,
    )
    .await?;
    expect_ok(&listing, "the role listing")?;
    let role = listing.body.lines().next().unwrap_or_default().to_owned();
    story.line(format!("  < {}, text/plain", listing.status_line()));
    story.line(format!("  < {role}"));
    story.blank();
    story.step(json!({
        "step": 2,
        "name": "role",
        "title": "Ask which role the instance has",
        "requests": [{
            "method": "GET",
            "path": "/latest/meta-data/iam/security-credentials/",
            "headers": {"X-aws-ec2-metadata-token": "<the token>"},
            "status": listing.status,
            "reason": listing.reason,
            "response": {"role": role},
        }],
    }));

    story.line("Step 3  Ask for the role's credentials");
    let path = format!("/latest/meta-data/iam/security-credentials/{role}");
    story.line(format!("  > GET {path}"));
    story.line("  > X-aws-ec2-metadata-token: <the token>");
    let document = request(addr, "GET", &path, &auth).await?;
    expect_ok(&document, "the credentials request")?;
    let fields: serde_json::Value = serde_json::from_str(&document.body)
        .map_err(|e| format!("the credentials document is not JSON: {e}"))?;
    let text = |name: &str| {
        fields
            .get(name)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("(missing)")
            .to_owned()
    };
    story.secret(&text("SecretAccessKey"));
    story.secret(&text("Token"));
    story.line(format!(
        "  < {}, a JSON document (served as text/plain, as IMDS does):",
        document.status_line()
    ));
    story.line(format!("  <   Code         {}", text("Code")));
    story.line(format!("  <   Type         {}", text("Type")));
    story.line(format!("  <   AccessKeyId  {}", text("AccessKeyId")));
    story.line(format!(
        "  <   Expiration   {}{}",
        text("Expiration"),
        left_text(&text("Expiration"))
    ));
    story.line(format!(
        "  <   SecretAccessKey ({} characters) and Token ({} characters): not shown",
        text("SecretAccessKey").len(),
        text("Token").len()
    ));
    story.blank();
    story.step(json!({
        "step": 3,
        "name": "credentials",
        "title": "Ask for the role's credentials",
        "requests": [{
            "method": "GET",
            "path": path,
            "headers": {"X-aws-ec2-metadata-token": "<the token>"},
            "status": document.status,
            "reason": document.reason,
            "response": {
                "Code": text("Code"),
                "Type": text("Type"),
                "AccessKeyId": text("AccessKeyId"),
                "Expiration": text("Expiration"),
                "seconds_left": seconds_left(&text("Expiration")),
                "secret_access_key_length": text("SecretAccessKey").len(),
                "token_length": text("Token").len(),
            },
        }],
    }));

    story.line("Step 4  The same request without the token (IMDSv1)");
    story.line("  > GET /latest/meta-data/iam/security-credentials/");
    let v1 = request(
        addr,
        "GET",
        "/latest/meta-data/iam/security-credentials/",
        &[],
    )
    .await?;
    story.line(format!("  < {}", v1.status_line()));
    story.line("  This instance requires IMDSv2, so botocore's fallback to IMDSv1 (taken when the");
    story.line("  token request fails) would get nothing here.");
    story.blank();
    story.step(json!({
        "step": 4,
        "name": "imdsv1",
        "title": "The same request without the token (IMDSv1)",
        "requests": [{
            "method": "GET",
            "path": "/latest/meta-data/iam/security-credentials/",
            "headers": {},
            "status": v1.status,
            "reason": v1.reason,
        }],
        "refused": v1.status == 401,
    }));
    Ok(())
}

/// Step 5: the chain, and the requests it made.
async fn through_the_chain(
    story: &mut Story,
    imds: &ServerHandle,
    chain: &DefaultChain,
) -> Result<(), String> {
    story.line("Step 5  The same through botocore's chain, as boto3 and the AWS CLI do it");
    story
        .line("  Every source before iam-role finds nothing here (no variables, no files), so the");
    story.line("  chain asks the IMDS. The server recorded these requests:");
    let before = imds.controls().requests_seen();
    let creds = chain
        .credentials()
        .await
        .map_err(|e| format!("the chain found no credentials: {e}"))?;
    story.remember(&creds);
    let made = transcript_since(imds, before);
    for e in &made {
        story.line(format!("    {}", exchange_line(e)));
    }
    story.line(format!(
        "  Credentials {} from {}, expiring {}{}",
        creds.access_key_id(),
        creds.provider(),
        expiry_text(&creds),
        creds
            .expiry()
            .map(|t| left_text(&timestamp(t)))
            .unwrap_or_default()
    ));
    story
        .line("  The chain keeps them in its cache: asking again makes no request until a refresh");
    story.line("  is due.");
    let made_json: Vec<Value> = made.iter().map(exchange_json).collect();
    let before = imds.controls().requests_seen();
    let again = chain.credentials().await.map_err(|e| e.to_string())?;
    let made = imds.controls().requests_seen().saturating_sub(before);
    story.line(format!(
        "  Asked again: {} ({made} requests made).",
        again.access_key_id()
    ));
    story.blank();
    story.step(json!({
        "step": 5,
        "name": "chain",
        "title": "The same through botocore's chain, as boto3 and the AWS CLI do it",
        "requests": made_json,
        "credentials": credentials_json(&creds),
        "asked_again": {"access_key_id": again.access_key_id(), "requests_made": made},
    }));
    Ok(())
}

/// Step 6: the clock moves into the advisory window; the cache refreshes.
async fn refresh(
    story: &mut Story,
    imds: &ServerHandle,
    chain: &DefaultChain,
) -> Result<(), String> {
    let old = chain.credentials().await.map_err(|e| e.to_string())?;
    story.line("Step 6  The refresh");
    story
        .line("  botocore refreshes credentials that have less than 15 minutes left (the advisory");
    story.line("  window: if that fails, the old ones are still used) and must refresh them with");
    story.line("  less than 10 minutes left (the mandatory window: a failure is an error).");
    let jump = i64::try_from(JUMP.as_secs()).unwrap_or(i64::MAX);
    VIRTUAL_NOW.fetch_add(jump, Ordering::SeqCst);
    imds.controls().clock().advance(JUMP);
    story.line(format!(
        "  The clock moves {} minutes forward (the chain's and the server's clocks together).",
        JUMP.as_secs() / 60
    ));
    story.line(format!(
        "  Now {}: {} has {}left, inside the advisory window.",
        imds.controls().clock().now(),
        old.access_key_id(),
        old.expiry()
            .map(|t| format!("{} ", human_left(timestamp(t))))
            .unwrap_or_default()
    ));
    let before = imds.controls().requests_seen();
    let first = chain.credentials().await.map_err(|e| e.to_string())?;
    story.line(format!(
        "  Asked now, the cache hands out {} at once and refreshes in the background",
        first.access_key_id()
    ));
    story
        .line("  (botocore makes the caller that starts an advisory refresh wait for it instead).");
    // Wait, bounded, for the background refresh to land.
    let deadline = tokio::time::Instant::now()
        .checked_add(PATIENCE)
        .unwrap_or_else(tokio::time::Instant::now);
    let fresh = loop {
        let c = chain.credentials().await.map_err(|e| e.to_string())?;
        if c.access_key_id() != old.access_key_id() {
            story.remember(&c);
            break c;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err("the refresh did not bring new credentials".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    story.line("  The server recorded:");
    let made = transcript_since(imds, before);
    for e in &made {
        story.line(format!("    {}", exchange_line(e)));
    }
    story.line("  (no token request: the IMDS client reuses its token until shortly before it");
    story.line("  expires, where botocore asks for a new one on every refresh)");
    story.line(format!(
        "  New credentials {} (the server issued them at minute 20),",
        fresh.access_key_id()
    ));
    story.line(format!(
        "  expiring {}{}",
        expiry_text(&fresh),
        fresh
            .expiry()
            .map(|t| left_text(&timestamp(t)))
            .unwrap_or_default()
    ));
    story.blank();
    story.step(json!({
        "step": 6,
        "name": "refresh",
        "title": "The refresh",
        "clock_moved_seconds": JUMP.as_secs(),
        "now": imds.controls().clock().now().to_string(),
        "before": credentials_json(&old),
        "served_while_refreshing": first.access_key_id(),
        "requests": made.iter().map(exchange_json).collect::<Vec<_>>(),
        "after": credentials_json(&fresh),
    }));
    Ok(())
}

/// Requests recorded after the first `before`, as the transcript holds them.
fn transcript_since(imds: &ServerHandle, before: u64) -> Vec<Exchange> {
    let all = imds.transcript();
    let recorded = imds.controls().requests_seen();
    let first_kept = recorded.saturating_sub(all.len() as u64);
    let skip = usize::try_from(before.saturating_sub(first_kept)).unwrap_or(usize::MAX);
    all.into_iter().skip(skip).collect()
}

/// A request from the transcript: method, path, status, and the token's fate (never its value).
fn exchange_line(e: &Exchange) -> String {
    let line = crate::serve::request_line(e);
    // Drop the time and the peer: the story says when.
    line.splitn(3, ' ').nth(2).unwrap_or(&line).to_owned()
}

/// A request of the transcript for the JSON story: what it asked, what it got, what became of
/// the token (never its value).
fn exchange_json(e: &Exchange) -> Value {
    json!({
        "method": e.method,
        "path": e.path,
        "status": e.status(),
        "token": serde_json::to_value(e.auth).unwrap_or(Value::Null),
        "connection": e.connection,
        "line": exchange_line(e),
    })
}

/// Credentials for the JSON story: never the secret or the token.
fn credentials_json(c: &credchain::Credentials) -> Value {
    let expiration = c.expiry().map(timestamp);
    json!({
        "access_key_id": c.access_key_id(),
        "provider": c.provider(),
        "session_token": c.has_session_token(),
        "seconds_left": expiration.as_deref().and_then(seconds_left),
        "expiration": expiration,
    })
}

/// Seconds from the demo's clock to `expiration`.
fn seconds_left(expiration: &str) -> Option<i64> {
    Timestamp::parse(expiration)
        .ok()
        .map(|t| t.unix_secs().saturating_sub(virtual_unix_secs()))
}

fn timestamp(t: SystemTime) -> String {
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    Timestamp::from_unix_secs(secs)
        .map_or_else(|| format!("{secs} s after 1970"), |t| t.to_string())
}

fn expiry_text(c: &credchain::Credentials) -> String {
    c.expiry().map_or_else(|| "never".to_owned(), timestamp)
}

/// How long until `expiration` on the virtual clock, as "40 min".
fn human_left(expiration: String) -> String {
    match Timestamp::parse(&expiration) {
        Ok(t) => {
            let left = t.unix_secs().saturating_sub(virtual_unix_secs());
            if left >= 0 {
                render::human_duration(left.unsigned_abs())
            } else {
                format!("-{}", render::human_duration(left.unsigned_abs()))
            }
        }
        Err(_) => "?".to_owned(),
    }
}

/// " (40 min from now)".
fn left_text(expiration: &str) -> String {
    format!(" ({} from now)", human_left(expiration.to_owned()))
}

fn style(choice: crate::args::ColorChoice) -> Style {
    use std::io::IsTerminal as _;
    let colour = match choice {
        crate::args::ColorChoice::Always => true,
        crate::args::ColorChoice::Never => false,
        crate::args::ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::env::var_os("TERM").is_none_or(|v| v != "dumb")
        }
    };
    if colour { Style::Color } else { Style::Plain }
}

fn expect_ok(r: &Response, what: &str) -> Result<(), String> {
    if r.status == 200 {
        Ok(())
    } else {
        Err(format!("{what} got {}", r.status_line()))
    }
}

/// An HTTP/1.1 answer.
#[derive(Debug)]
struct Response {
    status: u16,
    reason: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn status_line(&self) -> String {
        format!("{} {}", self.status, self.reason)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One request on a new connection (`Connection: close`), read to the end, bounded by
/// [`PATIENCE`]. The demo's own small client, so that every byte sent is the one shown.
async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<Response, String> {
    let exchange = async {
        let mut stream = tokio::net::TcpStream::connect(addr).await?;
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n");
        for (name, value) in headers {
            let _ = write!(head, "{name}: {value}\r\n");
        }
        head.push_str("Content-Length: 0\r\nConnection: close\r\n\r\n");
        stream.write_all(head.as_bytes()).await?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await?;
        Ok::<_, std::io::Error>(raw)
    };
    let raw = tokio::time::timeout(PATIENCE, exchange)
        .await
        .map_err(|_| format!("{method} {path}: no answer within {} s", PATIENCE.as_secs()))?
        .map_err(|e| format!("{method} {path}: {e}"))?;
    parse_response(&raw).ok_or_else(|| format!("{method} {path}: not an HTTP response"))
}

fn parse_response(raw: &[u8]) -> Option<Response> {
    let text = std::str::from_utf8(raw).ok()?;
    let (head, body) = text.split_once("\r\n\r\n")?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next()?;
    let mut parts = status_line.splitn(3, ' ');
    let _version = parts.next()?;
    let status = parts.next()?.parse().ok()?;
    let reason = parts.next().unwrap_or_default().to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Response {
        status,
        reason,
        headers,
        body: body.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn responses_are_parsed() {
        let r = parse_response(
            b"HTTP/1.1 200 OK\r\nX-aws-ec2-metadata-token-ttl-seconds: 21600\r\n\r\nabc",
        )
        .unwrap();
        assert_eq!(r.status, 200);
        assert_eq!(r.status_line(), "200 OK");
        assert_eq!(
            r.header("x-aws-ec2-metadata-token-ttl-seconds"),
            Some("21600")
        );
        assert_eq!(r.body, "abc");
        assert!(parse_response(b"HTTP/1.1 200 OK\r\n").is_none());
        assert!(parse_response(b"garbage\r\n\r\n").is_none());
    }
}
