"""Times botocore's IMDS role-credential fetch against a running IMDS server.

The `imds_fetch` bench starts credchain-server's IMDS on loopback, runs this script against it
while the server is up (the same server the credchain lines use), and prints the medians beside
criterion's. It can also be run by hand against any IMDS:

    python3 benches/python/botocore_fetch.py http://127.0.0.1:PORT/ ITERATIONS WARMUP [ACCESS_KEY_ID]

Two ways of fetching are timed, each `ITERATIONS` times after `WARMUP` untimed fetches:

- `fresh`: `InstanceMetadataFetcher(timeout=1, num_attempts=1, base_url=URL)` built anew, then
  `retrieve_iam_role_credentials()`: a new urllib3 pool, so a new TCP connection, then the token
  PUT, the role name GET and the document GET, then the pool closed. Construction and closing
  are inside the timed region: they are part of what a fresh fetch costs.
- `reused`: one fetcher, `retrieve_iam_role_credentials()` again and again: what botocore's
  `InstanceMetadataProvider` does on each refresh. botocore keeps no token between fetches
  (spec section 4), so every fetch still sends the PUT; urllib3 keeps the connection.

Each fetch is timed alone with `time.perf_counter_ns()`; the script prints one JSON object with
the median, the mean, the 10th and 90th percentiles and the minimum of each, in nanoseconds,
and the CPU time the process used per timed fetch (`time.process_time_ns()`, all threads).
Every fetch must return credentials (and, when given, the expected access key id); otherwise
the script exits non-zero: a failed fetch is never timed as a fast one.

Python start-up and the import of botocore are outside every timed region.
"""

import json
import platform
import statistics
import sys
import time

import botocore
from botocore.utils import InstanceMetadataFetcher


def percentile(sorted_ns, p):
    index = min(len(sorted_ns) - 1, max(0, round(p / 100 * (len(sorted_ns) - 1))))
    return sorted_ns[index]


def check(found, expected_key, what, i):
    if not found or "access_key" not in found:
        sys.exit(f"botocore found no credentials ({what}, fetch {i}): {found!r}")
    if expected_key is not None and found["access_key"] != expected_key:
        sys.exit(
            f"botocore got access key {found['access_key']!r}, "
            f"the server serves {expected_key!r} ({what}, fetch {i})"
        )


def summary(times_ns, cpu_ns):
    times_ns = sorted(times_ns)
    return {
        "cpu_ns_per_fetch": cpu_ns // len(times_ns),
        "n": len(times_ns),
        "median_ns": int(statistics.median(times_ns)),
        "mean_ns": int(statistics.fmean(times_ns)),
        "p10_ns": percentile(times_ns, 10),
        "p90_ns": percentile(times_ns, 90),
        "min_ns": times_ns[0],
    }


def fresh(url, iterations, warmup, expected_key):
    times = []
    cpu_start = None
    for i in range(warmup + iterations):
        if i == warmup:
            cpu_start = time.process_time_ns()
        start = time.perf_counter_ns()
        fetcher = InstanceMetadataFetcher(timeout=1, num_attempts=1, base_url=url)
        found = fetcher.retrieve_iam_role_credentials()
        # Closing the pool is part of a fresh fetch (CPython would close it when the fetcher is
        # dropped; credchain's line drops its fetcher inside the timed region too).
        fetcher._session.close()
        elapsed = time.perf_counter_ns() - start
        check(found, expected_key, "fresh", i)
        if i >= warmup:
            times.append(elapsed)
    return summary(times, time.process_time_ns() - cpu_start)


def reused(url, iterations, warmup, expected_key):
    fetcher = InstanceMetadataFetcher(timeout=1, num_attempts=1, base_url=url)
    times = []
    cpu_start = None
    for i in range(warmup + iterations):
        if i == warmup:
            cpu_start = time.process_time_ns()
        start = time.perf_counter_ns()
        found = fetcher.retrieve_iam_role_credentials()
        elapsed = time.perf_counter_ns() - start
        check(found, expected_key, "reused", i)
        if i >= warmup:
            times.append(elapsed)
    cpu_ns = time.process_time_ns() - cpu_start
    fetcher._session.close()
    return summary(times, cpu_ns)


def main(argv):
    if len(argv) not in (4, 5):
        sys.exit(__doc__)
    url, iterations, warmup = argv[1], int(argv[2]), int(argv[3])
    expected_key = argv[4] if len(argv) == 5 else None
    if iterations < 1 or warmup < 0:
        sys.exit("ITERATIONS must be at least 1 and WARMUP at least 0")
    out = {
        "botocore": botocore.__version__,
        "python": platform.python_version(),
        "fresh": fresh(url, iterations, warmup, expected_key),
        "reused": reused(url, iterations, warmup, expected_key),
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv)
