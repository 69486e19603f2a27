//! Checks for `credchain_core::time`.

use credchain_core::time::{RFC3339_LEN, RFC3339_NANOS_MAX_LEN, TimeError, Timestamp};

use crate::check_write;

/// Checks a timestamp that was built or parsed: it lies in range, its calendar fields map back
/// to it, and both written forms read back as the same instant (the whole-second form as the
/// instant without its fraction).
pub fn check_timestamp(t: Timestamp) {
    assert!(
        t >= Timestamp::MIN && t <= Timestamp::MAX,
        "{t:?} out of range"
    );
    assert!(t.subsec_nanos() < 1_000_000_000);
    assert_eq!(
        Timestamp::from_unix(t.unix_secs(), t.subsec_nanos()),
        Some(t),
        "from_unix of its own parts"
    );
    let dt = t.to_datetime();
    assert_eq!(
        Timestamp::from_datetime(dt),
        Some(t),
        "from_datetime of {dt:?}"
    );

    let mut buf = [0u8; 64];
    let whole = t
        .format_rfc3339(&mut buf)
        .expect("64 bytes hold any RFC 3339 text")
        .to_owned();
    assert_eq!(whole.len(), RFC3339_LEN, "{whole:?}: length");
    check_write!(&whole, |b| t.format_rfc3339(b));
    assert_eq!(
        Timestamp::parse(&whole),
        Ok(t.trunc_secs()),
        "{whole:?} does not read back"
    );
    if dt.year >= 1 {
        // strptime has no year 0.
        assert_eq!(
            Timestamp::parse_botocore_strict(&whole),
            Ok(t.trunc_secs()),
            "{whole:?} does not read back with the strict reader"
        );
    }

    let full = t
        .format_rfc3339_nanos(&mut buf)
        .expect("64 bytes")
        .to_owned();
    assert!(full.len() <= RFC3339_NANOS_MAX_LEN, "{full:?}: too long");
    check_write!(&full, |b| t.format_rfc3339_nanos(b));
    assert_eq!(
        t.to_string(),
        full,
        "Display differs from format_rfc3339_nanos"
    );
    assert_eq!(
        Timestamp::parse(&full),
        Ok(t),
        "{full:?} does not read back"
    );
    assert_eq!(full.parse::<Timestamp>(), Ok(t), "FromStr");
    if t.subsec_nanos() == 0 {
        assert_eq!(full, whole);
    }
}

/// Checks an error of either reader about `text`.
pub fn check_time_error(text: &str, e: &TimeError) {
    if let Some(offset) = e.offset() {
        assert!(
            offset <= text.len(),
            "{e:?}: offset past the end of {text:?}"
        );
    }
    assert!(!e.to_string().is_empty());
}

/// Both readers on `text`: results are checked, and where both succeed they agree.
pub fn check_text(text: &str) {
    let lenient = Timestamp::parse(text);
    match &lenient {
        Ok(t) => check_timestamp(*t),
        Err(e) => check_time_error(text, e),
    }
    let strict = Timestamp::parse_botocore_strict(text);
    match &strict {
        Ok(t) => {
            check_timestamp(*t);
            assert_eq!(
                t.subsec_nanos(),
                0,
                "strict reader produced a fraction from {text:?}"
            );
            assert!(
                t.to_datetime().year >= 1,
                "strict reader accepted year 0 in {text:?}"
            );
            // The strict reader accepts forms the lenient one does not (one-digit fields, a
            // space before a one-digit day); where both read the text, they read it alike.
            if let Ok(l) = lenient {
                assert_eq!(l, *t, "the readers disagree on {text:?}");
            }
        }
        Err(e) => check_time_error(text, e),
    }
}
