"""fake-cdyne's benchmarks, in one command:  python bench/run.py [--seconds 10]

Prints a table and writes it to bench/results.md. Load comes from wrk (Debian's package ``wrk``) on
2 threads and 50 connections; every server is one uvicorn worker with the same loop and HTTP parser.

- the send path (SimpleSMSsendWithPostback, parse, decide, store, render) against a bare ASGI app that
  returns the same bytes, in the same run;
- GetMessageStatus with 1 and with 100,000 stored messages, and the memory those messages take;
- postbacks delivered per second to a local receiver, and the delay from "sent" to delivery;
- time until the pytest fixture's fake is ready, and until ``fake-cdyne serve`` answers.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))
from bench.fixture_ready import as_process, in_process  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def server(
    argv: list[str], port: int, ready_path: str, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}{ready_path}", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise SystemExit(f"{argv} did not start") from None
        yield process
    finally:
        process.terminate()
        process.wait(10)


def fake(port: int, **env: str) -> list[str]:
    return [sys.executable, "-m", "fake_cdyne", "serve", "--port", str(port), "--log-level", "warning"]


def bare(port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare:app",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url: str, seconds: int) -> tuple[float, float, float]:
    """Requests per second, p50 and p99 latency in ms."""
    out = subprocess.run(
        ["wrk", "-t2", "-c50", f"-d{seconds}s", "--latency", url], capture_output=True, text=True, check=True
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    latency = {p: float(v) * UNITS[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", out, re.M)}
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    return rps, latency["50"], latency["99"]


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS")


def send_path(seconds: int) -> list[tuple[str, str, str]]:
    key = str(uuid.uuid4())
    query = (
        f"/sms.svc/SimpleSMSsendWithPostback?PhoneNumber=7575449510&Message=Hello&LicenseKey={key}&StatusPostBackURL="
    )
    p1, p2 = free_port(), free_port()
    with server(bare(p1), p1, "/"):
        bare_rps, bare_p50, bare_p99 = wrk(f"http://127.0.0.1:{p1}{query}", seconds)
    with server(fake(p2), p2, "/_fake/health"):
        rps, p50, p99 = wrk(f"http://127.0.0.1:{p2}{query}", seconds)
    ratio = rps / bare_rps
    return [
        ("bare ASGI app, same bytes", f"{bare_rps:,.0f} req/s, p50 {bare_p50:.2f} ms, p99 {bare_p99:.2f} ms", ""),
        ("SimpleSMSsendWithPostback", f"{rps:,.0f} req/s, p50 {p50:.2f} ms, p99 {p99:.2f} ms",
         f"{ratio:.2f} of the bare app (target 0.5) {'ok' if ratio >= 0.5 else 'MISSED'}"),
    ]  # fmt: skip


def status_and_memory(seconds: int) -> list[tuple[str, str, str]]:
    port = free_port()
    key = str(uuid.uuid4())
    with (
        server(fake(port), port, "/_fake/health", {"FAKE_CDYNE_MAX_BODY_BYTES": "8000000"}) as process,
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as http,
    ):
        sent = http.get(
            "/sms.svc/SimpleSMSsend", params={"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": key}
        )
        mid = re.search(r"<MessageID>(.*?)</MessageID>", sent.text)[1]  # type: ignore[index]
        url = f"http://127.0.0.1:{port}/sms.svc/GetMessageStatus?MessageID={mid}"
        empty_rps, _, empty_p99 = wrk(url, seconds)
        before = rss_kib(process.pid)
        for batch in range(10):
            numbers = [f"1757{batch:02d}{n:05d}" for n in range(10_000)]
            body = {
                "LicenseKey": key,
                "SMSRequests": [{"Message": "a text of ordinary length, 40 chars", "PhoneNumbers": numbers}],
            }
            http.post("/sms.svc/AdvancedSMSsend", json=body).raise_for_status()
        per_message = (rss_kib(process.pid) - before) * 1024 / 100_000
        full_rps, _, full_p99 = wrk(url, seconds)
    ratio = empty_rps / full_rps
    return [
        ("GetMessageStatus, 1 message stored", f"{empty_rps:,.0f} req/s, p99 {empty_p99:.2f} ms", ""),
        ("GetMessageStatus, 100,001 stored", f"{full_rps:,.0f} req/s, p99 {full_p99:.2f} ms",
         f"{ratio:.2f}x the time per request (target 1.2) {'ok' if ratio <= 1.2 else 'MISSED'}"),
        ("memory per stored message", f"{per_message:,.0f} bytes (RSS growth over 100,000)",
         f"target 1,536 {'ok' if per_message <= 1536 else 'MISSED'}"),
    ]  # fmt: skip


def postbacks(count: int = 10_000) -> list[tuple[str, str, str]]:
    p_fake, p_receiver = free_port(), free_port()
    key = str(uuid.uuid4())
    env = {"FAKE_CDYNE_MAX_BODY_BYTES": "8000000"}
    with (
        server(bare(p_receiver), p_receiver, "/"),
        server(fake(p_fake), p_fake, "/_fake/health", env),
        httpx.Client(base_url=f"http://127.0.0.1:{p_fake}", timeout=300) as http,
    ):
        numbers = [f"1757{n:07d}" for n in range(count)]
        sms = {"Message": "x", "PhoneNumbers": numbers, "StatusPostBackURL": f"http://127.0.0.1:{p_receiver}/cb"}
        started = time.perf_counter()
        http.post("/sms.svc/AdvancedSMSsend", json={"LicenseKey": key, "SMSRequests": [sms]}).raise_for_status()
        done = http.get("/_fake/postbacks/wait", params={"license_key": key, "count": count, "timeout": 280})
        took = time.perf_counter() - started
        journal = done.json()
    delivered = sum(p["state"] == "delivered" for p in journal)
    delays = sorted(
        (datetime.fromisoformat(p["attempts"][0]["at"]) - datetime.fromisoformat(p["created_at"])).total_seconds()
        * 1000
        + p["attempts"][0]["latency_ms"]
        for p in journal
        if p["attempts"]
    )
    rate = delivered / took
    median, p99 = statistics.median(delays), delays[int(len(delays) * 0.99)]
    return [
        ("postbacks to a local receiver", f"{rate:,.0f} per second ({delivered:,} of {count:,} in {took:.1f} s)",
         f"target 1,000 {'ok' if rate >= 1000 else 'MISSED'}"),
        ("delay from sent to delivered", f"median {median:,.0f} ms, p99 {p99:,.0f} ms ({count:,} queued at once)", ""),
    ]  # fmt: skip


def readiness(rounds: int = 10) -> list[tuple[str, str, str]]:
    fixture = sorted(in_process() * 1000 for _ in range(rounds))
    serve = sorted(as_process() * 1000 for _ in range(rounds))
    return [
        ("pytest fixture's fake ready", f"median {statistics.median(fixture):.0f} ms, worst {fixture[-1]:.0f} ms",
         f"target 300 {'ok' if statistics.median(fixture) <= 300 else 'MISSED'}"),
        ("`fake-cdyne serve` answering", f"median {statistics.median(serve):.0f} ms, worst {serve[-1]:.0f} ms", ""),
    ]  # fmt: skip


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    try:
        import uvloop  # noqa: F401

        loop = "uvloop"
    except ImportError:
        loop = "asyncio"
    try:
        import httptools  # noqa: F401

        parser = "httptools"
    except ImportError:
        parser = "h11"
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, uvicorn with {loop} and {parser}"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=int, default=10, help="how long each wrk run lasts")
    seconds = options.parse_args().seconds
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    rows = send_path(seconds) + status_and_memory(seconds) + postbacks() + readiness()
    lines = [
        f"Measured {datetime.now():%Y-%m-%d} on {machine()}, with `python bench/run.py --seconds {seconds}`.",
        "",
        "| what | figure | against the target |",
        "|---|---|---|",
        *(f"| {what} | {figure} | {verdict} |" for what, figure, verdict in rows),
    ]
    text = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
