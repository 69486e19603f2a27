//! Reads your own `~/.aws/config` and `~/.aws/credentials` the way the AWS CLI does, and prints
#![allow(clippy::arithmetic_side_effects)] // counting profiles in an example
//! every profile with where each setting comes from. Secrets are never printed, only their
//! length. A file that botocore would refuse is reported with its line, column and the line's
//! text, and makes the example exit with status 1.
//!
//! ```text
//! cargo run -p credchain-core --example profiles                  # botocore's dialect
//! cargo run -p credchain-core --example profiles -- --dialect sdk # the other AWS SDKs' dialect
//! cargo run -p credchain-core --example profiles -- CONFIG CREDENTIALS
//! ```
//!
//! Without paths the files are found as botocore finds them: `AWS_CONFIG_FILE` and
//! `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials` (spec §2.1, §3.1).
//! This example is the only place in `credchain-core` that touches the file system: the core
//! itself only ever sees the bytes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use credchain_core::profile::{Dialect, FileKind, Merged, ProfileFile, Value};

/// Keys whose values are secret: shown as a length, never as text.
const SECRET_KEYS: &[&str] = &[
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
];

fn main() -> ExitCode {
    let mut dialect = Dialect::Botocore;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dialect" => match args.next().as_deref() {
                Some("botocore") => dialect = Dialect::Botocore,
                Some("sdk") => dialect = Dialect::Sdk,
                other => return usage(&format!("unknown dialect {other:?}")),
            },
            "-h" | "--help" => {
                println!("usage: profiles [--dialect botocore|sdk] [CONFIG [CREDENTIALS]]");
                return ExitCode::SUCCESS;
            }
            _ if arg.starts_with('-') => return usage(&format!("unknown option {arg}")),
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.len() > 2 {
        return usage("at most two paths: CONFIG and CREDENTIALS");
    }
    let config_path = paths
        .first()
        .cloned()
        .or_else(|| locate("AWS_CONFIG_FILE", "config"));
    let credentials_path = paths
        .get(1)
        .cloned()
        .or_else(|| locate("AWS_SHARED_CREDENTIALS_FILE", "credentials"));

    let config_bytes = read(config_path.as_deref());
    let credentials_bytes = read(credentials_path.as_deref());

    let mut failed = false;
    let config = parse(
        config_path.as_deref(),
        config_bytes.as_deref(),
        FileKind::Config,
        dialect,
        &mut failed,
    );
    let credentials = parse(
        credentials_path.as_deref(),
        credentials_bytes.as_deref(),
        FileKind::Credentials,
        dialect,
        &mut failed,
    );

    let merged = Merged::new(config.as_ref(), credentials.as_ref());
    let mut buf = vec![0u8; 64 * 1024];
    let mut count = 0;
    for profile in merged.profiles() {
        count += 1;
        println!(
            "\nprofile {}",
            show(&profile.name().write_to(&mut buf).map(str::to_owned))
        );
        for (property, from) in profile.properties() {
            let key = property
                .key
                .write_to(&mut buf)
                .map(str::to_owned)
                .unwrap_or_default();
            let value = property.value;
            println!(
                "  {key} = {}    ({from}, line {})",
                render(&key, &value, &mut buf),
                value.line()
            );
        }
    }
    for session in merged.sso_sessions() {
        println!(
            "\nsso-session {}",
            show(&session.name().write_to(&mut buf).map(str::to_owned))
        );
        for property in session.properties() {
            let key = property
                .key
                .write_to(&mut buf)
                .map(str::to_owned)
                .unwrap_or_default();
            println!(
                "  {key} = {}    (line {})",
                render(&key, &property.value, &mut buf),
                property.value.line()
            );
        }
    }
    println!("\n{count} profile(s), read in the {dialect:?} dialect");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "profiles: {problem}\nusage: profiles [--dialect botocore|sdk] [CONFIG [CREDENTIALS]]"
    );
    ExitCode::from(2)
}

/// botocore's rule: the variable wins when set, and an empty value means "no file" (spec §2.1).
fn locate(var: &str, file: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(v) if v.is_empty() => None,
        Some(v) => Some(PathBuf::from(v)),
        None => std::env::var_os("HOME").map(|home| Path::new(&home).join(".aws").join(file)),
    }
}

fn read(path: Option<&Path>) -> Option<Vec<u8>> {
    let path = path?;
    match std::fs::read(path) {
        Ok(bytes) => Some(bytes),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            println!(
                "{}: not found (botocore treats it as empty)",
                path.display()
            );
            None
        }
        Err(e) => {
            println!(
                "{}: cannot be read ({e}); botocore treats it as empty",
                path.display()
            );
            None
        }
    }
}

fn parse<'a>(
    path: Option<&Path>,
    bytes: Option<&'a [u8]>,
    kind: FileKind,
    dialect: Dialect,
    failed: &mut bool,
) -> Option<ProfileFile<'a>> {
    let (path, bytes) = (path?, bytes?);
    match ProfileFile::parse_bytes(bytes, kind, dialect) {
        Ok(file) => {
            println!("{}: {} profile(s)", path.display(), file.profiles().count());
            Some(file)
        }
        Err(e) => {
            *failed = true;
            println!("{}: {e}", path.display());
            None
        }
    }
}

fn render(key: &str, value: &Value<'_>, buf: &mut [u8]) -> String {
    if SECRET_KEYS.contains(&key) {
        return format!("<secret, {} bytes>", value.len());
    }
    if let Some(subs) = value.sub_properties() {
        let inner: Vec<String> = subs.map(|(k, v)| format!("{k} = {v}")).collect();
        return format!("{{ {} }}", inner.join("; "));
    }
    match value.write_to(buf) {
        Ok(text) => format!("{text:?}"),
        Err(e) => format!("<{} bytes, too long to show>", e.needed),
    }
}

fn show(name: &Result<String, credchain_core::buf::BufferTooSmall>) -> String {
    match name {
        Ok(n) => format!("{n:?}"),
        Err(e) => format!("<name of {} bytes>", e.needed),
    }
}
