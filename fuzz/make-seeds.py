#!/usr/bin/env python3
"""Regenerates the committed seed corpora under fuzz/seeds/<target>/.

    fuzz/make-seeds.py [TESTDATA_DIR]

TESTDATA_DIR is the shared conformance data (profile-parser-tests.json, botocore-cfg/,
default-provider-chain/, ...). Without it, the script looks for `shared/testdata` beside the
checkout (`<repo>/../shared/testdata`).

Inputs that show a defect of the core go to fuzz/regressions/<target>/ instead (see
BUG_PROFILES).

Every seed directory is rebuilt from scratch: seeds come from the test data (profile files,
IMDS / container bodies recorded in http-traffic.json, the IMDS SEP cases, credential_process
outputs, expirations, the cross-SDK refresh scenarios) plus the hand-written cases below.
Identical inputs are written once. Names say where a seed comes from; README.md describes the
input layout of each target.
"""

import base64
import http
import json
import re
import shutil
import struct
import sys
from pathlib import Path

FUZZ = Path(__file__).resolve().parent
SEEDS = FUZZ / "seeds"


def find_testdata() -> Path:
    if len(sys.argv) > 1:
        return Path(sys.argv[1]).resolve()
    candidate = FUZZ.parent.parent / "shared" / "testdata"
    if candidate.is_dir():
        return candidate
    sys.exit(f"usage: {sys.argv[0]} TESTDATA_DIR (no shared/testdata beside the checkout)")


class Corpus:
    """The seeds of one target: name -> bytes, without duplicate contents."""

    def __init__(self, target: str):
        self.target = target
        self.seeds: dict[str, bytes] = {}
        self.contents: set[bytes] = set()

    def add(self, name: str, data: bytes | str) -> None:
        if isinstance(data, str):
            data = data.encode("utf-8")
        if data in self.contents:
            return
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_")[:80] or "seed"
        base, n = name, 2
        while name in self.seeds:
            name, n = f"{base}-{n}", n + 1
        self.seeds[name] = data
        self.contents.add(data)

    def write(self, root: Path = SEEDS) -> None:
        d = root / self.target
        if d.exists():
            shutil.rmtree(d)
        d.mkdir(parents=True)
        for name, data in sorted(self.seeds.items()):
            (d / name).write_bytes(data)


TARGETS = [
    "profile_botocore",
    "profile_sdk",
    "profile_merged",
    "imds_credentials",
    "iam_info",
    "role_listing",
    "container_credentials",
    "container_error",
    "process_output",
    "json_str",
    "timestamp",
    "refresh_machine",
    "http_response",
    "imds_machine",
    "container_machine",
    "sigv4_canonical",
    "sigv4_authorization",
    "sts_xml",
    "sso_json",
]

# ---------------------------------------------------------------------------------------------
# Profile files


def profile_files(td: Path):
    """(name, kind, bytes) for every profile file of the test data; kind is 'config' or
    'credentials'."""
    cases = json.loads((td / "profile-parser-tests.json").read_text())["tests"]
    for i, case in enumerate(cases):
        inp = case["input"]
        if "configFile" in inp:
            yield f"ppt{i:02}-config", "config", inp["configFile"].encode()
        if "credentialsFile" in inp:
            yield f"ppt{i:02}-credentials", "credentials", inp["credentialsFile"].encode()
    for f in sorted((td / "botocore-cfg").iterdir()):
        kind = "credentials" if "credentials" in f.name else "config"
        yield f"botocore-{f.name}", kind, f.read_bytes()
    for suite in ["default-provider-chain", "profile-provider", "default-token-provider-chain"]:
        for case in sorted((td / suite).iterdir()):
            aws = case / "fs" / "home" / ".aws"
            for kind in ["config", "credentials"]:
                f = aws / kind
                if f.is_file():
                    yield f"{suite[:3]}-{case.name}-{kind}", kind, f.read_bytes()


def file_pairs(td: Path):
    """(name, config bytes or None, credentials bytes or None) read together."""
    cases = json.loads((td / "profile-parser-tests.json").read_text())["tests"]
    for i, case in enumerate(cases):
        inp = case["input"]
        c, k = inp.get("configFile"), inp.get("credentialsFile")
        if c is not None and k is not None:
            yield f"ppt{i:02}", c.encode(), k.encode()
    cfg = td / "botocore-cfg"
    yield "botocore-aws_config+aws_credentials", (cfg / "aws_config").read_bytes(), (cfg / "aws_credentials").read_bytes()
    for suite in ["default-provider-chain", "profile-provider", "default-token-provider-chain"]:
        for case in sorted((td / suite).iterdir()):
            aws = case / "fs" / "home" / ".aws"
            c, k = aws / "config", aws / "credentials"
            if c.is_file() or k.is_file():
                yield (
                    f"{suite[:3]}-{case.name}",
                    c.read_bytes() if c.is_file() else None,
                    k.read_bytes() if k.is_file() else None,
                )


HAND_PROFILES = [
    ("config", "inline-comment-and-colon", "[default]\nregion = us-east-1 # primary\nregion_b: eu-west-1 ; x\n"),
    ("config", "quoted-profile-names", "[profile \"my profile\"]\nregion = a\n[profile 'b c']\nx = 1\n[profile a\\ b]\ny=2\n[profilefoo bar]\nz=3\n"),
    ("config", "default-twice", "[default]\na = 1\n[profile default]\na = 2\n"),
    ("config", "DEFAULT-inherited", "[DEFAULT]\nregion = us-west-2\n[profile a]\nx = 1\n[DEFAULT]\nother = 2\n[sso-session s]\nsso_region = x\n"),
    ("config", "nested-block", "[default]\ns3 =\n    addressing_style = path\n    max_concurrent_requests=20\n  = empty key\n"),
    ("config", "continuation-and-blank", "[default]\nvalue = first\n  second\n\n  third\n\n\nafter = x\n"),
    ("config", "universal-newlines", "[default]\r\nregion = a\rother = b\r\n[profile c]\rk=v"),
    ("config", "unicode-keys", "[default]\nREGION = x\n\u0130stanbul = y\n\u212a = kelvin\n\u03a3\u039f\u03a3 = sigma\n"),
    ("config", "python-whitespace", "[default]\n\x1c region = x\x1f\n\u3000k = \u00a0v\u2003\n"),
    ("config", "sso-and-services", "[sso-session dev]\nsso_start_url = https://x\n[services svc]\ns3 =\n  endpoint_url = http://l\n[profile p]\nservices = svc\nsso_session = dev\n"),
    ("config", "bom", "\ufeff[default]\nregion = x\n"),
    ("config", "error-missing-header", "region = x\n[default]\n"),
    ("config", "error-duplicate-option", "[default]\nRegion = a\nregion = b\n"),
    ("config", "error-duplicate-section", "[default]\n[a]\n[default]\n"),
    ("config", "error-bad-nested", "[default]\ns3 =\n  no equals here\n"),
    ("config", "header-quirks", "[a]b]\nk=v\n[ default ]\nk=v\n[   profile foo    ]\nk = v\n[profile  foo]\nk=w\n[profile\tfoo]\nk=x\n"),
    ("config", "sdk-repeated-sections", "[profile a]\nk = 1\n[profile b]\nk = 2\n[profile a]\nk = 3\nj = 4\n"),
    ("credentials", "profile-prefix-in-credentials", "[profile foo]\naws_access_key_id = A\n[foo]\naws_access_key_id = B\n"),
    ("credentials", "many-sections", "".join(f"[p{i}]\nk = {i}\n" for i in range(40))),
    ("config", "many-equivalent-headers",
     "".join(f"[profile {' ' * (i % 5 + 1)}x{chr(9) * (i % 3)}]\nk{i} = {i}\n" for i in range(24))),
]

# Inputs that show a defect of the core (README.md, "Findings"). They go to regressions/<target>/
# rather than seeds/: each takes seconds under the sanitizers while the defect lasts, which would
# use up the smoke run's time before any fuzzing. Replay them with `-runs=0` and time them.
BUG_PROFILES = [
    # More than 2048 sections with one name: the duplicate search overflows its class, splits
    # it 32 times in vain and falls back to comparing every pair (quadratic parse time).
    ("credentials", "bug-dedup-2050-equal-sections", "[a]\n" * 2050, ["profile_botocore", "profile_sdk"]),
    # Every profile lists the [DEFAULT] keys it inherits by rescanning [DEFAULT] from the start
    # for each one (quadratic in the number of [DEFAULT] keys, per profile).
    ("config", "bug-default-keys-quadratic",
     "[DEFAULT]\n" + "".join(f"k{i} = v\n" for i in range(400)) + "".join(f"[profile p{i}]\n" for i in range(10)), ["profile_botocore"]),
]

# ---------------------------------------------------------------------------------------------
# HTTP bodies


def traffic_bodies(td: Path):
    """(case, uri, body) for every response body recorded in an http-traffic.json."""
    for f in sorted(td.glob("**/http-traffic.json")):
        case = f.parent.name
        events = json.loads(f.read_text())["events"]
        uris = {}
        for e in events:
            a = e["action"]
            if "Request" in a:
                uris[e["connection_id"]] = a["Request"]["request"]["uri"]
            elif "Data" in a and a["Data"]["direction"] == "Response":
                data = a["Data"]["data"]
                body = data["Utf8"].encode() if "Utf8" in data else base64.b64decode(data.get("Base64", ""))
                yield case, uris.get(e["connection_id"], ""), body


def sep_bodies(td: Path):
    """(case index, path, body) of the IMDS SEP cases."""
    cases = json.loads((td / "imds-credentials" / "imds-credentials-sep-tests.json").read_text())
    for i, case in enumerate(cases):
        for x in case["expectations"]:
            body = x["response"].get("body")
            if body is None:
                continue
            if isinstance(body, str):
                yield i, x["get"], body.encode()
            else:
                yield i, x["get"], json.dumps(body).encode()
                # As IMDS writes it: two-space indent, " : ".
                yield i, x["get"], json.dumps(body, indent=2, separators=(",", " : ")).encode()


def process_outputs(td: Path):
    """The outputs of the `credential_process = echo ...` commands in the test data."""
    for f in sorted(td.glob("**/.aws/config")):
        for line in f.read_text().splitlines():
            m = re.match(r"\s*credential_process\s*=\s*echo\s+(\S+)\s*\|\s*base64 --decode", line)
            if m:
                yield f.parents[3].name, base64.b64decode(m.group(1))
                continue
            m = re.match(r"\s*credential_process\s*=\s*echo\s+'(.*)'\s*$", line)
            if m:
                yield f.parents[3].name, (m.group(1) + "\n").encode()


IMDS_OK = {
    "Code": "Success",
    "LastUpdated": "2026-11-29T10:02:41Z",
    "Type": "AWS-HMAC",
    "AccessKeyId": "ASIAEXAMPLE",
    "SecretAccessKey": "secret",
    "Token": "token",
    "Expiration": "2026-11-29T16:27:12Z",
}

HAND_IMDS = [
    ("failure-code", '{"Code":"AssumeRoleUnauthorizedAccess","Message":"EC2 cannot assume the role web-role.","LastUpdated":"2026-11-29T10:02:41Z"}'),
    ("failure-with-credentials", json.dumps({**IMDS_OK, "Code": "Throttled"})),
    ("session-token-alias", json.dumps({k: v for k, v in IMDS_OK.items() if k != "Token"} | {"SessionToken": "st"})),
    ("both-tokens", json.dumps({**IMDS_OK, "SessionToken": "other"})),
    ("escaped-token", '{"AccessKeyId":"ASIA","SecretAccessKey":"a\\/b\\u002Bc","Token":"AQoD\\/EJr\\u002B\\ud83d\\ude00\\n","Expiration":"2026-11-29T16:27:12Z"}'),
    ("escaped-expiration", '{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2026\\u002d11-29T16:27:12Z"}'),
    ("account-id-null", json.dumps({**IMDS_OK, "AccountId": None})),
    ("account-id", json.dumps({**IMDS_OK, "AccountId": "123456789012", "Extra": [1, {"a": None}]})),
    ("duplicate-key", '{"AccessKeyId":"A","AccessKeyId":"B","SecretAccessKey":"S","Token":"T","Expiration":"E"}'),
    ("escaped-key", '{"Access\\u004beyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"E"}'),
    ("wrong-type", '{"AccessKeyId":1,"SecretAccessKey":"S","Token":"T","Expiration":"E"}'),
    ("missing-token", '{"AccessKeyId":"A","SecretAccessKey":"S","Expiration":"E"}'),
    ("nan-literal", '{"Code":"Success","X":NaN,"Y":-Infinity,"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2026-11-29T16:27:12.5+01:00"}'),
    ("not-an-object", "[1, 2, 3]"),
    ("empty-object", "{}"),
    ("truncated", '{"AccessKeyId":"A","Secret'),
    ("deep", '{"a":' + "[" * 130 + "]" * 130 + "}"),
    ("html-error", "<html><body>404 - Not Found</body></html>"),
    ("lone-surrogate", '{"AccessKeyId":"\\ud800","SecretAccessKey":"S","Token":"T","Expiration":"E"}'),
    ("invalid-utf8", b'{"AccessKeyId":"\xff"}'.decode("latin-1")),
]

HAND_IAM_INFO = [
    ("success", '{"Code":"Success","LastUpdated":"2026-11-29T10:02:41Z","InstanceProfileArn":"arn:aws:iam::123456789012:instance-profile/web","InstanceProfileId":"AIPAEXAMPLE"}'),
    ("no-code", '{"InstanceProfileArn":"arn:aws-cn:iam::1:instance-profile/a:b","InstanceProfileId":"AIPA"}'),
    ("escaped-arn", '{"InstanceProfileArn":"arn:aws:iam::12\\u00334:instance-profile\\/web","InstanceProfileId":"AIPA"}'),
    ("short-arn", '{"InstanceProfileArn":"arn:aws:iam","InstanceProfileId":"AIPA"}'),
    ("failure", '{"Code":"InternalError","Message":"try later","LastUpdated":"2026-11-29T10:02:41Z"}'),
    ("missing-id", '{"Code":"Success","InstanceProfileArn":"arn:aws:iam::1:instance-profile/x"}'),
]

HAND_ROLE_LISTINGS = [
    ("crlf-two-roles", "web-role\r\nother\n"),
    ("trailing-newline", "my-role\n"),
    ("tabs-inside", "a\tb\r\nc"),
    ("blank-lines", "\n\n\r\nrole\r\r\n\n"),
    ("empty", ""),
    ("only-separators", "\t\r\n"),
    ("unicode", "r\u00f4le-\u2603\n"),
    ("invalid-utf8", b"role\xc3(".decode("latin-1")),
]

CONTAINER_OK = '{"RoleArn":"arn:aws:iam::123456789:role/ecs-task-role","AccessKeyId":"ASIARCORRECT","SecretAccessKey":"secretkeycorrect","Token":"tokencorrect","AccountId":"012345678901","Expiration" : "2009-02-13T23:31:30Z"}'

HAND_CONTAINER = [
    ("ecs", CONTAINER_OK),
    ("session-token", '{"AccessKeyId":"A","SecretAccessKey":"S","SessionToken":"T","Expiration":"2026-11-29T16:27:12Z"}'),
    ("empty-account", '{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"E","AccountId":""}'),
    ("account-number", '{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"E","AccountId":12}'),
    ("error-shape", '{"code":"NoIdInRequest","message":"no id"}'),
    ("expiration-number", '{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":5}'),
]

HAND_CONTAINER_ERRORS = [
    ("lowercase", '{"code":"NoIdInRequest","message":"CredentialsV2Request: No ID in the request"}'),
    ("capitalised", '{"Message":"invalid Authorization token"}'),
    ("both-cases", '{"Code":"X","message":"lower","Message":"upper"}'),
    ("empty", "{}"),
    ("plain-text", "Internal Server Error"),
    ("number", '{"message":1}'),
    ("escaped", '{"code":"A\\u0042","message":"line\\nbreak \\"quoted\\""}'),
]

PROCESS_BASE = {"AccessKeyId": "AKIAX", "SecretAccessKey": "s"}

HAND_PROCESS = [
    ("version-1", json.dumps({"Version": 1, **PROCESS_BASE, "SessionToken": "t", "Expiration": "2026-11-29T16:27:12Z", "AccountId": "123456789012"}) + "\n"),
    ("version-1.0-null-token", '{"Version": 1.0, "AccessKeyId": "AKIAX", "SecretAccessKey": "s", "SessionToken": null}\n'),
    ("version-true", '{"Version": true, "AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": null}'),
    ("version-1e0", '{"Version": 1e0, "AccessKeyId": "A", "SecretAccessKey": "S"}'),
    ("version-10e-1", '{"Version": 10e-1, "AccessKeyId": "A", "SecretAccessKey": "S"}'),
    ("version-string", '{"Version": "1", "AccessKeyId": "A", "SecretAccessKey": "S"}'),
    ("version-2", '{"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "S"}'),
    ("version-float", '{"Version": 1.5e300}'),
    ("version-long-string", '{"Version": "' + "v" * 60 + '"}'),
    ("version-null", '{"Version": null}'),
    ("version-missing", '{"AccessKeyId": "A", "SecretAccessKey": "S"}'),
    ("version-object", '{"Version": {"a": [1, 2]}}'),
    ("version-empty-array", '{"Version": [ ]}'),
    ("missing-secret", '{"Version": 1, "AccessKeyId": "A"}'),
    ("escaped-token", '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S\\/x", "SessionToken": "\\u0041\\ud834\\udd1e\\t", "Expiration": "2026-11-29T16:27:12\\u002e5Z"}'),
    ("account-falsy-0", '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "AccountId": 0}'),
    ("account-falsy-empty", '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "AccountId": ""}'),
    ("account-falsy-false", '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "AccountId": false}'),
    ("account-falsy-object", '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "AccountId": {}}'),
    ("account-truthy-number", '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "AccountId": 12}'),
    ("expiration-naive", '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": "2026-11-29T16:27:12"}'),
    ("expiration-number", '{"Version": 1, "AccessKeyId": "A", "SecretAccessKey": "S", "Expiration": 1}'),
    ("whitespace-around", ' \r\n\t{"Version":1,"AccessKeyId":"A","SecretAccessKey":"S"}\r\n '),
    ("nan-version", '{"Version": NaN}'),
]

HAND_JSON_STRINGS = [
    ("plain", "ASIAEXAMPLE"),
    ("slash", "AQoDYXdz\\/EJr\\u002B"),
    ("all-escapes", '\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u0000 \\u00e9 \\uFFFF'),
    ("surrogate-pair", "\\ud83d\\ude00"),
    ("lone-high", "\\ud800"),
    ("lone-low", "\\udc00x"),
    ("high-then-other", "\\ud800\\u0041"),
    ("bad-escape", "\\x41"),
    ("short-unicode", "\\u12"),
    ("trailing-backslash", "abc\\"),
    ("bare-quote", 'a"b'),
    ("control", "a\tb"),
    ("del-and-unicode", "\x7f\u00e9\u2603\U0001f600"),
]

# ---------------------------------------------------------------------------------------------
# Timestamps

HAND_TIMESTAMPS = [
    "2026-11-29T12:00:00Z",
    "2026-11-29t12:00:00z",
    "2026-11-29 12:00:00Z",
    "2026-11-29T13:30:00.25+01:30",
    "2026-11-29T12:00:00.123456789123Z",
    "2026-11-29T12:00:00+0130",
    "2026-11-29T12:00:00-05",
    "2026-11-29T12:00:00-00:00",
    "2026-11-29T12:00:00",
    "2026-11-29T12:00Z",
    "2026-1-2T3:4:5Z",
    "2026-11- 9T01:02:03Z",
    "2024-02-29T23:59:59Z",
    "2023-02-29T00:00:00Z",
    "2026-12-31T23:59:60Z",
    "0000-01-01T00:00:00Z",
    "0000-01-01T00:00:00+00:01",
    "9999-12-31T23:59:59.999999999Z",
    "9999-12-31T23:59:59-00:01",
    "1970-01-01T00:00:00Z",
    "1969-12-31T23:59:59.5Z",
    "2026-11-29T12:00:00+24:00",
    "Nov 29 2026",
    " 2026-11-29T12:00:00Z",
    "2026-11-29T12:00:00 UTC",
    "",
]


def unix_seed(secs: int, nanos: int, delta: int) -> bytes:
    return struct.pack("<qIq", secs, nanos, delta)


def collect_strings(value, out: list) -> None:
    if isinstance(value, str):
        out.append(value)
    elif isinstance(value, dict):
        for k, v in value.items():
            out.append(k)
            collect_strings(v, out)
    elif isinstance(value, list):
        for v in value:
            collect_strings(v, out)


# ---------------------------------------------------------------------------------------------
# Refresh machine scenarios (see README.md and fuzz_targets/refresh_machine.rs)

EDGES = [
    -(2**63), -(2**63) + 1, -3600, -1, 0, 1, 59, 60, 61, 299, 300, 599, 600, 601, 899, 900, 901,
    1020, 1500, 3600, 1_700_000_000, 253_402_300_799, 2**63 - 2, 2**63 - 1,
]


def num(v: int) -> bytes:
    """A number in the target's tagged form."""
    if v in EDGES:
        return bytes([EDGES.index(v) * 4])
    if -128 <= v <= 127:
        return bytes([1]) + struct.pack("<b", v)
    if -32768 <= v <= 32767:
        return bytes([2]) + struct.pack("<h", v)
    return bytes([3]) + struct.pack("<q", v)


POLICIES = {"botocore": 0, "botocore_exact": 1, "cross_sdk": 2}
OP_POLL, OP_START, OP_SUCCEED, OP_FAIL, OP_INVALIDATE, OP_ADVANCE, OP_SET, OP_ABANDON, OP_EXTEND, OP_GET = range(10)
RESPONSES = {None: 0, "freshCredentials": 0, "staleCredentials": 1, "error": 2, "nonRecoverableError": 3}
CLOCK = {"none": 1000, "valid": 1000, "advisory": 3000, "mandatory": 3550, "expired": 3700}


def refresh_scenario(case: dict, policy: int) -> bytes:
    g = case["given"]
    out = bytearray()
    if "configuredAdvisoryWindowSeconds" in g:
        out += bytes([3]) + num(g["configuredAdvisoryWindowSeconds"])
    else:
        out += bytes([policy])
    state = g["cachedCredentials"]
    out += num(CLOCK[state])
    if state == "none":
        out += bytes([0])
    else:
        # The seed credentials: received at 0, expiring at 3600 (aws-config.md §2.6).
        out += bytes([2]) + num(0) + num(3600)
    jitter = g.get("refreshBackoffSeconds", 300) - 300
    key = g.get("accessKeyId", "AKID-1")
    for s in case["steps"]:
        if s["type"] == "getCredentials":
            out += bytes([OP_GET, RESPONSES[s.get("response")]])
            out += num(s.get("lifetimeSeconds", 3600)) + num(jitter)
        elif s["type"] == "advanceTime":
            out += bytes([OP_ADVANCE]) + num(s["seconds"])
        elif s["type"] == "invalidate":
            out += bytes([OP_INVALIDATE, 0 if s["rejectedAccessKeyId"] == key else 1])
    return bytes(out)


def hand_refresh():
    """The walk-through of RefreshMachine's documentation, and some raw call sequences."""
    doc = bytearray([0]) + num(0) + bytes([2]) + num(0) + num(3600)
    for t in [2700, 2701]:
        doc += bytes([OP_SET]) + num(t) + bytes([OP_POLL])
    doc += bytes([OP_START, OP_SET]) + num(2702) + bytes([OP_POLL, OP_FAIL, 0]) + num(0)
    doc += bytes([OP_SET]) + num(3001) + bytes([OP_POLL, OP_START, OP_FAIL, 0]) + num(0)
    doc += bytes([OP_SET]) + num(3002) + bytes([OP_START, OP_SUCCEED, 0]) + num(6602) + num(0)
    doc += bytes([OP_SET]) + num(3003) + bytes([OP_POLL])
    yield "doc-walkthrough", bytes(doc)

    ext = bytearray([0]) + num(1_700_000_000) + bytes([0])
    for expiry, jitter in [(1_700_001_020, 0), (1_700_001_021, 0), (1_699_999_995, 480), (2**63 - 1, 2**63 - 1)]:
        ext += bytes([OP_EXTEND]) + num(expiry) + num(jitter) + num(300) + num(600)
    ext += bytes([OP_GET, 0]) + num(21600) + num(0)
    yield "botocore-extension", bytes(ext)

    extremes = bytearray([2]) + num(-(2**63)) + bytes([1])
    for op in [OP_GET, OP_INVALIDATE, OP_GET, OP_ADVANCE, OP_GET, OP_START, OP_START, OP_ABANDON]:
        extremes += bytes([op])
        if op == OP_GET:
            extremes += bytes([2]) + num(2**63 - 1) + num(2**63 - 1)
        elif op == OP_INVALIDATE:
            extremes += bytes([0])
        elif op == OP_ADVANCE:
            extremes += num(2**63 - 1)
    yield "cross-sdk-extremes", bytes(extremes)

    exact = bytearray([1]) + num(0) + bytes([2]) + num(0) + num(3600)
    exact += bytes([OP_SET]) + num(2800) + bytes([OP_GET, 4]) + num(0) + num(0)
    exact += bytes([OP_SET]) + num(2800) + bytes([OP_GET, 1]) + num(1) + num(0)
    exact += bytes([OP_SUCCEED, 1]) + num(0) + bytes([OP_POLL])
    yield "botocore-exact-incomplete-and-stale", bytes(exact)


# ---------------------------------------------------------------------------------------------
# HTTP responses (fuzz_targets/http_response.rs): setup byte, size byte, cut count, cut points
# (little-endian u16), then the stream.


def http_seed(stream: bytes, flags: int = 0, size: int = 0, cuts=()) -> bytes:
    return bytes([flags, size, len(cuts)]) + b"".join(struct.pack("<H", c) for c in cuts) + stream


def raw_response(version: str, status: int, headers, body: bytes) -> bytes:
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    head = f"{version} {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
    return head.encode("latin-1") + b"\r\n" + body


def chunked(body: bytes, size: int = 7) -> bytes:
    out = b"".join(
        b"%x\r\n" % len(body[i : i + size]) + body[i : i + size] + b"\r\n" for i in range(0, len(body), size)
    )
    return out + b"0\r\nX-Trailer: t\r\n\r\n"


def traffic_responses(td: Path):
    """(case, uri, status, headers, body) of every IMDS / container response recorded in an
    http-traffic.json."""
    for f in sorted(td.glob("**/http-traffic.json")):
        events = json.loads(f.read_text())["events"]
        uris, heads, bodies = {}, {}, {}
        for e in events:
            cid, a = e["connection_id"], e["action"]
            if "Request" in a:
                uris[cid] = a["Request"]["request"]["uri"]
            elif "Response" in a and "Ok" in a["Response"]["response"]:
                heads[cid] = a["Response"]["response"]["Ok"]
            elif "Data" in a and a["Data"]["direction"] == "Response":
                data = a["Data"]["data"]
                body = data["Utf8"].encode() if "Utf8" in data else base64.b64decode(data.get("Base64", ""))
                bodies[cid] = bodies.get(cid, b"") + body
        for cid, head in sorted(heads.items()):
            uri = uris.get(cid, "")
            if "169.254.169.254" in uri or "169.254.170." in uri:
                headers = [(k, v) for k, vs in head.get("headers", {}).items() for v in vs]
                yield f.parent.name, uri, head["status"], headers, bodies.get(cid, b"")


HAND_HTTP = [
    # (name, setup byte, size byte, cuts, stream)
    ("token-ttl", 0x04, 0, [17, 18], b"HTTP/1.1 200 OK\r\nx-aws-ec2-metadata-token-ttl-seconds: 21600\r\nContent-Length: 20\r\n\r\nAQAEAFakeToken-xyz=="),
    ("put-404", 0x01, 0, [], b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    ("chunked-ext-trailer", 0, 0, [30, 31, 50], b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\nA\r\n0123456789\r\n0\r\nT: v\r\n\r\nnext"),
    ("chunked-bare-lf", 0, 0, [], b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n4\nrole\n0\n\n"),
    ("until-close-http10", 0, 0, [9], b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nweb-role\n"),
    ("interim-100-103", 0, 0, [5, 40], b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
    ("head-with-length", 0x02, 0, [], b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n"),
    ("no-content", 0, 0, [], b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\nabc"),
    ("small-caps", 0x10, 0, [7], b"HTTP/1.1 404 Not Found\nContent-Length: 9\n\nnot found"),
    ("small-buffer", 0x20, 40, [], b"HTTP/1.1 200 OK\r\nContent-Length: 64\r\n\r\n" + b"x" * 64),
    ("scaled-caps", 0x30, 60, [20], b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\nContent-Length: 4\r\n\r\nbody"),
    ("error-both-framings", 0, 0, [], b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    ("error-duplicate-length", 0, 0, [], b"HTTP/1.1 200 OK\r\nContent-Length: 3, 3\r\n\r\nabc"),
    ("error-te-gzip", 0, 0, [], b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"),
    ("error-te-http10", 0, 0, [], b"HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
    ("error-folding", 0, 0, [], b"HTTP/1.1 200 OK\r\nA: 1\r\n  continued\r\n\r\n"),
    ("error-bare-cr", 0, 0, [], b"HTTP/1.1 200 OK\rContent-Length: 0\r\n\r\n"),
    ("error-101", 0, 0, [], b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n"),
    ("error-chunk-overflow", 0, 0, [], b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000000000\r\n"),
    ("error-truncated-body", 0, 0, [], b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"),
    ("error-empty", 0, 0, [], b""),
    ("error-version", 0, 0, [], b"HTTP/2 200\r\n\r\n"),
]

# ---------------------------------------------------------------------------------------------
# The IMDS machine (fuzz_targets/imds_machine.rs): configuration bytes, then events.

IMDS_CREDCHAIN = 0b00111100  # every improvement, botocore's static stability
IMDS_STATUS = {200: 0, 401: 1, 400: 2, 403: 3, 404: 4, 405: 5, 500: 6, 503: 7, 301: 8}


def arbitrary(body: bytes) -> bytes:
    """A body selector for arbitrary bytes of the input (imds_machine)."""
    if len(body) < 63:
        return bytes([len(body) * 4 + 2]) + body
    return bytes([63 * 4 + 2]) + struct.pack("<H", len(body)) + body


def imds(events, flags=IMDS_CREDCHAIN, attempts=1, timeout=0, endpoint=0, op=0) -> bytes:
    return bytes([flags, attempts, timeout, endpoint, op]) + b"".join(events)


def ok(i=0, ttl=None) -> bytes:
    """Event 0: `200` with the stage's document `i`; TTL none or `TTLS[ttl]`."""
    return bytes([0, i * 4, 0 if ttl is None else 1 + 4 * ttl])


def status(code: int, body=b"") -> bytes:
    """Event 1: a status of `STATUSES`, arbitrary body, no TTL."""
    return bytes([1, IMDS_STATUS[code]]) + arbitrary(body) + bytes([0])


def raw_status(code: int, body: bytes) -> bytes:
    """Event 2: any status, arbitrary body."""
    return bytes([2]) + struct.pack("<H", code) + arbitrary(body)


TRANSPORT = {"connect": 0, "connect-timeout": 1, "read-timeout": 2, "closed": 3, "other": 4}
TIMEOUT = bytes([4])


def transport(kind: str) -> bytes:
    return bytes([3, TRANSPORT[kind]])


def advance_secs(n: int) -> bytes:
    return bytes([5, 1]) + struct.pack("<H", n)


HAND_IMDS_SCRIPTS = [
    ("role-then-reuse", imds([ok(0, ttl=1), ok(0), ok(0), b"\x00", ok(0), ok(0)])),
    ("token-404-v1", imds([status(404), ok(0), ok(0)])),
    ("token-403-405", imds([status(403), ok(0), ok(0), b"\x00", status(405), ok(1), ok(1)])),
    ("token-400", imds([status(400)])),
    ("token-500-retried", imds([status(500), status(500), status(500), ok(0), ok(0)], attempts=3)),
    ("token-read-timeout", imds([TIMEOUT, ok(0), ok(0)])),
    ("token-connect-errors", imds([transport("connect"), transport("closed"), ok(0), ok(0)], attempts=2)),
    ("v1-disabled-404", imds([status(404)], flags=IMDS_CREDCHAIN | 1)),
    ("v1-disabled-empty-token", imds([ok(1), ok(0)], flags=IMDS_CREDCHAIN | 1)),
    ("disabled", imds([ok(0)], flags=IMDS_CREDCHAIN | 2)),
    ("renew-on-401", imds([ok(0), status(401), ok(4), ok(0), status(401), ok(0)], attempts=2)),
    ("failure-code", imds([ok(0), ok(0), ok(2)])),
    ("botocore-failure-code-with-credentials", imds([ok(0), ok(0), ok(3)], flags=0)),
    ("botocore-401-not-renewed", imds([ok(0), status(401), status(401)], flags=0, attempts=2)),
    ("session-token", imds([ok(0), ok(0), ok(1)])),
    ("bad-json-retried", imds([ok(0), ok(0), ok(6), ok(0)], attempts=2)),
    ("get-read-timeouts", imds([ok(0), TIMEOUT, TIMEOUT, ok(0), ok(0)], attempts=3)),
    ("transport-other", imds([ok(0), transport("other")])),
    ("iam-info", imds([ok(0), ok(0)], op=1)),
    ("iam-info-failure", imds([ok(0), ok(1)], op=1)),
    ("identity-credentials", imds([ok(0), ok(0)], op=2)),
    ("small-buffers", imds([bytes([9, 10]), ok(0), bytes([9, 3]), ok(0), bytes([9, 60]), ok(0)])),
    ("ttl-600-expires", imds([ok(0, ttl=1), ok(0), ok(0), b"\x00", advance_secs(481), ok(0), ok(0), b"\x00"])),
    ("forget-token", imds([ok(0, ttl=0), ok(0), ok(0), b"\x00", bytes([8]), ok(0), ok(0)])),
    ("stray-replies", imds([bytes([7, 0]), ok(0), bytes([7, 1]), ok(0), bytes([7, 5]), ok(0)])),
    ("abandon-and-restart", imds([ok(0), bytes([6, 1]), ok(0), ok(0)])),
    ("custom-endpoint-user-agent", imds([ok(0), ok(0), ok(0)], endpoint=3 | 8)),
    ("ipv6", imds([status(404), ok(0), ok(0)], endpoint=1)),
    ("unusable-endpoint", imds([ok(0)], endpoint=4)),
    ("bad-port", imds([ok(0)], endpoint=5)),
    ("zero-timeout", imds([ok(0)], timeout=2)),
    ("huge-timeout", imds([TIMEOUT, TIMEOUT], timeout=6, attempts=2)),
    ("zero-attempts", imds([ok(0)], attempts=0)),
    ("illegal-token", imds([ok(2)])),
    ("role-name-odd", imds([ok(0), ok(2), ok(0), b"\x00", ok(4), ok(0)])),
    ("status-1000", imds([raw_status(1000, b"x"), raw_status(200, b"role"), raw_status(0, b"")], attempts=2)),
]


def imds_sep_scripts(td: Path):
    """Each IMDS SEP case as replies to the machine: a token, then its expectations' responses in
    order."""
    cases = json.loads((td / "imds-credentials" / "imds-credentials-sep-tests.json").read_text())
    for i, case in enumerate(cases):
        events = [ok(0)]
        for x in case["expectations"]:
            r = x["response"]
            body = r.get("body", "")
            body = body.encode() if isinstance(body, str) else json.dumps(body).encode()
            events.append(raw_status(r.get("status", 200), body))
        yield f"sep{i:02}", imds(events, attempts=2)


def traffic_imds_scripts(td: Path):
    """Each recording's IMDS responses, in order, as replies to the machine."""
    by_case = {}
    for case, uri, code, headers, body in traffic_responses(td):
        if "169.254.169.254" in uri:
            by_case.setdefault(case, []).append((code, body))
    for case, replies in sorted(by_case.items()):
        yield f"traffic-{case}", imds([raw_status(code, body) for code, body in replies], attempts=2)


# ---------------------------------------------------------------------------------------------
# The container machine (fuzz_targets/container_machine.rs): URI, token, attempts, timeout and
# pause bytes, then events.

CONTAINER_STATUS = {200: 0, 500: 1, 404: 2, 401: 3, 403: 4, 503: 5}


def container(events, uri=0, token=0, attempts=3, timeout=0, pause=0, texts=b"") -> bytes:
    return bytes([uri, token]) + texts + bytes([attempts, timeout, pause]) + b"".join(events)


def c_doc(i: int) -> bytes:
    """Event 0: `200` with `DOCUMENTS[i]`."""
    return bytes([0, i * 2])


def c_status(code: int, doc: int) -> bytes:
    return bytes([1, CONTAINER_STATUS[code], doc * 2])


def c_raw(code: int, body: bytes) -> bytes:
    sel = bytes([len(body) * 2 + 1]) if len(body) < 127 else bytes([255]) + struct.pack("<H", len(body))
    return bytes([2]) + struct.pack("<H", code) + sel + body


C_TIMEOUT = bytes([4])

HAND_CONTAINER_SCRIPTS = [
    ("relative", container([c_doc(0)])),
    ("relative-query", container([c_doc(1)], uri=1)),
    ("relative-tabs", container([c_doc(0)], uri=2)),
    ("full-localhost-env-token", container([c_doc(0)], uri=3, token=1)),
    ("full-eks-file-token", container([c_doc(0)], uri=4, token=2)),
    ("full-https", container([c_doc(0)], uri=5)),
    ("illegal-token-config", container([c_doc(0)], uri=3, token=3)),
    ("custom-relative", container([c_doc(0)], uri=6, texts=bytes([12]) + b"/v2/c?id=%41")),
    ("custom-full-refused", container([c_doc(0)], uri=7, texts=bytes([19]) + b"http://192.168.1.1/")),
    ("custom-token", container([c_doc(0)], uri=3, token=4, texts=bytes([6]) + b"Bearer")),
    ("three-500s", container([c_status(500, 6), C_TIMEOUT, c_status(500, 2), C_TIMEOUT, c_status(503, 7), C_TIMEOUT])),
    ("not-json-then-ok", container([c_doc(6), C_TIMEOUT, c_doc(0)])),
    ("not-utf8", container([c_doc(8)])),
    ("missing-key", container([c_doc(3)])),
    ("wrong-type", container([c_doc(4)])),
    ("error-document", container([c_status(401, 2), C_TIMEOUT, c_doc(5)])),
    ("read-timeouts", container([C_TIMEOUT, C_TIMEOUT, C_TIMEOUT, C_TIMEOUT, C_TIMEOUT, C_TIMEOUT])),
    ("transport-errors", container([bytes([3, 0]), C_TIMEOUT, bytes([3, 3]), C_TIMEOUT, bytes([3, 4])])),
    ("small-buffer", container([bytes([8, 5]), c_doc(0)])),
    ("zero-timeout-zero-pause", container([C_TIMEOUT, C_TIMEOUT, c_doc(0)], timeout=2, pause=1)),
    ("huge-timeout-and-pause", container([C_TIMEOUT], timeout=4, pause=3)),
    ("zero-attempts", container([c_doc(0)], attempts=0)),
    ("stray-and-restart", container([bytes([7, 0]), bytes([6]), bytes([7, 1]), c_doc(0)])),
    ("early-timeout", container([bytes([5, 3]), c_doc(0)])),
]


def traffic_container_scripts(td: Path):
    by_case = {}
    for case, uri, code, headers, body in traffic_responses(td):
        if "169.254.170." in uri:
            by_case.setdefault(case, []).append((code, body))
    for case, replies in sorted(by_case.items()):
        events = []
        for code, body in replies:
            events += [c_raw(code, body), C_TIMEOUT]
        yield f"traffic-{case}", container(events)


# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# SigV4: the AWS test suite's requests and Authorization headers, and STS-like requests
# ---------------------------------------------------------------------------------------------

SIGV4_SUITE_TIME = 1_440_938_160  # 2015-08-30T12:36:00Z, every case's X-Amz-Date
SIGV4_SUITE_KEYS = "AKIDEXAMPLE|wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY|us-east-1|service"
SIGV4_TOKEN = "IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD" + "AbCd0123+/xyZ" * 40
SIGV4_STS_BODY = (
    "Action=AssumeRole&DurationSeconds=3600&ExternalId=abc&RoleArn=arn%3Aaws%3Aiam%3A%3A"
    "123456789012%3Arole%2Fdemo&RoleSessionName=botocore-session-1764403200&Version=2011-06-15"
)
HAND_SIGV4 = [
    ("sts-assume-role-token", 1_764_403_200,
     f"ASIAQNZGKIQY56JQ7WML|secret/key+40charsxxxxxxxxxxxxxxxxxxxxxxx|us-east-1|sts|{SIGV4_TOKEN}",
     "POST / HTTP/1.1\nHost:sts.us-east-1.amazonaws.com\n"
     "Content-Type:application/x-www-form-urlencoded; charset=utf-8\n"
     "User-Agent:Botocore/1.43.11\n\n" + SIGV4_STS_BODY),
    ("sts-empty-token-stale-headers", 1_764_403_200, "AKID|s|eu-west-1|sts|",
     "post / HTTP/1.1\nhost:sts.eu-west-1.amazonaws.com\nAuthorization:old\nX-Amz-Date:19990101T000000Z\n"
     "X-Amz-Security-Token:caller's\n\nAction=GetCallerIdentity&Version=2011-06-15"),
    ("content-sha256-true", 0, "AKID|s|r|s3",
     "PUT /bucket/key HTTP/1.1\nHost:h\n"
     "X-Amz-Content-SHA256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\n"),
    ("content-sha256-false", 0, "AKID|s|r|s3", "PUT / HTTP/1.1\nHost:h\nX-Amz-Content-SHA256:UNSIGNED-PAYLOAD\n\nx"),
    ("date-header", 0, "AKID|s|r|sts", "GET / HTTP/1.1\nHost:h\nDate:Sun, 30 Aug 2015 12:36:00 GMT"),
    ("no-host", 0, "AKID|s|r|sts", "GET / HTTP/1.1\nX-Other:1"),
    ("bad-scope", 0, "AK/ID|s|r|sts", "GET / HTTP/1.1\nHost:h"),
    ("long-secret", 253_402_300_799, "AKID|" + "k" * 100 + "|r|sts", "GET / HTTP/1.1\nHost:h"),
    ("dots-query-repeats", -62_167_219_200, "AKID|s|r|sso",
     "GET //a/./b/../../c/%2F/sp ace/\u1234?b=2&a=&flag&a=1&a=1 HTTP/1.1\nHost:portal.sso.r.amazonaws.com\n"
     "x-a:  one\t two  \nX-A:\u3000three\u00a0four\n  folded\n"),
]


def sigv4_corpora(td: Path) -> tuple[Corpus, Corpus]:
    canonical, authorization = Corpus("sigv4_canonical"), Corpus("sigv4_authorization")
    suite = td / "sigv4"
    for req in sorted(suite.rglob("*.req")):
        name = str(req.parent.relative_to(suite))
        creq = req.with_suffix(".creq").read_text()
        token = re.search(r"^x-amz-security-token:(.*)$", creq, re.MULTILINE)
        keys = SIGV4_SUITE_KEYS + (f"|{token.group(1)}" if token else "")
        head = struct.pack("<q", SIGV4_SUITE_TIME) + f"{keys}\n".encode()
        canonical.add(f"suite-{name}", head + req.read_bytes().replace(b"\r", b""))
        authz = req.with_suffix(".authz").read_text().strip()
        authorization.add(f"suite-{name}", authz)
    for name, time, keys, text in HAND_SIGV4:
        canonical.add(f"hand-{name}", struct.pack("<q", time) + f"{keys}\n{text}".encode())
    sig = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    cred = "Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"
    for name, text in [
        ("shuffled", f"AWS4-HMAC-SHA256  Signature={sig},SignedHeaders=host;x-amz-date,\t{cred}"),
        ("unsigned-host", f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=x-amz-date, Signature={sig}"),
        ("missing-header", f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=content-type;host;x-amz-date, Signature={sig}"),
        ("repeated", f"AWS4-HMAC-SHA256 {cred}, {cred}, SignedHeaders=host, Signature={sig}"),
        ("unsorted", f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=x-amz-date;host, Signature={sig}"),
        ("upper-hex", f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=host, Signature={sig.upper()}"),
        ("bad-terminator", f"AWS4-HMAC-SHA256 Credential=A/20150830/r/s/aws5_request, SignedHeaders=host, Signature={sig}"),
        ("other-algorithm", "AWS4-ECDSA-P256-SHA256 Credential=A/20150830/s/aws4_request"),
        ("extra-component", f"AWS4-HMAC-SHA256 {cred}, SignedHeaders=host, Signature={sig}, X=1"),
    ]:
        authorization.add(f"hand-{name}", text)
    return canonical, authorization


# ---------------------------------------------------------------------------------------------
# STS (XML) and SSO (JSON) answers: sts_xml takes an operation byte (even AssumeRole, odd
# AssumeRoleWithWebIdentity) then the body; sso_json a document byte (0 cache file, 1
# GetRoleCredentials, 2 CreateToken, 3 error + a status byte) then the body.

STS_OK = (
    '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">\n  <AssumeRoleResult>\n'
    "    <AssumedRoleUser><AssumedRoleId>AROA:s</AssumedRoleId>"
    "<Arn>arn:aws:sts::123456789012:assumed-role/r/s</Arn></AssumedRoleUser>\n"
    "    <Credentials><AccessKeyId>ASIA</AccessKeyId><SecretAccessKey>k&amp;&lt;&#x2F;&#47;</SecretAccessKey>"
    "<SessionToken>t\r\nu</SessionToken><Expiration>2026-11-29T13:34:41Z</Expiration></Credentials>\n"
    "  </AssumeRoleResult>\n  <ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>\n"
    "</AssumeRoleResponse>\n"
)
HAND_STS = [
    ("declaration-comment-pi", 0, '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c --><?pi x?>' + STS_OK),
    ("bom", 0, "\ufeff" + STS_OK),
    ("web-identity-root-for-assume-role", 0, STS_OK.replace("AssumeRole", "AssumeRoleWithWebIdentity")),
    ("errors-wrapper", 1, "<Response><Errors><Error><Code>Throttling</Code><Message>slow</Message></Error></Errors>"
     "<RequestID>x</RequestID></Response>"),
    ("empty-error-fields", 0, "<ErrorResponse><Error><Type/><Code></Code><Message> </Message></Error><RequestId/></ErrorResponse>"),
    ("doctype", 0, '<!DOCTYPE a [<!ENTITY x "y">]><AssumeRoleResponse>&x;</AssumeRoleResponse>'),
    ("cdata", 0, "<AssumeRoleResponse><![CDATA[x]]></AssumeRoleResponse>"),
    ("mismatched", 0, "<AssumeRoleResponse><AssumeRoleResult></AssumeRoleResponse>"),
    ("duplicate-value", 0, STS_OK.replace("<AccessKeyId>ASIA</AccessKeyId>", "<AccessKeyId>A</AccessKeyId><AccessKeyId>B</AccessKeyId>")),
    ("nested-value", 0, STS_OK.replace("<AccessKeyId>ASIA</AccessKeyId>", "<AccessKeyId><x/></AccessKeyId>")),
    ("attributes", 0, STS_OK.replace("<AssumeRoleResult>", "<AssumeRoleResult a='1' b=\"&lt;&#65;\" c = 'x'>")),
    ("char-refs-edge", 0, STS_OK.replace("ASIA", "&#x10FFFF;&#xD7FF;&#9;&#65533;")),
    ("bad-refs", 0, STS_OK.replace("ASIA", "&#xD800;&#0;&unknown;&")),
    ("deep", 0, "<a>" * 40 + "</a>" * 40),
    ("short-arn", 0, STS_OK.replace("arn:aws:sts::123456789012:assumed-role/r/s", "arn:aws:sts::1")),
]
HAND_SSO = [
    ("cache-botocore-utc", b"0", '{"startUrl": "https://d.awsapps.com/start", "region": "us-east-1", "accessToken": "a\\/b", '
     '"expiresAt": "2026-11-29T12:00:00UTC", "clientId": "c", "clientSecret": "s", '
     '"registrationExpiresAt": "2027-01-01T00:00:00Z", "refreshToken": "r"}'),
    ("cache-naive", b"0", '{"accessToken": "a", "expiresAt": "2026-11-29T12:00:00"}'),
    ("cache-duplicate", b"0", '{"accessToken": "a", "accessToken": "b", "expiresAt": "x"}'),
    ("cache-escapes", b"0", '{"accessToken": "\\ud83d\\ude00\\u00e9\\n", "expiresAt": "2026-11-29T12:00:00+01:00"}'),
    ("role-ok", b"1", '{"roleCredentials":{"accessKeyId":"ASIA","secretAccessKey":"s","sessionToken":"t","expiration":1795969632999}}'),
    ("role-float", b"1", '{"roleCredentials":{"accessKeyId":"a","secretAccessKey":"s","sessionToken":"t","expiration":1.5e12}}'),
    ("role-negative", b"1", '{"roleCredentials":{"accessKeyId":"a","secretAccessKey":"s","sessionToken":"t","expiration":-1}}'),
    ("role-huge", b"1", '{"roleCredentials":{"accessKeyId":"a","secretAccessKey":"s","sessionToken":"t","expiration":9223372036854775807}}'),
    ("role-not-object", b"1", '{"roleCredentials":[1]}'),
    ("token-ok", b"2", '{"accessToken":"a","tokenType":"Bearer","expiresIn":28800,"refreshToken":"r","idToken":"i"}'),
    ("error-unauthorized", b"3\x81", '{"message":"Session token not found or invalid"}'),
    ("error-type", b"3\x02", '{"__type":"com.amazon#ForbiddenException","Message":"no"}'),
    ("error-code-cut", b"3\x00", '{"code":"a:b#c","message":"x"}'),
    ("error-generic", b"3\x06", "<html>Bad Gateway</html>"),
    ("error-empty", b"3\x07", ""),
]


def sts_sso_corpora(td: Path) -> tuple[Corpus, Corpus]:
    sts, sso = Corpus("sts_xml"), Corpus("sso_json")
    for case, uri, body in traffic_bodies(td):
        if body.lstrip().startswith(b"<") and (b"AssumeRole" in body or b"ErrorResponse" in body):
            op = b"1" if b"WithWebIdentity" in body else b"0"
            sts.add(f"traffic-{case}", op + body)
        elif "/federation/credentials" in uri:
            sso.add(f"traffic-{case}", b"1" + body)
            sso.add(f"traffic-{case}-as-error", b"3\x01" + body)
    for f in sorted(td.glob("**/.aws/sso/cache/*.json")):
        sso.add(f"cache-{f.parent.parent.parent.parent.parent.parent.name}", b"0" + f.read_bytes())
    sts.add("hand-ok", b"0" + STS_OK.encode())
    for name, op, text in HAND_STS:
        sts.add(f"hand-{name}", bytes([0x30 + op]) + text.encode())
    for name, head, text in HAND_SSO:
        sso.add(f"hand-{name}", head + text.encode())
    return sts, sso


def main() -> None:
    td = find_testdata()
    c = {t: Corpus(t) for t in TARGETS}

    # Profile files: first byte '0' (even) = config, '1' (odd) = credentials.
    for name, kind, data in profile_files(td):
        prefix = b"0" if kind == "config" else b"1"
        for t in ["profile_botocore", "profile_sdk"]:
            c[t].add(name, prefix + data)
    for kind, name, text in HAND_PROFILES:
        prefix = "0" if kind == "config" else "1"
        for t in ["profile_botocore", "profile_sdk"]:
            c[t].add(f"hand-{name}", prefix + text)
    regressions = {t: Corpus(t) for t in ["profile_botocore", "profile_sdk"]}
    for kind, name, text, targets in BUG_PROFILES:
        prefix = "0" if kind == "config" else "1"
        for t in targets:
            regressions[t].add(name, prefix + text)

    # Merged: '0' botocore / '1' Sdk, config, NUL, credentials ('2' / '4' drop a file).
    for name, config, credentials in file_pairs(td):
        flags = (2 if config is None else 0) | (4 if credentials is None else 0)
        body = (config or b"") + b"\0" + (credentials or b"")
        for dialect in [0, 1]:
            c["profile_merged"].add(f"{name}-{'sdk' if dialect else 'botocore'}", bytes([0x30 | flags | dialect]) + body)
    c["profile_merged"].add(
        "hand-overrides",
        "0[default]\nregion = a\nk = c\n[profile x]\ns3 =\n  a = b\n[DEFAULT]\nd = 1\n\0[default]\nK = cred\n[x]\nk = 2\n[y]\n",
    )

    # HTTP bodies.
    json_bodies = []
    for case, uri, body in traffic_bodies(td):
        if "169.254.169.254" in uri and "/iam/security-credentials/" in uri:
            if uri.endswith("/security-credentials/"):
                c["role_listing"].add(f"traffic-{case}", body)
            else:
                c["imds_credentials"].add(f"traffic-{case}", body)
                c["iam_info"].add(f"traffic-{case}", body)
                json_bodies.append(body)
        elif "169.254.170." in uri:
            c["container_credentials"].add(f"traffic-{case}", body)
            c["container_error"].add(f"traffic-{case}", body)
            json_bodies.append(body)
    for i, path, body in sep_bodies(td):
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if last.startswith("security-credentials"):
            c["role_listing"].add(f"sep{i:02}-listing", body)
        else:
            c["imds_credentials"].add(f"sep{i:02}-credentials", body)
            json_bodies.append(body)
    for case, out in process_outputs(td):
        c["process_output"].add(f"testdata-{case}", out)
        json_bodies.append(out)
    for name, text in HAND_IMDS:
        data = text.encode("latin-1") if name == "invalid-utf8" else text.encode()
        c["imds_credentials"].add(f"hand-{name}", data)
        json_bodies.append(data)
    for name, text in HAND_IAM_INFO:
        c["iam_info"].add(f"hand-{name}", text)
        json_bodies.append(text.encode())
    for name, text in HAND_ROLE_LISTINGS:
        data = text.encode("latin-1") if name == "invalid-utf8" else text.encode()
        c["role_listing"].add(f"hand-{name}", data)
    for name, text in HAND_CONTAINER:
        c["container_credentials"].add(f"hand-{name}", text)
        json_bodies.append(text.encode())
    for name, text in HAND_CONTAINER_ERRORS:
        c["container_error"].add(f"hand-{name}", text)
    for name, text in HAND_PROCESS:
        c["process_output"].add(f"hand-{name}", text)
        json_bodies.append(text.encode())

    # JSON strings (the raw text between the quotes) and expirations, from those bodies.
    times = []
    for body in json_bodies:
        try:
            value = json.loads(body)
        except ValueError:
            continue
        strings = []
        collect_strings(value, strings)
        for s in strings:
            c["json_str"].add("doc-" + s[:24], json.dumps(s)[1:-1])
        if isinstance(value, dict):
            for key in ["Expiration", "LastUpdated"]:
                if isinstance(value.get(key), str):
                    times.append(value[key])
    for name, raw in HAND_JSON_STRINGS:
        c["json_str"].add(f"hand-{name}", raw)
    for t in times + HAND_TIMESTAMPS:
        c["timestamp"].add("text-" + (t or "empty"), t)
    for name, (secs, nanos, delta) in {
        "min": (-62_167_219_200, 0, -1),
        "max": (253_402_300_799, 999_999_999, 1),
        "epoch": (0, 0, 3600),
        "below-min": (-62_167_219_201, 0, 0),
        "nanos-overflow": (0, 1_000_000_000, 0),
        "i64-extremes": (-(2**63), 2**32 - 1, 2**63 - 1),
    }.items():
        c["timestamp"].add(f"unix-{name}", unix_seed(secs, nanos, delta))

    # Refresh scenarios.
    cases = json.loads((td / "credential-refresh-tests.json").read_text())
    for i, case in enumerate(cases):
        for pname, p in POLICIES.items():
            c["refresh_machine"].add(f"refresh{i:02}-{pname}", refresh_scenario(case, p))
    for name, data in hand_refresh():
        c["refresh_machine"].add(f"hand-{name}", data)

    # HTTP responses: every IMDS / container response recorded, as sent (whole, and cut in
    # three) and re-framed as a chunked body; then the hand-written cases.
    for case, uri, code, headers, body in traffic_responses(td):
        stream = raw_response("HTTP/1.1", code, headers, body)
        c["http_response"].add(f"traffic-{case}", http_seed(stream))
        c["http_response"].add(f"traffic-{case}-cut", http_seed(stream, cuts=[1, len(stream) // 2, len(stream) - 1]))
        rechunked = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Transfer-Encoding", "chunked")]
        c["http_response"].add(f"traffic-{case}-chunked", http_seed(raw_response("HTTP/1.1", code, rechunked, chunked(body))))
    for name, flags, size, cuts, stream in HAND_HTTP:
        c["http_response"].add(f"hand-{name}", http_seed(stream, flags, size, cuts))

    # The machines: hand-written scripts for every row of the fallback table, the SEP cases
    # and the recorded exchanges as replies.
    for name, data in HAND_IMDS_SCRIPTS:
        c["imds_machine"].add(f"hand-{name}", data)
    for name, data in imds_sep_scripts(td):
        c["imds_machine"].add(name, data)
    for name, data in traffic_imds_scripts(td):
        c["imds_machine"].add(name, data)
    for name, data in HAND_CONTAINER_SCRIPTS:
        c["container_machine"].add(f"hand-{name}", data)
    for name, data in traffic_container_scripts(td):
        c["container_machine"].add(name, data)

    c["sigv4_canonical"], c["sigv4_authorization"] = sigv4_corpora(td)
    c["sts_xml"], c["sso_json"] = sts_sso_corpora(td)

    shutil.rmtree(FUZZ / "regressions", ignore_errors=True)
    for corpus in regressions.values():
        corpus.write(FUZZ / "regressions")
    total = 0
    for corpus in c.values():
        corpus.write()
        size = sum(len(d) for d in corpus.seeds.values())
        total += size
        print(f"{corpus.target:24} {len(corpus.seeds):4} seeds {size:8} bytes")
    print(f"{'total':24} {sum(len(x.seeds) for x in c.values()):4} seeds {total:8} bytes")


if __name__ == "__main__":
    main()
