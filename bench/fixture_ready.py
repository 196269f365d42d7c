"""How long until a fake is ready: in-process (what the pytest fixture waits for) and as a process.

    python bench/fixture_ready.py [rounds]

Prints the median and worst of each, in milliseconds. Target (issue 5): the fixture under 300 ms.
"""

from __future__ import annotations

import re
import statistics
import subprocess
import sys
import time

import httpx

from fake_cdyne import FakeServer


def in_process() -> float:
    started = time.perf_counter()
    server = FakeServer().start()
    httpx.get(f"{server.url}/_fake/health").raise_for_status()
    ready = time.perf_counter() - started
    server.stop()
    return ready


def as_process() -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "fake_cdyne", "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    match = re.search(r"serving (http://\S+)/sms\.svc", line)
    assert match, line
    httpx.get(f"{match[1]}/_fake/health").raise_for_status()
    ready = time.perf_counter() - started
    process.terminate()
    process.wait(10)
    process.stdout.close()
    return ready


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    for name, measure in (("FakeServer (the pytest fixture)", in_process), ("fake-cdyne serve", as_process)):
        times = [measure() * 1000 for _ in range(rounds)]
        print(f"{name}: median {statistics.median(times):.1f} ms, worst {max(times):.1f} ms ({rounds} rounds)")


if __name__ == "__main__":
    main()
