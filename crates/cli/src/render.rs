//! `credchain explain` as text for a terminal.
//!
//! The explanation comes from the facade ([`Explanation`]); this module only lays it out:
//!
//! ```text
//! Profile   default (none named: no --profile, AWS_DEFAULT_PROFILE or AWS_PROFILE)
//!
//! Files
//!   config       /home/me/.aws/config       missing
//!   credentials  /home/me/.aws/credentials  read
//!
//! Sources, in botocore's order
//!    1  env                      nothing   AWS_ACCESS_KEY_ID is not set
//!   ...
//!
//! Result    credentials from shared-credentials-file
//!   ...
//! ```
//!
//! Columns are aligned on the widest entry. Colour, when asked for, follows the outcome: green
//! for the source that supplied the credentials, red for an error, dim for sources that found
//! nothing, were skipped or were not reached. Padding is computed on the plain text, so colour
//! never shifts a column. Nothing here can print a secret: the explanation holds none.

use std::fmt::{self, Write as _};

use crate::model::{ExplainOutcome, ExplainStep, Explanation, StepOutcome};

/// Whether to emit ANSI colour sequences.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// Plain text.
    Plain,
    /// ANSI colours (SGR sequences).
    Color,
}

/// The colours the text uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Paint {
    Green,
    Red,
    Dim,
    Bold,
    Yellow,
}

impl Paint {
    fn sgr(self) -> &'static str {
        match self {
            Paint::Green => "\x1b[1;32m",
            Paint::Red => "\x1b[1;31m",
            Paint::Dim => "\x1b[2m",
            Paint::Bold => "\x1b[1m",
            Paint::Yellow => "\x1b[1;33m",
        }
    }
}

const RESET: &str = "\x1b[0m";

impl Style {
    /// `text` in `paint` when colouring, as is otherwise.
    fn paint(self, paint: Paint, text: &str) -> String {
        match self {
            Style::Plain => text.to_owned(),
            Style::Color => format!("{}{text}{RESET}", paint.sgr()),
        }
    }
}

/// The word shown for an outcome (the same word the JSON carries).
pub(crate) fn outcome_label(outcome: StepOutcome) -> &'static str {
    match outcome {
        StepOutcome::Supplied => "supplied",
        StepOutcome::Nothing => "nothing",
        StepOutcome::Error => "error",
        StepOutcome::Skipped => "skipped",
        StepOutcome::NotReached => "not-reached",
    }
}

fn outcome_paint(outcome: StepOutcome) -> Paint {
    match outcome {
        StepOutcome::Supplied => Paint::Green,
        StepOutcome::Error => Paint::Red,
        StepOutcome::Nothing | StepOutcome::Skipped | StepOutcome::NotReached => Paint::Dim,
    }
}

/// How the profile was chosen, in words (spec §0.1).
fn profile_origin(origin: &str) -> String {
    match origin {
        "explicit" => "named with --profile; the env source is off".to_owned(),
        "AWS_DEFAULT_PROFILE" => "from AWS_DEFAULT_PROFILE".to_owned(),
        "AWS_PROFILE" => "from AWS_PROFILE".to_owned(),
        "default" => "none named: no --profile, AWS_DEFAULT_PROFILE or AWS_PROFILE".to_owned(),
        other => format!("from {other}"),
    }
}

/// A duration in seconds as a person reads it: the two largest units, `3h 12m`, `45s`.
pub(crate) fn human_duration(secs: u64) -> String {
    const UNITS: [(u64, &str); 4] = [(86_400, "d"), (3_600, "h"), (60, "m"), (1, "s")];
    if secs == 0 {
        return "0s".to_owned();
    }
    let mut parts = Vec::with_capacity(2);
    let mut rest = secs;
    for (size, name) in UNITS {
        let count = rest.checked_div(size).unwrap_or(0);
        if count > 0 || !parts.is_empty() {
            if count > 0 {
                parts.push(format!("{count}{name}"));
            }
            rest = rest.checked_rem(size).unwrap_or(0);
            if parts.len() == 2 || (count == 0 && !parts.is_empty()) {
                break;
            }
        }
    }
    parts.join(" ")
}

/// "when they expire and how long is left".
fn expiry_text(expires_at: Option<&str>, expires_in_secs: Option<i64>) -> String {
    match (expires_at, expires_in_secs) {
        (None, _) => "never (static credentials: nothing refreshes them)".to_owned(),
        (Some(at), None) => at.to_owned(),
        (Some(at), Some(left)) if left >= 0 => {
            format!("{at} (in {})", human_duration(left.unsigned_abs()))
        }
        (Some(at), Some(left)) => {
            format!("{at} (expired {} ago)", human_duration(left.unsigned_abs()))
        }
    }
}

/// The reason of a step, with its location when the reason does not already name it. A source
/// that was not reached has nothing to explain beyond its outcome column, unless the facade
/// says something more particular than that it was not reached.
fn step_reason(step: &ExplainStep) -> String {
    if step.outcome == StepOutcome::NotReached && step.reason.starts_with("not reached") {
        return String::new();
    }
    match &step.location {
        Some(loc) => {
            let at = format!("{}:{}", loc.file, loc.line);
            if step.reason.is_empty() {
                at
            } else if step.reason.contains(&loc.file) {
                // The reason already names the file (and its line): say it once.
                step.reason.clone()
            } else {
                format!("{} ({at})", step.reason)
            }
        }
        None => step.reason.clone(),
    }
}

/// `text` padded with spaces to `width` characters.
fn pad(text: &str, width: usize) -> String {
    format!("{text:<width$}")
}

/// Lays out `explanation` for a terminal. Every line ends with `\n`; trailing spaces are trimmed.
pub(crate) fn explain_text(explanation: &Explanation, style: Style) -> String {
    let mut out = Lines::default();

    out.line(format!(
        "{}  {} ({})",
        style.paint(Paint::Bold, "Profile "),
        if explanation.profile.name.is_empty() {
            "\"\""
        } else {
            &explanation.profile.name
        },
        profile_origin(explanation.profile.origin)
    ));

    if !explanation.files.is_empty() {
        out.blank();
        out.line(style.paint(Paint::Bold, "Files"));
        let role_w = column_width(explanation.files.iter().map(|f| f.role.len()));
        let path_w = column_width(explanation.files.iter().map(|f| f.path.len()));
        for f in &explanation.files {
            let state = match &f.detail {
                Some(d) if !d.is_empty() => format!("{}: {d}", f.state),
                _ => f.state.to_owned(),
            };
            let state = if f.state == "read" || f.state == "missing" {
                state
            } else {
                style.paint(Paint::Red, &state)
            };
            out.line(format!(
                "  {}  {}  {state}",
                pad(f.role, role_w),
                pad(&f.path, path_w)
            ));
        }
    }

    out.blank();
    out.line(style.paint(Paint::Bold, "Sources, in botocore's order"));
    let number_w = explanation.steps.len().to_string().len();
    let source_w = column_width(explanation.steps.iter().map(|s| s.source.len()));
    let outcome_w = column_width(
        explanation
            .steps
            .iter()
            .map(|s| outcome_label(s.outcome).len()),
    );
    for (i, step) in explanation.steps.iter().enumerate() {
        let number = format!("{:>number_w$}", i.saturating_add(1));
        let plain = format!(
            "{}  {}  {}",
            pad(step.source, source_w),
            pad(outcome_label(step.outcome), outcome_w),
            step_reason(step)
        );
        out.line(format!(
            "  {number}  {}",
            style.paint(outcome_paint(step.outcome), plain.trim_end())
        ));
    }

    if !explanation.roles.is_empty() {
        out.blank();
        out.line(style.paint(Paint::Bold, "Roles, innermost first"));
        for (i, call) in explanation.roles.iter().enumerate() {
            let mut line = format!(
                "  {}  {} {} (profile {})",
                i.saturating_add(1),
                call.kind,
                call.role,
                call.profile
            );
            if let Some(n) = &call.session_name {
                line.push_str(&format!(", session {n}"));
            }
            // A cache entry (`cached`, `cache-ignored`, `cache-not-written`) sent nothing.
            let from_cache = call.outcome.starts_with("cache");
            match &call.signed_with {
                Some(k) => line.push_str(&format!(", signed with {k}")),
                None if from_cache => {}
                None => line.push_str(", unsigned"),
            }
            let label = match call.outcome {
                "cached" => "cached (the AWS CLI's role cache)",
                other => other,
            };
            let outcome = match (&call.access_key_id, &call.expires_at, &call.error) {
                (Some(k), Some(e), _) => format!("{label}: {k}, expires {e}"),
                (_, _, Some(e)) => format!("{label}: {e}"),
                _ => label.to_owned(),
            };
            let paint = if call.error.is_some() {
                Paint::Red
            } else {
                Paint::Green
            };
            let at = call
                .endpoint
                .as_ref()
                .map_or_else(String::new, |url| format!(" (at {url})"));
            out.line(format!("{line}: {}{at}", style.paint(paint, &outcome)));
        }
    }

    out.blank();
    let result = style.paint(Paint::Bold, "Result  ");
    match &explanation.outcome {
        ExplainOutcome::Credentials {
            source,
            access_key_id,
            has_session_token,
            expires_at,
            expires_in_secs,
            account_id,
        } => {
            out.line(format!(
                "{result}  {}",
                style.paint(Paint::Green, &format!("credentials from {source}"))
            ));
            let rows = [
                ("access key id", access_key_id.clone()),
                (
                    "secret key",
                    "(never shown: `credchain export` prints it)".to_owned(),
                ),
                (
                    "session token",
                    if *has_session_token { "yes" } else { "none" }.to_owned(),
                ),
                (
                    "expires",
                    expiry_text(expires_at.as_deref(), *expires_in_secs),
                ),
                (
                    "account",
                    account_id.clone().unwrap_or_else(|| "not given".to_owned()),
                ),
            ];
            for (name, value) in rows {
                out.line(format!("  {}  {value}", pad(name, 13)));
            }
        }
        ExplainOutcome::NoCredentials => {
            out.line(format!(
                "{result}  {}",
                style.paint(
                    Paint::Red,
                    "no credentials: every source found nothing \
                     (botocore: NoCredentialsError: Unable to locate credentials)"
                )
            ));
        }
        ExplainOutcome::Error {
            source,
            class,
            message,
        } => {
            let text = match source {
                Some(s) => format!("error in {s}: {class}: {message}"),
                None => format!("error before any source ran: {class}: {message}"),
            };
            out.line(format!("{result}  {}", style.paint(Paint::Red, &text)));
        }
    }

    if !explanation.refresh_policy.is_empty() {
        out.blank();
        let mut first = true;
        for line in wrap(&explanation.refresh_policy, WRAP_WIDTH) {
            let head = if first {
                style.paint(Paint::Bold, "Refresh ")
            } else {
                pad("", 8)
            };
            first = false;
            out.line(format!("{head}  {line}"));
        }
    }
    out.finish()
}

// --- Warnings (owned by the export/exec/warnings work; see crate::warnings) -------------------

/// The warnings under the explanation: a blank line, then one `Warning` entry each, its place
/// (`file:line: `) first, wrapped like the refresh policy. Nothing when there are none.
pub(crate) fn warnings_text(warnings: &[crate::warnings::Warning], style: Style) -> String {
    let mut out = Lines::default();
    if warnings.is_empty() {
        return String::new();
    }
    out.blank();
    for w in warnings {
        let text = format!("{}{}", w.place(), w.message);
        for (i, line) in wrap(&text, WRAP_WIDTH).into_iter().enumerate() {
            let head = if i == 0 {
                style.paint(Paint::Yellow, "Warning ")
            } else {
                pad("", 8)
            };
            out.line(format!("{head}  {line}"));
        }
    }
    out.finish()
}

/// Where long prose (the refresh policy) is wrapped, after the 10-column heading.
const WRAP_WIDTH: usize = 90;

/// `text` cut into lines of at most `width` characters at spaces (a longer word stays whole).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let needed = current
            .chars()
            .count()
            .saturating_add(1)
            .saturating_add(word.chars().count());
        if !current.is_empty() && needed > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
    }
    if !current.is_empty() {
        lines.push(current);
    }
    lines
}

/// The widest of `widths`, 0 for none.
fn column_width(widths: impl Iterator<Item = usize>) -> usize {
    widths.max().unwrap_or(0)
}

/// Output assembled line by line, trailing white space trimmed from each.
#[derive(Debug, Default)]
struct Lines(String);

impl Lines {
    fn line(&mut self, text: impl fmt::Display) {
        let start = self.0.len();
        let _ = write!(self.0, "{text}");
        let trimmed = self.0.get(start..).map_or(0, |t| t.trim_end().len());
        self.0.truncate(start.saturating_add(trimmed));
        self.0.push('\n');
    }

    fn blank(&mut self) {
        self.0.push('\n');
    }

    fn finish(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{FileReport, Location, ProfileChoice};

    fn step(source: &'static str, outcome: StepOutcome, reason: &str) -> ExplainStep {
        ExplainStep {
            source,
            outcome,
            reason: reason.to_owned(),
            location: None,
        }
    }

    fn sample(outcome: ExplainOutcome, steps: Vec<ExplainStep>) -> Explanation {
        Explanation {
            profile: ProfileChoice {
                name: "default".to_owned(),
                origin: "default",
            },
            files: vec![
                FileReport {
                    role: "config",
                    path: "/h/.aws/config".to_owned(),
                    state: "missing",
                    detail: None,
                },
                FileReport {
                    role: "credentials",
                    path: "/h/.aws/credentials".to_owned(),
                    state: "read",
                    detail: None,
                },
            ],
            steps,
            roles: Vec::new(),
            outcome,
            refresh_policy: "botocore".to_owned(),
        }
    }

    #[test]
    fn role_calls_are_listed_innermost_first() {
        let mut e = sample(ExplainOutcome::NoCredentials, Vec::new());
        e.roles = vec![
            credchain::RoleCall {
                kind: "assume-role",
                endpoint: Some("https://sts.us-east-1.amazonaws.com".to_owned()),
                profile: "b".to_owned(),
                role: "arn:aws:iam::1:role/B".to_owned(),
                session_name: Some("botocore-session-1".to_owned()),
                signed_with: Some("AKIDBASE".to_owned()),
                outcome: "assumed",
                access_key_id: Some("ASIAB".to_owned()),
                expires_at: Some("2030-01-01T00:00:00Z".to_owned()),
                error: None,
            },
            credchain::RoleCall {
                kind: "assume-role",
                endpoint: Some("https://sts.us-east-1.amazonaws.com".to_owned()),
                profile: "a".to_owned(),
                role: "arn:aws:iam::1:role/A".to_owned(),
                session_name: Some("s".to_owned()),
                signed_with: Some("ASIAB".to_owned()),
                outcome: "failed",
                access_key_id: None,
                expires_at: None,
                error: Some("AccessDenied: no".to_owned()),
            },
        ];
        let text = explain_text(&e, Style::Plain);
        let at = text.find("Roles, innermost first").unwrap();
        let roles = &text[at..];
        assert!(roles.contains(
            "  1  assume-role arn:aws:iam::1:role/B (profile b), session botocore-session-1, \
             signed with AKIDBASE: assumed: ASIAB, expires 2030-01-01T00:00:00Z"
        ));
        assert!(roles.contains(
            "signed with ASIAB: failed: AccessDenied: no (at https://sts.us-east-1.amazonaws.com)"
        ));
        assert!(roles.find("profile b").unwrap() < roles.find("profile a").unwrap());
    }

    #[test]
    fn a_supplied_source_reads_as_a_table() {
        let mut file_step = step(
            "shared-credentials-file",
            StepOutcome::Supplied,
            "aws_access_key_id in [default]",
        );
        file_step.location = Some(Location {
            file: "/h/.aws/credentials".to_owned(),
            line: 2,
        });
        let e = sample(
            ExplainOutcome::Credentials {
                source: "shared-credentials-file",
                access_key_id: "AKIDEXAMPLE".to_owned(),
                has_session_token: false,
                expires_at: None,
                expires_in_secs: None,
                account_id: None,
            },
            vec![
                step("env", StepOutcome::Nothing, "AWS_ACCESS_KEY_ID is not set"),
                file_step,
                step("iam-role", StepOutcome::NotReached, ""),
            ],
        );
        let text = explain_text(&e, Style::Plain);
        let expected = "\
Profile   default (none named: no --profile, AWS_DEFAULT_PROFILE or AWS_PROFILE)

Files
  config       /h/.aws/config       missing
  credentials  /h/.aws/credentials  read

Sources, in botocore's order
  1  env                      nothing      AWS_ACCESS_KEY_ID is not set
  2  shared-credentials-file  supplied     aws_access_key_id in [default] (/h/.aws/credentials:2)
  3  iam-role                 not-reached

Result    credentials from shared-credentials-file
  access key id  AKIDEXAMPLE
  secret key     (never shown: `credchain export` prints it)
  session token  none
  expires        never (static credentials: nothing refreshes them)
  account        not given

Refresh   botocore
";
        assert_eq!(text, expected);
    }

    #[test]
    fn colour_wraps_whole_lines_without_moving_columns() {
        let e = sample(
            ExplainOutcome::Error {
                source: Some("env"),
                class: "PartialCredentialsError".to_owned(),
                message: "Partial credentials found in env, missing: AWS_SECRET_ACCESS_KEY"
                    .to_owned(),
            },
            vec![
                step(
                    "env",
                    StepOutcome::Error,
                    "AWS_SECRET_ACCESS_KEY is not set",
                ),
                step("iam-role", StepOutcome::NotReached, ""),
            ],
        );
        let coloured = explain_text(&e, Style::Color);
        assert!(coloured.contains(
            "  1  \x1b[1;31menv       error        AWS_SECRET_ACCESS_KEY is not set\x1b[0m\n"
        ));
        assert!(coloured.contains("  2  \x1b[2miam-role  not-reached\x1b[0m\n"));
        assert!(coloured.contains(
            "\x1b[1;31merror in env: PartialCredentialsError: Partial credentials found in env, \
             missing: AWS_SECRET_ACCESS_KEY\x1b[0m"
        ));
        // Without the escape sequences, the coloured text is the plain text.
        let stripped = coloured
            .replace("\x1b[1;31m", "")
            .replace("\x1b[1;32m", "")
            .replace("\x1b[2m", "")
            .replace("\x1b[1m", "")
            .replace("\x1b[0m", "");
        assert_eq!(stripped, explain_text(&e, Style::Plain));
        assert!(!explain_text(&e, Style::Plain).contains('\x1b'));
    }

    #[test]
    fn no_credentials_names_botocores_exception() {
        let e = sample(
            ExplainOutcome::NoCredentials,
            vec![step("iam-role", StepOutcome::Nothing, "IMDS is disabled")],
        );
        let text = explain_text(&e, Style::Plain);
        assert!(text.contains(
            "\nResult    no credentials: every source found nothing (botocore: \
             NoCredentialsError: Unable to locate credentials)\n"
        ));
    }

    #[test]
    fn an_error_before_any_source_says_so() {
        let e = sample(
            ExplainOutcome::Error {
                source: None,
                class: "ProfileNotFound".to_owned(),
                message: "The config profile (nope) could not be found".to_owned(),
            },
            vec![],
        );
        assert!(explain_text(&e, Style::Plain).contains(
            "\nResult    error before any source ran: ProfileNotFound: The config profile \
             (nope) could not be found\n"
        ));
    }

    #[test]
    fn a_location_the_reason_already_names_is_not_repeated() {
        let mut s = step(
            "shared-credentials-file",
            StepOutcome::Supplied,
            "keys in the credentials file /h/.aws/credentials, line 7",
        );
        s.location = Some(Location {
            file: "/h/.aws/credentials".to_owned(),
            line: 7,
        });
        assert_eq!(
            step_reason(&s),
            "keys in the credentials file /h/.aws/credentials, line 7"
        );
        s.reason = String::new();
        assert_eq!(step_reason(&s), "/h/.aws/credentials:7");
    }

    #[test]
    fn not_reached_says_nothing_more_unless_it_has_more_to_say() {
        let s = step(
            "iam-role",
            StepOutcome::NotReached,
            "not reached: an earlier source decided",
        );
        assert_eq!(step_reason(&s), "");
        let s = step(
            "iam-role",
            StepOutcome::NotReached,
            "the profile check failed first",
        );
        assert_eq!(step_reason(&s), "the profile check failed first");
    }

    #[test]
    fn prose_wraps_at_spaces() {
        assert_eq!(wrap("aa bb cc dd", 5), ["aa bb", "cc dd"]);
        assert_eq!(wrap("aaaaaaa b", 5), ["aaaaaaa", "b"]);
        assert_eq!(wrap("  ", 5), Vec::<String>::new());
        let text = "botocore (advisory refresh 15 min before expiry, mandatory 10 min before)";
        for line in wrap(text, 20) {
            assert!(line.len() <= 20 || !line.contains(' '), "{line:?}");
        }
        assert_eq!(wrap(text, 20).join(" "), text);
    }

    #[test]
    fn expiry_says_how_long_is_left() {
        assert_eq!(
            expiry_text(Some("2030-01-01T00:00:00Z"), Some(3 * 3600 + 12 * 60 + 5)),
            "2030-01-01T00:00:00Z (in 3h 12m)"
        );
        assert_eq!(
            expiry_text(Some("2020-01-01T00:00:00Z"), Some(-90)),
            "2020-01-01T00:00:00Z (expired 1m 30s ago)"
        );
    }

    #[test]
    fn durations_use_the_two_largest_units() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(45), "45s");
        assert_eq!(human_duration(60), "1m");
        assert_eq!(human_duration(3600), "1h");
        assert_eq!(human_duration(3601), "1h");
        assert_eq!(human_duration(3660), "1h 1m");
        assert_eq!(human_duration(90_061), "1d 1h");
        assert_eq!(human_duration(86_400 + 60), "1d");
        assert_eq!(human_duration(u64::MAX), "213503982334601d 7h");
    }
}
