//! An AWS SDK for Rust configuration whose credentials come from credchain's default chain.
//!
//! ```text
//! cargo run -p credchain --features aws-sdk --example sdk_config
//! AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:1338 cargo run -p credchain --features aws-sdk --example sdk_config
//! ```
//!
//! Without `AWS_EC2_METADATA_SERVICE_ENDPOINT`, it starts credchain-server's IMDS on loopback
//! and gives the chain an environment with no profile files, so the IMDS is the source that
//! wins (`iam-role`). With the variable set, the chain reads this process's environment and
//! files, as a program would, and asks that endpoint when it gets that far.
//!
//! Then it builds an `aws_types::SdkConfig` whose credentials provider is the chain and asks
//! for credentials through the SDK's `ProvideCredentials`, as an SDK client does before it
//! signs a request. No AWS service is called. It prints the access key id and the expiry, never
//! the secret key or the session token.

use std::time::{SystemTime, UNIX_EPOCH};

use aws_credential_types::provider::ProvideCredentials as _;
use aws_types::region::Region;
use credchain::DefaultChain;
use credchain_core::time::Timestamp;
use credchain_fs::EnvSnapshot;
use credchain_server::ImdsServer;

const ENDPOINT_VAR: &str = "AWS_EC2_METADATA_SERVICE_ENDPOINT";

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut server = None;
    let _home;
    let env = match std::env::var(ENDPOINT_VAR) {
        Ok(endpoint) => {
            println!("IMDS: {endpoint} (from {ENDPOINT_VAR}); the chain reads this environment");
            EnvSnapshot::capture()?
        }
        Err(_) => {
            let imds = ImdsServer::builder().start().await?;
            println!(
                "IMDS: credchain-server on {} (IMDSv2, role credchain-role)",
                imds.endpoint()
            );
            // A home without profile files and an environment without keys: only the IMDS
            // has credentials to give.
            let home = tempfile::tempdir()?;
            let h = home.path().display().to_string();
            let env = EnvSnapshot::from_pairs([
                ("HOME", h.clone()),
                ("AWS_CONFIG_FILE", format!("{h}/.aws/config")),
                (
                    "AWS_SHARED_CREDENTIALS_FILE",
                    format!("{h}/.aws/credentials"),
                ),
                ("BOTO_CONFIG", format!("{h}/.boto")),
                (ENDPOINT_VAR, imds.endpoint()),
            ]);
            _home = home;
            server = Some(imds);
            env
        }
    };

    let chain = DefaultChain::builder().env(env).build()?;
    let config = credchain::sdk::sdk_config_builder(chain.clone())
        .region(Region::new("us-east-1"))
        .build();
    println!(
        "SdkConfig: region {}, credentials provider: credchain's DefaultChain",
        config.region().map_or("(none)", |r| r.as_ref())
    );

    // What an SDK client does before it signs a request.
    let provider = config
        .credentials_provider()
        .ok_or("the SdkConfig has no credentials provider")?;
    let creds = provider.provide_credentials().await?;
    let again = provider.provide_credentials().await?;

    println!("credentials through aws_credential_types::provider::ProvideCredentials:");
    println!("  access key id  {}", creds.access_key_id());
    println!(
        "  source         {}",
        chain.resolved_source().unwrap_or("(none)")
    );
    println!(
        "  session token  {}",
        present(creds.session_token().is_some())
    );
    match creds.expiry() {
        Some(at) => println!("  expires        {}", rfc3339(at)),
        None => println!("  expires        never"),
    }
    if let Some(account) = creds.account_id() {
        println!("  account        {}", account.as_str());
    }
    println!(
        "  second call    {} (served by credchain's cache)",
        if again.access_key_id() == creds.access_key_id() {
            "same credentials"
        } else {
            "new credentials"
        }
    );
    if let Some(server) = server {
        let requests = server.transcript().len();
        println!("the IMDS saw {requests} requests (token, role name, credentials)");
        server.stop().await;
    }
    Ok(())
}

fn present(yes: bool) -> &'static str {
    if yes { "present (not shown)" } else { "none" }
}

fn rfc3339(at: SystemTime) -> String {
    let secs = at
        .duration_since(UNIX_EPOCH)
        .ok()
        .and_then(|d| i64::try_from(d.as_secs()).ok());
    match secs.and_then(Timestamp::from_unix_secs) {
        Some(t) => t.to_string(),
        None => format!("{at:?}"),
    }
}
