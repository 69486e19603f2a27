#!/usr/bin/env python3
"""botocore 1.43.11 as the oracle for the assumed-role cache key (tests/role_cache_key.rs).

    role_cache_key.py CASES.json  ->  prints a JSON list, one answer per case

Each case is {"kind": "assume-role" | "web-identity", "role_arn": ..., "extra_args": {...}};
the answer is {"key": ...}, what botocore's own fetcher computes in `_create_cache_key` for
those arguments (the fetcher is only built: nothing is sent).
"""

import json
import sys

import botocore
import botocore.credentials as bc

assert botocore.__version__ == "1.43.11", botocore.__version__


def answer(case):
    try:
        if case["kind"] == "assume-role":
            fetcher = bc.AssumeRoleCredentialFetcher(
                client_creator=None,
                source_credentials=None,
                role_arn=case["role_arn"],
                extra_args=case["extra_args"],
            )
        else:
            fetcher = bc.AssumeRoleWithWebIdentityCredentialFetcher(
                client_creator=None,
                web_identity_token_loader=lambda: "unused",
                role_arn=case["role_arn"],
                extra_args=case["extra_args"],
            )
        return {"key": fetcher._create_cache_key()}
    except Exception as e:  # reported by the Rust side with the case
        return {"oracle_error": f"{type(e).__name__}: {e}"}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    json.dump([answer(c) for c in cases], sys.stdout)


main()
