//! Where botocore looks for its files, on Linux (spec §2.1, §3.1, §3.7).
//!
//! | file | where | expansion |
//! |---|---|---|
//! | config | `AWS_CONFIG_FILE` if present, else `~/.aws/config` | `$VAR`, then `~` |
//! | credentials | `AWS_SHARED_CREDENTIALS_FILE` if present, else `~/.aws/credentials` | `$VAR`, then `~` |
//! | EC2 CLI credentials | `AWS_CREDENTIAL_FILE`, only when present (even empty) | `~` only |
//! | boto2 config | `BOTO_CONFIG` alone when present, else `/etc/boto.cfg` then `~/.boto` | `$VAR`, then `~` |
//!
//! botocore hands a path to `configloader.raw_config_parse`, which applies Python's
//! `os.path.expandvars` and then `os.path.expanduser`; the `AWS_CREDENTIAL_FILE` provider calls
//! `expanduser` alone. A variable that is present but empty gives the empty path, which names
//! no file: botocore then reads no file, it does not fall back to the default (spec §2.1).
//!
//! ## `$VAR` ([`expand_vars`])
//!
//! `$name` and `${name}` are replaced by the variable's value, `name` being ASCII letters, digits
//! and `_` (or anything but `}` inside braces). A variable that is not set is left as written,
//! `$` followed by anything else is literal, and a replacement is not expanded again.
//!
//! ## `~` ([`expand_user`])
//!
//! Only a leading `~` is expanded, up to the first `/`:
//!
//! - `~` alone uses `HOME` when it is present (even empty); otherwise the home directory of the
//!   current user in the password database;
//! - `~name` uses the home directory of user `name` in the password database;
//! - an unknown user leaves the path as written;
//! - trailing `/` of the home directory are dropped before the rest is appended, and a result
//!   that would be empty is `/` (so `HOME=/` makes `~/x` into `/x`, and `HOME=""` makes `~` into
//!   `/`).
//!
//! Python asks the C library (`getpwnam`, `getpwuid`), which may consult any NSS source (LDAP,
//! systemd-userdb, …). credchain uses no C library calls: [`SystemUsers`] reads `/etc/passwd`
//! and the real user id from `/proc/self/status`, which covers the `files` source only. A user
//! known to another source only is "unknown" here, and `~user` stays as written. [`Users`] lets
//! a caller supply another database.
//!
//! Paths are handled as bytes (`OsStr`), so a `HOME` that is not UTF-8 works as it does in
//! Python.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use crate::env::EnvSnapshot;

/// The password database, as much as `~` expansion needs of it.
pub trait Users {
    /// The home directory of the user this process runs as (Python's
    /// `pwd.getpwuid(os.getuid()).pw_dir`), used for `~` when `HOME` is not set.
    fn current_user_home(&self) -> Option<OsString>;

    /// The home directory of user `name` (Python's `pwd.getpwnam(name).pw_dir`), used for
    /// `~name`.
    fn home_of(&self, name: &OsStr) -> Option<OsString>;
}

/// A password database that knows nobody: `~` without `HOME` and every `~user` stay as written.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoUsers;

impl Users for NoUsers {
    fn current_user_home(&self) -> Option<OsString> {
        None
    }

    fn home_of(&self, _name: &OsStr) -> Option<OsString> {
        None
    }
}

/// This machine's `/etc/passwd`, and the real user id from `/proc/self/status`, read when
/// asked. See the module documentation for what this covers of Python's lookups.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemUsers;

impl SystemUsers {
    fn passwd() -> Option<Passwd> {
        let text = std::fs::read("/etc/passwd").ok()?;
        let uid = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| real_uid(&s));
        Some(Passwd::new(text, uid))
    }
}

impl Users for SystemUsers {
    fn current_user_home(&self) -> Option<OsString> {
        SystemUsers::passwd()?.current_user_home()
    }

    fn home_of(&self, name: &OsStr) -> Option<OsString> {
        SystemUsers::passwd()?.home_of(name)
    }
}

/// The real user id in the text of `/proc/self/status` (the first number of its `Uid:` line).
fn real_uid(status: &str) -> Option<u32> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// A password database in the `/etc/passwd` format (`name:password:uid:gid:gecos:home:shell`),
/// with the id of the current user. The first matching entry wins, as with `getpwnam`.
#[derive(Clone, PartialEq, Eq)]
pub struct Passwd {
    text: Vec<u8>,
    uid: Option<u32>,
}

impl std::fmt::Debug for Passwd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwd")
            .field("bytes", &self.text.len())
            .field("uid", &self.uid)
            .finish()
    }
}

impl Passwd {
    /// A database with the contents `text` of a passwd file, for a process running as `uid`.
    pub fn new(text: impl Into<Vec<u8>>, uid: Option<u32>) -> Passwd {
        Passwd {
            text: text.into(),
            uid,
        }
    }

    /// `(name, uid, home)` of each well-formed entry. Comments and NIS `+`/`-` lines are not
    /// entries.
    fn entries(&self) -> impl Iterator<Item = (&[u8], Option<u32>, &[u8])> + '_ {
        self.text.split(|&b| b == b'\n').filter_map(|line| {
            if line.is_empty() || matches!(line.first(), Some(b'#' | b'+' | b'-')) {
                return None;
            }
            let mut fields = line.split(|&b| b == b':');
            let name = fields.next()?;
            let _password = fields.next()?;
            let uid = std::str::from_utf8(fields.next()?).ok()?.parse().ok();
            let _gid = fields.next()?;
            let _gecos = fields.next()?;
            let home = fields.next()?;
            Some((name, uid, home))
        })
    }
}

impl Users for Passwd {
    fn current_user_home(&self) -> Option<OsString> {
        let uid = self.uid?;
        self.entries()
            .find(|&(_, u, _)| u == Some(uid))
            .map(|(_, _, home)| OsStr::from_bytes(home).to_os_string())
    }

    fn home_of(&self, name: &OsStr) -> Option<OsString> {
        let name = name.as_bytes();
        self.entries()
            .find(|&(n, _, _)| n == name)
            .map(|(_, _, home)| OsStr::from_bytes(home).to_os_string())
    }
}

/// Python's `os.path.expandvars` on POSIX, with `env` as `os.environ`.
///
/// ```
/// use credchain_fs::env::EnvSnapshot;
/// use credchain_fs::location::expand_vars;
/// use std::ffi::OsStr;
///
/// let env = EnvSnapshot::from_pairs([("D", "/data"), ("E", "")]);
/// assert_eq!(expand_vars(OsStr::new("$D/${D}/$E/$NOPE/${}/$/x"), &env), "/data//data//$NOPE/${}/$/x");
/// ```
pub fn expand_vars(path: &OsStr, env: &EnvSnapshot) -> OsString {
    let mut out: Vec<u8> = Vec::with_capacity(path.len());
    let mut rest = path.as_bytes();
    while let Some(dollar) = rest.iter().position(|&b| b == b'$') {
        let (before, from_dollar) = rest.split_at(dollar);
        out.extend_from_slice(before);
        let after = from_dollar.get(1..).unwrap_or_default();
        // The length of the `$…` reference and the variable name, when one starts here.
        let reference = if after.first() == Some(&b'{') {
            after
                .iter()
                .position(|&b| b == b'}')
                .map(|close| (close.saturating_add(2), after.get(1..close)))
        } else {
            let len = after
                .iter()
                .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_')
                .count();
            (len > 0).then(|| (len.saturating_add(1), after.get(..len)))
        };
        let value = reference.and_then(|(len, name)| {
            let name = OsStr::from_bytes(name?);
            let value = env.var_os(name)?;
            Some((len, value))
        });
        match value {
            Some((len, value)) => {
                out.extend_from_slice(value.as_bytes());
                rest = from_dollar.get(len..).unwrap_or_default();
            }
            None => {
                // Not a reference, or an unknown variable: the `$` stays, and the search
                // goes on after the reference (Python resumes at the end of the match).
                let skip = reference.map_or(1, |(len, _)| len);
                let (kept, tail) = from_dollar.split_at(skip.min(from_dollar.len()));
                out.extend_from_slice(kept);
                rest = tail;
            }
        }
    }
    out.extend_from_slice(rest);
    OsString::from_vec(out)
}

/// Python's `os.path.expanduser` on POSIX, with `env` as `os.environ` and `users` as the
/// password database. See the module documentation for the rules.
///
/// ```
/// use credchain_fs::env::EnvSnapshot;
/// use credchain_fs::location::{expand_user, NoUsers};
/// use std::ffi::OsStr;
///
/// let env = EnvSnapshot::from_pairs([("HOME", "/home/ann/")]);
/// assert_eq!(expand_user(OsStr::new("~/.aws/config"), &env, &NoUsers), "/home/ann/.aws/config");
/// assert_eq!(expand_user(OsStr::new("~bob/x"), &env, &NoUsers), "~bob/x");
/// assert_eq!(expand_user(OsStr::new("a/~"), &env, &NoUsers), "a/~");
/// ```
pub fn expand_user(path: &OsStr, env: &EnvSnapshot, users: &dyn Users) -> OsString {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'~') {
        return path.to_os_string();
    }
    let end = bytes
        .iter()
        .skip(1)
        .position(|&b| b == b'/')
        .map_or(bytes.len(), |p| p.saturating_add(1));
    let (head, tail) = bytes.split_at(end);
    let home = if end == 1 {
        match env.var_os("HOME") {
            Some(home) => Some(home.to_os_string()),
            None => users.current_user_home(),
        }
    } else {
        users.home_of(OsStr::from_bytes(head.get(1..).unwrap_or_default()))
    };
    let Some(home) = home else {
        return path.to_os_string();
    };
    let mut home = home.into_vec();
    while home.last() == Some(&b'/') {
        home.pop();
    }
    home.extend_from_slice(tail);
    if home.is_empty() {
        home.push(b'/');
    }
    OsString::from_vec(home)
}

/// `configloader.raw_config_parse`'s rule: [`expand_vars`], then [`expand_user`].
pub fn expand_path(raw: &OsStr, env: &EnvSnapshot, users: &dyn Users) -> PathBuf {
    PathBuf::from(expand_user(&expand_vars(raw, env), env, users))
}

/// Where a path came from, for `explain` and for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Origin {
    /// The environment variable of that name.
    Env(&'static str),
    /// botocore's default for the file.
    Default,
}

/// A file botocore would read, after expansion.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FileLocation {
    /// The expanded path. Empty when the variable that gives it is present but empty: no file.
    pub path: PathBuf,
    /// Where the path came from.
    pub origin: Origin,
}

impl FileLocation {
    fn new(path: PathBuf, origin: Origin) -> FileLocation {
        FileLocation { path, origin }
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Every file the credential providers of botocore may read, for one environment.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Locations {
    /// The config file (`config-file`, and the merged view: spec §3.6).
    pub config: FileLocation,
    /// The shared credentials file (`shared-credentials-file`, and the merged view).
    pub credentials: FileLocation,
    /// The EC2 CLI credentials file (`ec2-credentials-file`), when `AWS_CREDENTIAL_FILE` is
    /// present. That provider reads it with a plain `open`, so unlike the others a missing file
    /// is an error that stops the chain (spec §3.7).
    pub ec2_credentials: Option<FileLocation>,
    /// The boto2 config files (`boto-config`), in the order they are tried.
    pub boto: Vec<FileLocation>,
}

/// The config file when `AWS_CONFIG_FILE` is not set.
pub const DEFAULT_CONFIG: &str = "~/.aws/config";
/// The credentials file when `AWS_SHARED_CREDENTIALS_FILE` is not set.
pub const DEFAULT_CREDENTIALS: &str = "~/.aws/credentials";
/// The boto2 config files when `BOTO_CONFIG` is not set, in the order they are tried.
pub const DEFAULT_BOTO: [&str; 2] = ["/etc/boto.cfg", "~/.boto"];

impl Locations {
    /// The locations for `env`, with `users` for `~` without `HOME` and `~user`.
    pub fn resolve(env: &EnvSnapshot, users: &dyn Users) -> Locations {
        let ini = |var: &'static str, default: &str| match env.var_os(var) {
            Some(raw) => FileLocation::new(expand_path(raw, env, users), Origin::Env(var)),
            None => FileLocation::new(
                expand_path(OsStr::new(default), env, users),
                Origin::Default,
            ),
        };
        let config = ini("AWS_CONFIG_FILE", DEFAULT_CONFIG);
        let credentials = ini("AWS_SHARED_CREDENTIALS_FILE", DEFAULT_CREDENTIALS);
        let ec2_credentials = env.var_os("AWS_CREDENTIAL_FILE").map(|raw| {
            FileLocation::new(
                PathBuf::from(expand_user(raw, env, users)),
                Origin::Env("AWS_CREDENTIAL_FILE"),
            )
        });
        let boto = match env.var_os("BOTO_CONFIG") {
            Some(raw) => vec![FileLocation::new(
                expand_path(raw, env, users),
                Origin::Env("BOTO_CONFIG"),
            )],
            None => DEFAULT_BOTO
                .iter()
                .map(|d| FileLocation::new(expand_path(OsStr::new(d), env, users), Origin::Default))
                .collect(),
        };
        Locations {
            config,
            credentials,
            ec2_credentials,
            boto,
        }
    }

    /// The locations for `env` on this machine ([`SystemUsers`]).
    pub fn from_env(env: &EnvSnapshot) -> Locations {
        Locations::resolve(env, &SystemUsers)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                          # a comment:x:5:5::/nope:/bin/sh\n\
                          +nis::::::\n\
                          ann:x:1000:1000:Ann:/home/ann/:/bin/sh\n\
                          broken:x\n\
                          ann:x:1001:1001:Other Ann:/home/other:/bin/sh\n\
                          slash:x:7:7::/:/bin/sh\n";

    fn user(path: &str, env: &[(&str, &str)], uid: Option<u32>) -> OsString {
        let env = EnvSnapshot::from_pairs(env.iter().copied());
        expand_user(OsStr::new(path), &env, &Passwd::new(PASSWD, uid))
    }

    #[test]
    fn tilde_uses_home_first() {
        assert_eq!(user("~", &[("HOME", "/h")], Some(0)), "/h");
        assert_eq!(user("~/a", &[("HOME", "/h/")], Some(0)), "/h/a");
        assert_eq!(user("~/a", &[("HOME", "/h//")], None), "/h/a");
        assert_eq!(user("~", &[("HOME", "")], None), "/");
        assert_eq!(user("~/a", &[("HOME", "")], None), "/a");
        assert_eq!(user("~", &[("HOME", "/")], None), "/");
        assert_eq!(user("~//a", &[("HOME", "/h")], None), "/h//a");
        assert_eq!(user("~", &[("HOME", "rel/")], None), "rel");
    }

    #[test]
    fn tilde_without_home_asks_the_database() {
        assert_eq!(user("~/x", &[], Some(1000)), "/home/ann/x");
        assert_eq!(user("~/x", &[], Some(0)), "/root/x");
        assert_eq!(user("~", &[], Some(7)), "/");
        assert_eq!(user("~/x", &[], Some(4242)), "~/x");
        assert_eq!(user("~/x", &[], None), "~/x");
    }

    #[test]
    fn tilde_user() {
        assert_eq!(user("~ann/x", &[("HOME", "/h")], None), "/home/ann/x");
        assert_eq!(user("~root", &[], None), "/root");
        assert_eq!(user("~nobody/x", &[], None), "~nobody/x");
        assert_eq!(user("~broken/x", &[], None), "~broken/x");
        assert_eq!(user("~+nis/x", &[], None), "~+nis/x");
        assert_eq!(user("~slash/x", &[], None), "/x");
    }

    #[test]
    fn only_a_leading_tilde() {
        assert_eq!(user("/a/~", &[("HOME", "/h")], None), "/a/~");
        assert_eq!(user("", &[("HOME", "/h")], None), "");
        assert_eq!(user(" ~", &[("HOME", "/h")], None), " ~");
    }

    #[test]
    fn vars() {
        let env = EnvSnapshot::from_pairs([("A", "1"), ("A_B", "2"), ("a b", "3"), ("X", "$A")]);
        let e = |s: &str| expand_vars(OsStr::new(s), &env);
        assert_eq!(e("$A"), "1");
        assert_eq!(e("$A_B"), "2");
        assert_eq!(e("$A-B"), "1-B");
        assert_eq!(e("${A}B"), "1B");
        assert_eq!(e("${a b}"), "3");
        assert_eq!(e("$X"), "$A");
        assert_eq!(e("${}"), "${}");
        assert_eq!(e("$"), "$");
        assert_eq!(e("$$A"), "$1");
        assert_eq!(e("${A"), "${A");
        assert_eq!(e("$NOPE$A"), "$NOPE1");
        assert_eq!(e("${NOPE}${A}"), "${NOPE}1");
        assert_eq!(e("é$Aé"), "é1é");
    }

    #[test]
    fn real_uid_from_status() {
        assert_eq!(real_uid("Name:\tx\nUid:\t1000\t0\t0\t0\n"), Some(1000));
        assert_eq!(real_uid("Name:\tx\n"), None);
    }

    #[test]
    fn empty_variable_names_no_file() {
        let env = EnvSnapshot::from_pairs([("HOME", "/h"), ("AWS_CONFIG_FILE", "")]);
        let at = Locations::resolve(&env, &NoUsers);
        assert_eq!(at.config.path, PathBuf::new());
        assert_eq!(at.config.origin, Origin::Env("AWS_CONFIG_FILE"));
        assert_eq!(at.credentials.path, Path::new("/h/.aws/credentials"));
        assert_eq!(at.credentials.origin, Origin::Default);
        assert_eq!(at.ec2_credentials, None);
    }

    #[test]
    fn boto_candidates() {
        let env = EnvSnapshot::from_pairs([("HOME", "/h")]);
        let at = Locations::resolve(&env, &NoUsers);
        let paths: Vec<_> = at.boto.iter().map(|l| l.path.clone()).collect();
        assert_eq!(
            paths,
            [PathBuf::from("/etc/boto.cfg"), PathBuf::from("/h/.boto")]
        );
        let env = EnvSnapshot::from_pairs([("HOME", "/h"), ("BOTO_CONFIG", "~/b.cfg")]);
        let at = Locations::resolve(&env, &NoUsers);
        assert_eq!(at.boto.len(), 1);
        assert_eq!(at.boto[0].path, Path::new("/h/b.cfg"));
    }

    #[test]
    fn ec2_credentials_file_gets_tilde_but_not_vars() {
        let env = EnvSnapshot::from_pairs([("HOME", "/h"), ("AWS_CREDENTIAL_FILE", "~/$HOME/c")]);
        let at = Locations::resolve(&env, &NoUsers);
        let ec2 = at.ec2_credentials.unwrap();
        assert_eq!(ec2.path, Path::new("/h/$HOME/c"));
        let env = EnvSnapshot::from_pairs([("HOME", "/h"), ("AWS_CREDENTIAL_FILE", "")]);
        let at = Locations::resolve(&env, &NoUsers);
        assert_eq!(at.ec2_credentials.unwrap().path, PathBuf::new());
    }
}
