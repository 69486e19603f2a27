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
