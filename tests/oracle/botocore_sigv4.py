#!/usr/bin/env python3
"""Oracle for credchain's SigV4 differential test: botocore signs the requests.

Input (stdin): a JSON list of requests. Each is an object:

    {"method": "POST", "host": "sts.us-east-1.amazonaws.com", "path": "/", "query": "",
     "headers": [["Host", "..."], ["Content-Type", "..."], ...],   # in order, repeats allowed
     "payload_hex": "...",
     "access_key": "...", "secret_key": "...", "token": "..." | null,
     "region": "us-east-1", "service": "sts", "time": <unix seconds>}

Output (stdout): a JSON list with one object per request:

    {"authorization": "...", "amz_date": "...", "security_token": "..." | null,
     "canonical_request": "...", "string_to_sign": "..."}

Each request is an `AWSRequest` for `https://<host><path>?<query>` with the headers added one
by one (so repeated names stay repeated, as botocore's `HTTPHeaders` keeps them) and the payload
as bytes, signed by `SigV4Auth(Credentials(...), service, region).add_auth(request)` with
`botocore.auth.get_current_datetime` patched to return the request's time — the clock botocore's
signer reads. The canonical request and string to sign are the ones `add_auth` computed,
captured on the way.
"""

import datetime
import json
import sys
from unittest import mock

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

EXPECTED_BOTOCORE = "1.43.11"


class RecordingSigV4Auth(botocore.auth.SigV4Auth):
    """SigV4Auth that remembers the texts it signed."""

    def canonical_request(self, request):
        text = super().canonical_request(request)
        self.recorded_canonical_request = text
        return text

    def string_to_sign(self, request, canonical_request):
        text = super().string_to_sign(request, canonical_request)
        self.recorded_string_to_sign = text
        return text


def sign(case):
    url = "https://" + case["host"] + case["path"]
    if case["query"]:
        url += "?" + case["query"]
    request = AWSRequest(method=case["method"], url=url, data=bytes.fromhex(case["payload_hex"]))
    for name, value in case["headers"]:
        request.headers[name] = value
    credentials = Credentials(case["access_key"], case["secret_key"], case["token"])
    auth = RecordingSigV4Auth(credentials, case["service"], case["region"])
    now = datetime.datetime.fromtimestamp(case["time"], tz=datetime.timezone.utc).replace(
        tzinfo=None
    )
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=now):
        auth.add_auth(request)
    return {
        "authorization": request.headers["Authorization"],
        "amz_date": request.headers["X-Amz-Date"],
        "security_token": request.headers.get("X-Amz-Security-Token"),
        "canonical_request": auth.recorded_canonical_request,
        "string_to_sign": auth.recorded_string_to_sign,
    }


def main():
    if botocore.__version__ != EXPECTED_BOTOCORE:
        sys.exit(f"botocore {EXPECTED_BOTOCORE} expected, found {botocore.__version__}")
    cases = json.load(sys.stdin)
    json.dump([sign(c) for c in cases], sys.stdout)


if __name__ == "__main__":
    main()
