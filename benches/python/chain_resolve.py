"""Times botocore resolving the default chain in one process, for the `chain` bench.

    python3 benches/python/chain_resolve.py ITERATIONS WARMUP EXPECT

The environment is the scenario: the `chain` bench sets it (an empty HOME, the IMDS endpoint
on a loopback port that refuses connections or never answers, `AWS_METADATA_SERVICE_TIMEOUT`).
Each iteration builds `botocore.session.Session()` and calls `get_credentials()`, exactly what
`boto3.Session().get_credentials()` does, timed alone with `time.perf_counter_ns()`; `WARMUP`
untimed iterations come first. EXPECT is `none` (the chain must find nothing) or an access key
id the chain must return: any other answer makes the script exit non-zero, so a failure is
never timed as a fast answer.

Python start-up and the import of botocore are outside every timed region. Prints one JSON
object: the median, mean, minimum and maximum in nanoseconds, and the number of iterations.
"""

import json
import statistics
import sys
import time

import botocore.session


def main():
    iterations, warmup, expect = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    times = []
    for i in range(warmup + iterations):
        start = time.perf_counter_ns()
        creds = botocore.session.Session().get_credentials()
        elapsed = time.perf_counter_ns() - start
        got = "none" if creds is None else creds.access_key
        if got != expect:
            print(f"expected {expect!r}, botocore found {got!r}", file=sys.stderr)
            sys.exit(1)
        if i >= warmup:
            times.append(elapsed)
    print(
        json.dumps(
            {
                "median_ns": int(statistics.median(times)),
                "mean_ns": int(statistics.mean(times)),
                "min_ns": min(times),
                "max_ns": max(times),
                "iterations": len(times),
                "botocore": botocore.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
