"""One server of the benchmarks in a process of its own, served as the pytest fixture serves the fake:

    python bench/serve.py fake|bare|receiver LOOP HTTP      (LOOP: uvloop or asyncio; HTTP: httptools or h11)

Prints the server's URL once it answers, then serves until SIGTERM.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent.parent))

from bench.bare import app, receiver
from fake_cdyne import Config, FakeServer
from fake_cdyne.server import ThreadedServer


def main() -> None:
    kind, loop, http = sys.argv[1:4]
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)  # the server's thread inherits this: only we wait on them
    server = (
        FakeServer(Config.from_env(port=0), loop=loop, http=http)
        if kind == "fake"
        else ThreadedServer(app if kind == "bare" else receiver, loop=loop, http=http)
    )
    server.start()
    print(server.url, flush=True)
    signal.sigwait(stop)
    server.stop()


if __name__ == "__main__":
    main()
