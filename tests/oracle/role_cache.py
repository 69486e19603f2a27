#!/usr/bin/env python3
"""botocore 1.43.11 (and the AWS CLI's cache hook) as the oracle for assumed-role caching
(crates/credchain/tests/role_cache.rs).

    role_cache.py CASES.json  ->  prints a JSON list, one answer per case

Each case: {"env": {...} (os.environ for the case), "profile": name or null, "accesses": n,
"aws_cli_cache": bool (install the AWS CLI's JSONFileCache on ~/.aws/cli/cache exactly as
`aws` does, through awscli.customizations.assumerole), "mfa_code": code or null (null: a
prompt is an error)}. The answer: {"ok": [access key id per access], "prompts": n, "method":
...} or {"error": exception class, "message": ...}. Each access is
`get_frozen_credentials()`, what botocore does before signing a request.
"""

import json
import os
import sys

import awscli.customizations.assumerole as cli_assumerole
import botocore
import botocore.session

assert botocore.__version__ == "1.43.11", botocore.__version__


def answer(case):
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(case["env"])
    prompts = []

    def prompter(text):
        prompts.append(text)
        if case.get("mfa_code") is None:
            raise RuntimeError("unexpected MFA prompt: " + text)
        return case["mfa_code"]

    try:
        session = botocore.session.Session(profile=case.get("profile"))
        resolver = session.get_component("credential_provider")
        resolver.get_provider("assume-role")._prompter = prompter
        if case.get("aws_cli_cache"):
            # The module computed CACHE_DIR from HOME at import: recompute it for this HOME.
            cli_assumerole.CACHE_DIR = os.path.expanduser(
                os.path.join("~", ".aws", "cli", "cache")
            )
            cli_assumerole.inject_assume_role_provider_cache(session)
        creds = session.get_credentials()
        if creds is None:
            return {"error": "NoCredentials", "message": "no credentials"}
        keys = [
            creds.get_frozen_credentials().access_key for _ in range(case["accesses"])
        ]
        return {"ok": keys, "prompts": len(prompts), "method": creds.method}
    except Exception as e:
        return {"error": type(e).__name__, "message": str(e), "prompts": len(prompts)}
    finally:
        os.environ.clear()
        os.environ.update(saved)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    json.dump([answer(c) for c in cases], sys.stdout)


main()
