//! SSO requests, cache and documents (`credchain_core::sso`), with botocore 1.43.11 as the
//! oracle (`oracle/sts_sso.py`): the token cache file name (`SSOTokenLoader`), the role
//! credentials cache key, the `GetRoleCredentials` request target and bearer header and the
//! `CreateToken` body (botocore's own clients, captured on `before-send`), the documents
//! (botocore's rest-json parser), the refreshed cache file (`JSONFileCache`'s `json.dumps`),
//! and the `expiresAt` forms (`dateutil`). Every SSO answer and cache file of the replayed
//! traffic is read.
//!
//! Set `CREDCHAIN_SKIP_BOTOCORE=1` to skip the oracle comparisons.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    clippy::arithmetic_side_effects
)]

#[global_allocator]
static GLOBAL: credchain_tests::alloc::CountingAllocator =
    credchain_tests::alloc::CountingAllocator;

use credchain_core::document::JsonStr;
use credchain_core::sso::{
    CacheFileName, CreateToken, CreateTokenResponse, ExpiresAtStyle, GetRoleCredentials,
    RefreshedToken, RoleCredentials, SsoErrorCode, SsoServiceError, SsoToken, TokenCacheKey,
    parse_expires_at, role_credentials_cache_key,
};
use credchain_core::time::Timestamp;
use credchain_tests::alloc::no_alloc;
use credchain_tests::oracle::{run_json_oracle, skip_botocore};
use credchain_tests::rng::{Rng, WIDE_PIECES};
use serde_json::{Value as Json, json};

fn run_oracle(cases: &[Json]) -> Vec<Json> {
    run_json_oracle("sts_sso.py", cases)
}

/// A string of common URL pieces and the ones SSO names, tokens and cache JSON stress.
fn gen_text(rng: &mut Rng, max: usize) -> String {
    rng.text(
        &[
            &["\"", "\\"],
            &WIDE_PIECES,
            &[
                "\u{1}",
                "\u{7f}",
                "https://d-123.awsapps.com/start",
                "my-sso",
                "#/",
                "\u{2028}",
            ],
        ],
        max,
    )
}

fn decode(s: &JsonStr<'_>) -> String {
    let mut buf = vec![0u8; s.decoded_len()];
    s.decode_into(&mut buf).unwrap().to_owned()
}

/// Asks botocore about `cases` (unless `CREDCHAIN_SKIP_BOTOCORE=1`) and checks that credchain's
/// answers, `ours`, are the same, case by case; a failure names each case by its JSON.
fn compare_with_botocore(what: &str, cases: &[Json], ours: Vec<Json>) {
    let names = cases.iter().map(Json::to_string).collect();
    compare_named(what, names, cases, ours);
}

/// [`compare_with_botocore`], with the cases named by `names`.
fn compare_named(what: &str, names: Vec<String>, cases: &[Json], ours: Vec<Json>) {
    if skip_botocore() {
        return;
    }
    let want = run_oracle(cases);
    check_all(
        what,
        names
            .into_iter()
            .zip(ours)
            .zip(want)
            .map(|((c, g), w)| (c, g, w))
            .collect(),
    );
}

fn check_all(what: &str, pairs: Vec<(String, Json, Json)>) {
    let failures: Vec<String> = pairs
        .iter()
        .filter(|(_, got, want)| got != want)
        .map(|(case, got, want)| format!("{case}\n  botocore  {want}\n  credchain {got}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{what}: {} of {} differ:\n{}",
        failures.len(),
        pairs.len(),
        failures.join("\n")
    );
    println!("{what}: {} cases agree with botocore", pairs.len());
}

#[test]
fn cache_file_names_and_keys_are_botocores() {
    let mut rng = Rng(0x5353_4f31);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for i in 0..240 {
        let text = gen_text(&mut rng, 12);
        if i % 3 == 0 {
            let (account, role) = (gen_text(&mut rng, 6), gen_text(&mut rng, 6));
            // botocore's fetcher takes an empty session name as none (`if self._sso_session_name`):
            // the chain passes the start URL then, so an empty name is not a case here.
            let session = rng.chance(50) && !text.is_empty();
            let key = if session {
                TokenCacheKey::SessionName(&text)
            } else {
                TokenCacheKey::StartUrl(&text)
            };
            ours.push(json!({"key": no_alloc("role_credentials_cache_key", || role_credentials_cache_key(&account, &role, key)).to_string()}));
            cases.push(json!({"kind": "sso_role_cache_key", "start_url": text, "role_name": role, "account_id": account,
                              "session_name": if session { Some(&text) } else { None }}));
        } else if i % 3 == 1 {
            ours.push(
                json!({"file": CacheFileName::new(TokenCacheKey::StartUrl(&text)).to_string()}),
            );
            cases.push(json!({"kind": "sso_cache_name", "start_url": text, "session_name": null}));
        } else {
            ours.push(json!({"file": no_alloc("CacheFileName::new", || CacheFileName::new(TokenCacheKey::SessionName(&text))).to_string()}));
            cases.push(json!({"kind": "sso_cache_name", "start_url": "https://ignored", "session_name": text}));
        }
    }
    // The names the replayed cases use are the ones their files have.
    // The names of the replayed cases' files: a legacy profile's start URL, an sso-session's
    // name (`dev` in profile-provider/sso_credentials).
    assert_eq!(
        CacheFileName::new(TokenCacheKey::StartUrl("https://ssotest.awsapps.com/start")).as_str(),
        "dace00cba5f8355ec9d274ceb2bcebdfbeed0e12.json"
    );
    assert_eq!(
        CacheFileName::new(TokenCacheKey::SessionName("dev")).as_str(),
        "34c6fceca75e456f25e7e99531e2425c6c1de443.json"
    );
    compare_with_botocore("cache names and keys", &cases, ours);
}

#[test]
fn requests_are_botocores() {
    let mut rng = Rng(0x5353_4f32);
    let regions = [
        "us-east-1",
        "eu-west-1",
        "ap-southeast-2",
        "cn-north-1",
        "us-gov-west-1",
    ];
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for i in 0..240 {
        let region = *rng.pick(&regions);
        let host = format!(
            "{}.{region}.{}",
            if i % 2 == 0 { "portal.sso" } else { "oidc" },
            credchain_core::sts::endpoint::dns_suffix(region)
        );
        if i % 2 == 0 {
            let (role, account, token) = (
                gen_text(&mut rng, 8),
                gen_text(&mut rng, 5),
                gen_text(&mut rng, 10).replace(['\n', '\u{1}', '\u{7f}', '\t', '\u{2028}'], "x"),
            );
            let req = GetRoleCredentials {
                role_name: &role,
                account_id: &account,
                access_token: &token,
            };
            let mut buf = vec![0u8; 2048];
            let target = no_alloc("write_target", || {
                req.write_target("", &mut buf).map(str::len)
            })
            .unwrap();
            let target = String::from_utf8(buf[..target].to_vec()).unwrap();
            let [(name, value), _] = req.headers(&host);
            assert_eq!(name, "x-amz-sso_bearer_token");
            ours.push(json!({"url": format!("https://{host}{target}"), "token": value}));
            cases.push(json!({"kind": "sso_get_role_credentials", "region": region, "role_name": role, "account_id": account, "token": token}));
        } else {
            let (id, secret, refresh) = (
                gen_text(&mut rng, 8),
                gen_text(&mut rng, 8),
                gen_text(&mut rng, 12),
            );
            let req = CreateToken {
                client_id: &id,
                client_secret: &secret,
                refresh_token: &refresh,
            };
            let mut buf = vec![0u8; 4096];
            let body = req.write_body(&mut buf).unwrap().to_owned();
            ours.push(json!({"url": format!("https://{host}/token"), "body": body, "content_type": "application/json"}));
            cases.push(json!({"kind": "sso_create_token", "region": region, "client_id": id, "client_secret": secret, "refresh_token": refresh}));
        }
    }
    compare_with_botocore("GetRoleCredentials and CreateToken requests", &cases, ours);
}

fn our_role_credentials(status: u16, error_type: Option<&str>, body: &str) -> Json {
    if status >= 300 {
        let e = no_alloc("SsoServiceError::parse", || {
            SsoServiceError::parse(status, error_type, body)
        });
        let message = match (e.message, e.raw_body) {
            _ if e.generic => credchain_core::sts::reason_phrase(status)
                .unwrap_or("")
                .to_owned(),
            (Some(m), _) => decode(&m),
            (None, Some(raw)) => raw.to_owned(),
            (None, None) => String::new(),
        };
        let code = match e.code {
            SsoErrorCode::Body(b) => decode(&b),
            other => other.to_string(),
        };
        return json!({"error": {"Code": code, "Message": message}});
    }
    match no_alloc("RoleCredentials::parse", || RoleCredentials::parse(body)) {
        Ok(c) => {
            let mut buf = [0u8; 20];
            json!({
                "accessKeyId": decode(&c.access_key_id),
                "secretAccessKey": decode(&c.secret_access_key),
                "sessionToken": decode(&c.session_token),
                "expiration": c.expiration().unwrap().format_rfc3339(&mut buf).unwrap(),
            })
        }
        Err(e) => json!({"credchain_error": e.to_string()}),
    }
}

/// Every SSO answer in the replayed traffic: (case, status, error type header, body).
fn traffic_answers() -> Vec<(String, u16, Option<String>, String)> {
    let mut out = Vec::new();
    for suite in ["profile-provider", "default-provider-chain"] {
        let dir = credchain_tests::testdata(suite);
        let mut cases: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        cases.sort();
        for case in cases {
            for traffic in [
                case.join("http-traffic.json"),
                case.join("fs").join("http-traffic.json"),
            ] {
                let Ok(text) = std::fs::read_to_string(&traffic) else {
                    continue;
                };
                let doc: Json = serde_json::from_str(&text).unwrap();
                let name = case.file_name().unwrap().to_string_lossy().into_owned();
                let mut conns: std::collections::BTreeMap<
                    u64,
                    (String, u16, Option<String>, String),
                > = Default::default();
                for e in doc["events"].as_array().unwrap() {
                    let entry = conns
                        .entry(e["connection_id"].as_u64().unwrap())
                        .or_default();
                    let a = &e["action"];
                    if let Some(uri) = a["Request"]["request"]["uri"].as_str() {
                        entry.0 = uri.to_owned();
                    }
                    let resp = &a["Response"]["response"]["Ok"];
                    if let Some(status) = resp["status"].as_u64() {
                        entry.1 = status as u16;
                        let headers = resp["headers"].as_object().cloned().unwrap_or_default();
                        entry.2 = headers
                            .iter()
                            .find(|(k, _)| k.eq_ignore_ascii_case("x-amzn-errortype"))
                            .and_then(|(_, v)| v[0].as_str().map(str::to_owned));
                    }
                    if a["Data"]["direction"] == "Response"
                        && let Some(data) = a["Data"]["data"]["Utf8"].as_str()
                    {
                        entry.3.push_str(data);
                    }
                }
                for (_, (uri, status, et, body)) in conns {
                    if uri.contains("/federation/credentials") {
                        out.push((format!("{name} ({})", traffic.display()), status, et, body));
                    }
                }
            }
        }
    }
    out
}

#[test]
fn replayed_sso_answers_and_cache_files_are_read() {
    let answers = traffic_answers();
    assert!(
        answers.len() >= 6,
        "only {} SSO answers in the replayed traffic",
        answers.len()
    );
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for (name, status, et, body) in &answers {
        let got = our_role_credentials(*status, et.as_deref(), body);
        assert!(got.get("credchain_error").is_none(), "{name}: {got}");
        ours.push(got);
        cases.push(
            json!({"kind": "sso_response", "status": status, "error_type": et, "body": body}),
        );
    }
    // Every cache file of the replayed cases reads, and its name is its key's (except the
    // case that is about a file with the wrong name).
    let mut files = 0;
    for suite in ["profile-provider", "default-provider-chain"] {
        for case in std::fs::read_dir(credchain_tests::testdata(suite)).unwrap() {
            let dir = case.unwrap().path().join("fs/home/.aws/sso/cache");
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for f in entries {
                let path = f.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let token = no_alloc("SsoToken::parse_bytes", || SsoToken::parse_bytes(&bytes))
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                token
                    .expires_at()
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                if let Some(url) = token.start_url {
                    let name = path.file_name().unwrap().to_string_lossy().into_owned();
                    if !name.starts_with("differenthash") {
                        let by_url = CacheFileName::new(TokenCacheKey::StartUrl(&decode(&url)));
                        let by_session = CacheFileName::new(TokenCacheKey::SessionName("dev"));
                        assert!(
                            name == by_url.as_str() || name == by_session.as_str(),
                            "{}",
                            path.display()
                        );
                    }
                }
                files += 1;
            }
        }
    }
    assert!(files >= 5, "only {files} cache files");
    let names = answers.iter().map(|a| a.0.clone()).collect();
    compare_named("replayed SSO answers", names, &cases, ours);
}

#[test]
fn generated_answers_are_read_as_botocore_reads_them() {
    let mut rng = Rng(0x5353_4f33);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..300 {
        if rng.chance(70) {
            let s = |rng: &mut Rng| serde_json::to_string(&gen_text(rng, 10)).unwrap();
            let mut members = [
                format!("\"accessKeyId\":{}", s(&mut rng)),
                format!("\"secretAccessKey\":{}", s(&mut rng)),
                format!("\"sessionToken\":{}", s(&mut rng)),
                format!(
                    "\"expiration\":{}",
                    rng.choose(&[
                        1_700_000_000_000i64,
                        1_795_969_632_999,
                        0,
                        999,
                        1_000,
                        253_402_300_799_000
                    ])
                ),
            ];
            for i in (1..members.len()).rev() {
                members.swap(i, rng.below(i + 1));
            }
            let mut body = format!(
                "{{\"roleCredentials\":{{{}}}}}",
                members.join(if rng.chance(50) { "," } else { ", " })
            );
            if rng.chance(20) {
                body = format!("{{\"other\": [1, {{\"x\": null}}], {}", &body[1..]);
            }
            ours.push(our_role_credentials(200, None, &body));
            cases.push(json!({"kind": "sso_response", "status": 200, "body": body}));
        } else {
            let status = rng.choose(&[400u16, 401, 403, 404, 429, 500]);
            let et = match rng.below(3) {
                0 => None,
                1 => Some(
                    "UnauthorizedException:http://internal.amazon.com/coral/com.amazon.switchboard.portal/",
                ),
                _ => Some("ResourceNotFoundException"),
            };
            let body = match rng.below(5) {
                0 => format!(
                    "{{\"message\":{}}}",
                    serde_json::to_string(&gen_text(&mut rng, 8)).unwrap()
                ),
                1 => format!(
                    "{{\"Message\":\"m\",\"__type\":\"com.amazonaws.switchboard.portal#{}\"}}",
                    rng.choose(&["TooManyRequestsException", "InvalidRequestException"])
                ),
                2 => "{\"code\":\"a:b#c\",\"message\":\"x\"}".to_owned(),
                3 => "<html>Bad Gateway</html>".to_owned(),
                _ => String::new(),
            };
            ours.push(our_role_credentials(status, et, &body));
            cases.push(
                json!({"kind": "sso_response", "status": status, "error_type": et, "body": body}),
            );
        }
    }
    for _ in 0..60 {
        let tok = serde_json::to_string(&gen_text(&mut rng, 10)).unwrap();
        let refresh = if rng.chance(50) {
            format!(
                ",\"refreshToken\":{}",
                serde_json::to_string(&gen_text(&mut rng, 6)).unwrap()
            )
        } else {
            String::new()
        };
        let body = format!(
            "{{\"accessToken\":{tok},\"tokenType\":\"Bearer\",\"expiresIn\":{}{refresh}}}",
            rng.choose(&[28800, 3600, 0, 1])
        );
        let r = CreateTokenResponse::parse(&body).unwrap();
        ours.push(json!({
            "accessToken": decode(&r.access_token), "expiresIn": r.expires_in,
            "refreshToken": r.refresh_token.map(|t| decode(&t)), "tokenType": r.token_type.map(|t| decode(&t)),
            "idToken": r.id_token.map(|t| decode(&t)),
        }));
        cases.push(json!({"kind": "create_token_response", "body": body}));
    }
    compare_with_botocore("generated SSO answers", &cases, ours);
}

#[test]
fn refreshed_cache_is_written_as_botocore_writes_it() {
    let mut rng = Rng(0x5353_4f34);
    let mut cases = Vec::new();
    let mut ours = Vec::new();
    for _ in 0..120 {
        let v: Vec<String> = (0..6).map(|_| gen_text(&mut rng, 8)).collect();
        let refresh = rng.chance(60).then(|| gen_text(&mut rng, 8));
        let expires = 1_600_000_000 + rng.below(400_000_000) as i64;
        let t = RefreshedToken {
            start_url: &v[0],
            region: &v[1],
            access_token: &v[2],
            expires_at: Timestamp::from_unix_secs(expires).unwrap(),
            client_id: &v[3],
            client_secret: &v[4],
            registration_expires_at: &v[5],
            refresh_token: refresh.as_deref(),
        };
        let mut buf = vec![0u8; 4096];
        let n = no_alloc("RefreshedToken::write_json", || {
            t.write_json(ExpiresAtStyle::Botocore, &mut buf)
                .map(str::len)
        })
        .unwrap();
        let text = String::from_utf8(buf[..n].to_vec()).unwrap();
        // What is written reads back, in either style.
        let back = SsoToken::parse(&text).unwrap();
        assert_eq!(back.expires_at().unwrap().unix_secs(), expires);
        assert_eq!(decode(&back.access_token), v[2]);
        let rfc = t
            .write_json(ExpiresAtStyle::Rfc3339, &mut buf)
            .unwrap()
            .to_owned();
        assert_eq!(
            SsoToken::parse(&rfc)
                .unwrap()
                .expires_at()
                .unwrap()
                .unix_secs(),
            expires
        );
        ours.push(json!({"json": text}));
        cases.push(json!({"kind": "refreshed_cache", "start_url": v[0], "region": v[1], "access_token": v[2],
            "expires_at": expires, "client_id": v[3], "client_secret": v[4], "registration_expires_at": v[5],
            "refresh_token": refresh}));
    }
    compare_with_botocore("refreshed cache files", &cases, ours);
}

#[test]
fn expires_at_forms_against_dateutil() {
    // (text, whether credchain accepts it). Accepted forms must mean what dateutil says; the
    // refused ones are those dateutil reads without a zone (botocore then fails comparing),
    // fails on, or that no writer of the cache produces.
    let forms: &[(&str, bool)] = &[
        ("2026-11-29T12:00:00Z", true),
        ("2026-11-29T12:00:00UTC", true),
        ("2026-11-29T12:00:00 UTC", true),
        ("2026-11-29T12:00:00GMT", true),
        ("2026-11-29T12:00:00.5Z", true),
        ("2026-11-29T12:00:00+00:00", true),
        ("2026-11-29T14:00:00+02:00", true),
        ("2026-11-29 12:00:00Z", true),
        ("2026-11-29T12:00:00z", true),
        ("2026-11-29T12:00:00", false),
        ("2026-11-29", false),
        ("Nov 29 2026 12:00:00 UTC", false),
        ("garbage", false),
        ("", false),
    ];
    let mut cases = Vec::new();
    for (text, accepted) in forms {
        let got = parse_expires_at(text);
        assert_eq!(got.is_ok(), *accepted, "{text:?}: {got:?}");
        cases.push(json!({"kind": "expires_at", "text": text}));
    }
    if skip_botocore() {
        return;
    }
    let want = run_oracle(&cases);
    for ((text, accepted), want) in forms.iter().zip(&want) {
        if *accepted {
            let t = parse_expires_at(text).unwrap();
            let secs = t.unix_secs() as f64 + f64::from(t.subsec_nanos()) / 1e9;
            assert_eq!(
                want["unix"].as_f64(),
                Some(secs),
                "{text:?}: dateutil says {want}"
            );
        } else {
            // Refused: dateutil either fails, or gives a time without a zone.
            let naive_or_error = want.get("naive").is_some() || want.get("error").is_some();
            let other_form = ["Nov 29 2026 12:00:00 UTC", "2026-11-29"].contains(text);
            assert!(
                naive_or_error || other_form,
                "{text:?}: dateutil reads {want}"
            );
        }
    }
}

#[test]
fn bad_cache_files_are_clear_errors() {
    let cases: &[(&[u8], &str)] = &[
        (b"", "expected a JSON value"),
        (b"{", "expected a key"),
        (b"[]", "not an object"),
        (
            br#"{"expiresAt": "2026-11-29T12:00:00Z"}"#,
            "missing required key 'accessToken'",
        ),
        (
            br#"{"accessToken": "a", "expiresAt": 5}"#,
            "'expiresAt' must be a string",
        ),
        (
            br#"{"accessToken": "a", "accessToken": "b", "expiresAt": "x"}"#,
            "appears more than once",
        ),
        (b"{\"accessToken\": \"\xff\"}", "not valid UTF-8"),
    ];
    for (bytes, msg) in cases {
        let e = SsoToken::parse_bytes(bytes).unwrap_err().to_string();
        assert!(
            e.contains(msg) || (msg == &"not an object" && e.contains("object")),
            "{:?}: {e}",
            String::from_utf8_lossy(bytes)
        );
    }
}
