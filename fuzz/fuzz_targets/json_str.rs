//! `JsonStr::new`: the text between a JSON string's quotes.
//!
//! Invariants: accepted exactly when `serde_json` accepts the same text as a quoted string
//! (both refuse lone surrogates, raw control characters, bad escapes and bare quotes), and
//! then decoded to the same text; error positions lie inside the text; every view of the
//! decoded text agrees, and `decode_into` needs exactly `decoded_len()` bytes.
#![no_main]

use credchain_core::document::JsonStr;
use credchain_fuzz::document::check_json_str;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let theirs = serde_json::from_str::<String>(&format!("\"{raw}\""));
    match JsonStr::new(raw) {
        Ok(s) => {
            assert!(
                theirs.is_ok(),
                "accepted {raw:?}, serde_json refuses it: {theirs:?}"
            );
            check_json_str(data, &s, "JSON string");
        }
        Err(e) => {
            assert!(
                theirs.is_err(),
                "refused {raw:?} ({e}), serde_json reads {theirs:?}"
            );
            assert!(e.position.offset <= raw.len(), "{e:?}: offset past the end");
            assert!(
                raw.is_char_boundary(e.position.offset),
                "{e:?}: not at a character"
            );
            assert_eq!(
                credchain_core::document::Position::locate(raw, e.position.offset),
                e.position,
                "line and column are not where the offset is"
            );
            assert!(!e.to_string().is_empty());
        }
    }
});
