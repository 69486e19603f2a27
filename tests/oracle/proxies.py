"""botocore's choice of proxy for an endpoint URL, case by case.

Input: a JSON list of {"env": {name: value}, "url": "..."}. Output: one JSON object per case,
{"proxy": the proxy URL botocore's URLLib3Session would use, None when it connects
directly}. The environment is replaced
for every case, as botocore reads it when it builds a client's endpoint
(botocore.utils.get_environ_proxies, then httpsession.ProxyConfiguration).
"""
import json
import os
import sys

import botocore
from botocore.httpsession import ProxyConfiguration
from botocore.utils import get_environ_proxies

if botocore.__version__ != "1.43.11":
    sys.exit("botocore 1.43.11 is required, found " + botocore.__version__)

with open(sys.argv[1], encoding="utf-8") as f:
    cases = json.load(f)
out = []
for case in cases:
    try:
        os.environ.clear()
        os.environ.update(case["env"])
        config = ProxyConfiguration(proxies=get_environ_proxies(case["url"]))
        out.append({"proxy": config.proxy_url_for(case["url"])})
    except Exception as e:  # noqa: BLE001 - reported to the test as a failure
        out.append({"oracle_error": f"{type(e).__name__}: {e}"})
json.dump(out, sys.stdout)
