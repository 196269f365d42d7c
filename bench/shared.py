"""A long-lived, shared fake, measured:  python bench/shared.py [memory|health|sends|all] [--messages N]

- memory: N sends (default 1,000,000) through the operations and the life cycle, in process, as the
  endpoint runs them (no HTTP), with ``retain_messages`` 10,000 (and, for comparison, the first
  ``--unretained`` sends without retention); RSS from /proc/self/statm every tenth of the run, then
  after a full reset.
- health: a fake serving N stored messages (put in the store directly, 1,000 phones), read whole by
  ``GET /_fake/messages`` (streamed) and through the inbox's first read (the index catching up), by curl
  processes, while another process asks ``GET /_fake/health`` over and over: its round trips' p50, p99,
  max; and the event loop's longest pause and the garbage collector's long collections meanwhile.
- sends: ``fake-cdyne serve`` (retention on) loaded by wrk, 20 connections, 10 s: SimpleSMSsend per second.

Prints what it measured; README "Running a shared fake" quotes it.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from fake_cdyne import Config, FakeServer
from fake_cdyne.model import Message, MessageState, new_id
from fake_cdyne.service import Service

PAGE = os.sysconf("SC_PAGE_SIZE")
KEY = uuid.UUID("f01d89fd-5155-5455-5585-e84ab8de8591")
IDLE_ROUNDS = 100  # of 20 health checks, before the listings: the machine's own delays


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 1e6


def _send_all(service: Service, count: int, report_every: int) -> float:
    operations, lifecycle = service.operations, service.lifecycle
    started = time.perf_counter()
    for n in range(count):
        result = operations.simple_sms_send(f"1757{n % 1_000:07d}", f"message {n}", KEY)
        lifecycle.start(result.started)
        if report_every and (n + 1) % report_every == 0:
            print(f"  {n + 1:>9,} sent: RSS {rss_mb():7.1f} MB, store {service.store.size[0]:,} messages", flush=True)
    return time.perf_counter() - started


def memory(count: int, unretained: int) -> None:
    print(f"RSS at start: {rss_mb():.1f} MB")
    if unretained:
        plain = Service(Config())
        print(f"without retention, {unretained:,} sends:")
        _send_all(plain, unretained, unretained // 4)
        plain.reset()
        del plain
        gc.collect()
        print(f"  after reset and gc: RSS {rss_mb():.1f} MB")
    service = Service(Config(retain_messages=10_000))
    print(f"with retain_messages=10,000, {count:,} sends:")
    seconds = _send_all(service, count, count // 10)
    print(f"  {count / seconds:,.0f} sends per second in process ({seconds:.1f} s)")
    service.reset()
    gc.collect()
    print(f"  after reset and gc: RSS {rss_mb():.1f} MB")


def _fill(service: Service, count: int) -> None:
    account = service.store.account(KEY)
    assert account is not None
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(count):
        message = Message(
            new_id(), KEY, f"1757{n % 1_000:07d}", account.did, f"text {n}", start + timedelta(milliseconds=n),
            state=MessageState.SENT,
        )  # fmt: skip
        service.store.add_message(account, message)


# The health checker runs in a process of its own, as a load balancer's or a container's would: in this
# process its thread would wait for the interpreter lock behind the fake's, and time that (seconds of it).
_CHECKER = """
import http.client, json, sys, time
connection = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=30)
round_trips = []
while sys.stdin.readline().strip() == "go":
    while True:
        asked = time.perf_counter()
        connection.request("GET", "/_fake/health")
        answer = connection.getresponse()
        answer.read()
        round_trips.append(time.perf_counter() - asked)
        if answer.status != 200 or len(round_trips) % 20 == 0:
            break
    print(answer.status, flush=True)
print(json.dumps(round_trips), flush=True)
"""


def _caught_loop(fake: FakeServer) -> list[asyncio.AbstractEventLoop]:
    """Where the fake's event loop will be, once it starts (read at the service's start)."""
    service, caught = fake.starlette.state.service, []
    start = service.start

    async def starting() -> None:
        caught.append(asyncio.get_running_loop())
        await start()

    service.start = starting
    return caught


def _loop_pauses(loop: asyncio.AbstractEventLoop, pauses: list[float], every: float = 0.01) -> Callable[[], None]:
    """Measure how late a callback the fake's event loop runs every ``every`` s comes; returns a stopper."""
    stopped = [False]
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        pauses.append(now - last[0] - every)
        last[0] = now
        if not stopped[0]:
            loop.call_later(every, tick)

    loop.call_soon_threadsafe(tick)
    return lambda: stopped.__setitem__(0, True)


def health(count: int) -> None:
    curl = shutil.which("curl")
    if curl is None:
        sys.exit("health needs curl")
    fake = FakeServer(Config(port=0, request_log_size=0))
    loop = _caught_loop(fake)
    with fake:
        print(f"storing {count:,} messages ...", flush=True)
        _fill(fake.starlette.state.service, count)
        gc.collect()
        collections: list[float] = []
        began = [0.0]

        def timed(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                began[0] = time.perf_counter()
            elif info["generation"] == 2 or time.perf_counter() - began[0] > 0.01:
                collections.append(time.perf_counter() - began[0])

        host, port = fake.url.removeprefix("http://").split(":")
        checker = subprocess.Popen(
            [sys.executable, "-c", _CHECKER, host, port], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert checker.stdin is not None
        assert checker.stdout is not None

        def checks(rounds: int) -> None:
            for _ in range(rounds):
                print("go", file=checker.stdin, flush=True)
                assert checker.stdout.readline().strip() == "200"

        checks(1)  # connected
        idle_pauses: list[float] = []
        stop_ticking = _loop_pauses(loop[0], idle_pauses)
        checks(IDLE_ROUNDS)  # the machine's own delays, for reference
        stop_ticking()
        gc.callbacks.append(timed)
        loop_pauses: list[float] = []
        stop_ticking = _loop_pauses(loop[0], loop_pauses)
        readers = [
            subprocess.Popen(
                [curl, "-s", "-o", os.devnull, "-w", "%{time_total} %{size_download}\n", url],
                stdout=subprocess.PIPE,
                text=True,
            )
            for url in (f"{fake.url}/_fake/messages", f"{fake.url}/_fake/inbox/conversations?limit=50")
        ]
        while any(reader.poll() is None for reader in readers):
            checks(1)
        stop_ticking()
        gc.callbacks.remove(timed)
        checker.stdin.close()
        round_trips: list[float] = json.loads(checker.stdout.readline())[20:]
        checker.wait(10)
        for reader, name in zip(readers, ("/_fake/messages", "/_fake/inbox/conversations"), strict=True):
            seconds, size = (reader.stdout.read() if reader.stdout else "0 0").split()
            print(f"  {name}: {float(seconds):.1f} s, {int(size):,} bytes")
    idle, busy = round_trips[: IDLE_ROUNDS * 20], round_trips[IDLE_ROUNDS * 20 :]
    print(f"  collections over 10 ms or of the oldest generation meanwhile: {len(collections)}", end="")
    print(f", the longest {max(collections) * 1000:.0f} ms" if collections else "")
    longest, idle_longest = max(loop_pauses) * 1000, max(idle_pauses) * 1000
    print(f"  the event loop's longest pause: {longest:.0f} ms (idle: {idle_longest:.0f} ms)")
    print(f"  /_fake/health idle, from another process: {_figures(idle)}")
    print(f"  /_fake/health meanwhile, from another process: {_figures(busy)}")


def _figures(round_trips: list[float]) -> str:
    ordered = sorted(round_trips)
    p50, p99 = (ordered[int(len(ordered) * share)] * 1000 for share in (0.5, 0.99))
    return f"{len(ordered)} answers, p50 {p50:.1f} ms, p99 {p99:.1f} ms, max {ordered[-1] * 1000:.1f} ms"


def sends() -> None:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("sends needs wrk (apt-get install wrk)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    environment = os.environ | {"FAKE_CDYNE_RETAIN_MESSAGES": "10000", "FAKE_CDYNE_REQUEST_LOG_SIZE": "1000"}
    program = shutil.which("fake-cdyne", path=str(Path(sys.executable).parent)) or "fake-cdyne"
    command = [program, "serve", "--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(command, env=environment)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/_fake/health", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # a benchmark's start-up poll, not a test
        url = f"http://127.0.0.1:{port}/sms.svc/SimpleSMSsend?PhoneNumber=17575550100&Message=hi&LicenseKey={KEY}"
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run(
                [wrk, "-t", "1", "-c", "20", "-d", "10s", url], capture_output=True, text=True, check=True, cwd=folder
            ).stdout
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
        print(out)
        print(f"  SimpleSMSsend over HTTP, 20 connections: {float(rate[1]) if rate else 0:,.0f} per second")
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", nargs="?", default="all", choices=["memory", "health", "sends", "all"])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--unretained", type=int, default=200_000, help="sends without retention first (0: none)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}", flush=True)
    if args.what in ("memory", "all"):
        memory(args.messages, args.unretained)
    if args.what in ("health", "all"):
        health(args.messages)
    if args.what in ("sends", "all"):
        sends()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent.parent))
    main()
