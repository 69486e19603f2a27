//! Warnings of `credchain explain`: settings that do not do what people think they do.
//!
//! The chain's walk says what happened; these say why it may not be what was meant. Each comes
//! from botocore's own rules (spec sections cited per warning) applied to the environment and
//! to the selected profile of the files the walk read, and has a stable `code` for scripts:
//!
//! | code | what it catches |
//! |---|---|
//! | `imds-disabled-not-true` | `AWS_EC2_METADATA_DISABLED=1` (or `yes`, ` true`…): only `true`, in any case, turns IMDS off (spec §2.1); the same for `AWS_EC2_METADATA_V1_DISABLED` |
//! | `inline-comment` | `key = value # note` in the selected profile: botocore has no inline comments, the note is part of the value (spec §3.2); the other SDKs drop it |
//! | `unknown-credential-source` | a `credential_source` other than exactly `Environment`, `Ec2InstanceMetadata` or `EcsContainer` (case matters, spec §8.1) |
//! | `profile-variables-disagree` | `AWS_DEFAULT_PROFILE` and `AWS_PROFILE` both set, to different profiles: botocore takes `AWS_DEFAULT_PROFILE` (spec §0.1) |
//! | `env-keys-beat-profile` | `AWS_PROFILE` (or `AWS_DEFAULT_PROFILE`) and `AWS_ACCESS_KEY_ID` both set: the env keys win, the profile does not turn the env source off (spec §0.1) |
//! | `env-keys-ignored` | `--profile` given while `AWS_ACCESS_KEY_ID` is set: an explicit profile turns the env source off (spec §0.1) |
//! | `token-without-keys` | `AWS_SESSION_TOKEN` or `AWS_SECURITY_TOKEN` set without `AWS_ACCESS_KEY_ID`: the token is not used (spec §2.1) |
//! | `security-token-shadows-session-token` | both token variables set and different: `AWS_SECURITY_TOKEN` wins (spec §2.1) |
//! | `key-whitespace` | a key variable with white space at an end: env values are never trimmed (spec §2.1) |
//! | `key-quoted` | a key variable or file value wrapped in quotes: neither the env nor configparser removes them (spec §2.1, §3.2) |
//! | `imds-through-proxy` | `HTTP_PROXY` set and `NO_PROXY` not listing the IMDS host: botocore sends its IMDS requests to the proxy, which cannot reach this machine's metadata service (credchain connects directly) |
//!
//! No warning shows a secret: values are shown only for keys that are not secret, and for the
//! key variables only their names.

use std::path::Path;

use crate::model::Explanation;
use credchain_core::profile::{Dialect, FileKind, Merged, ProfileFile, Section};
use credchain_fs::{EnvSnapshot, FileRead};
use serde::Serialize;

/// One warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Warning {
    /// A stable name for the kind of warning (the table in the [module docs](self)).
    pub(crate) code: &'static str,
    /// What is wrong and what botocore does instead.
    pub(crate) message: String,
    /// The file it is about, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) file: Option<String>,
    /// The 1-based line in that file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) line: Option<u32>,
}

impl Warning {
    fn env(code: &'static str, message: String) -> Warning {
        Warning {
            code,
            message,
            file: None,
            line: None,
        }
    }

    /// `file:line: ` when it has a place, else nothing.
    pub(crate) fn place(&self) -> String {
        match (&self.file, self.line) {
            (Some(f), Some(l)) => format!("{f}:{l}: "),
            (Some(f), None) => format!("{f}: "),
            _ => String::new(),
        }
    }
}

/// `credchain explain --json`: the facade's explanation with `warnings` added.
#[derive(Debug, Serialize)]
pub(crate) struct ExplainJson<'a> {
    /// The explanation, its fields at the top level.
    #[serde(flatten)]
    pub(crate) explanation: &'a Explanation,
    /// The warnings, in the order the text shows them.
    pub(crate) warnings: &'a [Warning],
}

/// Keys whose values are secrets: never shown.
const SECRET_KEYS: [&str; 3] = [
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

/// Keys holding key material, checked for quotes.
const KEY_KEYS: [&str; 4] = [
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

/// The valid `credential_source` values (spec §8.1).
const CREDENTIAL_SOURCES: [&str; 3] = ["Environment", "Ec2InstanceMetadata", "EcsContainer"];

/// [`compute`] for the walk this process just made, in its own environment.
pub(crate) fn for_this_process(
    explanation: &Explanation,
    explicit_profile: Option<&str>,
) -> Vec<Warning> {
    // The chain has already failed with its own message when the environment is not text.
    let env = EnvSnapshot::capture()
        .unwrap_or_else(|_| EnvSnapshot::from_pairs(Vec::<(String, String)>::new()));
    compute(explanation, explicit_profile, &env)
}

/// Every warning for `explanation`'s walk: `explicit_profile` is `--profile`, `env` the
/// environment the walk read.
pub(crate) fn compute(
    explanation: &Explanation,
    explicit_profile: Option<&str>,
    env: &EnvSnapshot,
) -> Vec<Warning> {
    let mut out = env_warnings(explicit_profile, env);
    let mut texts: Vec<(FileKind, String, String)> = Vec::new();
    for f in &explanation.files {
        let kind = match f.role {
            "config" => FileKind::Config,
            "credentials" => FileKind::Credentials,
            _ => continue,
        };
        if f.state != "read" {
            continue;
        }
        if let Ok(FileRead::Found(text)) = credchain_fs::read_profile_file(Path::new(&f.path)) {
            texts.push((kind, f.path.clone(), text.text().to_owned()));
        }
    }
    let parse = |kind: FileKind| {
        texts
            .iter()
            .find(|t| t.0 == kind)
            .and_then(|(k, path, text)| {
                ProfileFile::parse(text, *k, Dialect::Botocore)
                    .ok()
                    .map(|p| (p, path.as_str()))
            })
    };
    let config = parse(FileKind::Config);
    let credentials = parse(FileKind::Credentials);
    let merged = Merged::new(
        config.as_ref().map(|c| &c.0),
        credentials.as_ref().map(|c| &c.0),
    );
    let name = if explanation.profile.name.is_empty() {
        "default"
    } else {
        explanation.profile.name.as_str()
    };
    if let Some(profile) = merged.profile(name) {
        let cred_section = profile.credentials();
        if let (Some(section), Some((_, path))) = (profile.config(), &config) {
            // A key the credentials file sets again is not the one botocore uses (spec §3.6).
            out.extend(section_warnings(section, path, |key| {
                cred_section.is_some_and(|c| c.get(key).is_some())
            }));
        }
        if let (Some(section), Some((_, path))) = (cred_section, &credentials) {
            out.extend(section_warnings(section, path, |_| false));
        }
    }
    out
}

/// Whether Python's `value.lower() == "true"` holds.
fn python_true(value: &str) -> bool {
    value.to_lowercase() == "true"
}

/// Whether `value` reads as an attempt to say "no" (so not a mistaken "yes").
fn says_no(value: &str) -> bool {
    matches!(
        value.to_lowercase().as_str(),
        "" | "false" | "0" | "no" | "off" | "n" | "f"
    )
}

/// The warnings that come from the environment alone.
pub(crate) fn env_warnings(explicit_profile: Option<&str>, env: &EnvSnapshot) -> Vec<Warning> {
    let mut out = Vec::new();
    for (name, what) in [
        ("AWS_EC2_METADATA_DISABLED", "turns IMDS off"),
        (
            "AWS_EC2_METADATA_V1_DISABLED",
            "turns the IMDSv1 fallback off",
        ),
    ] {
        if let Some(v) = env.var(name)
            && !python_true(v)
            && !says_no(v)
        {
            out.push(Warning::env(
                "imds-disabled-not-true",
                format!(
                    "{name}={v:?} does nothing: only `true` (in any case, nothing around it) {what} \
                     in botocore"
                ),
            ));
        }
    }

    if let Some(w) = imds_through_proxy(env) {
        out.push(w);
    }

    let set = |name: &str| env.var(name).filter(|v| !v.is_empty());
    let default_profile = env.var("AWS_DEFAULT_PROFILE");
    let aws_profile = env.var("AWS_PROFILE");
    if explicit_profile.is_none()
        && let (Some(d), Some(p)) = (default_profile, aws_profile)
        && d != p
    {
        out.push(Warning::env(
            "profile-variables-disagree",
            format!(
                "AWS_DEFAULT_PROFILE={d:?} and AWS_PROFILE={p:?} disagree: botocore (boto3, the \
                 AWS CLI) uses {d:?}, while the AWS SDKs that know only AWS_PROFILE use {p:?}"
            ),
        ));
    }
    let key_id = set("AWS_ACCESS_KEY_ID");
    match (explicit_profile, key_id) {
        (Some(p), Some(_)) => out.push(Warning::env(
            "env-keys-ignored",
            format!(
                "AWS_ACCESS_KEY_ID is set but not used: --profile {p:?} turns the env source off \
                 (a program that reads AWS_PROFILE instead would use the env keys)"
            ),
        )),
        (None, Some(_)) => {
            if let Some((var, p)) = default_profile
                .map(|p| ("AWS_DEFAULT_PROFILE", p))
                .or_else(|| aws_profile.map(|p| ("AWS_PROFILE", p)))
            {
                out.push(Warning::env(
                    "env-keys-beat-profile",
                    format!(
                        "{var}={p:?} and AWS_ACCESS_KEY_ID are both set: the env keys win, the \
                         profile's credentials are not used ({var} does not turn the env source \
                         off; --profile does)"
                    ),
                ));
            }
        }
        (_, None) => {
            for token in ["AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"] {
                if set(token).is_some() {
                    out.push(Warning::env(
                        "token-without-keys",
                        format!(
                            "{token} is set but AWS_ACCESS_KEY_ID is not: the env source needs \
                             the keys, so the token is not used"
                        ),
                    ));
                }
            }
        }
    }
    if let (Some(sec), Some(ses)) = (set("AWS_SECURITY_TOKEN"), set("AWS_SESSION_TOKEN"))
        && sec != ses
    {
        out.push(Warning::env(
            "security-token-shadows-session-token",
            "AWS_SECURITY_TOKEN and AWS_SESSION_TOKEN are both set, to different tokens: \
             botocore sends AWS_SECURITY_TOKEN (a leftover from an older tool?)"
                .to_owned(),
        ));
    }
    for var in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
    ] {
        let Some(v) = set(var) else { continue };
        if v.trim() != v {
            out.push(Warning::env(
                "key-whitespace",
                format!(
                    "{var} has white space at its start or end: botocore sends it byte for byte, \
                     and AWS will reject the signature"
                ),
            ));
        }
        if is_quoted(v.trim()) {
            out.push(Warning::env(
                "key-quoted",
                format!(
                    "{var} is wrapped in quotes, which are part of its value (the shell did not \
                     remove them: a .env file or a quoted quote?)"
                ),
            ));
        }
    }
    out
}

/// botocore's IMDS fetcher takes the proxy that `get_environ_proxies` gives for its base URL
/// (`AWS_EC2_METADATA_SERVICE_ENDPOINT`, else `http://169.254.169.254`): with `HTTP_PROXY` set
/// and the host not in `NO_PROXY`, every IMDS request goes to the proxy.
fn imds_through_proxy(env: &EnvSnapshot) -> Option<Warning> {
    if env
        .var("AWS_EC2_METADATA_DISABLED")
        .is_some_and(python_true)
    {
        return None;
    }
    let proxies = credchain_http::Proxies::from_vars(
        env.iter()
            .filter_map(|(k, v)| Some((k.to_str()?, v.to_str()?))),
    );
    let base = env
        .var("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or("http://169.254.169.254");
    let proxy = proxies.proxy_for(base)?;
    let host = base
        .split_once("://")
        .map_or(base, |(_, rest)| rest.split('/').next().unwrap_or(rest));
    Some(Warning::env(
        "imds-through-proxy",
        format!(
            "HTTP_PROXY is set and NO_PROXY does not list {host}: botocore (the AWS CLI, boto3) \
             sends its IMDS requests to the proxy {}, which cannot reach this machine's metadata \
             service; credchain connects directly. Add {host} to NO_PROXY",
            credchain_http::proxy::mask_proxy_url(&proxy)
        ),
    ))
}

/// Whether `v` starts and ends with the same quote character.
fn is_quoted(v: &str) -> bool {
    v.len() >= 2
        && ((v.starts_with('"') && v.ends_with('"')) || (v.starts_with('\'') && v.ends_with('\'')))
}

/// The byte offset of an inline comment in `value`: a `#` or `;` after white space.
fn inline_comment(value: &str) -> Option<usize> {
    let mut prev_space = false;
    for (i, c) in value.char_indices() {
        if prev_space && (c == '#' || c == ';') {
            return Some(i);
        }
        prev_space = c.is_whitespace();
    }
    None
}

/// The warnings of one section of the selected profile, in `path`; keys for which `overridden`
/// holds are skipped.
fn section_warnings(
    section: Section<'_>,
    path: &str,
    overridden: impl Fn(&str) -> bool,
) -> Vec<Warning> {
    let mut out = Vec::new();
    let at = |code, line, message| Warning {
        code,
        message,
        file: Some(path.to_owned()),
        line: Some(line),
    };
    for property in section.properties() {
        let key: String = property.key.fragments().collect();
        if overridden(&key) {
            continue;
        }
        let value: String = property.value.fragments().collect();
        let line = property.value.line();
        let secret = SECRET_KEYS.contains(&key.as_str());
        if let Some(at_comment) = inline_comment(&value) {
            let message = if secret {
                format!(
                    "{key}: the text from ` {}` on is part of the value: botocore has no inline \
                     comments (the other AWS SDKs drop it)",
                    value
                        .get(at_comment..)
                        .and_then(|s| s.chars().next())
                        .unwrap_or('#')
                )
            } else {
                let shown = shorten(&value, 60);
                format!(
                    "{key} is read as {shown:?}: botocore has no inline comments, the text from \
                     {:?} on is part of the value (the other AWS SDKs drop it)",
                    value
                        .get(at_comment..)
                        .map(|s| shorten(s, 24))
                        .unwrap_or_default()
                )
            };
            out.push(at("inline-comment", line, message));
        }
        if key == "credential_source" && !CREDENTIAL_SOURCES.contains(&value.as_str()) {
            let hint = CREDENTIAL_SOURCES
                .iter()
                .find(|s| s.eq_ignore_ascii_case(value.trim()))
                .map(|s| format!(" (did you mean {s}? case matters)"))
                .unwrap_or_default();
            out.push(at(
                "unknown-credential-source",
                line,
                format!(
                    "credential_source = {:?} is not one botocore knows: only Environment, \
                     Ec2InstanceMetadata and EcsContainer, spelled exactly so; a role profile \
                     with it fails with InvalidConfigError{hint}",
                    shorten(&value, 40)
                ),
            ));
        }
        if KEY_KEYS.contains(&key.as_str()) && is_quoted(&value) {
            out.push(at(
                "key-quoted",
                line,
                format!(
                    "{key} is wrapped in quotes, which botocore keeps as part of the value \
                     (configparser removes no quotes)"
                ),
            ));
        }
    }
    out
}

/// `text`, cut to `max` characters with `…` when longer.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut s: String = text.chars().take(max.saturating_sub(1)).collect();
        s.push('…');
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> EnvSnapshot {
        EnvSnapshot::from_pairs(pairs.iter().copied())
    }

    fn codes(w: &[Warning]) -> Vec<&'static str> {
        w.iter().map(|w| w.code).collect()
    }

    #[test]
    fn imds_requests_through_a_proxy_are_flagged_unless_no_proxy_lists_the_host() {
        let proxied = env(&[("HTTP_PROXY", "http://user:secret@proxy.corp:3128")]);
        let w = env_warnings(None, &proxied);
        assert_eq!(codes(&w), vec!["imds-through-proxy"]);
        assert!(w[0].message.contains("http://***:***@proxy.corp:3128"));
        assert!(!w[0].message.contains("secret"));
        for quiet in [
            env(&[("HTTP_PROXY", "proxy:1"), ("NO_PROXY", "169.254.169.254")]),
            env(&[("HTTP_PROXY", "proxy:1"), ("no_proxy", ".254")]),
            env(&[("HTTPS_PROXY", "proxy:1")]),
            env(&[
                ("HTTP_PROXY", "proxy:1"),
                ("AWS_EC2_METADATA_DISABLED", "TRUE"),
            ]),
            env(&[
                ("HTTP_PROXY", "proxy:1"),
                (
                    "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                    "http://127.0.0.1:8080/",
                ),
                ("NO_PROXY", "127.0.0.1"),
            ]),
        ] {
            assert_eq!(codes(&env_warnings(None, &quiet)), Vec::<&str>::new());
        }
    }

    #[test]
    fn only_true_disables_imds() {
        for v in ["1", "yes", " true", "true\n", "on", "disabled"] {
            let w = env_warnings(None, &env(&[("AWS_EC2_METADATA_DISABLED", v)]));
            assert_eq!(codes(&w), ["imds-disabled-not-true"], "{v:?}");
        }
        for v in ["true", "TRUE", "True", "false", "0", ""] {
            assert!(env_warnings(None, &env(&[("AWS_EC2_METADATA_DISABLED", v)])).is_empty());
        }
        let w = env_warnings(None, &env(&[("AWS_EC2_METADATA_V1_DISABLED", "1")]));
        assert_eq!(
            w[0].message,
            "AWS_EC2_METADATA_V1_DISABLED=\"1\" does nothing: only `true` (in any case, nothing \
             around it) turns the IMDSv1 fallback off in botocore"
        );
    }

    #[test]
    fn inline_comments_need_white_space_before_them() {
        assert_eq!(inline_comment("us-east-1 # main"), Some(10));
        assert_eq!(inline_comment("us-east-1\t;x"), Some(10));
        assert_eq!(inline_comment("a#b"), None);
        assert_eq!(inline_comment("#a"), None);
        assert_eq!(inline_comment(""), None);
    }

    #[test]
    fn quotes_are_a_matching_pair() {
        assert!(is_quoted("\"a\"") && is_quoted("''"));
        assert!(!is_quoted("\"a'") && !is_quoted("\"") && !is_quoted("a"));
    }

    #[test]
    fn shortening_keeps_short_text() {
        assert_eq!(shorten("abc", 3), "abc");
        assert_eq!(shorten("abcdef", 4), "abc…");
    }
}
