//! The environment, as botocore reads it: once, byte for byte, never trimmed (spec §2.1).
//!
//! botocore consults `os.environ` at many points while it builds its resolver and while the
//! providers run. credchain takes one [`EnvSnapshot`] at the start instead, so that every
//! decision of one resolution sees the same environment and a test can hand in any environment
//! it likes ([`EnvSnapshot::from_pairs`]).
//!
//! ## Values that are not UTF-8
//!
//! On Linux an environment value is any byte string. Python decodes it with `surrogateescape`, so
//! botocore sees *some* string and goes on: a path made of those bytes still opens, a profile name
//! made of them can never match a file (files must decode as UTF-8), a key made of them fails
//! later when a request is signed.
//!
//! credchain keeps every value as the bytes it was ([`EnvSnapshot::var_os`]), which is what the
//! path rules use (`HOME`, `PATH`: [`crate::location`], [`crate::process`]). For text it is
//! stricter than botocore, on purpose, because treating an unreadable `AWS_PROFILE` as unset
//! would silently pick another profile:
//!
//! - [`EnvSnapshot::capture`] fails with [`NotUnicode`], naming the variable, when a variable the
//!   credential subsystem reads as text holds bytes that are not UTF-8: any name starting with
//!   `AWS_`, and `BOTO_CONFIG`;
//! - any other variable may hold any bytes: [`EnvSnapshot::var`] answers `None` for it, and
//!   [`EnvSnapshot::var_os`] and child processes get the bytes unchanged.
//!
//! A present but empty variable is `Some("")`: botocore counts it as set (spec §2).

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt;

/// Whether botocore reads `name` as text, so that a value that is not UTF-8 must be an error
/// rather than a silently missing variable.
fn read_as_text(name: &OsStr) -> bool {
    name.to_str()
        .is_some_and(|n| n.starts_with("AWS_") || n == "BOTO_CONFIG")
}

/// An owned copy of a process environment.
///
/// `Debug` lists the names only: values such as `AWS_SECRET_ACCESS_KEY` are secrets.
///
/// ```
/// use credchain_fs::env::EnvSnapshot;
///
/// let env = EnvSnapshot::from_pairs([("AWS_PROFILE", "dev"), ("AWS_REGION", "")]);
/// assert_eq!(env.var("AWS_PROFILE"), Some("dev"));
/// assert_eq!(env.var("AWS_REGION"), Some(""));
/// assert_eq!(env.var("AWS_DEFAULT_PROFILE"), None);
/// assert!(!format!("{env:?}").contains("dev"));
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EnvSnapshot {
    vars: BTreeMap<OsString, OsString>,
}

impl EnvSnapshot {
    /// Copies the environment of this process (`std::env::vars_os`).
    ///
    /// Fails when a variable botocore reads as text (a name starting with `AWS_`, or
    /// `BOTO_CONFIG`) holds bytes that are not UTF-8; see the module documentation.
    pub fn capture() -> Result<EnvSnapshot, NotUnicode> {
        EnvSnapshot::from_os_pairs(std::env::vars_os())
    }

    /// A snapshot holding exactly `pairs` (a later pair with the same name wins, as a later
    /// assignment would). For tests and for callers that build the environment themselves.
    pub fn from_pairs<I, K, V>(pairs: I) -> EnvSnapshot
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        EnvSnapshot {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (OsString::from(k.as_ref()), OsString::from(v.as_ref())))
                .collect(),
        }
    }

    /// A snapshot of byte-string pairs, checked as [`capture`](Self::capture) checks the real
    /// environment.
    pub fn from_os_pairs<I, K, V>(pairs: I) -> Result<EnvSnapshot, NotUnicode>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<OsString>,
        V: Into<OsString>,
    {
        let mut vars = BTreeMap::new();
        for (k, v) in pairs {
            let (k, v) = (k.into(), v.into());
            if v.to_str().is_none() && read_as_text(&k) {
                return Err(NotUnicode {
                    name: k.to_string_lossy().into_owned(),
                });
            }
            vars.insert(k, v);
        }
        Ok(EnvSnapshot { vars })
    }

    /// The value of `name` as text: `None` when it is not set, or (for a variable credchain
    /// does not read as text) when it is not UTF-8. Never trimmed.
    pub fn var(&self, name: &str) -> Option<&str> {
        self.var_os(name).and_then(OsStr::to_str)
    }

    /// The value of `name` as the bytes it holds.
    pub fn var_os(&self, name: impl AsRef<OsStr>) -> Option<&OsStr> {
        self.vars.get(name.as_ref()).map(OsString::as_os_str)
    }

    /// Whether `name` is present, even empty or not UTF-8.
    pub fn contains(&self, name: &str) -> bool {
        self.vars.contains_key(OsStr::new(name))
    }

    /// Sets `name` to `value`, replacing what it held.
    pub fn set(&mut self, name: impl Into<OsString>, value: impl Into<OsString>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Removes `name`.
    pub fn remove(&mut self, name: &str) {
        self.vars.remove(OsStr::new(name));
    }

    /// Every variable, sorted by name, as bytes: what a child process is given.
    pub fn iter(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> + '_ {
        self.vars
            .iter()
            .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    /// The number of variables.
    pub fn len(&self) -> usize {
        self.vars.len()
    }

    /// Whether the snapshot holds no variable.
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

impl fmt::Debug for EnvSnapshot {
    /// The names only; values may be secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnvSnapshot")
            .field("names", &self.vars.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The chain planner reads the snapshot through the core's [`Env`](credchain_core::chain::Env)
/// trait: present-but-empty is `Some("")`, and a variable that is not UTF-8 (possible only for
/// names credchain does not read as text) is `None`, exactly as [`EnvSnapshot::var`] answers.
impl credchain_core::chain::Env for EnvSnapshot {
    fn var(&self, name: &str) -> Option<&str> {
        EnvSnapshot::var(self, name)
    }
}

/// A variable botocore reads as text holds bytes that are not UTF-8.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NotUnicode {
    /// The variable's name (lossily decoded, should it not be UTF-8 either).
    pub name: String,
}

impl fmt::Display for NotUnicode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "environment variable {} is not valid UTF-8; credchain reads it as text and cannot \
             use it (unset it or give it a UTF-8 value)",
            self.name
        )
    }
}

impl std::error::Error for NotUnicode {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    fn bad() -> OsString {
        OsString::from_vec(vec![b'a', 0xff, b'b'])
    }

    #[test]
    fn empty_counts_as_set_and_nothing_is_trimmed() {
        let env = EnvSnapshot::from_pairs([("A", ""), ("B", " x\n")]);
        assert_eq!(env.var("A"), Some(""));
        assert!(env.contains("A"));
        assert_eq!(env.var("B"), Some(" x\n"));
        assert_eq!(env.var("C"), None);
        assert!(!env.contains("C"));
    }

    #[test]
    fn later_pair_wins() {
        let env = EnvSnapshot::from_pairs([("A", "1"), ("A", "2")]);
        assert_eq!(env.var("A"), Some("2"));
        assert_eq!(env.len(), 1);
    }

    #[test]
    fn non_utf8_in_an_aws_variable_is_an_error_naming_it() {
        let err = EnvSnapshot::from_os_pairs([(OsString::from("AWS_PROFILE"), bad())]).unwrap_err();
        assert_eq!(err.name, "AWS_PROFILE");
        assert!(err.to_string().contains("AWS_PROFILE"));
        let err = EnvSnapshot::from_os_pairs([(OsString::from("BOTO_CONFIG"), bad())]).unwrap_err();
        assert_eq!(err.name, "BOTO_CONFIG");
    }

    #[test]
    fn non_utf8_elsewhere_is_kept_as_bytes() {
        let env = EnvSnapshot::from_os_pairs([
            (OsString::from("HOME"), bad()),
            (OsString::from("LS_COLORS"), bad()),
        ])
        .unwrap();
        assert_eq!(env.var("HOME"), None);
        assert!(env.contains("HOME"));
        assert_eq!(env.var_os("HOME"), Some(bad().as_os_str()));
    }

    #[test]
    fn debug_shows_names_not_values() {
        let env = EnvSnapshot::from_pairs([("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI")]);
        let shown = format!("{env:?}");
        assert!(shown.contains("AWS_SECRET_ACCESS_KEY"));
        assert!(!shown.contains("wJalrXUtnFEMI"));
    }

    #[test]
    fn the_chain_reads_the_snapshot_through_its_env_trait() {
        use credchain_core::chain::{Env, ProfileOrigin, select_profile};
        let env = EnvSnapshot::from_pairs([("AWS_DEFAULT_PROFILE", ""), ("AWS_PROFILE", "p")]);
        assert_eq!(Env::var(&env, "AWS_DEFAULT_PROFILE"), Some(""));
        assert_eq!(Env::var(&env, "AWS_REGION"), None);
        let picked = select_profile(None, &env);
        assert_eq!(
            (picked.name, picked.origin),
            ("", ProfileOrigin::AwsDefaultProfile)
        );
    }

    #[test]
    fn capture_sees_this_process() {
        let env = EnvSnapshot::capture().unwrap();
        // Cargo sets this for every test binary it runs.
        assert_eq!(
            env.var("CARGO_PKG_NAME"),
            std::env::var("CARGO_PKG_NAME").ok().as_deref()
        );
    }
}
