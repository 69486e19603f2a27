#!/usr/bin/env python3
"""Oracle for credchain's profile-file differential test: botocore reads the files.

Input (a file named on the command line, or stdin): a JSON list of cases. Each case is an
object with optional "config" and "credentials" members. A member is either a string (the file
text, written as UTF-8) or an object {"hex": "..."} holding the exact bytes of the file, so that
byte order marks, lone carriage returns and invalid UTF-8 reach botocore untouched.

Output (stdout): a JSON list with one object per case:

    {"config":      {"profiles": {...}, "sso_sessions": {...}, "services": {...}}
                    | {"error": "<ExceptionClass>"} | null when the case has no config file,
     "credentials": {"profiles": {...}} | {"error": ...} | null,
     "merged":      {"profiles": {...}, "sso_sessions": {...}, "services": {...}}
                    | {"error": ...}}

"config" is `botocore.configloader.load_config` of the config file, "credentials" is
`botocore.configloader.raw_config_parse` of the credentials file, and "merged" is
`Session.full_config` with AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE pointing at the two
files (a missing file points at a path that does not exist). Nested sub-sections stay dicts.

The files are read the way the AWS CLI reads them on a UTF-8 system: run this script with
PYTHONUTF8=1 (the Rust test does) so that the locale cannot change the decoding.
"""

import json
import os
import sys
import tempfile

import botocore
import botocore.configloader
import botocore.session

EXPECTED_BOTOCORE = "1.43.11"

# Variables that would let the caller's environment leak into the session.
_SCRUB = [
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_DATA_PATH",
]


def _bytes_of(member):
    if isinstance(member, str):
        return member.encode("utf-8")
    return bytes.fromhex(member["hex"])


def _error(exc):
    return {"error": type(exc).__name__}


def _config_view(parsed):
    return {
        "profiles": parsed.get("profiles", {}),
        "sso_sessions": parsed.get("sso_sessions", {}),
        "services": parsed.get("services", {}),
    }


def run_case(case, workdir, index):
    missing = os.path.join(workdir, "does-not-exist-%d" % index)
    paths = {}
    for member in ("config", "credentials"):
        if case.get(member) is None:
            paths[member] = None
            continue
        path = os.path.join(workdir, "%s-%d" % (member, index))
        with open(path, "wb") as f:
            f.write(_bytes_of(case[member]))
        paths[member] = path

    out = {"config": None, "credentials": None}
    if paths["config"] is not None:
        try:
            out["config"] = _config_view(botocore.configloader.load_config(paths["config"]))
        except Exception as exc:  # the class name is the answer
            out["config"] = _error(exc)
    if paths["credentials"] is not None:
        try:
            out["credentials"] = {
                "profiles": botocore.configloader.raw_config_parse(paths["credentials"])
            }
        except Exception as exc:
            out["credentials"] = _error(exc)

    os.environ["AWS_CONFIG_FILE"] = paths["config"] or missing
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = paths["credentials"] or missing
    try:
        session = botocore.session.Session()
        out["merged"] = _config_view(session.full_config)
    except Exception as exc:
        out["merged"] = _error(exc)
    return out


def main():
    if botocore.__version__ != EXPECTED_BOTOCORE:
        sys.exit(
            "botocore %s is installed; the oracle needs %s"
            % (botocore.__version__, EXPECTED_BOTOCORE)
        )
    if sys.flags.utf8_mode != 1:
        sys.exit("run the oracle with PYTHONUTF8=1 so files decode as UTF-8")
    for name in _SCRUB:
        os.environ.pop(name, None)
    source = open(sys.argv[1], "rb") if len(sys.argv) > 1 else sys.stdin.buffer
    cases = json.load(source)
    with tempfile.TemporaryDirectory(prefix="credchain-oracle-") as workdir:
        results = [run_case(case, workdir, i) for i, case in enumerate(cases)]
    json.dump(results, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
