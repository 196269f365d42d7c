"""Instructions per request, counted by valgrind's callgrind: a figure that does not move with the load
of a shared machine, for telling whether a change made the fake leaner (CPU time, what bench/run.py
measures, swings by a fifth and more between runs on a busy machine; this, by well under 1%).

    python bench/instructions.py [--requests 4000]      (needs valgrind: apt-get install valgrind)

Each server of bench/serve.py runs under callgrind with counting off; after a warm-up, counting is on
for exactly ``--requests`` requests made over 10 kept-alive connections (and, with a postback, until the
receiver, outside valgrind, has every postback), then off again. Prints the bare app's, the fake's send
and the fake's send with a postback, each per request and as a ratio to the bare app. It counts what
the server's own code executes, not the kernel's work (system calls) nor cache misses: a guide, not a
replacement for the CPU time.

4,000 requests by default: the fake keeps what it stores, so the collector's full collections come as
its heap grows, and the first falls just after the warm-up. Over 1,000 requests that one collection
(some 20 million instructions) weighs 14,000 a send; over 4,000 the collector's share is its steady
one, about 9,000.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

ROOT = Path(__file__).parent.parent
sys.path.insert(0, str(ROOT))
from bench.run import SEND, SEND_WITH_POSTBACK, Stack, default_stack, running  # noqa: E402

CONNECTIONS = 10


async def _get_all(url: str, count: int) -> None:
    """``count`` GETs of ``url`` over CONNECTIONS kept-alive connections, each answer read whole."""
    parts = urlsplit(url)
    request = f"GET {parts.path}?{parts.query} HTTP/1.1\r\nHost: {parts.netloc}\r\n\r\n".encode()

    async def one_connection(requests: int) -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        for _ in range(requests):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = re.search(rb"(?i)\r\ncontent-length:\s*(\d+)", head)
            await reader.readexactly(int(length[1]) if length else 0)
        writer.close()

    await asyncio.gather(*(one_connection(count // CONNECTIONS) for _ in range(CONNECTIONS)))


def get_all(url: str, count: int) -> None:
    asyncio.run(_get_all(url, count))


def counted(kind: str, stack: Stack, path: str, requests: int, receiver_url: str | None = None) -> float:
    """Instructions the server of ``kind`` executes per request of ``path``."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work, "callgrind.out")
        argv = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}", sys.executable]
        argv += [str(ROOT / "bench" / "serve.py"), kind, stack.loop, stack.http]
        server = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert server.stdout is not None
        try:
            url = server.stdout.readline().strip() + path
            get_all(url, 300)  # warming up
            before = int(httpx.get(receiver_url).text) if receiver_url else 0
            subprocess.run(["callgrind_control", "-i", "on", str(server.pid)], check=True, capture_output=True)
            get_all(url, requests)
            deadline = time.monotonic() + 300
            while receiver_url and int(httpx.get(receiver_url).text) - before < requests:
                if time.monotonic() > deadline:
                    raise SystemExit("the postbacks did not all arrive")
                time.sleep(0.1)
            time.sleep(0.2 if receiver_url else 0)  # the last answers' bookkeeping after they went out
            subprocess.run(["callgrind_control", "-i", "off", str(server.pid)], check=True, capture_output=True)
        finally:
            server.terminate()
            server.wait(120)
            server.stdout.close()
        totals = next(line for line in out.read_text().splitlines() if line.startswith("totals:"))
        return int(totals.split()[1]) / requests


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--requests", type=int, default=4000, help="requests counted for each figure")
    arguments = options.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("bench/instructions.py needs valgrind: apt-get install valgrind")
    stack, requests, key = default_stack(), arguments.requests, uuid.uuid4()
    with running("receiver", stack) as (_, receiver_url):
        postback = SEND_WITH_POSTBACK.format(key=key, url=quote(f"{receiver_url}/cb", safe=""))
        bare = counted("bare", stack, SEND.format(key=key), requests)
        send = counted("fake", stack, SEND.format(key=key), requests)
        with_postback = counted("fake", stack, postback, requests, receiver_url)
    print(f"Instructions per request ({requests} requests, {stack}), as counted by callgrind:")
    print(f"  bare app                          {bare:>9,.0f}")
    print(f"  send, no postback URL             {send:>9,.0f}   {send / bare:.2f}x")
    print(f"  send with its postback delivered  {with_postback:>9,.0f}   {with_postback / bare:.2f}x")


if __name__ == "__main__":
    main()
