//! `sigv4::parse_authorization` on arbitrary text, and `verify` with whatever it accepted.
//!
//! Input: the bytes of an `Authorization` header value (read as UTF-8 up to the first invalid
//! byte).
//!
//! Invariants:
//! - **Borrowing.** Every field of a parsed header lies inside the input.
//! - **Shape.** A parsed header has an access key id, region and service that are non-empty
//!   printable ASCII without `/`, `,` or spaces; an 8-digit date; signed headers that are
//!   lower-case HTTP tokens in strictly ascending order; a signature of 64 lower-case hex digits.
//! - **Round trip.** Written back in SigV4's own form, the fields parse again to the same
//!   values.
//! - **Errors** name an offset inside the input.
//! - **verify** on a request carrying the header (with a matching `X-Amz-Date` and `Host`)
//!   never panics and, with an arbitrary signature, answers `SignatureMismatch` unless a signed
//!   header other than `host` and `x-amz-date` is missing from the request.
#![no_main]

use credchain_core::sigv4::{self, Request, VerifyError};
use credchain_fuzz::assert_inside;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = match std::str::from_utf8(data) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&data[..e.valid_up_to()]).unwrap(),
    };
    let auth = match sigv4::parse_authorization(text) {
        Ok(a) => a,
        Err(VerifyError::Malformed { offset, .. }) => {
            assert!(
                offset <= text.len(),
                "offset {offset} outside {} bytes",
                text.len()
            );
            return;
        }
        Err(VerifyError::Missing(_) | VerifyError::Repeated(_)) => return,
        Err(e) => panic!("parse_authorization gave a verifier's error: {e:?}"),
    };
    for (field, what) in [
        (auth.access_key_id, "access key id"),
        (auth.date, "date"),
        (auth.region, "region"),
        (auth.service, "service"),
        (auth.signed_headers, "signed headers"),
        (auth.signature, "signature"),
    ] {
        assert_inside(data, field, what);
    }
    for part in [auth.access_key_id, auth.region, auth.service] {
        assert!(!part.is_empty());
        assert!(
            part.bytes()
                .all(|b| b.is_ascii_graphic() && b != b'/' && b != b',')
        );
    }
    assert!(auth.date.len() == 8 && auth.date.bytes().all(|b| b.is_ascii_digit()));
    assert!(auth.signature.len() == 64);
    assert!(
        auth.signature
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    );
    let names: Vec<&str> = auth.signed_headers.split(';').collect();
    assert!(names.windows(2).all(|w| w[0] < w[1]));
    for n in &names {
        assert!(!n.is_empty());
        assert!(n.bytes().all(|b| {
            (b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
                && !b.is_ascii_uppercase()
        }));
    }

    let again = format!(
        "AWS4-HMAC-SHA256 Credential={}/{}/{}/{}/aws4_request, SignedHeaders={}, Signature={}",
        auth.access_key_id,
        auth.date,
        auth.region,
        auth.service,
        auth.signed_headers,
        auth.signature
    );
    assert_eq!(sigv4::parse_authorization(&again), Ok(auth));

    // A request that carries it: Host, an X-Amz-Date on the scope's date.
    let amz_date = format!("{}T120000Z", auth.date);
    let Ok(_) = sigv4::parse_amz_date(&amz_date) else {
        return;
    };
    let headers = [
        ("Host", "sts.amazonaws.com"),
        ("X-Amz-Date", amz_date.as_str()),
        ("Authorization", text),
    ];
    let request = Request {
        method: "POST",
        path: "/",
        query: "",
        headers: &headers,
        payload: b"Action=GetCallerIdentity",
    };
    let verdict = sigv4::verify(&request, &auth, "secret");
    let missing = names
        .iter()
        .position(|n| !matches!(*n, "host" | "x-amz-date" | "authorization"));
    match (names.contains(&"host"), missing) {
        (false, _) => assert_eq!(verdict, Err(VerifyError::HostNotSigned)),
        (true, Some(index)) => assert_eq!(verdict, Err(VerifyError::SignedHeaderMissing { index })),
        // 2^-256 odds of a real match aside, an arbitrary signature does not verify.
        (true, None) => assert_eq!(verdict, Err(VerifyError::SignatureMismatch)),
    }
});
