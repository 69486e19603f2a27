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

`credchain explain` walks botocore's chain of sources and says, for each, what it found and why;
`credchain export` prints the credentials it resolves, for a shell or for another tool's
credential_process.";

/// The long help of `credchain explain`.
const EXPLAIN_HELP: &str = "\
Show every credential source in botocore's order, what each found and why (with the file and
line where there is one), which one supplies the credentials, their access key id (never the
secret or the session token), when they expire and how long is left.

Exit status: 0 when credentials were found, 1 when there are none or a source failed (the
botocore exception it corresponds to is named), 2 for bad arguments.";

/// The long help of `credchain export`.
const EXPORT_HELP: &str = "\
Print the credentials botocore's chain resolves, secret and session token included, on standard
output: this is the one command that prints a secret, on purpose.

  --format env   `export AWS_ACCESS_KEY_ID=...` lines, quoted for a POSIX shell, with
                 AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN when there is one and
                 AWS_CREDENTIAL_EXPIRATION when they expire:
                     eval \"$(credchain export --format env)\"
  --format json  the document a credential_process command prints (Version 1, AccessKeyId,
                 SecretAccessKey, SessionToken, Expiration), so that a profile can say
                     credential_process = credchain export --format json --profile base

Errors go to standard error and the exit status is 1; `credchain explain` says why.";

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
    /// Print the resolved credentials, secret included, for a shell (`eval`) or as a
    /// credential_process document.
    #[command(long_about = EXPORT_HELP)]
    Export(ExportArgs),
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

/// Options of `credchain export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The shape of the output: shell `export` lines or a credential_process JSON document.
    #[arg(long, value_enum)]
    pub(crate) format: ExportFormat,
    #[command(flatten)]
    pub(crate) profile: ProfileArg,
}

/// `--profile`, shared by the commands.
#[derive(Debug, Args)]
pub(crate) struct ProfileArg {
    /// Use this profile, as `boto3.Session(profile_name=P)` does. Unlike AWS_PROFILE, an explicit
    /// profile turns the `env` source off; without it the profile is AWS_DEFAULT_PROFILE, then
    /// AWS_PROFILE, then `default`.
    #[arg(long, short = 'p', value_name = "P")]
    pub(crate) profile: Option<String>,
}

/// `--format` of `credchain export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// `export NAME=value` lines for a POSIX shell.
    Env,
    /// The credential_process JSON document (Version 1).
    Json,
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
            Command::Export(_) => panic!("parsed as export"),
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
