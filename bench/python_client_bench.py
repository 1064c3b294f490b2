"""Warm latency of the Python client, for bench/run.mjs: prints a JSON list of milliseconds.

    python3 -S bench/python_client_bench.py --port 8765 --page http://127.0.0.1:8000/ --calls 2000
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
parser.add_argument("--calls", type=int, default=2000)
args = parser.parse_args()

params = {"text": "x" * 64}
for _ in range(100):  # warm up
    any_client.call(args.page, "echo", params, port=args.port)
times = []
for _ in range(args.calls):
    started = time.perf_counter()
    any_client.call(args.page, "echo", params, port=args.port)
    times.append((time.perf_counter() - started) * 1000)
print(json.dumps(times))
