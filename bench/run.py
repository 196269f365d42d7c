"""fake-cdyne's benchmarks, in one command:  python bench/run.py [--seconds 2] [--rounds 3] [--stack both] [--cases ...]

Every figure is a ratio to a bare reference measured in the same run on the same stack: the bare ASGI
app of bench/bare.py (the fake's send answer, nothing more), served the way the pytest fixture serves
the fake (bench/serve.py). Two stacks: the default install (uvloop and httptools, when installed) and
plain asyncio with h11, which is what platforms without uvloop get. The servers run pinned to core 0,
the load (wrk, from Debian's package ``wrk``) and the postback receiver to core 1, when there are two.
The fake and its reference are measured in turns, ``--rounds`` times each; each figure is the median,
and each ratio the median of the rounds' own ratios, with the worst round's beside it: a busy spell of a
shared machine weighs on both sides of a round.

- CPU per request of the server process (utime + stime from /proc/<pid>/stat) under load: a send without
  a postback URL, and a send with a postback to a live receiver, counted until every postback arrived;
- one connection, sequential requests: the median round trip of a send;
- postbacks per second (10,000 queued at once) against a bare client posting the same forms;
- GetMessageStatus with 1 and 100,001 stored messages, and the memory a message takes;
- how soon the pytest fixture's fake answers, against a bare app in a thread;
- a small user project's ``pytest`` (one test, 50 sequential sends through the fixture), timed, against
  the same test on a bare app.

Prints a table and writes it to bench/results.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import httpx

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))
from bench.fixture_ready import in_process  # noqa: E402

SERVER_CORE, LOAD_CORE = 0, 1
CONNECTIONS = 50
SEND = "/sms.svc/SimpleSMSsend?PhoneNumber=7575449510&Message=Hello&LicenseKey={key}"
SEND_WITH_POSTBACK = (
    "/sms.svc/SimpleSMSsendWithPostback?PhoneNumber=7575449510&Message=Hello&LicenseKey={key}&StatusPostBackURL={url}"
)


@dataclass(frozen=True)
class Stack:
    name: str
    loop: str
    http: str

    def __str__(self) -> str:
        return f"{self.loop} + {self.http}"


def default_stack() -> Stack:
    """What uvicorn picks on this install ("auto"): uvloop and httptools when importable."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    return Stack("default install", loop, http)


PLAIN = Stack("plain", "asyncio", "h11")


def pinned(core: int) -> list[str]:
    if (os.cpu_count() or 1) < 2 or shutil.which("taskset") is None:
        return []
    return ["taskset", "-c", str(core)]


@contextmanager
def running(kind: str, stack: Stack, env: dict[str, str] | None = None) -> Iterator[tuple[int, str]]:
    """A server of bench/serve.py: its pid and URL."""
    core = LOAD_CORE if kind == "receiver" else SERVER_CORE
    argv = [*pinned(core), sys.executable, str(ROOT / "bench" / "serve.py"), kind, stack.loop, stack.http]
    process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        url = process.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit(f"{argv} did not start")
        yield process.pid, url
    finally:
        process.terminate()
        process.wait(10)
        process.stdout.close()


def cpu_seconds(pid: int) -> float:
    """utime + stime of the whole process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Load:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}
CASES = ("sequential", "send", "rate", "status", "ready", "user")


def wrk(url: str, seconds: float, connections: int = CONNECTIONS) -> Load:
    out = subprocess.run(
        [*pinned(LOAD_CORE), "wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"wrk saw errors:\n{out}")
    requests = int(re.search(r"(\d+) requests in", out)[1])  # type: ignore[index]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1])  # type: ignore[index]
    latency = {p: float(v) * UNITS[u] for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)", out, re.M)}
    return Load(requests, rps, latency["50"], latency["99"])


def reset(url: str) -> None:
    """Forget every message and postback, as the fixture does after each test: a round starts afresh."""
    httpx.post(f"{url}/_fake/reset", json={}).raise_for_status()


def cpu_per_request(pid: int, url: str, seconds: float) -> float:
    """Microseconds of the server's CPU per request under wrk's load."""
    before = cpu_seconds(pid)
    load = wrk(url, seconds)
    return (cpu_seconds(pid) - before) / load.requests * 1e6


def received(receiver_url: str) -> int:
    return int(httpx.get(receiver_url, timeout=10).text)


def all_arrived(receiver_url: str, timeout: float = 120) -> int:
    """The receiver's count once it has stopped growing (half a second without a new postback)."""
    deadline = time.monotonic() + timeout
    count, since = received(receiver_url), time.monotonic()
    while time.monotonic() - since < 0.5:
        if time.monotonic() > deadline:
            raise SystemExit("postbacks still arriving after the deadline")
        time.sleep(0.05)
        now = received(receiver_url)
        if now != count:
            count, since = now, time.monotonic()
    return count


@dataclass(frozen=True)
class Row:
    case: str
    stack: Stack
    fake: str
    bare: str
    ratio: float  # the fake's cost over the bare one's: 1.0 is as cheap as doing nothing
    floor: float | None = None
    goal: float | None = None
    worst: float | None = None  # the highest ratio of one round (taken in turns), when there were rounds

    def shown(self) -> str:
        worst = f" (worst {self.worst:.2f}x)" if self.worst is not None else ""
        return f"{self.ratio:.2f}x{worst}"

    def verdict(self) -> str:
        if self.goal is not None and self.ratio <= self.goal:
            return "goal met"
        if self.floor is not None:
            return "floor met" if self.ratio <= self.floor else "**MISSED the floor**"
        return ""


def postback_cpu(pid: int, url: str, receiver_url: str, seconds: float) -> float:
    """Microseconds of the fake's CPU per send, from the first send until the last postback arrived."""
    start_count = all_arrived(receiver_url)
    reset(url.partition("/sms.svc")[0])
    before = cpu_seconds(pid)
    load = wrk(url, seconds)
    delivered = all_arrived(receiver_url) - start_count
    if delivered < load.requests:
        raise SystemExit(f"{load.requests} sends answered but only {delivered} postbacks arrived")
    return (cpu_seconds(pid) - before) / delivered * 1e6


def in_turns(measures: dict[str, Callable[[], float]], rounds: int) -> dict[str, list[float]]:
    """Each measure ``rounds`` times, taken in turns, so a busy spell of the machine weighs on all."""
    for measure in measures.values():
        measure()  # warming up
    taken: dict[str, list[float]] = {name: [] for name in measures}
    for _ in range(rounds):
        for name, measure in measures.items():
            taken[name].append(measure())
    return taken


def alternating(measures: dict[str, Callable[[], float]], rounds: int) -> dict[str, float]:
    """Each measure's median over ``rounds``, taken in turns."""
    return {name: statistics.median(values) for name, values in in_turns(measures, rounds).items()}


def paired(over: list[float], under: list[float]) -> tuple[float, float]:
    """The median and the highest of the rounds' ratios ``over[i] / under[i]``: each round's two figures
    were taken one after the other, so their ratio is steadier than a ratio of medians."""
    ratios = [a / b for a, b in zip(over, under, strict=True)]
    return statistics.median(ratios), max(ratios)


def send_cpu(stack: Stack, seconds: float, rounds: int) -> list[Row]:
    key = uuid.uuid4()
    with (
        running("bare", stack) as (bare_pid, bare_url),
        running("receiver", stack) as (_, receiver_url),
        running("fake", stack) as (pid, url),
    ):
        with_postback = url + SEND_WITH_POSTBACK.format(key=key, url=quote(f"{receiver_url}/cb", safe=""))
        taken = in_turns(
            {
                "bare": lambda: cpu_per_request(bare_pid, bare_url + SEND.format(key=key), seconds),
                "fake": lambda: reset(url) or cpu_per_request(pid, url + SEND.format(key=key), seconds),
                "postback": lambda: postback_cpu(pid, with_postback, receiver_url, seconds),
            },
            rounds,
        )
    cpu = {name: statistics.median(values) for name, values in taken.items()}
    bare = cpu["bare"]
    send, send_worst = paired(taken["fake"], taken["bare"])
    post, post_worst = paired(taken["postback"], taken["bare"])
    return [
        Row("send, no postback URL: CPU per request", stack, f"{cpu['fake']:.0f} µs", f"{bare:.0f} µs",
            send, 2.0, 1.6, send_worst),
        Row("send with a postback to a live receiver: CPU per request, delivery included", stack,
            f"{cpu['postback']:.0f} µs", f"{bare:.0f} µs", post, 4.0, 3.0, post_worst),
    ]  # fmt: skip


def sequential(stack: Stack, seconds: float, rounds: int) -> Row:
    key = uuid.uuid4()
    with running("bare", stack) as (_, bare_url), running("fake", stack) as (_, url):
        taken = in_turns(
            {
                "bare": lambda: wrk(bare_url + SEND.format(key=key), seconds, connections=1).p50_ms,
                "fake": lambda: wrk(url + SEND.format(key=key), seconds, connections=1).p50_ms,
            },
            rounds,
        )
    fake, bare = statistics.median(taken["fake"]), statistics.median(taken["bare"])
    ratio, worst = paired(taken["fake"], taken["bare"])
    return Row("one connection, sequential sends: p50 round trip", stack,
               f"{fake * 1000:.0f} µs", f"{bare * 1000:.0f} µs", ratio, 2.0, 1.5, worst)  # fmt: skip


def postback_rate(stack: Stack, rounds: int, count: int = 10_000) -> Row:
    env = {"FAKE_CDYNE_MAX_BODY_BYTES": "8000000"}
    poster = [*pinned(SERVER_CORE), sys.executable, str(ROOT / "bench" / "poster.py")]
    with (
        running("receiver", stack) as (_, receiver_url),
        running("fake", stack, env) as (_, url),
        httpx.Client(base_url=url, timeout=300) as http,
    ):

        def bare() -> float:
            argv = [*poster, receiver_url, str(count), "32", stack.loop]
            return count / float(subprocess.run(argv, capture_output=True, text=True, check=True).stdout)

        def fake() -> float:
            reset(url)
            key = str(uuid.uuid4())
            numbers = [f"1757{n:07d}" for n in range(count)]
            sms = {"Message": "x", "PhoneNumbers": numbers, "StatusPostBackURL": f"{receiver_url}/cb"}
            started = time.perf_counter()
            http.post("/sms.svc/AdvancedSMSsend", json={"LicenseKey": key, "SMSRequests": [sms]}).raise_for_status()
            done = http.get("/_fake/postbacks/wait", params={"license_key": key, "count": count, "timeout": 280})
            took = time.perf_counter() - started
            delivered = sum(p["state"] == "delivered" for p in done.json())
            if delivered < count:
                raise SystemExit(f"only {delivered} of {count} postbacks delivered")
            return count / took

        taken = in_turns({"fake": fake, "bare": bare}, rounds)
    rate = {name: statistics.median(values) for name, values in taken.items()}
    ratio, worst = paired(taken["bare"], taken["fake"])
    return Row(f"postbacks per second, {count:,} queued at once", stack, f"{rate['fake']:,.0f}/s",
               f"{rate['bare']:,.0f}/s", ratio, worst=worst)  # fmt: skip


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise SystemExit("no VmRSS")


def status_and_memory(stack: Stack, seconds: float) -> list[Row]:
    key = str(uuid.uuid4())
    env = {"FAKE_CDYNE_MAX_BODY_BYTES": "8000000"}
    with running("fake", stack, env) as (pid, url), httpx.Client(base_url=url, timeout=120) as http:
        sent = http.get(
            "/sms.svc/SimpleSMSsend", params={"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": key}
        )
        mid = re.search(r"<MessageID>(.*?)</MessageID>", sent.text)[1]  # type: ignore[index]
        status_url = f"{url}/sms.svc/GetMessageStatus?MessageID={mid}"
        wrk(status_url, 1)
        one = cpu_per_request(pid, status_url, seconds)
        before = rss_kib(pid)
        for batch in range(10):
            numbers = [f"1757{batch:02d}{n:05d}" for n in range(10_000)]
            sms = {"Message": "a text of ordinary length, 40 chars", "PhoneNumbers": numbers}
            http.post("/sms.svc/AdvancedSMSsend", json={"LicenseKey": key, "SMSRequests": [sms]}).raise_for_status()
        per_message = (rss_kib(pid) - before) * 1024 / 100_000
        full = cpu_per_request(pid, status_url, seconds)
    return [
        Row("GetMessageStatus, 100,001 stored (bare: 1 stored): CPU per request", stack, f"{full:.0f} µs",
            f"{one:.0f} µs", full / one, 1.2),
        Row("memory per stored message (RSS growth over 100,000)", stack, f"{per_message:,.0f} bytes",
            "1,536 bytes (the target)", per_message / 1536, 1.0),
    ]  # fmt: skip


def bare_ready() -> float:
    from bench.bare import app
    from fake_cdyne.server import ThreadedServer

    started = time.perf_counter()
    server = ThreadedServer(app).start()
    httpx.get(f"{server.url}/").raise_for_status()
    ready = time.perf_counter() - started
    server.stop()
    return ready


def readiness(stack: Stack, rounds: int = 10) -> Row:
    ready = alternating({"fake": lambda: in_process() * 1000, "bare": lambda: bare_ready() * 1000}, rounds)
    return Row("the pytest fixture's fake answering, from start", stack, f"{ready['fake']:.0f} ms",
               f"{ready['bare']:.0f} ms", ready["fake"] / ready["bare"])  # fmt: skip


USER_TEST = """
import httpx


def test_fifty_sends(service_url, license_key):
    with httpx.Client(base_url=service_url) as http:
        for _ in range(50):
            params = {"PhoneNumber": "7575449510", "Message": "Hi", "LicenseKey": license_key}
            answer = http.get("/SimpleSMSsend", params=params)
            assert "<SMSError>NoError</SMSError>" in answer.text
"""
FAKE_CONFTEST = """
import pytest
from fake_cdyne import Config, FakeServer


@pytest.fixture(scope="session")
def fake_cdyne_url():  # the plugin's fixture, on the stack under test
    with FakeServer(Config(port=0), loop="{loop}", http="{http}") as server:
        yield server.url


@pytest.fixture
def service_url(fake_cdyne):
    return fake_cdyne.base_url


@pytest.fixture
def license_key(fake_cdyne):
    return fake_cdyne.license_key
"""
BARE_CONFTEST = """
import sys
import uuid

import pytest

sys.path.insert(0, {root!r})
from bench.bare import app
from fake_cdyne.server import ThreadedServer


@pytest.fixture(scope="session")
def service_url():
    with ThreadedServer(app, loop="{loop}", http="{http}") as server:
        yield server.url + "/sms.svc"


@pytest.fixture
def license_key():
    return str(uuid.uuid4())
"""


def user_project(stack: Stack, rounds: int = 5) -> Row:
    """`pytest` in a new project of one test making 50 sends: through fake-cdyne's fixture, and on a bare
    app (the plugin off)."""
    with tempfile.TemporaryDirectory() as fake_project, tempfile.TemporaryDirectory() as bare_project:
        for project, conftest in ((fake_project, FAKE_CONFTEST), (bare_project, BARE_CONFTEST)):
            Path(project, "conftest.py").write_text(conftest.format(root=str(ROOT), loop=stack.loop, http=stack.http))
            Path(project, "test_sends.py").write_text(textwrap.dedent(USER_TEST))

        def timed(project: str, *flags: str) -> Callable[[], float]:
            def run() -> float:
                started = time.perf_counter()
                subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *flags],
                               cwd=project, check=True, capture_output=True)  # fmt: skip
                return time.perf_counter() - started

            return run

        times = alternating({"fake": timed(fake_project), "bare": timed(bare_project, "-p", "no:fake_cdyne")}, rounds)
    return Row("a user project's `pytest`: one test, 50 sequential sends", stack, f"{times['fake']:.2f} s",
               f"{times['bare']:.2f} s", times["fake"] / times["bare"])  # fmt: skip


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())  # fmt: skip
    pinning = "servers on core 0, load on core 1" if pinned(0) else "not pinned (taskset or a second core missing)"
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {pinning}"


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--seconds", type=float, default=2, help="how long each measured wrk run lasts")
    options.add_argument("--rounds", type=int, default=3, help="measured runs of each case, taken in turns")
    options.add_argument("--stack", choices=["default", "plain", "both"], default="both")
    options.add_argument(
        "--cases",
        default=",".join(CASES),
        help=f"which cases to run, comma-separated (default all: {','.join(CASES)})",
    )
    arguments = options.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench needs wrk: apt-get install wrk")
    default = default_stack()
    stacks = {"default": [default], "plain": [PLAIN], "both": [default, PLAIN]}[arguments.stack]
    seconds, rounds = arguments.seconds, arguments.rounds
    cases = arguments.cases.split(",")
    if unknown := set(cases) - set(CASES):
        raise SystemExit(f"no such case: {', '.join(sorted(unknown))} (the cases: {', '.join(CASES)})")
    rows: list[Row] = []
    for stack in stacks:
        rows += [sequential(stack, seconds, rounds)] if "sequential" in cases else []
        rows += send_cpu(stack, seconds, rounds) if "send" in cases else []
        rows += [postback_rate(stack, rounds)] if "rate" in cases else []
    rows += status_and_memory(default, seconds) if "status" in cases else []
    rows += [readiness(default)] if "ready" in cases else []
    rows += [user_project(stack) for stack in stacks] if "user" in cases else []
    goals = [r for r in rows if r.goal is not None]
    worst = max(goals, key=lambda r: r.ratio / (r.goal or 1)) if goals else None
    lines = [
        f"Measured {datetime.now():%Y-%m-%d} on {machine()},",
        f"with `python bench/run.py --seconds {seconds:g} --rounds {rounds} --stack {arguments.stack}"
        + (f" --cases {arguments.cases}`." if set(cases) != set(CASES) else "`."),
        f"The default install here runs {default}. Ratio: the fake's cost over the bare reference's (lower is better),",
        "the median of the rounds' ratios (each round measures both, one after the other), and the worst round's.",
        "",
        "| case | stack | fake | bare | ratio | floor | goal | |",
        "|---|---|---|---|---|---|---|---|",
        *(
            f"| {r.case} | {r.stack} | {r.fake} | {r.bare} | {r.shown()} | "
            f"{f'{r.floor:g}x' if r.floor else ''} | {f'{r.goal:g}x' if r.goal else ''} | {r.verdict()} |"
            for r in rows
        ),
        "",
        f"Furthest from its goal: {worst.case} on {worst.stack}, {worst.ratio:.2f}x against {worst.goal:g}x."
        if worst is not None
        else "",
    ]
    text = "\n".join(lines) + "\n"
    (ROOT / "bench" / "results.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
