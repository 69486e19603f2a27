//! `StsResponse::parse_bytes` and the XML reader under it, on any bytes.
//!
//! Input: the first byte picks the operation (even: `AssumeRole`, odd:
//! `AssumeRoleWithWebIdentity`); the rest is the body.
//!
//! Invariants: no panic; every string returned borrows from the input and decodes without error
//! into exactly `decoded_len()` bytes, the same text `chars()` gives; errors point inside the
//! input; the reader's start and end events pair up by name; a success document re-written with
//! `AssumedRoleDocument` (every value escaped again) reads back to the same values, and the
//! account id is the one the ARN gives.
#![no_main]

use credchain_core::sts::xml::{Event, Reader, XmlStr};
use credchain_core::sts::{AssumedRoleDocument, StsOperation, StsResponse};
use credchain_fuzz::assert_inside;
use libfuzzer_sys::fuzz_target;

fn check(whole: &[u8], s: &XmlStr<'_>, what: &str) -> String {
    assert_inside(whole, s.raw(), what);
    let n = s.decoded_len();
    let mut buf = vec![0u8; n];
    let decoded = s
        .decode_into(&mut buf)
        .expect("decoded_len is enough")
        .to_owned();
    assert_eq!(decoded.len(), n, "{what}: decoded_len");
    let chars: String = s.chars().collect();
    assert_eq!(chars, decoded, "{what}: chars and decode_into disagree");
    assert!(s.eq_str(&decoded), "{what}: eq_str");
    if n > 0 {
        let mut small = vec![0u8; n - 1];
        assert_eq!(
            s.decode_into(&mut small).unwrap_err().needed,
            n,
            "{what}: size needed"
        );
    }
    decoded
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, body)) = data.split_first() else {
        return;
    };
    let op = if sel % 2 == 0 {
        StsOperation::AssumeRole
    } else {
        StsOperation::AssumeRoleWithWebIdentity
    };

    if let Ok(text) = std::str::from_utf8(body) {
        // Structure: ends pair with starts, by name, and texts are valid.
        let mut open: Vec<&str> = Vec::new();
        for ev in Reader::new(text) {
            match ev {
                Ok(Event::Start { name, offset }) => {
                    assert_inside(body, name, "element name");
                    assert!(offset < text.len());
                    open.push(name);
                }
                Ok(Event::End { name, text: t, .. }) => {
                    assert_eq!(open.pop(), Some(name), "end event without its start");
                    if let Some(t) = t {
                        check(body, &t, "element text");
                    }
                }
                Err(e) => {
                    assert!(e.position.offset <= text.len(), "error outside the input");
                    break;
                }
            }
        }
    }

    match StsResponse::parse_bytes(body, op) {
        Err(e) => {
            if let Some(p) = e.position() {
                assert!(
                    p.offset <= body.len(),
                    "error position outside the input: {e}"
                );
            }
            let _ = e.to_string();
        }
        Ok(StsResponse::Error(e)) => {
            for (s, what) in [
                (e.error_type, "Type"),
                (e.code, "Code"),
                (e.message, "Message"),
                (e.request_id, "RequestId"),
            ] {
                if let Some(s) = s {
                    // botocore reads an empty element there as absent, and so does the core.
                    assert!(
                        !check(body, &s, what).is_empty(),
                        "{what}: empty value kept"
                    );
                }
            }
        }
        Ok(StsResponse::AssumedRole(r)) => {
            let c = r.credentials;
            let akid = check(body, &c.access_key_id, "AccessKeyId");
            let secret = check(body, &c.secret_access_key, "SecretAccessKey");
            let token = check(body, &c.session_token, "SessionToken");
            let exp = check(body, &c.expiration, "Expiration");
            let _ = c.expiration();
            let arn = r
                .assumed_role_user
                .and_then(|u| u.arn)
                .map(|a| check(body, &a, "Arn"));
            let role_id = r
                .assumed_role_user
                .and_then(|u| u.assumed_role_id)
                .map(|a| check(body, &a, "AssumedRoleId"));
            let rid = r.request_id.map(|s| check(body, &s, "RequestId"));
            let account = r.account_id().map(|s| check(body, &s, "account id"));
            // The account id is field 5 of the ARN, as Python's split(':', 5) gives it.
            let want_account = arn.as_deref().and_then(|a| {
                let parts: Vec<&str> = a.splitn(6, ':').collect();
                (a.starts_with("arn:") && parts.len() == 6).then(|| parts[4].to_owned())
            });
            assert_eq!(account, want_account, "account id");

            let doc = AssumedRoleDocument {
                access_key_id: &akid,
                secret_access_key: &secret,
                session_token: &token,
                expiration: &exp,
                arn: arn.as_deref().unwrap_or(""),
                assumed_role_id: role_id.as_deref().unwrap_or(""),
                request_id: rid.as_deref().unwrap_or(""),
            };
            let mut buf = vec![0u8; body.len() * 6 + 1024];
            let text = doc.write(op, &mut buf).expect("buffer is big enough");
            let StsResponse::AssumedRole(again) =
                StsResponse::parse(text, op).expect("re-written document reads")
            else {
                panic!("re-written success document read as an error")
            };
            let d = |s: &XmlStr<'_>| s.chars().collect::<String>();
            assert_eq!(d(&again.credentials.access_key_id), akid);
            assert_eq!(d(&again.credentials.secret_access_key), secret);
            assert_eq!(d(&again.credentials.session_token), token);
            assert_eq!(d(&again.credentials.expiration), exp);
            let arn2 = again.assumed_role_user.and_then(|u| u.arn).map(|a| d(&a));
            assert_eq!(arn2.as_deref().unwrap_or(""), arn.as_deref().unwrap_or(""));
            assert_eq!(
                again.account_id().map(|a| d(&a)),
                account,
                "account id after re-writing"
            );
        }
    }
});
