//! Credentials from the container endpoint (ECS, EKS Pod Identity), fetched with credchain-http
//! the way botocore's `container-role` provider fetches them (spec §6): the URL from
//! `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (appended to `http://169.254.170.2`) or
//! `AWS_CONTAINER_CREDENTIALS_FULL_URI` (loopback, the ECS and EKS link-local addresses, or
//! any `https` host), the `Authorization` header from `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE`
//! or `AWS_CONTAINER_AUTHORIZATION_TOKEN`, three attempts one second apart.
//!
//! ```text
//! AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:40125/v2/credentials/abc \
//! AWS_CONTAINER_AUTHORIZATION_TOKEN=… cargo run -p credchain-http --example container
//! cargo run -p credchain-http --example container -- --local
//! ```
//!
//! With `--local`, a `credchain-server` container endpoint is started in this process on
//! loopback, and its URL and authorization token are used instead of the environment's:
//!
//! ```text
//! url http://127.0.0.1:39305/v2/credentials/3944e431d2d7932dc92d8e8edd6d68d0
//! access_key_id ASIAWCMIGEATGHDK5RAI
//! expiration 2026-11-29T11:31:35Z
//! account_id 123456789012
//! secret_access_key <40 bytes, not shown>
//! session_token <336 bytes, not shown>
//! ```
//!
//! Secrets (the credentials and the authorization token) are never printed. The exit status is
//! 0 with credentials, 1 when the fetch failed or the provider does not apply (neither URI
//! variable is set), 2 for a configuration botocore refuses (a host it does not allow, a token
//! with a newline).

use std::collections::HashMap;
use std::io::Write;
use std::process::ExitCode;

use credchain_core::container::config::{ENV_AUTH_TOKEN, ENV_AUTH_TOKEN_FILE, ENV_FULL_URI};
use credchain_core::container::{ContainerConfig, ContainerEnv, Event};
use credchain_http::ContainerFetcher;

/// What became of a run: the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Credentials,
    NoCredentials,
    BadSetting,
}

impl From<Ending> for ExitCode {
    fn from(e: Ending) -> ExitCode {
        match e {
            Ending::Credentials => ExitCode::SUCCESS,
            Ending::NoCredentials => ExitCode::from(1),
            Ending::BadSetting => ExitCode::from(2),
        }
    }
}

/// Fetches with the configuration `vars` (the environment) describes, and writes what it found
/// to `out`.
async fn run(vars: &HashMap<String, String>, out: &mut impl Write) -> std::io::Result<Ending> {
    // The token file is read before the configuration is built, as botocore does.
    let token_file = match vars.get(ENV_AUTH_TOKEN_FILE) {
        Some(path) => match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) => {
                writeln!(out, "error cannot read {ENV_AUTH_TOKEN_FILE} {path:?}: {e}")?;
                return Ok(Ending::BadSetting);
            }
        },
        None => None,
    };
    let env = ContainerEnv::resolve(
        |name| vars.get(name).map(String::as_str),
        |_| token_file.as_deref(),
    );
    let mut url = [0u8; 2048];
    let config = match ContainerConfig::from_env(&env, &mut url) {
        Ok(Some(c)) => c,
        Ok(None) => {
            writeln!(
                out,
                "no credentials: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor \
                 {ENV_FULL_URI} is set"
            )?;
            return Ok(Ending::NoCredentials);
        }
        Err(e) => {
            writeln!(out, "error {e}")?;
            return Ok(Ending::BadSetting);
        }
    };
    writeln!(out, "url {}", config.url())?;
    let mut fetcher = ContainerFetcher::new(config);
    let fetched = fetcher.fetch().await;
    for Event::AttemptFailed {
        attempt,
        failure,
        retrying,
    } in fetcher.events()
    {
        writeln!(
            out,
            "event attempt {attempt} failed: {failure}{}",
            if *retrying { ", retrying" } else { "" }
        )?;
    }
    let ending = match fetched {
        Ok(c) => {
            writeln!(out, "access_key_id {}", c.access_key_id)?;
            writeln!(out, "expiration {}", c.expiration)?;
            if let Some(account) = &c.account_id {
                writeln!(out, "account_id {account}")?;
            }
            writeln!(
                out,
                "secret_access_key <{} bytes, not shown>",
                c.secret_access_key.len()
            )?;
            writeln!(
                out,
                "session_token <{} bytes, not shown>",
                c.session_token.len()
            )?;
            Ending::Credentials
        }
        Err(e) => {
            writeln!(out, "error {e}")?;
            Ending::NoCredentials
        }
    };
    Ok(ending)
}

/// Starts a credchain-server container endpoint on loopback and returns it with the
/// environment that points at it.
async fn local_server()
-> Result<(credchain_server::ContainerHandle, HashMap<String, String>), credchain_server::Error> {
    let server = credchain_server::ContainerServer::builder().start().await?;
    let mut vars = HashMap::new();
    vars.insert(ENV_FULL_URI.to_owned(), server.full_uri());
    if let Some(token) = server.authorization_token() {
        vars.insert(ENV_AUTH_TOKEN.to_owned(), token.to_owned());
    }
    Ok((server, vars))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut out = std::io::stdout().lock();
    let result = match args.as_slice() {
        [] => {
            let vars: HashMap<String, String> = std::env::vars().collect();
            run(&vars, &mut out).await
        }
        [flag] if flag == "--local" => match local_server().await {
            Ok((_server, vars)) => run(&vars, &mut out).await,
            Err(e) => {
                eprintln!("cannot start the local container endpoint: {e}");
                return ExitCode::from(1);
            }
        },
        _ => {
            eprintln!("usage: container [--local]");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(ending) => ending.into(),
        Err(e) => {
            eprintln!("cannot write the output: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;
    use credchain_server::{AuthCheck, ContainerServer};

    async fn output(vars: &[(&str, &str)]) -> (Ending, String) {
        let vars = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let mut out = Vec::new();
        let ending = run(&vars, &mut out).await.unwrap();
        (ending, String::from_utf8(out).unwrap())
    }

    #[tokio::test]
    async fn prints_what_the_endpoint_serves_and_never_a_secret() {
        let (server, vars) = local_server().await.unwrap();
        let token = server.authorization_token().unwrap().to_owned();
        let served = server.credentials().unwrap();
        let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (ending, text) = output(&vars).await;
        assert_eq!(ending, Ending::Credentials, "{text}");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], format!("url {}", server.full_uri()));
        assert!(
            lines.contains(&format!("access_key_id {}", served.access_key_id).as_str()),
            "{text}"
        );
        assert!(
            lines.contains(&format!("expiration {}", served.expiration).as_str()),
            "{text}"
        );
        assert!(lines.contains(&"account_id 123456789012"), "{text}");
        for secret in [&served.secret_access_key, &served.session_token, &token] {
            assert!(!text.contains(secret.as_str()), "{text}");
        }
        let t = server.transcript();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].auth, AuthCheck::Valid);
    }

    #[tokio::test]
    async fn the_token_file_is_read_and_a_wrong_token_fails_after_three_attempts() {
        let server = ContainerServer::builder().start().await.unwrap();
        let url = server.full_uri();
        let token = server.authorization_token().unwrap().to_owned();
        let dir = std::env::temp_dir().join(format!("credchain-example-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("token");
        // A trailing newline, as `echo` writes: trimmed (credchain improvement).
        std::fs::write(&file, format!("{token}\n")).unwrap();
        let (ending, text) = output(&[
            (ENV_FULL_URI, &url),
            (ENV_AUTH_TOKEN_FILE, file.to_str().unwrap()),
            (ENV_AUTH_TOKEN, "ignored-when-the-file-is-set"),
        ])
        .await;
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(ending, Ending::Credentials, "{text}");
        assert_eq!(server.transcript()[0].auth, AuthCheck::Valid);

        let (ending, text) = output(&[(ENV_FULL_URI, &url), (ENV_AUTH_TOKEN, "wrong")]).await;
        assert_eq!(ending, Ending::NoCredentials, "{text}");
        assert!(text.contains("event attempt 3 failed: "), "{text}");
        assert_eq!(server.transcript().len(), 4);
    }

    #[tokio::test]
    async fn settings_botocore_refuses_and_no_settings_at_all() {
        let (ending, text) = output(&[(ENV_FULL_URI, "http://192.168.1.1/creds")]).await;
        assert_eq!(ending, Ending::BadSetting, "{text}");
        assert!(
            text.starts_with("error Unsupported host '192.168.1.1'."),
            "{text}"
        );
        let (ending, text) = output(&[]).await;
        assert_eq!(ending, Ending::NoCredentials, "{text}");
    }
}
