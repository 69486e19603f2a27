#!/usr/bin/env python3
"""botocore 1.43.11 as the oracle for its client-side check of STS parameters
(tests/sts_params.rs).

    sts_params.py CASES.json  ->  prints a JSON list, one answer per case

Each case is a profile's role settings:
  {"kind": "assume-role", "role_arn": ..., "role_session_name": ?, "external_id": ?,
   "mfa_serial": ?, "token_code": ? (what the MFA prompt returns), "duration_seconds": ? (text,
   as in a config file)}
  {"kind": "web-identity", "role_arn": ..., "role_session_name": ?, "token": ...}
(absent or null: not configured). botocore's own providers (`AssumeRoleProvider`,
`AssumeRoleWithWebIdentityProvider`) load the profile and its deferred credentials are asked
for, so the request's keyword arguments are built by botocore itself, in its order. The STS
client is a real one; a `before-call` handler, which botocore emits after checking the
parameters and before sending, stops the call there. The answer is {"sent": true} (the check
passed) or {"error": exception class, "message": str(exception)}.
"""

import json
import os
import sys
import tempfile

import botocore
import botocore.credentials as bc
import botocore.session

assert botocore.__version__ == "1.43.11", botocore.__version__


class Sent(Exception):
    """Raised by the before-call handler: the parameters passed botocore's check."""


def stop_before_sending(**_kwargs):
    raise Sent()


def configured(case, *keys):
    return {k: case[k] for k in keys if case.get(k) is not None}


def answer(case, session, token_dir):
    try:
        if case["kind"] == "assume-role":
            profile = {"role_arn": case["role_arn"], "source_profile": "base"}
            profile.update(
                configured(
                    case, "role_session_name", "external_id", "mfa_serial", "duration_seconds"
                )
            )
            config = {
                "profiles": {
                    "base": {
                        "aws_access_key_id": "AKIDBASE",
                        "aws_secret_access_key": "base-secret",
                    },
                    "role": profile,
                }
            }
            provider = bc.AssumeRoleProvider(
                load_config=lambda: config,
                client_creator=session.create_client,
                cache={},
                profile_name="role",
                prompter=lambda _prompt: case["token_code"],
            )
        else:
            path = os.path.join(token_dir, "token")
            with open(path, "w", encoding="utf-8") as f:
                f.write(case["token"])
            profile = {"role_arn": case["role_arn"], "web_identity_token_file": path}
            profile.update(configured(case, "role_session_name"))
            config = {"profiles": {"role": profile}}
            provider = bc.AssumeRoleWithWebIdentityProvider(
                load_config=lambda: config,
                client_creator=session.create_client,
                profile_name="role",
                cache={},
                disable_env_vars=True,
            )
        creds = provider.load()
        if creds is None:
            return {"oracle_error": "the provider found no role configuration"}
        creds.get_frozen_credentials()
        return {"oracle_error": "the call was not stopped before sending"}
    except Sent:
        return {"sent": True}
    except botocore.exceptions.ParamValidationError as e:
        return {"error": type(e).__name__, "message": str(e)}
    except Exception as e:  # reported by the Rust side with the case
        return {"oracle_error": f"{type(e).__name__}: {e}"}


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        cases = json.load(f)
    session = botocore.session.Session()
    session.set_config_variable("region", "us-east-1")
    session.register("before-call.sts", stop_before_sending)
    with tempfile.TemporaryDirectory() as token_dir:
        json.dump([answer(c, session, token_dir) for c in cases], sys.stdout)


main()
