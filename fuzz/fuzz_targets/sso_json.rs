//! The SSO documents on any bytes: the token cache file (`SsoToken`), the `GetRoleCredentials`
//! answer (`RoleCredentials`), the `CreateToken` answer, and error answers (`SsoServiceError`).
//!
//! Input: the first byte picks the document (`% 4`: cache, role credentials, create token,
//! error) and, for errors, with the second byte, the status; the rest is the body.
//!
//! Invariants: no panic; every string borrows from the input, decodes consistently and is the
//! string `serde_json` reads for that key (when `serde_json` reads the input as an object);
//! errors point inside the input; a cache file re-written with `RefreshedToken` (both styles)
//! reads back to the same values.
#![no_main]

use credchain_core::document::JsonStr;
use credchain_core::sso::{
    CreateTokenResponse, ExpiresAtStyle, RefreshedToken, RoleCredentials, SsoErrorCode,
    SsoServiceError, SsoToken,
};
use credchain_fuzz::document::{Oracle, check_json_str};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn field<'v>(o: Option<&'v serde_json::Map<String, Value>>, k: &str) -> Option<&'v Value> {
    o.and_then(|o| o.get(k))
}

fn same(data: &[u8], s: &JsonStr<'_>, oracle: Option<&Value>, what: &str) -> String {
    let got = check_json_str(data, s, what);
    if let Some(Value::String(want)) = oracle {
        assert_eq!(&got, want, "{what}: serde_json reads another string");
    }
    got
}

fuzz_target!(|data: &[u8]| {
    let Some((&sel, rest)) = data.split_first() else {
        return;
    };
    match sel % 4 {
        0 => {
            let oracle = Oracle::read(rest);
            let o = oracle.object();
            match SsoToken::parse_bytes(rest) {
                Err(e) => {
                    if let Some(p) = e.position() {
                        assert!(p.offset <= rest.len(), "{e}");
                    }
                }
                Ok(t) => {
                    let access = same(
                        rest,
                        &t.access_token,
                        field(o, "accessToken"),
                        "accessToken",
                    );
                    let _expires = same(rest, &t.expires_at, field(o, "expiresAt"), "expiresAt");
                    let opt =
                        |s: Option<JsonStr<'_>>, k: &str| s.map(|s| same(rest, &s, field(o, k), k));
                    let start = opt(t.start_url, "startUrl");
                    let region = opt(t.region, "region");
                    let cid = opt(t.client_id, "clientId");
                    let cs = opt(t.client_secret, "clientSecret");
                    let reg = opt(t.registration_expires_at, "registrationExpiresAt");
                    let rt = opt(t.refresh_token, "refreshToken");
                    if let Ok(exp) = t.expires_at() {
                        let exp = exp.trunc_secs();
                        for style in [ExpiresAtStyle::Botocore, ExpiresAtStyle::Rfc3339] {
                            let w = RefreshedToken {
                                start_url: start.as_deref().unwrap_or(""),
                                region: region.as_deref().unwrap_or(""),
                                access_token: &access,
                                expires_at: exp,
                                client_id: cid.as_deref().unwrap_or(""),
                                client_secret: cs.as_deref().unwrap_or(""),
                                registration_expires_at: reg.as_deref().unwrap_or(""),
                                refresh_token: rt.as_deref(),
                            };
                            let mut buf = vec![0u8; rest.len() * 8 + 512];
                            let text = w.write_json(style, &mut buf).expect("big enough");
                            let v: Value =
                                serde_json::from_str(text).expect("written JSON is JSON");
                            let back = SsoToken::parse(text).expect("written cache reads");
                            assert_eq!(back.access_token.chars().collect::<String>(), access);
                            assert_eq!(v["accessToken"], Value::String(access.clone()));
                            assert_eq!(back.expires_at().expect("written expiresAt reads"), exp);
                            assert_eq!(
                                back.refresh_token.map(|s| s.chars().collect::<String>()),
                                rt
                            );
                        }
                    }
                }
            }
        }
        1 => {
            let oracle = Oracle::read(rest);
            match RoleCredentials::parse_bytes(rest) {
                Err(e) => {
                    if let Some(p) = e.position() {
                        assert!(p.offset <= rest.len(), "{e}");
                    }
                }
                Ok(c) => {
                    let inner = oracle
                        .object()
                        .and_then(|o| o.get("roleCredentials"))
                        .and_then(Value::as_object);
                    same(
                        rest,
                        &c.access_key_id,
                        field(inner, "accessKeyId"),
                        "accessKeyId",
                    );
                    same(
                        rest,
                        &c.secret_access_key,
                        field(inner, "secretAccessKey"),
                        "secretAccessKey",
                    );
                    same(
                        rest,
                        &c.session_token,
                        field(inner, "sessionToken"),
                        "sessionToken",
                    );
                    if let Some(Value::Number(n)) = field(inner, "expiration") {
                        // serde_json reads `-0` as a float; Python (and the core) as the int 0.
                        assert_eq!(n.as_f64(), Some(c.expiration_millis as f64), "expiration");
                    }
                    if let Some(t) = c.expiration() {
                        assert_eq!(t.unix_secs(), c.expiration_millis.div_euclid(1000));
                    }
                }
            }
        }
        2 => {
            let oracle = Oracle::read(rest);
            match CreateTokenResponse::parse_bytes(rest) {
                Err(e) => {
                    if let Some(p) = e.position() {
                        assert!(p.offset <= rest.len(), "{e}");
                    }
                }
                Ok(r) => {
                    let o = oracle.object();
                    same(
                        rest,
                        &r.access_token,
                        field(o, "accessToken"),
                        "accessToken",
                    );
                    if let Some(t) = r.refresh_token {
                        same(rest, &t, field(o, "refreshToken"), "refreshToken");
                    }
                    if let Some(Value::Number(n)) = field(o, "expiresIn") {
                        assert_eq!(n.as_f64(), Some(r.expires_in as f64), "expiresIn");
                    }
                }
            }
        }
        _ => {
            let Some((&st, body)) = rest.split_first() else {
                return;
            };
            let status = [400u16, 401, 403, 404, 429, 500, 502, 503][usize::from(st % 8)];
            let Ok(text) = std::str::from_utf8(body) else {
                return;
            };
            let header = (st & 0x80 != 0).then_some("UnauthorizedException:http://internal/");
            let e = SsoServiceError::parse(status, header, text);
            if let Some(m) = e.message {
                check_json_str(body, &m, "message");
            }
            match e.code {
                SsoErrorCode::Body(b) => {
                    check_json_str(body, &b, "code");
                }
                SsoErrorCode::Header(h) => assert_eq!(h, "UnauthorizedException"),
                SsoErrorCode::Status(s) => assert_eq!(s, status),
            }
            assert_eq!(e.is_unauthorized(), header.is_some() && !e.generic);
        }
    }
});
