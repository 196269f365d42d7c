"""The send path with ``--store`` against in memory:  python bench/store.py [--seconds 2] [--rounds 3]

Two fakes of the default install, one in memory and one with ``FAKE_CDYNE_STORE`` (a fresh SQLite file),
both pinned to the server core, measured in turns with wrk (bench/run.py's machinery): sends per second
without a postback URL, and with a postback to a live receiver (counted until every postback arrived).
After each store round, how long until every message of the round is in the database (the writer's lag).
Each figure is the median of the rounds; the ratio is the store's throughput over the in-memory one's
(the target is at least 0.5x).
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).parent.parent))
from bench.run import SEND, SEND_WITH_POSTBACK, all_arrived, cpu_seconds, default_stack, reset, running, wrk

CONNECTIONS = 10


def stored_messages(path: Path) -> int:
    with sqlite3.connect(path) as db:
        (count,) = db.execute("SELECT count(*) FROM records WHERE kind = 'messages'").fetchone()
        return int(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stack = default_stack()
    key = uuid.uuid4()
    lags: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "state.db"
        with (
            running("receiver", stack) as (_, receiver_url),
            running("fake", stack) as memory,
            running("fake", stack, env={"FAKE_CDYNE_STORE": str(db)}) as store,
        ):
            callback = quote(f"{receiver_url}/cb", safe="")
            taken: dict[str, tuple[float, float]] = {}

            def plain(name: str, pid: int, url: str) -> float:
                reset(url)
                before = cpu_seconds(pid)
                load = wrk(url + SEND.format(key=key), args.seconds, CONNECTIONS)
                taken[name] = (load.rps, (cpu_seconds(pid) - before) / load.requests * 1e6)
                return load.rps

            def with_postback(name: str, pid: int, url: str) -> float:
                before, cpu = all_arrived(receiver_url), cpu_seconds(pid)
                reset(url)
                started = time.monotonic()
                load = wrk(url + SEND_WITH_POSTBACK.format(key=key, url=callback), args.seconds, CONNECTIONS)
                delivered = all_arrived(receiver_url) - before
                if delivered < load.requests:
                    raise SystemExit(f"{load.requests} sends answered, {delivered} postbacks arrived")
                rate = load.requests / (time.monotonic() - started - 0.5)  # all_arrived waits 0.5 s of quiet
                taken[name] = (rate, (cpu_seconds(pid) - cpu) / load.requests * 1e6)
                if pid == store[0]:
                    lag_from = time.monotonic()
                    while stored_messages(db) < load.requests:
                        time.sleep(0.01)
                    lags.append(time.monotonic() - lag_from)
                return rate

            cases = {
                "memory": lambda: plain("memory", *memory),
                "store": lambda: plain("store", *store),
                "memory, postback": lambda: with_postback("memory, postback", *memory),
                "store, postback": lambda: with_postback("store, postback", *store),
            }
            cpu: dict[str, list[float]] = {name: [] for name in cases}
            rates: dict[str, list[float]] = {name: [] for name in cases}
            for round_ in range(args.rounds + 1):  # the first warms up
                for name, case in cases.items():
                    case()
                    if round_:
                        rates[name].append(taken[name][0])
                        cpu[name].append(taken[name][1])
    print(f"{stack}, {CONNECTIONS} connections, {args.seconds:g} s x {args.rounds} rounds, medians:")
    for case in ("", ", postback"):
        label = "send with a postback to a live receiver (until delivered)" if case else "send, no postback URL"
        m_rate, s_rate = statistics.median(rates[f"memory{case}"]), statistics.median(rates[f"store{case}"])
        m_cpu, s_cpu = statistics.median(cpu[f"memory{case}"]), statistics.median(cpu[f"store{case}"])
        print(f"  {label}:")
        print(f"    throughput: in memory {m_rate:,.0f}/s, --store {s_rate:,.0f}/s: {s_rate / m_rate:.2f}x")
        print(f"    CPU per send (all threads): in memory {m_cpu:.0f} µs, --store {s_cpu:.0f} µs: {m_cpu / s_cpu:.2f}x")
    print(f"  every message of a round in the database within {max(lags):.2f} s of its last postback")


if __name__ == "__main__":
    main()
