//! Reading a profile file: its text, or precisely why there is none (spec §3.1, §3.7).
//!
//! [`read_profile_file`] gives the whole text as an owned `String`, which the core then parses
//! borrowing (`credchain_core::profile::ProfileFile::parse`). It tells apart:
//!
//! | fact | result | what botocore does with it |
//! |---|---|---|
//! | nothing at the path (`ENOENT`, or the empty path) | `Ok(FileRead::NotFound)` | `ConfigNotFound`: no file, the provider returns None |
//! | a directory, FIFO, device… | [`ReadErrorKind::NotAFile`] | `os.path.isfile` is false: `ConfigNotFound`, no file |
//! | a path through a regular file (`file/x`: `ENOTDIR`), a loop of links, a name too long | [`ReadErrorKind::Io`] | `isfile` is false: `ConfigNotFound`, no file |
//! | no permission to open or read | [`ReadErrorKind::Io`] | `RawConfigParser.read` skips it: an empty file |
//! | bytes that are not UTF-8 | [`ReadErrorKind::InvalidUtf8`] with the byte offset, line and column | `ConfigParseError` |
//! | more than the size limit | [`ReadErrorKind::TooLarge`] | read anyway (botocore has no limit) |
//!
//! The `AWS_CREDENTIAL_FILE` provider opens its file with a plain `open`, so for it every one of
//! these except bad UTF-8 is `ConfigNotFound` *raised*, stopping the chain.
//!
//! credchain is louder than botocore on purpose where botocore hides a mistake (a directory where
//! the config file should be, an unreadable file): the chain in the core decides, from these
//! facts, whether to follow botocore or to report. [`ReadError::botocore_reads_no_file`] says which
//! facts botocore takes for "no file".
//!
//! The bytes read are zeroed when dropped: a credentials file holds secrets.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// The largest file [`read_profile_file`] reads: 16 MiB, far above any real profile file and
/// small enough that a wrong path (a disk image, a log) fails fast.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// What reading a profile file found.
#[derive(Debug)]
pub enum FileRead {
    /// The file's text.
    Found(ProfileText),
    /// Nothing exists at the path (or the path is empty): "nothing here".
    NotFound {
        /// The path looked at.
        path: PathBuf,
    },
}

impl FileRead {
    /// The text, when the file was found.
    pub fn text(&self) -> Option<&ProfileText> {
        match self {
            FileRead::Found(t) => Some(t),
            FileRead::NotFound { .. } => None,
        }
    }
}

/// The owned text of a file and where it came from. The text is zeroed when dropped, and
/// `Debug` shows its length, not its contents.
pub struct ProfileText {
    path: PathBuf,
    text: Zeroizing<String>,
}

impl ProfileText {
    /// A text read elsewhere (tests, an embedded default).
    pub fn new(path: impl Into<PathBuf>, text: String) -> ProfileText {
        ProfileText {
            path: path.into(),
            text: Zeroizing::new(text),
        }
    }

    /// The path the text was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The text, for the core's parser to borrow.
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for ProfileText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProfileText")
            .field("path", &self.path)
            .field("bytes", &self.text.len())
            .finish()
    }
}

/// Why a file could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ReadErrorKind {
    /// The path names something other than a regular file: a directory, a FIFO, a device.
    NotAFile,
    /// The operating system refused: the error kind and, when there is one, the `errno`.
    Io {
        /// The kind of error.
        kind: io::ErrorKind,
        /// The raw OS error number.
        errno: Option<i32>,
    },
    /// The bytes are not UTF-8.
    InvalidUtf8 {
        /// Bytes before the first invalid one.
        offset: usize,
        /// Its line, from 1 (`\n`, `\r\n` and a lone `\r` end a line, as Python reads).
        line: u32,
        /// Its column, from 1, in characters.
        column: u32,
    },
    /// The file holds more than the limit.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
}

/// A file that could not be read: which one, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReadError {
    /// The path.
    pub path: PathBuf,
    /// Why.
    pub kind: ReadErrorKind,
}

impl ReadError {
    fn io(path: &Path, e: &io::Error) -> ReadError {
        ReadError {
            path: path.to_path_buf(),
            kind: ReadErrorKind::Io {
                kind: e.kind(),
                errno: e.raw_os_error(),
            },
        }
    }

    /// Whether botocore's `raw_config_parse` takes this for "no file" (`os.path.isfile` is
    /// false: `ConfigNotFound`), rather than reading an empty file (no permission) or failing
    /// (bad UTF-8). Meaningful for the config, credentials and boto2 files; the
    /// `AWS_CREDENTIAL_FILE` provider fails on all of these.
    pub fn botocore_reads_no_file(&self) -> bool {
        match self.kind {
            ReadErrorKind::NotAFile => true,
            ReadErrorKind::Io { kind, .. } => !matches!(
                kind,
                io::ErrorKind::PermissionDenied | io::ErrorKind::Interrupted
            ),
            ReadErrorKind::InvalidUtf8 { .. } | ReadErrorKind::TooLarge { .. } => false,
        }
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match self.kind {
            ReadErrorKind::NotAFile => {
                write!(f, "cannot read {path}: not a regular file (a directory?)")
            }
            ReadErrorKind::Io {
                errno: Some(code), ..
            } => write!(
                f,
                "cannot read {path}: {}",
                io::Error::from_raw_os_error(code)
            ),
            ReadErrorKind::Io { kind, errno: None } => write!(f, "cannot read {path}: {kind}"),
            ReadErrorKind::InvalidUtf8 {
                offset,
                line,
                column,
            } => write!(
                f,
                "cannot read {path}: not valid UTF-8 at line {line}, column {column} \
                 (byte offset {offset})"
            ),
            ReadErrorKind::TooLarge { limit } => write!(
                f,
                "cannot read {path}: larger than {limit} bytes, more than any profile file needs"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

/// Reads the profile file at `path` (at most [`DEFAULT_MAX_FILE_SIZE`] bytes).
pub fn read_profile_file(path: &Path) -> Result<FileRead, ReadError> {
    read_profile_file_with_limit(path, DEFAULT_MAX_FILE_SIZE)
}

/// Reads the profile file at `path`, refusing one larger than `limit` bytes.
///
/// Like Python, it looks at what the path names first (so a FIFO is refused rather than waited
/// on), then reads the whole file.
pub fn read_profile_file_with_limit(path: &Path, limit: u64) -> Result<FileRead, ReadError> {
    let not_found = || {
        Ok(FileRead::NotFound {
            path: path.to_path_buf(),
        })
    };
    if path.as_os_str().is_empty() {
        return not_found();
    }
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return not_found(),
        Err(e) => return Err(ReadError::io(path, &e)),
    };
    if !meta.is_file() {
        return Err(ReadError {
            path: path.to_path_buf(),
            kind: ReadErrorKind::NotAFile,
        });
    }
    let too_large = ReadError {
        path: path.to_path_buf(),
        kind: ReadErrorKind::TooLarge { limit },
    };
    if meta.len() > limit {
        return Err(too_large);
    }
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        // Removed between the two steps.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return not_found(),
        Err(e) => return Err(ReadError::io(path, &e)),
    };
    let capacity = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Zeroizing::new(Vec::with_capacity(capacity.saturating_add(1)));
    // One byte past the limit tells a file that grew (or a /proc file that reports size 0).
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| ReadError::io(path, &e))?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(too_large);
    }
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(FileRead::Found(ProfileText::new(path, text))),
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let bytes = Zeroizing::new(e.into_bytes());
            let (line, column) = locate(bytes.get(..offset).unwrap_or_default());
            Err(ReadError {
                path: path.to_path_buf(),
                kind: ReadErrorKind::InvalidUtf8 {
                    offset,
                    line,
                    column,
                },
            })
        }
    }
}

/// The line and column (from 1, in characters) just after `valid`, which is UTF-8.
fn locate(valid: &[u8]) -> (u32, u32) {
    let text = std::str::from_utf8(valid).unwrap_or_default();
    let mut line = 1u32;
    let mut column = 1u32;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => {
                line = line.saturating_add(1);
                column = 1;
            }
            _ => column = column.saturating_add(1),
        }
    }
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locate_counts_python_lines() {
        assert_eq!(locate(b""), (1, 1));
        assert_eq!(locate(b"ab"), (1, 3));
        assert_eq!(locate(b"a\nb"), (2, 2));
        assert_eq!(locate(b"a\r\nb"), (2, 2));
        assert_eq!(locate(b"a\rb"), (2, 2));
        assert_eq!(locate("é\n\né".as_bytes()), (3, 2));
    }

    #[test]
    fn empty_path_is_not_found() {
        assert!(matches!(
            read_profile_file(Path::new("")),
            Ok(FileRead::NotFound { .. })
        ));
    }

    #[test]
    fn debug_hides_the_text() {
        let t = ProfileText::new("/x", "aws_secret_access_key = hush".to_owned());
        assert!(!format!("{t:?}").contains("hush"));
    }
}
