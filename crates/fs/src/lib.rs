//! # credchain-fs
//!
//! The std side of credchain's local sources: what botocore reads from the machine itself
//! before it asks any endpoint. The core (`credchain-core`) decides what files and documents
//! mean; this crate only finds the files, reads their bytes, snapshots the environment, and runs
//! `credential_process` commands — the input/output the sans-IO core never does.
//!
//! | module | what it does | reference |
//! |---|---|---|
//! | [`env`](mod@env) | an owned snapshot of the process environment, and how non-UTF-8 values are handled | spec §2.1 |
//! | [`location`] | where the config, credentials, `AWS_CREDENTIAL_FILE` and boto2 files are, with `$VAR` and `~` expanded as Python expands them | spec §3.1, §3.7 |
//! | [`read`] | reading one of those files: "not found" apart from every other failure, with the path, the OS error or the byte offset of bad UTF-8 | spec §3.1 |
//! | [`shlex`] | splitting a `credential_process` command line as Python's `shlex.split` does | spec §7 |
//! | [`process`] | running `credential_process`: no shell, `PATH` search like Python's `subprocess`, capped output, a deadline, errors that name the profile | spec §7 |
//!
//! "spec §N" refers to the behavioural specification of botocore 1.43.11 the project follows.
//!
//! ## Rules every module keeps
//!
//! - Nothing here decides which credential source applies: the chain in the core does. This
//!   crate reports facts precisely enough (a missing file is not a directory is not an unreadable
//!   file) for the core to make botocore's decision.
//! - Secrets are never printed: `Debug` of a snapshot shows variable names only, `Debug` of a
//!   file's text shows its length, errors about a command carry its standard error but never its
//!   standard output, and buffers that held credentials are zeroed when dropped.
//! - The rules are botocore's on Linux (POSIX paths, `HOME`, `/etc/passwd`); the crate builds on
//!   Unix only.
//!
//! ## Example
//!
//! ```
//! use credchain_fs::env::EnvSnapshot;
//! use credchain_fs::location::{Locations, NoUsers};
//!
//! let env = EnvSnapshot::from_pairs([("HOME", "/home/ann"), ("AWS_CONFIG_FILE", "$HOME/cfg")]);
//! let at = Locations::resolve(&env, &NoUsers);
//! assert_eq!(at.config.path, std::path::Path::new("/home/ann/cfg"));
//! assert_eq!(at.credentials.path, std::path::Path::new("/home/ann/.aws/credentials"));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic,
        clippy::arithmetic_side_effects
    )
)]

#[cfg(not(unix))]
compile_error!("credchain-fs follows botocore's POSIX rules and builds on Unix only");

pub mod env;
pub mod location;
pub mod process;
pub mod read;
pub mod shlex;

pub use env::{EnvSnapshot, NotUnicode};
pub use location::{FileLocation, Locations, NoUsers, Origin, Passwd, SystemUsers, Users};
pub use process::{
    DEFAULT_DEADLINE, ExitStatusInfo, OwnedProcessCredentials, ProcessError, ProcessErrorKind,
    ProcessOptions, StdinMode, run_credential_process,
};
pub use read::{FileRead, ProfileText, ReadError, ReadErrorKind, read_profile_file};
pub use shlex::{SplitError, split as split_command_line};
