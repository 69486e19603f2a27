"""botocore's default chain, one answer per case.

Each case is {"env": {...}, "profile": name or null, "resolve": bool (optional)}: os.environ is
replaced by the case's env, a fresh botocore Session(profile=...) is built and
get_credentials() is called. The answer is {"none": true}, or the credentials' method with
the access key, token, account id and expiry (epoch seconds, null for static keys), or the
exception's class and message.

Deferred credentials (assume-role, web identity, SSO: botocore makes no call until they are
used) are answered {"method": ..., "deferred": true}, unless the case says "resolve": true:
then they are used (get_frozen_credentials()), and the answer is what that call gave or
raised.
"""

import json
import os
import sys

import botocore.session
import botocore.utils
from botocore.credentials import DeferredRefreshableCredentials, RefreshableCredentials

# botocore sleeps 1 s between its 3 container attempts; the attempts are kept, the sleep is not.
botocore.utils.ContainerMetadataFetcher.SLEEP_TIME = 0


def answer(case):
    os.environ.clear()
    os.environ.update(case["env"])
    c = botocore.session.Session(profile=case["profile"]).get_credentials()
    if c is None:
        return {"none": True}
    r = {"method": c.method}
    if isinstance(c, DeferredRefreshableCredentials) and not case.get("resolve"):
        r["deferred"] = True
    elif isinstance(c, RefreshableCredentials):
        if isinstance(c, DeferredRefreshableCredentials):
            c.get_frozen_credentials()
        d = c.__dict__
        r.update(ak=d["_access_key"], token=d["_token"], account=d.get("_account_id"),
                 expiry=int(d["_expiry_time"].timestamp()))
    else:
        r.update(ak=c.access_key, token=c.token, account=c.account_id, expiry=None)
    return r


def main():
    with open(sys.argv[1]) as f:
        cases = json.load(f)
    out = []
    for case in cases:
        try:
            out.append(answer(case))
        except Exception as e:
            out.append({"error": type(e).__name__, "msg": str(e)})
    json.dump(out, sys.stdout)


main()
