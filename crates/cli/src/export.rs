//! `credchain export` and `credchain process`: the resolved credentials, secret included, for a
//! shell, for a credentials file or for another program's `credential_process`.
//!
//! These are the only texts credchain prints a secret in, and only to standard output, because
//! the user asked for exactly that. Every format carries the same values, under the names the
//! `env` source reads (spec §1.2, §2.1), so that a program started from the shell finds the
//! same credentials through `env`:
//!
//! | variable | when |
//! |---|---|
//! | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` | always |
//! | `AWS_SESSION_TOKEN` | when there is a token; otherwise it is *removed* |
//! | `AWS_CREDENTIAL_EXPIRATION` | when they expire (RFC 3339, UTC); otherwise removed |
//! | `AWS_ACCOUNT_ID` | when the source gave one; otherwise removed |
//! | `AWS_SECURITY_TOKEN` | always removed |
//!
//! The removals matter: botocore reads `AWS_SECURITY_TOKEN` *before* `AWS_SESSION_TOKEN`
//! (spec §2.1), so a token left over in the shell from an earlier role would be sent with the
//! new keys, and every request would fail with a signature error. `aws configure
//! export-credentials` leaves them in place; the shell formats here clear them.
//!
//! ## Formats
//!
//! - `env`: `export NAME=value` and `unset NAME` for a POSIX shell, each value quoted so that
//!   `eval` gives back the exact bytes whatever they contain (single quotes, `'` written as
//!   `'\''`).
//! - `env-no-export`: `NAME=value` lines, quoted the same way, for a `.env` file or
//!   `env $(…)`; nothing is removed (such files have no way to say it).
//! - `fish`: `set -gx NAME 'value'` and `set -e NAME`; inside fish's single quotes only `\` and
//!   `'` are special, each written with a backslash.
//! - `powershell`: `$Env:NAME = 'value'`. In a single-quoted PowerShell string nothing expands,
//!   and a quote is written twice; PowerShell counts the typographic quotes `‘ ’ ‚ ‛` as single
//!   quotes too, so they are doubled as well. `$Env:NAME = $null` removes a variable.
//! - `windows-cmd`: `set NAME=value`, and `set "NAME=value"` when the value holds one of
//!   cmd's operators (`& | < > ^ ( )`) or a space, since inside the quotes cmd takes them
//!   literally. cmd has **no** way to quote `%` (expanded at the prompt and in batch files
//!   alike, with different escapes), `!` (expanded under delayed expansion), `"` or a line
//!   break, so a value holding one is refused with an error rather than printed wrong. Keys AWS
//!   issues never hold them. `set NAME=` removes a variable.
//! - `json` (alias `process`): the document a `credential_process` command prints (spec §7):
//!   `Version` 1, `AccessKeyId`, `SecretAccessKey`, and `SessionToken`, `Expiration`,
//!   `AccountId` when known. botocore refreshes credentials from a process only when
//!   `Expiration` is given, and runs the command again then; static credentials carry none.
//! - `ini`: a section for `~/.aws/credentials` (`--profile-name`, default `default`), with
//!   `aws_access_key_id`, `aws_secret_access_key`, `aws_session_token`, `aws_account_id` and
//!   `aws_credential_expiration` (the key aws-vault writes; botocore ignores it: credentials from
//!   the file are never refreshed). configparser strips values and knows no quoting (spec §3.2),
//!   so the section is read back with the core's botocore-dialect reader before it is printed,
//!   and a value it would not give back unchanged (white space at an end, a line break) is an
//!   error.
//!
//! ## Loops through `credential_process`
//!
//! A profile whose `credential_process` runs `credchain process` for the same profile would run
//! credchain again and again. Each run of `export`, `process` and `exec` adds the profile it
//! resolves to `CREDCHAIN_PROCESS_CHAIN` in the environment the chain (and so every
//! `credential_process` command) sees, and refuses to resolve a profile already in it, or a
//! chain deeper than [`MAX_NESTING`].

use std::fmt::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use credchain::Credentials;
use credchain_core::profile::{Dialect, FileKind, ProfileFile};
use credchain_core::time::Timestamp;
use credchain_fs::EnvSnapshot;

use crate::args::ProfileArg;

/// The long help of `credchain export`.
pub(crate) const EXPORT_HELP: &str = "\
Print the credentials botocore's chain resolves, secret and session token included, on standard
output: with `process` and `exec`, the only commands that hand out a secret, on purpose.

Every shell format sets AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN when
there is a token, AWS_CREDENTIAL_EXPIRATION when they expire and AWS_ACCOUNT_ID when it is
known, and removes the ones that do not apply and AWS_SECURITY_TOKEN (botocore prefers it to
AWS_SESSION_TOKEN, so a stale one would spoil the new keys):

  --format env            POSIX shells:   eval \"$(credchain export --format env)\"
  --format env-no-export  NAME=value lines, for a .env file (nothing is removed)
  --format fish           fish:           credchain export --format fish | source
  --format powershell     PowerShell:     credchain export --format powershell | Invoke-Expression
  --format windows-cmd    cmd.exe `set` lines; a value cmd cannot quote (holding % ! \" or a
                          line break) is refused
  --format json           the document a credential_process command prints (Version 1,
                          AccessKeyId, SecretAccessKey, SessionToken, Expiration, AccountId),
                          so that a profile can say
                            credential_process = credchain export --format json --profile base
                          (`credchain process` does the same under credential_process's exit
                          contract; `--format process` is another name for json)
  --format ini            a [default] section for ~/.aws/credentials (--profile-name names it)

Errors go to standard error and the exit status is 1; `credchain explain` says why.";

/// The long help of `credchain process`.
pub(crate) const PROCESS_HELP: &str = "\
Print the credentials as a credential_process command does, so that any AWS SDK can get them
from credchain. In ~/.aws/config:

  [profile app]
  credential_process = credchain process --profile base

On success the JSON document (Version 1, AccessKeyId, SecretAccessKey, SessionToken and
Expiration when they expire) is the only output and the exit status is 0; the SDK runs the
command again when Expiration comes near. On failure nothing is printed on standard output, one
line on standard error says why (botocore shows it in its CredentialRetrievalError) and the exit
status is 1.

A profile whose credential_process runs credchain for itself again is refused, not run forever
(CREDCHAIN_PROCESS_CHAIN records the profiles being resolved).

A role with mfa_serial asks `Enter MFA code for SERIAL: ` on the controlling terminal only: the
SDK that runs this command owns its standard input and hides its standard error. Without a
terminal the role fails at once; with one, it fails after --mfa-timeout seconds without an
answer. It never waits forever.";

/// Options of `credchain export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// The shape of the output: lines for a shell, a credential_process document or a
    /// credentials-file section.
    #[arg(long, short = 'f', value_enum)]
    pub(crate) format: ExportFormat,
    #[command(flatten)]
    pub(crate) profile: ProfileArg,
    /// With `--format ini`: the section header to write, `[NAME]` (default `default`).
    #[arg(long, value_name = "NAME")]
    pub(crate) profile_name: Option<String>,
}

/// Options of `credchain process`.
#[derive(Debug, Args)]
pub(crate) struct ProcessArgs {
    #[command(flatten)]
    pub(crate) profile: ProfileArg,
    /// For a role with mfa_serial: how long to wait for the code on the controlling terminal
    /// before failing (process never reads standard input, which belongs to the SDK that runs
    /// it, and never waits forever).
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(crate) mfa_timeout: u64,
}

/// `--format` of `credchain export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ExportFormat {
    /// `export NAME=value` lines for a POSIX shell (`eval "$(…)"`).
    Env,
    /// `NAME=value` lines, for a .env file.
    EnvNoExport,
    /// `set -gx NAME value` lines for fish.
    Fish,
    /// `$Env:NAME = 'value'` lines for PowerShell.
    Powershell,
    /// `set NAME=value` lines for cmd.exe.
    WindowsCmd,
    /// The credential_process JSON document (Version 1).
    #[value(alias = "process")]
    Json,
    /// A section for ~/.aws/credentials.
    Ini,
}

/// The values an export prints, taken from the credentials once.
#[derive(Clone, Copy)]
pub(crate) struct Exported<'a> {
    /// `AccessKeyId` / `AWS_ACCESS_KEY_ID`.
    pub(crate) access_key_id: &'a str,
    /// `SecretAccessKey` / `AWS_SECRET_ACCESS_KEY`.
    pub(crate) secret_access_key: &'a str,
    /// `SessionToken` / `AWS_SESSION_TOKEN`.
    pub(crate) session_token: Option<&'a str>,
    /// `Expiration` / `AWS_CREDENTIAL_EXPIRATION`, RFC 3339 in UTC, whole seconds.
    pub(crate) expiration: Option<Timestamp>,
    /// `AccountId` / `AWS_ACCOUNT_ID`.
    pub(crate) account_id: Option<&'a str>,
}

impl std::fmt::Debug for Exported<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exported")
            .field("access_key_id", &self.access_key_id)
            .field("expiration", &self.expiration)
            .finish_non_exhaustive()
    }
}

impl<'a> Exported<'a> {
    /// What `credentials` export. An expiry with a fraction of a second is written rounded down
    /// (never later than the real one); one outside the years 0–9999 is dropped.
    pub(crate) fn of(credentials: &'a Credentials) -> Exported<'a> {
        Exported {
            access_key_id: credentials.access_key_id(),
            secret_access_key: credentials.expose_secret_access_key(),
            session_token: credentials.expose_session_token(),
            expiration: credentials
                .expiry_unix_secs()
                .and_then(Timestamp::from_unix_secs),
            account_id: credentials.account_id(),
        }
    }

    /// Every variable of the table in the [module documentation](self): its name and its value,
    /// `None` for one to remove. In the order `aws configure export-credentials` prints them,
    /// removals last.
    pub(crate) fn variables(&self) -> Vec<(&'static str, Option<String>)> {
        let mut set = vec![
            ("AWS_ACCESS_KEY_ID", Some(self.access_key_id.to_owned())),
            (
                "AWS_SECRET_ACCESS_KEY",
                Some(self.secret_access_key.to_owned()),
            ),
        ];
        let mut unset = Vec::new();
        let optional = [
            ("AWS_SESSION_TOKEN", self.session_token.map(str::to_owned)),
            (
                "AWS_CREDENTIAL_EXPIRATION",
                self.expiration.map(|t| t.to_string()),
            ),
            ("AWS_ACCOUNT_ID", self.account_id.map(str::to_owned)),
        ];
        for (name, value) in optional {
            match value {
                Some(v) => set.push((name, Some(v))),
                None => unset.push((name, None)),
            }
        }
        unset.push(("AWS_SECURITY_TOKEN", None));
        set.extend(unset);
        set
    }
}

/// The deepest nesting of credchain runs through `credential_process` that is resolved.
pub(crate) const MAX_NESTING: usize = 8;

/// The variable that records the profiles being resolved by outer credchain runs, one per line.
pub(crate) const CHAIN_VAR: &str = "CREDCHAIN_PROCESS_CHAIN";

/// The profile botocore selects (spec §0.1): `--profile`, else `AWS_DEFAULT_PROFILE`, else
/// `AWS_PROFILE` (present counts, even empty), else `default`.
pub(crate) fn selected_profile(explicit: Option<&str>, env: &EnvSnapshot) -> String {
    explicit
        .or_else(|| env.var("AWS_DEFAULT_PROFILE"))
        .or_else(|| env.var("AWS_PROFILE"))
        .unwrap_or("default")
        .to_owned()
}

/// The environment for a chain that resolves `profile`: the process's own, with `profile`
/// added to [`CHAIN_VAR`]. An error when an outer credchain run is already resolving it.
pub(crate) fn guarded_env(profile: &ProfileArg) -> Result<EnvSnapshot, String> {
    let mut env = EnvSnapshot::capture().map_err(|e| e.to_string())?;
    let name = selected_profile(profile.profile.as_deref(), &env);
    let outer: Vec<String> = env
        .var(CHAIN_VAR)
        .map(|v| v.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    if outer.contains(&name) {
        return Err(format!(
            "profile {name:?} is already being resolved by an outer credchain \
             ({CHAIN_VAR}: {}): its credential_process runs credchain for itself again",
            outer.join(" -> ")
        ));
    }
    if outer.len() >= MAX_NESTING {
        return Err(format!(
            "credential_process runs credchain nested {} deep ({CHAIN_VAR}: {}); refusing \
             to go deeper",
            outer.len(),
            outer.join(" -> ")
        ));
    }
    let mut chain = outer;
    chain.push(name);
    env.set(CHAIN_VAR, chain.join("\n"));
    Ok(env)
}

/// The credentials botocore's chain resolves for `profile`, or the message to print.
/// A role with `mfa_serial` asks for its code as `mfa` allows (see [`crate::mfa`]).
pub(crate) async fn resolve(
    profile: &ProfileArg,
    mfa: crate::mfa::Mode,
) -> Result<Arc<Credentials>, String> {
    let env = guarded_env(profile)?;
    let chain = profile
        .builder()
        .env(env)
        .mfa_prompt(crate::mfa::prompt(mfa))
        .build()
        .map_err(|e| e.to_string())?;
    chain
        .credentials()
        .await
        .map_err(|e| format!("{e} (`credchain explain` shows every source and why)"))
}

/// `credchain export`.
pub(crate) async fn run(args: ExportArgs) -> ExitCode {
    if args.profile_name.is_some() && args.format != ExportFormat::Ini {
        use clap::CommandFactory as _;
        crate::args::Cli::command()
            .error(
                clap::error::ErrorKind::ArgumentConflict,
                "--profile-name names the section of `--format ini` and goes with no other format",
            )
            .exit();
    }
    let credentials = match resolve(&args.profile, crate::mfa::Mode::Interactive).await {
        Ok(c) => c,
        Err(message) => return crate::fail(&message),
    };
    let exported = Exported::of(&credentials);
    let text = match args.format {
        ExportFormat::Env => Ok(env_lines(exported)),
        ExportFormat::EnvNoExport => Ok(env_no_export_lines(exported)),
        ExportFormat::Fish => Ok(fish_lines(exported)),
        ExportFormat::Powershell => Ok(powershell_lines(exported)),
        ExportFormat::WindowsCmd => windows_cmd_lines(exported),
        ExportFormat::Json => Ok(process_document(exported)),
        ExportFormat::Ini => {
            ini_section(exported, args.profile_name.as_deref().unwrap_or("default"))
        }
    };
    match text {
        Ok(text) => match crate::print(&text) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Err(message) => crate::fail(&message),
    }
}

/// `credchain process`: the credential_process contract (spec §7) — the document alone on
/// standard output and status 0, or one line on standard error and status 1.
pub(crate) async fn run_process(args: ProcessArgs) -> ExitCode {
    let mfa = crate::mfa::Mode::TerminalOnly {
        wait: std::time::Duration::from_secs(args.mfa_timeout),
    };
    match resolve(&args.profile, mfa).await {
        Ok(credentials) => match crate::print(&process_document(Exported::of(&credentials))) {
            Ok(()) => ExitCode::SUCCESS,
            Err(code) => code,
        },
        Err(message) => crate::fail(&message.replace('\n', " ")),
    }
}

/// `value` as one word of a POSIX shell: as is when it holds only characters no shell treats
/// specially, otherwise in single quotes, each `'` written as `'\''`.
pub(crate) fn shell_quote(value: &str) -> String {
    if is_plain(value) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

/// Whether `value` is one word no shell (POSIX, fish, cmd) does anything to.
fn is_plain(value: &str) -> bool {
    !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-+=/.,:@".contains(&b))
}

/// `export` lines for a POSIX shell: `eval "$(credchain export --format env)"`.
pub(crate) fn env_lines(c: Exported<'_>) -> String {
    let mut out = String::new();
    for (name, value) in c.variables() {
        let _ = match value {
            Some(v) => writeln!(out, "export {name}={}", shell_quote(&v)),
            None => writeln!(out, "unset {name}"),
        };
    }
    out
}

/// `NAME=value` lines, quoted for a POSIX shell; nothing is removed.
pub(crate) fn env_no_export_lines(c: Exported<'_>) -> String {
    let mut out = String::new();
    for (name, value) in c.variables() {
        if let Some(v) = value {
            let _ = writeln!(out, "{name}={}", shell_quote(&v));
        }
    }
    out
}

/// `value` as one word of fish: as is when plain, else in single quotes where `\` and `'` are
/// written with a backslash.
pub(crate) fn fish_quote(value: &str) -> String {
    if is_plain(value) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\\', r"\\").replace('\'', r"\'"))
    }
}

/// `set -gx` lines for fish: `credchain export --format fish | source`.
pub(crate) fn fish_lines(c: Exported<'_>) -> String {
    let mut out = String::new();
    for (name, value) in c.variables() {
        let _ = match value {
            Some(v) => writeln!(out, "set -gx {name} {}", fish_quote(&v)),
            None => writeln!(out, "set -e {name}"),
        };
    }
    out
}

/// `value` as a single-quoted PowerShell string: every single quote PowerShell knows (`'` and
/// the typographic `‘ ’ ‚ ‛`) doubled.
pub(crate) fn powershell_quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len().saturating_add(2));
    out.push('\'');
    for ch in value.chars() {
        if matches!(ch, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(ch);
        }
        out.push(ch);
    }
    out.push('\'');
    out
}

/// `$Env:` lines for PowerShell.
pub(crate) fn powershell_lines(c: Exported<'_>) -> String {
    let mut out = String::new();
    for (name, value) in c.variables() {
        let _ = match value {
            Some(v) => writeln!(out, "$Env:{name} = {}", powershell_quote(&v)),
            None => writeln!(out, "$Env:{name} = $null"),
        };
    }
    out
}

/// One `set` command of cmd.exe for `name` = `value`, or why there is none (see the
/// [module documentation](self)). `name` is one of ours and plain.
pub(crate) fn windows_cmd_set(name: &str, value: &str) -> Result<String, String> {
    if let Some(bad) = value
        .chars()
        .find(|c| matches!(c, '%' | '!' | '"') || c.is_control())
    {
        let what = match bad {
            '%' => "`%`, which cmd expands and has no quoting for".to_owned(),
            '!' => "`!`, which cmd expands under delayed expansion".to_owned(),
            '"' => "a double quote, which cmd cannot nest in a quoted `set`".to_owned(),
            c => format!("the control character U+{:04X}", u32::from(c)),
        };
        return Err(format!(
            "{name} cannot be written for cmd.exe: it holds {what}; use --format powershell or \
             --format json instead"
        ));
    }
    if is_plain(value) {
        Ok(format!("set {name}={value}"))
    } else {
        Ok(format!("set \"{name}={value}\""))
    }
}

/// `set` lines for cmd.exe, or why the credentials cannot be written for it.
pub(crate) fn windows_cmd_lines(c: Exported<'_>) -> Result<String, String> {
    let mut out = String::new();
    for (name, value) in c.variables() {
        match value {
            Some(v) => out.push_str(&windows_cmd_set(name, &v)?),
            None => {
                let _ = write!(out, "set {name}=");
            }
        }
        out.push('\n');
    }
    Ok(out)
}

/// The `credential_process` document in the order the AWS documentation shows its keys;
/// absent values are left out (botocore reads an absent key as `null`).
#[derive(serde::Serialize)]
#[serde(rename_all = "PascalCase")]
struct ProcessDocument<'a> {
    version: u8,
    access_key_id: &'a str,
    secret_access_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    session_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<&'a str>,
}

/// The `credential_process` document, pretty-printed, ending with a newline.
pub(crate) fn process_document(c: Exported<'_>) -> String {
    let doc = ProcessDocument {
        version: 1,
        access_key_id: c.access_key_id,
        secret_access_key: c.secret_access_key,
        session_token: c.session_token,
        expiration: c.expiration.map(|t| t.to_string()),
        account_id: c.account_id,
    };
    // Serialising strings and an integer cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The keys of the `ini` section and their values, in the order written.
fn ini_keys(c: Exported<'_>) -> Vec<(&'static str, String)> {
    let mut keys = vec![
        ("aws_access_key_id", c.access_key_id.to_owned()),
        ("aws_secret_access_key", c.secret_access_key.to_owned()),
    ];
    if let Some(t) = c.session_token {
        keys.push(("aws_session_token", t.to_owned()));
    }
    if let Some(a) = c.account_id {
        keys.push(("aws_account_id", a.to_owned()));
    }
    if let Some(e) = c.expiration {
        keys.push(("aws_credential_expiration", e.to_string()));
    }
    keys
}

/// A `[profile_name]` section for `~/.aws/credentials`, checked by reading it back as botocore
/// would (spec §3.2, §3.5): an error names the first key (or the name) that would not come back
/// unchanged, never its value.
pub(crate) fn ini_section(c: Exported<'_>, profile_name: &str) -> Result<String, String> {
    let keys = ini_keys(c);
    let unchanged = |key: &str| {
        format!(
            "{key} cannot be written to a credentials file so that botocore reads it back \
             unchanged: configparser strips white space at the ends of a value and ends it \
             at a line break; use --format json or --format env instead"
        )
    };
    if let Some((key, _)) = keys.iter().find(|(_, v)| v.contains(['\n', '\r'])) {
        return Err(unchanged(key));
    }
    let mut text = format!("[{profile_name}]\n");
    for (key, value) in &keys {
        let _ = writeln!(text, "{key} = {value}");
    }
    let parsed =
        ProfileFile::parse(&text, FileKind::Credentials, Dialect::Botocore).map_err(|e| {
            format!(
                "the credentials cannot be written as a credentials-file section that botocore \
             reads back: line {} would not parse ({})",
                e.line, e.kind
            )
        })?;
    let section = parsed.profile(profile_name).ok_or_else(|| {
        format!(
            "--profile-name {profile_name:?} cannot be a section of the credentials file: \
             botocore would not read it back as that profile (`DEFAULT`, brackets at the ends, \
             or a line break?)"
        )
    })?;
    for (key, value) in &keys {
        if !section.get(key).is_some_and(|v| v.eq_str(value)) {
            return Err(unchanged(key));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use credchain_core::document::ProcessCredentials;

    const SECRET: &str = "wJalr'XUtn FEMI/K7MDENG$(bPxRfiCY)\"EXAMPLE`KEY";

    fn sample(token: Option<&'static str>, expiration: Option<Timestamp>) -> Exported<'static> {
        Exported {
            access_key_id: "ASIAEXAMPLE",
            secret_access_key: SECRET,
            session_token: token,
            expiration,
            account_id: None,
        }
    }

    fn plain(secret: &'static str) -> Exported<'static> {
        Exported {
            secret_access_key: secret,
            ..sample(Some("tok"), None)
        }
    }

    #[test]
    fn quoting_leaves_plain_words_alone() {
        assert_eq!(shell_quote("AKIDEXAMPLE"), "AKIDEXAMPLE");
        assert_eq!(shell_quote("2030-01-01T00:00:00Z"), "2030-01-01T00:00:00Z");
        assert_eq!(shell_quote("a+b/c=="), "a+b/c==");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("$HOME"), "'$HOME'");
        assert_eq!(shell_quote("~"), "'~'");
        assert_eq!(shell_quote("100%"), "'100%'");
    }

    #[test]
    fn env_lines_set_what_exists_and_remove_the_rest() {
        let t = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        assert_eq!(
            env_lines(sample(Some("tok"), Some(t))),
            format!(
                "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n\
                 export AWS_SECRET_ACCESS_KEY={}\n\
                 export AWS_SESSION_TOKEN=tok\n\
                 export AWS_CREDENTIAL_EXPIRATION=2030-01-01T00:00:00Z\n\
                 unset AWS_ACCOUNT_ID\n\
                 unset AWS_SECURITY_TOKEN\n",
                shell_quote(SECRET)
            )
        );
        assert_eq!(
            env_lines(sample(None, None)),
            format!(
                "export AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n\
                 export AWS_SECRET_ACCESS_KEY={}\n\
                 unset AWS_SESSION_TOKEN\n\
                 unset AWS_CREDENTIAL_EXPIRATION\n\
                 unset AWS_ACCOUNT_ID\n\
                 unset AWS_SECURITY_TOKEN\n",
                shell_quote(SECRET)
            )
        );
        assert_eq!(
            env_no_export_lines(sample(None, None)),
            format!(
                "AWS_ACCESS_KEY_ID=ASIAEXAMPLE\nAWS_SECRET_ACCESS_KEY={}\n",
                shell_quote(SECRET)
            )
        );
    }

    #[test]
    fn fish_escapes_backslash_and_quote_only() {
        assert_eq!(fish_quote("abc"), "abc");
        assert_eq!(fish_quote(r"a\b'c $x"), r"'a\\b\'c $x'");
        assert_eq!(
            fish_lines(plain("s/k")),
            "set -gx AWS_ACCESS_KEY_ID ASIAEXAMPLE\n\
             set -gx AWS_SECRET_ACCESS_KEY s/k\n\
             set -gx AWS_SESSION_TOKEN tok\n\
             set -e AWS_CREDENTIAL_EXPIRATION\n\
             set -e AWS_ACCOUNT_ID\n\
             set -e AWS_SECURITY_TOKEN\n"
        );
    }

    #[test]
    fn powershell_doubles_every_kind_of_single_quote() {
        assert_eq!(powershell_quote("abc"), "'abc'");
        assert_eq!(powershell_quote(""), "''");
        assert_eq!(powershell_quote("it's $x"), "'it''s $x'");
        assert_eq!(
            powershell_quote("\u{2018}a\u{2019}b\u{201A}\u{201B}"),
            "'\u{2018}\u{2018}a\u{2019}\u{2019}b\u{201A}\u{201A}\u{201B}\u{201B}'"
        );
        assert_eq!(powershell_quote("\"`$(x)"), "'\"`$(x)'");
    }

    #[test]
    fn cmd_quotes_operators_and_refuses_what_it_cannot_quote() {
        assert_eq!(windows_cmd_set("X", "a+b/c").unwrap(), "set X=a+b/c");
        assert_eq!(windows_cmd_set("X", "a&b").unwrap(), "set \"X=a&b\"");
        assert_eq!(windows_cmd_set("X", "a b^c").unwrap(), "set \"X=a b^c\"");
        for bad in ["100%", "hi!", "a\"b", "a\nb", "a\rb"] {
            let e = windows_cmd_set("X", bad).unwrap_err();
            assert!(e.starts_with("X cannot be written for cmd.exe"), "{e}");
            assert!(!e.contains(bad), "the value leaked: {e}");
        }
        assert_eq!(
            windows_cmd_lines(plain("s&k")).unwrap(),
            "set AWS_ACCESS_KEY_ID=ASIAEXAMPLE\n\
             set \"AWS_SECRET_ACCESS_KEY=s&k\"\n\
             set AWS_SESSION_TOKEN=tok\n\
             set AWS_CREDENTIAL_EXPIRATION=\n\
             set AWS_ACCOUNT_ID=\n\
             set AWS_SECURITY_TOKEN=\n"
        );
        assert!(windows_cmd_lines(plain("s%k")).is_err());
    }

    #[test]
    fn ini_reads_back_or_says_which_key_does_not() {
        let t = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let text = ini_section(
            Exported {
                account_id: Some("123456789012"),
                ..sample(Some("tok"), Some(t))
            },
            "work",
        )
        .unwrap();
        assert_eq!(
            text,
            format!(
                "[work]\naws_access_key_id = ASIAEXAMPLE\naws_secret_access_key = {SECRET}\n\
                 aws_session_token = tok\naws_account_id = 123456789012\n\
                 aws_credential_expiration = 2030-01-01T00:00:00Z\n"
            )
        );
        // `#`, `;`, `%`, `=`, `:` and quotes all survive: botocore has no inline comments,
        // interpolation or unquoting.
        assert!(ini_section(plain("a # b ; c %(x)s = : \"q\""), "default").is_ok());
        for bad in [" lead", "trail ", "two\nlines", "cr\rx", "tab\t"] {
            let e = ini_section(plain(bad), "default").unwrap_err();
            assert!(
                e.starts_with("aws_secret_access_key cannot be written"),
                "{e}"
            );
        }
        for bad_name in ["DEFAULT", "a\nb"] {
            assert!(ini_section(plain("s"), bad_name).is_err(), "{bad_name:?}");
        }
        assert!(ini_section(plain("s"), "a]b").is_ok());
    }

    #[test]
    fn the_process_document_reads_back_through_the_core_parser() {
        let t = Timestamp::parse("2030-01-01T00:00:00Z").unwrap();
        let text = process_document(Exported {
            account_id: Some("123456789012"),
            ..sample(Some("tok"), Some(t))
        });
        let parsed = ProcessCredentials::parse(&text).unwrap();
        let mut buf = [0u8; 128];
        assert_eq!(
            parsed.secret_access_key.decode_into(&mut buf).unwrap(),
            SECRET
        );
        assert_eq!(parsed.access_key_id.as_str(), Some("ASIAEXAMPLE"));
        assert_eq!(parsed.session_token.and_then(|s| s.as_str()), Some("tok"));
        assert_eq!(parsed.expiration(), Ok(Some(t)));
        assert_eq!(
            parsed.account_id.and_then(|s| s.as_str()),
            Some("123456789012")
        );

        let keys: Vec<&str> = text
            .lines()
            .filter_map(|l| l.trim_start().strip_prefix('"'))
            .filter_map(|l| l.split('"').next())
            .collect();
        assert_eq!(
            keys,
            [
                "Version",
                "AccessKeyId",
                "SecretAccessKey",
                "SessionToken",
                "Expiration",
                "AccountId"
            ]
        );

        let text = process_document(sample(None, None));
        let parsed = ProcessCredentials::parse(&text).unwrap();
        assert!(parsed.session_token.is_none());
        assert_eq!(parsed.expiration(), Ok(None));
        assert!(!text.contains("SessionToken") && !text.contains("Expiration"));
    }

    #[test]
    fn the_profile_is_chosen_as_botocore_chooses_it() {
        let env = EnvSnapshot::from_pairs([("AWS_PROFILE", "p"), ("AWS_DEFAULT_PROFILE", "d")]);
        assert_eq!(selected_profile(None, &env), "d");
        assert_eq!(selected_profile(Some("x"), &env), "x");
        let env = EnvSnapshot::from_pairs([("AWS_PROFILE", "")]);
        assert_eq!(selected_profile(None, &env), "");
        let env = EnvSnapshot::from_pairs(Vec::<(&str, &str)>::new());
        assert_eq!(selected_profile(None, &env), "default");
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let shown = format!("{:?}", sample(Some("tok"), None));
        assert!(!shown.contains("wJalr") && !shown.contains("tok"));
    }
}
