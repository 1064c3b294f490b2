"""Warm latency of the Python client, for bench/run.mjs, in one long-lived process.

    python3 -S bench/python_client_bench.py --port 8765 --page http://127.0.0.1:8000/

Warms up, prints "ready", then for each line {"method", "params", "calls"} read from stdin makes
that many sequential calls and prints their times as one JSON list of milliseconds.
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import any_client  # noqa: E402

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, required=True)
parser.add_argument("--page", required=True)
args = parser.parse_args()

for _ in range(100):  # warm up
    any_client.call(args.page, "echo", {"text": "x" * 64}, port=args.port)
print("ready", flush=True)

for line in sys.stdin:
    request = json.loads(line)
    times = []
    for _ in range(request["calls"]):
        started = time.perf_counter()
        any_client.call(args.page, request["method"], request["params"], port=args.port)
        times.append((time.perf_counter() - started) * 1000)
    print(json.dumps(times), flush=True)
