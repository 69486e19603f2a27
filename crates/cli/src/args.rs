//! The command line: what each command and option means, in the words `--help` prints.
//!
//! The help texts are meant to teach: a person who runs `credchain explain --help` learns the
//! order in which botocore (boto3, the AWS CLI) looks for credentials and where each source
//! looks, without opening the botocore source (spec §1.1, §1.2).

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The order botocore tries its sources in, and where each one looks (spec §1.1, §1.2). Shown
/// after the list of options of `credchain --help` and `credchain explain --help`.
const SOURCES_HELP: &str = "\
How botocore (boto3, the AWS CLI) finds credentials: it tries these sources in this order; the
first that finds credentials wins, a source that finds nothing passes on to the next, and a
source that fails stops the search with an error.

  env                            AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, with
                                 AWS_SECURITY_TOKEN or else AWS_SESSION_TOKEN, and
                                 AWS_CREDENTIAL_EXPIRATION. Not consulted when a profile is
                                 given with --profile.
  assume-role                    role_arn in the profile (with source_profile or
                                 credential_source): credentials from STS AssumeRole.
  assume-role-with-web-identity  AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, or
                                 web_identity_token_file and role_arn in the profile.
  sso                            sso_account_id / sso_role_name in the profile (IAM Identity
                                 Center).
  shared-credentials-file        aws_access_key_id in [PROFILE] of ~/.aws/credentials
                                 (AWS_SHARED_CREDENTIALS_FILE moves it).
  login                          login_session in the profile (`aws login`).
  custom-process                 credential_process in the profile: a command whose output is
                                 the JSON document `credchain export --format json` prints.
  config-file                    aws_access_key_id in [profile PROFILE] (or [default]) of
                                 ~/.aws/config (AWS_CONFIG_FILE moves it).
  ec2-credentials-file           the file AWS_CREDENTIAL_FILE names (AWSAccessKeyId,
                                 AWSSecretKey), only when that variable is set.
  boto-config                    [Credentials] of the boto2 file: BOTO_CONFIG, else
                                 /etc/boto.cfg, then ~/.boto.
  container-role                 the ECS / EKS container endpoint, when
                                 AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
                                 AWS_CONTAINER_CREDENTIALS_FULL_URI is set (with
                                 AWS_CONTAINER_AUTHORIZATION_TOKEN or ..._TOKEN_FILE).
  iam-role                       the EC2 instance metadata service (IMDSv2, then v1) at
                                 169.254.169.254 or AWS_EC2_METADATA_SERVICE_ENDPOINT; skipped
                                 when AWS_EC2_METADATA_DISABLED is `true`.

The profile is --profile, else AWS_DEFAULT_PROFILE, else AWS_PROFILE, else `default`; a profile
that was named but does not exist is an error before any source runs.";

/// The long help of `credchain` itself.
const MAIN_HELP: &str = "\
Where your AWS credentials come from, as boto3 and the AWS CLI (botocore 1.43.11) would find
them, and why.

  credchain demo         the story of an EC2 instance fetching its role's credentials, step by
                         step, against a built-in IMDS on loopback (nothing of yours is read)
  credchain explain      botocore's chain of sources: what each found and why, and the winner
  credchain export       the resolved credentials for a shell (env, fish, PowerShell, cmd), as
                         JSON, or as an ini section
  credchain process      the same as a credential_process document, for another tool
  credchain exec -- CMD  run CMD with the credentials in its environment
  credchain serve        a faithful IMDS, container-credentials, STS or SSO endpoint on
                         loopback
  credchain lint         lines the AWS CLI and the other AWS SDKs read differently, and
                         botocore's pitfalls, in your config and credentials files
  credchain completions  shell completions";

/// The long help of `credchain explain`.
const EXPLAIN_HELP: &str = "\
Show every credential source in botocore's order, what each found and why (with the file and
line where there is one), which one supplies the credentials, their access key id (never the
secret or the session token), when they expire and how long is left.

Exit status: 0 when credentials were found, 1 when there are none or a source failed (the
botocore exception it corresponds to is named), 2 for bad arguments.";

/// `credchain`: where your AWS credentials come from, as boto3 and the AWS CLI would find them.
#[derive(Debug, Parser)]
#[command(
    name = "credchain",
    version,
    about = "Where your AWS credentials come from, as boto3 and the AWS CLI (botocore 1.43.11) would find them, and why",
    long_about = MAIN_HELP,
    after_long_help = SOURCES_HELP,
    propagate_version = true
)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Show every credential source in botocore's order, what each found and why, and which
    /// one supplies the credentials (the secret is never shown).
    #[command(
        long_about = EXPLAIN_HELP,
        after_long_help = SOURCES_HELP
    )]
    Explain(ExplainArgs),
    /// Print the resolved credentials, secret included, for a shell (bash, fish, PowerShell,
    /// cmd), a credentials file or as a credential_process document.
    #[command(long_about = crate::export::EXPORT_HELP)]
    Export(crate::export::ExportArgs),
    /// Print the credentials as a credential_process command does (JSON on success; one line
    /// on standard error and exit status 1 on failure).
    #[command(long_about = crate::export::PROCESS_HELP)]
    Process(crate::export::ProcessArgs),
    /// Run a command with the resolved credentials in its environment, passing its exit status
    /// through (like `aws-vault exec`).
    #[command(long_about = crate::exec::EXEC_HELP)]
    Exec(crate::exec::ExecArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    #[command(long_about = crate::completions::COMPLETIONS_HELP)]
    Completions(crate::completions::CompletionsArgs),
    /// Run the faithful EC2 metadata service, the ECS/EKS container endpoint, STS or SSO on a
    /// loopback port, printing the environment a client needs.
    #[command(long_about = crate::serve::SERVE_HELP)]
    Serve(crate::serve::ServeArgs),
    /// Watch a program on EC2 get its role's credentials, step by step, against a built-in
    /// metadata service (nothing of yours is read).
    #[command(long_about = crate::demo::DEMO_HELP)]
    Demo(crate::demo::DemoArgs),
    /// Report every line of your config and credentials files that the AWS CLI and the other
    /// AWS SDKs read differently, and every botocore pitfall (exit status 1 when any).
    #[command(long_about = crate::lint::LINT_HELP)]
    Lint(crate::lint::LintArgs),
}

/// Options of `credchain explain`.
#[derive(Debug, Args)]
pub(crate) struct ExplainArgs {
    #[command(flatten)]
    pub(crate) profile: ProfileArg,
    /// Print the explanation as JSON (stable field names, for scripts) instead of text.
    #[arg(long)]
    pub(crate) json: bool,
    /// When to colour the text: `auto` colours only a terminal, and never when NO_COLOR is set.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
}

/// `--profile`, shared by the commands.
#[derive(Debug, Args)]
pub(crate) struct ProfileArg {
    /// Use this profile, as `boto3.Session(profile_name=P)` does. Unlike AWS_PROFILE, an explicit
    /// profile turns the `env` source off; without it the profile is AWS_DEFAULT_PROFILE, then
    /// AWS_PROFILE, then `default`.
    #[arg(long, short = 'p', value_name = "P")]
    pub(crate) profile: Option<String>,
    /// Do not share the AWS CLI's cache of assumed-role credentials (~/.aws/cli/cache). By
    /// default credchain reads and writes it as the AWS CLI does, so a role is assumed (and an
    /// MFA code asked for) once for both; boto3 itself keeps them in memory only.
    #[arg(long)]
    pub(crate) no_role_cache: bool,
}

impl ProfileArg {
    /// A chain builder for these options: `--profile` as an explicit profile, the AWS CLI's
    /// role cache unless `--no-role-cache`.
    pub(crate) fn builder(&self) -> credchain::DefaultChainBuilder {
        let mut builder = credchain::DefaultChain::builder();
        if let Some(p) = &self.profile {
            builder = builder.profile(p.clone());
        }
        if !self.no_role_cache {
            builder = builder.aws_cli_role_cache();
        }
        builder
    }
}

/// `--color` of `credchain explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when standard output is a terminal and NO_COLOR is not set.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn profile_is_not_read_from_the_environment() {
        // An explicit profile disables the env source (spec §0.1): AWS_PROFILE must reach the
        // chain as AWS_PROFILE, never as --profile.
        let cli = Cli::try_parse_from(["credchain", "explain"]).unwrap();
        match cli.command {
            Command::Explain(a) => assert_eq!(a.profile.profile, None),
            _ => panic!("parsed as another command"),
        }
    }

    #[test]
    fn export_requires_a_format() {
        let e = Cli::try_parse_from(["credchain", "export"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        let e = Cli::try_parse_from(["credchain", "export", "--format", "yaml"]).unwrap_err();
        assert_eq!(e.kind(), clap::error::ErrorKind::InvalidValue);
    }
}
