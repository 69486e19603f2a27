//! The part of the image that uses credchain-core: parse the two embedded inputs and print what
//! they hold.
//!
//! - `data/credentials`, a `~/.aws/credentials` file, read in botocore's dialect (spec §3.2,
//!   §3.3, §3.5): three profiles, both delimiters, comments, a nested `s3` block, a session token
//!   continued over three lines, a mixed-case key, and a `[profile ci]` section whose name is
//!   taken verbatim, as botocore does in a credentials file.
//! - `data/imds-role-credentials.json`, what IMDS answers for a role (spec §4.7), with `\/`
//!   escapes in its token and an RFC 3339 `Expiration`.
//!
//! Profiles and keys are printed in file order, as botocore's `raw_config_parse` lists them, so
//! that `check.sh` can compare the output with what botocore derives from the same files.
//! Access key ids are printed; secrets and session tokens only as their length in bytes. Every
//! text the core produces (a lowercased key, a joined multi-line value, an unescaped token, a
//! formatted timestamp) is written into a buffer on the stack.

use core::fmt::{self, Write as _};

use credchain_core::buf::BufferTooSmall;
use credchain_core::document::{DocumentError, ImdsCredentials};
use credchain_core::profile::{Dialect, FileKind, ParseError, ProfileFile, Section};
use credchain_core::time::{RFC3339_LEN, TimeError};

use crate::out::Out;

/// The embedded credentials file.
const CREDENTIALS: &str = include_str!("../data/credentials");

/// The embedded IMDS role-credentials document.
const IMDS_DOCUMENT: &str = include_str!("../data/imds-role-credentials.json");

/// Room for a profile name, an option name or an access key id.
const NAME_CAPACITY: usize = 128;

/// Room for a decoded secret or session token. Real session tokens run to about 1 500 bytes.
const SECRET_CAPACITY: usize = 4096;

/// Why the report could not be produced.
#[derive(Debug, Clone, Copy)]
pub enum Failure {
    /// One of the image's own mem* functions gave a wrong result.
    Mem(&'static str),
    /// The credentials file is not valid.
    Profile(ParseError),
    /// The IMDS document is not valid.
    Document(DocumentError),
    /// The IMDS document's `Code` is not `Success`.
    NotSuccess,
    /// The IMDS document's `Expiration` is not a timestamp.
    Expiration(TimeError),
    /// A stack buffer was too small for the text the core had to write.
    Buffer {
        /// What was being written.
        what: &'static str,
        /// The size needed.
        error: BufferTooSmall,
    },
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Mem(function) => write!(f, "mem self-test: {function} gave a wrong result"),
            Failure::Profile(e) => write!(f, "embedded credentials file: {e}"),
            Failure::Document(e) => write!(f, "embedded IMDS document: {e}"),
            Failure::NotSuccess => write!(f, "embedded IMDS document: Code is not Success"),
            Failure::Expiration(e) => write!(f, "embedded IMDS document: Expiration: {e}"),
            Failure::Buffer { what, error } => write!(f, "{what}: {error}"),
        }
    }
}

/// Attaches what was being written to a [`BufferTooSmall`].
fn buffer(what: &'static str) -> impl Fn(BufferTooSmall) -> Failure {
    move |error| Failure::Buffer { what, error }
}

/// Parses both embedded inputs and prints what they hold.
pub fn parse_embedded(out: &mut Out) -> Result<(), Failure> {
    let profiles = credentials_file(out)?;
    imds_document(out)?;
    let _ = writeln!(
        out,
        "done: {profiles} profiles and 1 IMDS document, parsed without a heap"
    );
    Ok(())
}

/// Parses the credentials file in botocore's dialect and prints each profile. Returns the
/// number of profiles.
fn credentials_file(out: &mut Out) -> Result<usize, Failure> {
    let file = ProfileFile::parse(CREDENTIALS, FileKind::Credentials, Dialect::Botocore)
        .map_err(Failure::Profile)?;
    let count = file.profiles().count();
    let _ = writeln!(out, "credentials file: {count} profiles");
    for section in file.profiles() {
        profile(out, &section)?;
    }
    Ok(count)
}

/// Prints one profile: its name, then the keys that matter to credentials in file order.
fn profile(out: &mut Out, section: &Section<'_>) -> Result<(), Failure> {
    let mut name_buf = [0u8; NAME_CAPACITY];
    let name = section
        .name()
        .write_to(&mut name_buf)
        .map_err(buffer("profile name"))?;
    let _ = writeln!(out, "profile \"{name}\"");

    for property in section.properties() {
        let mut key_buf = [0u8; NAME_CAPACITY];
        // Option names come out lowercased (`Aws_Access_Key_Id` is `aws_access_key_id`).
        let key = property
            .key
            .write_to(&mut key_buf)
            .map_err(buffer("option name"))?;
        let value = property.value;
        if let Some(nested) = value.sub_properties() {
            // A nested block becomes a map in botocore: a repeated sub-key counts once.
            let distinct = nested
                .clone()
                .enumerate()
                .filter(|(i, (k, _))| {
                    nested
                        .clone()
                        .skip(i.saturating_add(1))
                        .all(|(later, _)| later != *k)
                })
                .count();
            let _ = writeln!(out, "  {key}: nested, {distinct} keys");
            continue;
        }
        match key {
            "aws_access_key_id" => {
                let mut buf = [0u8; NAME_CAPACITY];
                let id = value
                    .write_to(&mut buf)
                    .map_err(buffer("aws_access_key_id"))?;
                let _ = writeln!(out, "  {key}: {id}");
            }
            "aws_secret_access_key" | "aws_session_token" => {
                // Joined into a buffer (a multi-line token is its lines joined with `\n`) and
                // measured; never printed.
                let mut buf = [0u8; SECRET_CAPACITY];
                let secret = value
                    .write_to(&mut buf)
                    .map_err(buffer("a profile's secret or session token"))?;
                let _ = writeln!(out, "  {key}: <{} bytes>", secret.len());
            }
            _ => {}
        }
    }
    Ok(())
}

/// Parses the IMDS document and prints its credentials.
fn imds_document(out: &mut Out) -> Result<(), Failure> {
    let ok = match ImdsCredentials::parse(IMDS_DOCUMENT).map_err(Failure::Document)? {
        ImdsCredentials::Success(ok) => ok,
        ImdsCredentials::Failure { .. } => return Err(Failure::NotSuccess),
    };
    let creds = ok.credentials;
    let _ = writeln!(out, "IMDS role credentials");

    let mut buf = [0u8; NAME_CAPACITY];
    if let Some(code) = ok.code {
        let code = code.decode_into(&mut buf).map_err(buffer("Code"))?;
        let _ = writeln!(out, "  Code: {code}");
    }
    if let Some(kind) = ok.credential_type {
        let kind = kind.decode_into(&mut buf).map_err(buffer("Type"))?;
        let _ = writeln!(out, "  Type: {kind}");
    }
    let id = creds
        .access_key_id
        .decode_into(&mut buf)
        .map_err(buffer("AccessKeyId"))?;
    let _ = writeln!(out, "  AccessKeyId: {id}");

    let mut secret_buf = [0u8; SECRET_CAPACITY];
    let secret = creds
        .secret_access_key
        .decode_into(&mut secret_buf)
        .map_err(buffer("SecretAccessKey"))?;
    let _ = writeln!(out, "  SecretAccessKey: <{} bytes>", secret.len());
    let token = creds
        .token
        .decode_into(&mut secret_buf)
        .map_err(buffer("Token"))?;
    let _ = writeln!(
        out,
        "  Token: <{} bytes unescaped, {} in the document>",
        token.len(),
        creds.token.raw().len()
    );

    let expiration = creds.expiration().map_err(Failure::Expiration)?;
    let mut time_buf = [0u8; RFC3339_LEN];
    let formatted = expiration
        .format_rfc3339(&mut time_buf)
        .map_err(buffer("Expiration"))?;
    let _ = writeln!(
        out,
        "  Expiration: {} = {formatted}",
        expiration.unix_secs()
    );
    Ok(())
}
