//! `custom-process`: a profile's `credential_process`, run again on every refresh (spec §7).

use credchain_fs::{OwnedProcessCredentials, ProcessError, ProcessOptions, run_credential_process};

use crate::credentials::timestamp_to_system_time;
use crate::provider::ProvideCredentials;
use crate::{Credentials, Error};

/// botocore's `method` for credentials printed by `credential_process`.
pub(crate) const CUSTOM_PROCESS: &str = "custom-process";

/// Runs the command of one profile with the chain's environment. The command is blocking
/// work (a child process and its pipes), so it runs on tokio's blocking pool.
#[derive(Debug, Clone)]
pub(crate) struct ProcessProvider {
    pub(crate) profile: String,
    pub(crate) command: String,
    /// The profile's `aws_account_id`: used when the output has no `AccountId`.
    pub(crate) account_id: Option<String>,
    pub(crate) options: ProcessOptions,
}

impl ProcessProvider {
    /// Runs the command once.
    pub(crate) async fn run(&self) -> Result<OwnedProcessCredentials, ProcessError> {
        let (profile, command, options) = (
            self.profile.clone(),
            self.command.clone(),
            self.options.clone(),
        );
        let job = move || run_credential_process(&profile, &command, &options);
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => match rt.spawn_blocking(job).await {
                Ok(out) => out,
                Err(e) => Err(ProcessError {
                    profile: self.profile.clone(),
                    program: None,
                    kind: credchain_fs::ProcessErrorKind::Io {
                        kind: std::io::ErrorKind::Other,
                        errno: None,
                    },
                })
                .inspect_err(|_| {
                    tracing::warn!(target: "credchain::chain", error = %e, "the credential_process task died");
                }),
            },
            Err(_) => job(),
        }
    }

    /// The facade's credentials for what the command printed.
    pub(crate) fn credentials(&self, c: &OwnedProcessCredentials) -> Credentials {
        Credentials::new(
            c.access_key_id(),
            c.secret_access_key(),
            c.session_token().map(str::to_owned),
            CUSTOM_PROCESS,
        )
        .with_expiry(c.expiration().map(timestamp_to_system_time))
        .with_account_id(
            c.account_id()
                .map(str::to_owned)
                .or_else(|| self.account_id.clone()),
        )
    }
}

impl ProvideCredentials for ProcessProvider {
    async fn provide(&self) -> Result<Credentials, Error> {
        match self.run().await {
            Ok(c) => Ok(self.credentials(&c)),
            Err(e) => Err(Error::failed(CUSTOM_PROCESS, e)),
        }
    }
}
