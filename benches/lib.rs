//! The workloads credchain's benches time, each written once so that the timing benches
//! (`benches/imds_document.rs`, `benches/profile_file.rs`) and the allocation counter
//! (`benches/allocations.rs`) run exactly the same code, and so that the tests below can prove
//! that every line of a comparison produces the same answer before anyone compares its speed.
//!
//! Two jobs are measured, each beside the crates people would otherwise reach for:
//!
//! - [`imds`]: reading the EC2 instance metadata credentials document (spec §4.7), against
//!   `serde_json` (into owned and into borrowed structs) and `serde-json-core`.
//! - [`profile`]: reading a 50-profile `~/.aws/config` (spec §3), against `rust-ini` and
//!   `configparser` — once visiting every section, key and value (what the peers build: a
//!   map of sections to key/values), once looking up a single profile's `region` (what a
//!   credential resolver does).
//!
//! Every workload returns something derived from all of its output (lengths, counts, a parsed
//! timestamp) so that the optimiser cannot drop work; the benches also pass it through
//! [`std::hint::black_box`].

#![allow(
    clippy::arithmetic_side_effects,
    reason = "byte and entry counts of a 7 KB file cannot overflow usize"
)]

/// A realistic IMDS `iam/security-credentials/<role>` document (1.35 KB, most of it the token).
pub const IMDS_DOCUMENT: &str = include_str!("data/imds-credentials.json");

/// A realistic `~/.aws/config` with 50 profiles and one `sso-session` (~7 KB).
pub const CONFIG_50_PROFILES: &str = include_str!("data/config-50-profiles");

/// The profile the lookup benches read (near the end of the file, so a scan pays for most of it).
pub const LOOKUP_PROFILE: &str = "team42-prod";

/// The same profile as a section header names it (what `rust-ini` and `configparser` look up).
pub const LOOKUP_SECTION: &str = "profile team42-prod";

/// The IMDS credentials document, read five ways.
pub mod imds {
    use std::borrow::Cow;

    use credchain_core::document::{DocumentError, ImdsCredentials};
    use credchain_core::time::Timestamp;
    use serde::Deserialize;

    /// Buffer a decoded session token is written to. IMDS tokens run to about 1.2 KB; STS
    /// documents them as up to a few KB.
    pub const TOKEN_BUFFER: usize = 4096;

    /// credchain: the borrowed, validated view ([`ImdsCredentials::parse`]). Keys, types,
    /// duplicates and `Code` are all checked; string fields stay as raw JSON text.
    pub fn credchain_parse(doc: &str) -> Result<ImdsCredentials<'_>, DocumentError> {
        ImdsCredentials::parse(doc)
    }

    /// What a real caller of credchain does with the document: parse, write the decoded token
    /// into a stack buffer (it may contain JSON escapes), and read the expiration into a
    /// [`Timestamp`]. Returns the expiration and the total length of the three secrets.
    pub fn credchain_full(doc: &str) -> Option<(Timestamp, usize)> {
        let parsed = ImdsCredentials::parse(doc).ok()?;
        let creds = parsed.credentials()?;
        let mut token = [0u8; TOKEN_BUFFER];
        let token = creds.token.decode_into(&mut token).ok()?;
        let expiration = creds.expiration().ok()?;
        let len =
            creds.access_key_id.decoded_len() + creds.secret_access_key.decoded_len() + token.len();
        Some((expiration, len))
    }

    /// The document as most Rust code reads it: `serde_json` into `String`s.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Owned {
        /// `Code`.
        pub code: Option<String>,
        /// `LastUpdated`.
        pub last_updated: Option<String>,
        /// `Type`.
        #[serde(rename = "Type")]
        pub credential_type: Option<String>,
        /// `AccessKeyId`.
        pub access_key_id: String,
        /// `SecretAccessKey`.
        pub secret_access_key: String,
        /// `Token`.
        pub token: String,
        /// `Expiration`.
        pub expiration: String,
    }

    /// A string borrowed from the document when it has no escapes (`Cow::Borrowed`), owned
    /// when it has some.
    ///
    /// A newtype because serde borrows a `Cow<str>` only when the field's type is exactly
    /// `Cow<str>`: an `Option<Cow<str>>` field would always be copied into a `String`.
    #[derive(Debug, Deserialize, PartialEq, Eq)]
    pub struct CowStr<'a>(#[serde(borrow)] pub Cow<'a, str>);

    /// The document borrowed from its text with `serde_json`: every string borrows when it has
    /// no escapes and allocates when it has some, so it reads every valid document.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct BorrowedCow<'a> {
        /// `Code`.
        #[serde(borrow)]
        pub code: Option<CowStr<'a>>,
        /// `LastUpdated`.
        #[serde(borrow)]
        pub last_updated: Option<CowStr<'a>>,
        /// `Type`.
        #[serde(rename = "Type", borrow)]
        pub credential_type: Option<CowStr<'a>>,
        /// `AccessKeyId`.
        #[serde(borrow)]
        pub access_key_id: CowStr<'a>,
        /// `SecretAccessKey`.
        #[serde(borrow)]
        pub secret_access_key: CowStr<'a>,
        /// `Token`.
        #[serde(borrow)]
        pub token: CowStr<'a>,
        /// `Expiration`.
        #[serde(borrow)]
        pub expiration: CowStr<'a>,
    }

    /// The document borrowed as plain `&str`, what `serde_json_core::from_str` gives: without
    /// an unescape buffer it hands back a string's text as written, escapes included (the
    /// caller must know there are none), much as credchain's `JsonStr::raw` does.
    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "PascalCase")]
    pub struct Borrowed<'a> {
        /// `Code`.
        pub code: Option<&'a str>,
        /// `LastUpdated`.
        pub last_updated: Option<&'a str>,
        /// `Type`.
        #[serde(rename = "Type")]
        pub credential_type: Option<&'a str>,
        /// `AccessKeyId`.
        pub access_key_id: &'a str,
        /// `SecretAccessKey`.
        pub secret_access_key: &'a str,
        /// `Token`.
        pub token: &'a str,
        /// `Expiration`.
        pub expiration: &'a str,
    }

    /// `serde_json::from_str` into [`Owned`].
    pub fn serde_json_owned(doc: &str) -> serde_json::Result<Owned> {
        serde_json::from_str(doc)
    }

    /// `serde_json::from_str` into [`BorrowedCow`].
    pub fn serde_json_borrowed(doc: &str) -> serde_json::Result<BorrowedCow<'_>> {
        serde_json::from_str(doc)
    }

    /// `serde_json_core::from_str` into [`Borrowed`].
    pub fn serde_json_core(doc: &str) -> serde_json_core::de::Result<Borrowed<'_>> {
        serde_json_core::from_str(doc).map(|(value, _consumed)| value)
    }
}

/// The 50-profile config file, read four ways.
pub mod profile {
    use std::collections::BTreeMap;

    use credchain_core::profile::{Dialect, FileKind, ProfileFile, Section, Value};

    /// What visiting a whole file saw: enough to keep every byte of output alive, and to check
    /// that two readers saw the same file.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
    pub struct Visit {
        /// Sections (profiles, SSO sessions, services, and the peers' general section when it
        /// is not empty).
        pub sections: usize,
        /// Key/value pairs, over all sections.
        pub properties: usize,
        /// Bytes of keys and values, over all sections (section names are left out: each
        /// reader spells them differently).
        pub bytes: usize,
    }

    /// A whole file as a map: section → key → value. Sections are named as their header
    /// names them (`profile dev`, `sso-session corp`, `default`), so that every reader's map
    /// can be compared.
    pub type Map = BTreeMap<String, BTreeMap<String, String>>;

    fn value_len(value: &Value<'_>) -> usize {
        match value.as_str() {
            Some(s) => s.len(),
            None => value.fragments().map(str::len).sum(),
        }
    }

    fn visit_section(section: &Section<'_>, visit: &mut Visit) {
        visit.sections += 1;
        // The name is part of what a reader produces; touch it so it is not skipped.
        std::hint::black_box(section.name().len());
        for property in section.properties() {
            visit.properties += 1;
            visit.bytes += property.key.len() + value_len(&property.value);
        }
    }

    /// credchain: parse the file in `dialect`, then walk every profile, SSO session and
    /// services section, every property and every value (through [`Value::as_str`], or its
    /// fragments when it spans lines).
    pub fn credchain_visit(text: &str, dialect: Dialect) -> Option<Visit> {
        let file = ProfileFile::parse(text, FileKind::Config, dialect).ok()?;
        let mut visit = Visit::default();
        file.profiles()
            .chain(file.sso_sessions())
            .chain(file.services())
            .for_each(|s| visit_section(&s, &mut visit));
        Some(visit)
    }

    /// credchain: parse, find one profile, read its `region`.
    pub fn credchain_lookup<'a>(text: &'a str, dialect: Dialect, profile: &str) -> Option<&'a str> {
        let file = ProfileFile::parse(text, FileKind::Config, dialect).ok()?;
        file.profile(profile)?.get("region")?.as_str()
    }

    /// `rust-ini` (`Ini::load_from_str`, default options), then every section and property.
    ///
    /// With its default options `rust-ini` does not continue values on indented lines: the
    /// nested `s3 =` block becomes an empty `s3` plus one key per nested line. Its map is
    /// otherwise the same as the others' (the tests check both facts).
    pub fn rust_ini_visit(text: &str) -> Option<Visit> {
        let ini = ini::Ini::load_from_str(text).ok()?;
        let mut visit = Visit::default();
        for (name, props) in ini.iter() {
            if name.is_none() && props.is_empty() {
                continue;
            }
            visit.sections += 1;
            std::hint::black_box(name.map_or(0, str::len));
            for (key, value) in props.iter() {
                visit.properties += 1;
                visit.bytes += key.len() + value.len();
            }
        }
        Some(visit)
    }

    /// `rust-ini`: parse, then `section(Some("profile …"))` and `get("region")`.
    pub fn rust_ini_lookup(text: &str, section: &str) -> Option<String> {
        let ini = ini::Ini::load_from_str(text).ok()?;
        ini.section(Some(section))?.get("region").map(str::to_owned)
    }

    /// `configparser::ini::Ini::new()` with multi-line values on, as Python's `configparser`
    /// (and so botocore) reads them: without it, the nested `s3 =` lines are read as keys.
    fn configparser() -> configparser::ini::Ini {
        let mut ini = configparser::ini::Ini::new();
        ini.set_multiline(true);
        ini
    }

    /// `configparser`: `read(String)` (which takes the text by value, as a file read would
    /// hand it over), then every section, key and value of the map it returns.
    pub fn configparser_visit(text: String) -> Option<Visit> {
        let map = configparser().read(text).ok()?;
        let mut visit = Visit::default();
        for (name, props) in &map {
            visit.sections += 1;
            std::hint::black_box(name.len());
            for (key, value) in props {
                visit.properties += 1;
                visit.bytes += key.len() + value.as_ref().map_or(0, String::len);
            }
        }
        Some(visit)
    }

    /// `configparser`: `read`, then `get("profile …", "region")`.
    pub fn configparser_lookup(text: String, section: &str) -> Option<String> {
        let mut ini = configparser();
        ini.read(text).ok()?;
        ini.get(section, "region")
    }

    /// credchain's reading of the file as a [`Map`].
    pub fn credchain_map(text: &str, dialect: Dialect) -> Option<Map> {
        let file = ProfileFile::parse(text, FileKind::Config, dialect).ok()?;
        let mut map = Map::new();
        let named = |prefix: &str, s: &Section<'_>| {
            let name = s.name().to_string();
            if prefix == "profile" && name == "default" {
                name
            } else {
                format!("{prefix} {name}")
            }
        };
        let sections = file
            .profiles()
            .map(|s| (named("profile", &s), s))
            .chain(file.sso_sessions().map(|s| (named("sso-session", &s), s)))
            .chain(file.services().map(|s| (named("services", &s), s)));
        for (name, section) in sections {
            let props = section
                .properties()
                .map(|p| (p.key.to_string(), p.value.to_string()))
                .collect();
            map.insert(name, props);
        }
        Some(map)
    }

    /// `rust-ini`'s reading of the file as a [`Map`].
    pub fn rust_ini_map(text: &str) -> Option<Map> {
        let ini = ini::Ini::load_from_str(text).ok()?;
        let mut map = Map::new();
        for (name, props) in ini.iter() {
            if name.is_none() && props.is_empty() {
                continue;
            }
            let props = props
                .iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            map.insert(name.unwrap_or_default().to_owned(), props);
        }
        Some(map)
    }

    /// `configparser`'s reading of the file as a [`Map`].
    pub fn configparser_map(text: &str) -> Option<Map> {
        let map = configparser().read(text.to_owned()).ok()?;
        Some(
            map.into_iter()
                .map(|(name, props)| {
                    let props = props
                        .into_iter()
                        .map(|(k, v)| (k, v.unwrap_or_default()))
                        .collect();
                    (name, props)
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    //! Before two lines of a bench are compared, they must be doing the same job: these tests
    //! check that every reader gives the same answer on the bench inputs.

    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use std::borrow::Cow;

    use super::profile::{Map, Visit};
    use super::*;
    use credchain_core::profile::Dialect;

    fn visit_of(map: &Map) -> Visit {
        let mut visit = Visit {
            sections: map.len(),
            ..Visit::default()
        };
        for (k, v) in map.values().flatten() {
            visit.properties += 1;
            visit.bytes += k.len() + v.len();
        }
        visit
    }

    /// A map as rust-ini's default options read it: a value whose first line is empty becomes
    /// empty, and its nested `key = value` lines become keys of the section.
    fn flatten_nested(map: &Map) -> Map {
        let mut out = Map::new();
        for (name, props) in map {
            let section = out.entry(name.clone()).or_default();
            for (k, v) in props {
                match v.strip_prefix('\n') {
                    Some(nested) => {
                        section.insert(k.clone(), String::new());
                        for line in nested.lines() {
                            let (nk, nv) = line.split_once('=').unwrap();
                            section.insert(nk.trim().to_owned(), nv.trim().to_owned());
                        }
                    }
                    None => {
                        section.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_reader_reads_the_config_the_same_way() {
        let botocore = profile::credchain_map(CONFIG_50_PROFILES, Dialect::Botocore).unwrap();
        let sdk = profile::credchain_map(CONFIG_50_PROFILES, Dialect::Sdk).unwrap();
        let configparser = profile::configparser_map(CONFIG_50_PROFILES).unwrap();
        let rust_ini = profile::rust_ini_map(CONFIG_50_PROFILES).unwrap();

        // 50 profiles ([default] and 49 `[profile …]`) and one `[sso-session corp]`.
        assert_eq!(botocore.len(), 51);
        assert_eq!(
            botocore
                .keys()
                .filter(|k| k.starts_with("profile "))
                .count(),
            49
        );
        assert!(botocore.contains_key("default"));
        assert!(botocore.contains_key("sso-session corp"));
        assert_eq!(
            botocore[LOOKUP_SECTION]["region"], "us-east-1",
            "the lookup profile, as the file spells it"
        );
        // Ten profiles carry a nested `s3` block; the lines are joined as configparser joins them.
        let nested: Vec<_> = botocore.values().filter_map(|p| p.get("s3")).collect();
        assert_eq!(nested.len(), 10);
        assert!(
            nested
                .iter()
                .all(|v| *v == "\nmax_concurrent_requests = 20\naddressing_style = path")
        );

        assert_eq!(
            sdk, botocore,
            "credchain: the two dialects agree on this file"
        );
        assert_eq!(
            configparser, botocore,
            "configparser (multi-line on) agrees with credchain"
        );
        assert_ne!(
            rust_ini, botocore,
            "rust-ini's defaults do not continue indented lines"
        );
        assert_eq!(
            rust_ini,
            flatten_nested(&botocore),
            "and that is the only difference"
        );
    }

    #[test]
    fn each_visit_walks_the_whole_map() {
        let text = CONFIG_50_PROFILES;
        let botocore = profile::credchain_map(text, Dialect::Botocore).unwrap();
        let expected = visit_of(&botocore);
        assert_eq!(expected.properties, 186);
        for dialect in [Dialect::Botocore, Dialect::Sdk] {
            assert_eq!(
                profile::credchain_visit(text, dialect),
                Some(expected),
                "{dialect:?}"
            );
        }
        assert_eq!(profile::configparser_visit(text.to_owned()), Some(expected));
        let rust_ini = visit_of(&profile::rust_ini_map(text).unwrap());
        assert_eq!(
            rust_ini.properties,
            186 + 2 * 10,
            "two nested lines in ten profiles"
        );
        assert_eq!(profile::rust_ini_visit(text), Some(rust_ini));
    }

    #[test]
    fn every_lookup_finds_the_same_region() {
        let text = CONFIG_50_PROFILES;
        for dialect in [Dialect::Botocore, Dialect::Sdk] {
            assert_eq!(
                profile::credchain_lookup(text, dialect, LOOKUP_PROFILE),
                Some("us-east-1"),
                "{dialect:?}"
            );
        }
        assert_eq!(
            profile::rust_ini_lookup(text, LOOKUP_SECTION).as_deref(),
            Some("us-east-1")
        );
        assert_eq!(
            profile::configparser_lookup(text.to_owned(), LOOKUP_SECTION).as_deref(),
            Some("us-east-1")
        );
        // A missing profile is not found by anyone.
        assert_eq!(
            profile::credchain_lookup(text, Dialect::Botocore, "team99-none"),
            None
        );
        assert_eq!(profile::rust_ini_lookup(text, "profile team99-none"), None);
    }

    #[test]
    fn every_reader_reads_the_imds_document_the_same_way() {
        let doc = IMDS_DOCUMENT;
        let owned = imds::serde_json_owned(doc).unwrap();
        let cow = imds::serde_json_borrowed(doc).unwrap();
        let core = imds::serde_json_core(doc).unwrap();
        let parsed = imds::credchain_parse(doc).unwrap();
        let creds = parsed.credentials().expect("Code is Success");

        assert_eq!(owned.code.as_deref(), Some("Success"));
        assert_eq!(owned.credential_type.as_deref(), Some("AWS-HMAC"));
        assert!(
            owned.token.len() > 1000,
            "the bench document has a realistic token"
        );
        for (name, value, chain) in [
            ("AccessKeyId", &owned.access_key_id, &creds.access_key_id),
            (
                "SecretAccessKey",
                &owned.secret_access_key,
                &creds.secret_access_key,
            ),
            ("Token", &owned.token, &creds.token),
            ("Expiration", &owned.expiration, &creds.expiration),
        ] {
            assert!(
                chain.eq_str(value),
                "credchain and serde_json differ on {name}"
            );
        }
        assert_eq!(cow.access_key_id.0, owned.access_key_id);
        assert_eq!(cow.secret_access_key.0, owned.secret_access_key);
        assert_eq!(cow.token.0, owned.token);
        assert_eq!(cow.expiration.0, owned.expiration);
        assert_eq!(cow.code.map(|c| c.0).as_deref(), owned.code.as_deref());
        // Nothing was copied: every string points into the document.
        assert!(matches!(cow.token.0, Cow::Borrowed(_)));
        assert!(matches!(cow.last_updated.unwrap().0, Cow::Borrowed(_)));
        assert_eq!(core.access_key_id, owned.access_key_id);
        assert_eq!(core.secret_access_key, owned.secret_access_key);
        assert_eq!(core.token, owned.token);
        assert_eq!(core.expiration, owned.expiration);
        assert_eq!(core.code, owned.code.as_deref());

        let (expiration, secrets) = imds::credchain_full(doc).unwrap();
        // `date -u -d 2026-11-29T08:18:44Z +%s`
        assert_eq!(expiration.unix_secs(), 1_795_940_324);
        assert_eq!(
            secrets,
            owned.access_key_id.len() + owned.secret_access_key.len() + owned.token.len()
        );
    }

    #[test]
    fn credchain_decodes_an_escaped_token_where_serde_json_core_does_not() {
        // The same document with the token's slashes escaped, as some JSON writers do.
        let escaped = IMDS_DOCUMENT.replace('/', "\\/");
        assert_ne!(escaped, IMDS_DOCUMENT);
        let owned = imds::serde_json_owned(&escaped).unwrap();
        let (_, secrets) = imds::credchain_full(&escaped).unwrap();
        assert_eq!(
            secrets,
            owned.access_key_id.len() + owned.secret_access_key.len() + owned.token.len()
        );
        assert_eq!(
            imds::serde_json_borrowed(&escaped).unwrap().token.0,
            owned.token
        );
        let core = imds::serde_json_core(&escaped).unwrap();
        assert_ne!(
            core.token, owned.token,
            "serde-json-core's from_str leaves escapes in"
        );
        assert_eq!(core.token, owned.token.replace('/', "\\/"));
    }
}
