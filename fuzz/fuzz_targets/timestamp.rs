//! `Timestamp`: both readers on arbitrary text, and construction from arbitrary Unix time.
//!
//! The input is read twice: as text (when it is UTF-8) for `Timestamp::parse` and
//! `Timestamp::parse_botocore_strict`, and its first 12 bytes (zero-padded) as a little-endian
//! `i64` of seconds and `u32` of nanoseconds for `Timestamp::from_unix`.
//!
//! Invariants: what a reader accepts lies in range and formats (both formats) and reads back
//! to itself (the whole-second form to itself without its fraction), also through the strict
//! reader from year 1 on; the strict reader yields whole seconds, and where both readers accept
//! a text they agree; error offsets lie inside the text; `from_unix` succeeds exactly for
//! nanoseconds below one second within `MIN..=MAX`, keeps its parts, and its calendar fields
//! map back; second arithmetic agrees with `from_unix`.
#![no_main]

use credchain_core::time::Timestamp;
use credchain_fuzz::time::{check_text, check_timestamp};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        check_text(text);
    }

    let mut raw = [0u8; 20];
    let n = data.len().min(20);
    raw[..n].copy_from_slice(&data[..n]);
    let secs = i64::from_le_bytes(raw[0..8].try_into().unwrap());
    let nanos = u32::from_le_bytes(raw[8..12].try_into().unwrap());
    let delta = i64::from_le_bytes(raw[12..20].try_into().unwrap());
    let (min, max) = (Timestamp::MIN.unix_secs(), Timestamp::MAX.unix_secs());
    let t = Timestamp::from_unix(secs, nanos);
    assert_eq!(
        t.is_some(),
        nanos < 1_000_000_000 && (min..=max).contains(&secs),
        "from_unix({secs}, {nanos})"
    );
    assert_eq!(
        Timestamp::from_unix_secs(secs).is_some(),
        (min..=max).contains(&secs)
    );
    let Some(t) = t else {
        return;
    };
    assert_eq!((t.unix_secs(), t.subsec_nanos()), (secs, nanos));
    check_timestamp(t);

    // Second arithmetic against from_unix.
    let later = secs
        .checked_add(delta)
        .and_then(|s| Timestamp::from_unix(s, nanos));
    assert_eq!(
        t.checked_add_secs(delta),
        later,
        "checked_add_secs({delta})"
    );
    let earlier = secs
        .checked_sub(delta)
        .and_then(|s| Timestamp::from_unix(s, nanos));
    assert_eq!(
        t.checked_sub_secs(delta),
        earlier,
        "checked_sub_secs({delta})"
    );
    let s = t.saturating_add_secs(delta);
    assert!(s >= Timestamp::MIN && s <= Timestamp::MAX);
    if let Some(l) = later {
        assert_eq!(s, l);
    }
    let u = Timestamp::from_unix_secs(delta.clamp(min, max)).unwrap();
    let diff = i128::from(t.unix_secs()) * 1_000_000_000 + i128::from(t.subsec_nanos())
        - i128::from(u.unix_secs()) * 1_000_000_000;
    assert_eq!(t.nanos_since(u), diff, "nanos_since");
    assert_eq!(
        i128::from(t.saturating_sub(u)),
        diff.div_euclid(1_000_000_000),
        "saturating_sub rounds down"
    );
    assert_eq!(t.duration_since(u).is_some(), diff >= 0, "duration_since");
    assert_eq!(t.cmp(&u), diff.cmp(&0), "ordering");
});
