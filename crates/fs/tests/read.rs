//! Reading profile files from a real file system: missing, directory, a path through a
//! regular file, no permission, bad UTF-8, oversized; and which of these botocore takes for
//! "no file" (python3 + botocore; `CREDCHAIN_SKIP_BOTOCORE=1` skips that part).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use credchain_fs::read::{
    DEFAULT_MAX_FILE_SIZE, FileRead, ReadErrorKind, read_profile_file, read_profile_file_with_limit,
};

fn err_kind(path: &Path) -> ReadErrorKind {
    match read_profile_file(path) {
        Err(e) => e.kind,
        Ok(r) => panic!("{} read as {r:?}", path.display()),
    }
}

#[test]
fn found_text_is_exact() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config");
    std::fs::write(&p, "[default]\r\nregion = eu-west-1\n\u{feff}é\n").unwrap();
    match read_profile_file(&p).unwrap() {
        FileRead::Found(t) => {
            assert_eq!(t.text(), "[default]\r\nregion = eu-west-1\n\u{feff}é\n");
            assert_eq!(t.path(), p);
        }
        r => panic!("{r:?}"),
    }
    std::fs::write(&p, "").unwrap();
    assert_eq!(read_profile_file(&p).unwrap().text().unwrap().text(), "");
}

#[test]
fn missing_is_not_found_not_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("nope");
    assert!(matches!(read_profile_file(&p), Ok(FileRead::NotFound { path }) if path == p));
    // A dangling symbolic link is missing too.
    let link = dir.path().join("link");
    std::os::unix::fs::symlink(&p, &link).unwrap();
    assert!(matches!(
        read_profile_file(&link),
        Ok(FileRead::NotFound { .. })
    ));
}

#[test]
fn directory_is_not_a_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(err_kind(dir.path()), ReadErrorKind::NotAFile);
    let e = read_profile_file(dir.path()).unwrap_err();
    assert!(e.to_string().contains(&dir.path().display().to_string()));
    assert!(e.botocore_reads_no_file());
}

#[test]
fn fifo_is_not_a_file_and_is_not_waited_on() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("fifo");
    let made = Command::new("mkfifo").arg(&p).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("skipped: mkfifo is not available");
        return;
    }
    assert_eq!(err_kind(&p), ReadErrorKind::NotAFile);
}

#[test]
fn path_through_a_regular_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let p = file.join("config");
    let e = read_profile_file(&p).unwrap_err();
    assert_eq!(
        e.kind,
        ReadErrorKind::Io {
            kind: io::ErrorKind::NotADirectory,
            errno: Some(20)
        }
    );
    let msg = e.to_string();
    assert!(msg.contains(&p.display().to_string()), "{msg}");
    assert!(msg.contains("Not a directory"), "{msg}");
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().nth(1).map(|u| u == "0"))
        })
        .unwrap_or(false)
}

#[test]
fn permission_denied_names_the_path() {
    use std::os::unix::fs::PermissionsExt;
    if running_as_root() {
        eprintln!("skipped: running as root, whom file permissions do not stop");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("credentials");
    std::fs::write(&p, "[default]\n").unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    let e = read_profile_file(&p).unwrap_err();
    assert!(matches!(
        e.kind,
        ReadErrorKind::Io {
            kind: io::ErrorKind::PermissionDenied,
            ..
        }
    ));
    assert!(!e.botocore_reads_no_file());
}

#[test]
fn read_error_after_open_is_reported() {
    // /proc/self/mem is a regular file that opens but cannot be read at offset 0 (EIO): an
    // honest read failure even for root.
    let p = Path::new("/proc/self/mem");
    match read_profile_file(p) {
        Err(e) => {
            assert!(matches!(e.kind, ReadErrorKind::Io { .. }), "{e:?}");
            assert!(e.to_string().contains("/proc/self/mem"));
        }
        Ok(r) => eprintln!("skipped: /proc/self/mem read as {r:?} here"),
    }
}

#[test]
fn invalid_utf8_has_offset_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config");
    std::fs::write(&p, b"[default]\r\nname = \xc3\xa9\xff rest\n").unwrap();
    let e = read_profile_file(&p).unwrap_err();
    assert_eq!(
        e.kind,
        ReadErrorKind::InvalidUtf8 {
            offset: 20,
            line: 2,
            column: 9
        }
    );
    let msg = e.to_string();
    assert!(
        msg.contains("line 2, column 9") && msg.contains("byte offset 20"),
        "{msg}"
    );
    assert!(!e.botocore_reads_no_file());
}

#[test]
fn oversized_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big");
    // A sparse file one byte over the default limit: refused before anything is read.
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(DEFAULT_MAX_FILE_SIZE + 1).unwrap();
    assert_eq!(
        err_kind(&p),
        ReadErrorKind::TooLarge {
            limit: DEFAULT_MAX_FILE_SIZE
        }
    );
    // Exactly at a limit is fine, one over is not.
    std::fs::write(&p, "0123456789").unwrap();
    assert!(read_profile_file_with_limit(&p, 10).is_ok());
    assert!(matches!(
        read_profile_file_with_limit(&p, 9),
        Err(e) if e.kind == ReadErrorKind::TooLarge { limit: 9 }
    ));
}

const ORACLE: &str = r#"
import json, sys
import botocore.configloader as cl
from botocore.exceptions import ConfigNotFound, ConfigParseError
out = []
for p in json.load(sys.stdin):
    try:
        cl.raw_config_parse(p)
        out.append("read")
    except ConfigNotFound:
        out.append("no file")
    except ConfigParseError:
        out.append("parse error")
print(json.dumps(out))
"#;

#[test]
fn no_file_agrees_with_botocore() {
    if std::env::var_os("CREDCHAIN_SKIP_BOTOCORE").is_some_and(|v| v == "1") {
        eprintln!("skipped: CREDCHAIN_SKIP_BOTOCORE=1");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "[p]\na = 1\n").unwrap();
    let bad = dir.path().join("bad");
    std::fs::write(&bad, b"[p]\na = \xff\n").unwrap();
    let paths: Vec<PathBuf> = vec![
        file.clone(),
        dir.path().join("missing"),
        dir.path().to_path_buf(),
        file.join("x"),
        bad,
        PathBuf::new(),
    ];
    let input = serde_json::to_string(
        &paths
            .iter()
            .map(|p| p.to_str().unwrap())
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let mut child = Command::new("python3")
        .args(["-c", ORACLE])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (set CREDCHAIN_SKIP_BOTOCORE=1 to skip)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "botocore 1.43.11 must be installed");
    let want: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
    let mut failures = Vec::new();
    for (p, want) in paths.iter().zip(&want) {
        let got = match read_profile_file(p) {
            Ok(FileRead::Found(_)) => "read",
            Ok(FileRead::NotFound { .. }) => "no file",
            Err(e) if e.botocore_reads_no_file() => "no file",
            Err(e) if matches!(e.kind, ReadErrorKind::InvalidUtf8 { .. }) => "parse error",
            Err(e) => panic!("{e}"),
        };
        if got != want {
            failures.push(format!("{}: credchain {got}, botocore {want}", p.display()));
        }
    }
    assert_eq!(want.len(), paths.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
