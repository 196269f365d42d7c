"""Running the fake: in the foreground (the CLI) or in a background thread (tests, the fixture).

The listening socket is bound before uvicorn starts, so the real port is known even for port 0, and
readiness is an event set once uvicorn is serving: callers wait on it with a deadline, never sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import platform
import socket
import sys
import threading
from collections.abc import Iterator
from types import TracebackType
from typing import Self

import uvicorn
from starlette.types import ASGIApp

from . import tls
from .app import FakeCdyneApp, create_app
from .config import Config
from .connections import DEFAULT_LIMITS, Limits, ServerConfig, protocol
from .errors import FakeCdyneError
from .tls import TLSFiles


class ServerFailed(FakeCdyneError):
    """The server did not start, or did not stop, within its deadline."""


def bind(host: str, port: int) -> socket.socket:
    """The listening socket. Its protocol is named (IPPROTO_TCP), not left 0: asyncio only sets TCP_NODELAY
    on sockets whose protocol says TCP, and without it every kept-alive answer waits about 40 ms for
    Nagle's algorithm to meet the client's delayed ACK. NODELAY on the listener is inherited by every
    accepted connection on Linux and the BSDs, whatever the event loop."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ServerFailed(f"cannot listen on {host}:{port}: {error.strerror}") from None
    sock.set_inheritable(True)
    return sock


def base_url(sock: socket.socket, scheme: str = "http") -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.ready = threading.Event()
        self.stack = ""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self.stack = describe_stack(self.config)
            self.ready.set()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        # Before uvicorn waits for open requests: a fake ends its event streams and long-polls first.
        if isinstance(self.config.app, FakeCdyneApp):
            self.config.app.service.begin_stop()
        await super().shutdown(sockets)

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        with super().capture_signals():
            yield
            # The graceful shutdown SIGTERM or SIGINT asked for is done: exit 0, rather than uvicorn's
            # raising the signal again to die by it (status 143 for SIGTERM, a failure to supervisors).
            self._captured_signals.clear()


# uvloop is a dependency only where it has a build (pyproject.toml).
UVLOOP_PLATFORM = sys.platform != "win32" and platform.python_implementation() == "CPython"


def describe_stack(config: uvicorn.Config) -> str:
    """What uvicorn chose, on the server's loop: uvloop and httptools (installed with the fake), else the
    standard library's asyncio and h11 (correct, about two thirds of the speed), and why."""
    loop = type(asyncio.get_running_loop()).__module__.partition(".")[0]
    parser = "httptools" if "HttpTools" in config.http_protocol_class.__name__ else "h11"
    reasons = [_why_not(name) for name, used in (("uvloop", loop), ("httptools", parser)) if name != used]
    return f"{loop} event loop, {parser} parser" + (f" ({'; '.join(reasons)})" if reasons else "")


def _installed(package: str) -> bool:
    return importlib.util.find_spec(package) is not None


def _why_not(package: str) -> str:
    if _installed(package):
        return f"{package} is installed, not chosen"
    if package == "uvloop" and not UVLOOP_PLATFORM:
        return "uvloop has no build for this platform"
    return f"{package} is missing: reinstall fake-cdyne"


def limits(config: Config) -> Limits:
    return Limits(config.header_timeout, config.max_connections, config.max_header_bytes)


def _uvicorn_config(
    app: ASGIApp,
    log_level: str,
    tls_files: TLSFiles | None = None,
    *,
    loop: str = "auto",
    http: str = "auto",
    connection_limits: Limits = DEFAULT_LIMITS,
) -> uvicorn.Config:
    return ServerConfig(
        app,
        limits=connection_limits,
        interface="asgi3",
        loop=loop,
        http=protocol(http),
        log_level=log_level,
        lifespan="on",
        access_log=False,
        timeout_graceful_shutdown=2,
        ssl_certfile=tls_files.certfile if tls_files else None,
        ssl_keyfile=tls_files.keyfile if tls_files else None,
    )


class ThreadedServer:
    """An ASGI app served by uvicorn in a background thread, on a port bound before it starts.
    ``loop`` and ``http`` choose uvicorn's event loop and HTTP parser ("auto": the fastest installed);
    ``connection_limits`` are the defences against slow and many clients (connections.py)."""

    name = "server"

    def __init__(
        self,
        app: ASGIApp,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        log_level: str = "warning",
        tls_files: TLSFiles | None = None,
        loop: str = "auto",
        http: str = "auto",
        connection_limits: Limits = DEFAULT_LIMITS,
    ) -> None:
        self.app = app
        self.host = host
        self.port = port
        self.tls_files = tls_files
        config = _uvicorn_config(app, log_level, tls_files, loop=loop, http=http, connection_limits=connection_limits)
        self._server = _Server(config)
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The server's root, e.g. ``http://127.0.0.1:54321``."""
        if self._socket is None:
            raise ServerFailed(f"the {self.name} is not started")
        return base_url(self._socket, "https" if self.tls_files else "http")

    def start(self, timeout: float = 10.0) -> Self:
        self._socket = bind(self.host, self.port)
        sock = self._socket
        self._thread = threading.Thread(target=lambda: self._server.run(sockets=[sock]), name=self.name, daemon=True)
        self._thread.start()
        if not self._server.ready.wait(timeout):
            self.stop()
            raise ServerFailed(f"the {self.name} did not start within {timeout} s")
        return self

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise ServerFailed(f"the {self.name} did not stop within {timeout} s")
        if self._socket is not None:
            self._socket.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


class FakeServer(ThreadedServer):
    """A fake in a background thread: ``with FakeServer() as fake: fake.service_url``."""

    name = "fake-cdyne"

    def __init__(
        self, config: Config | None = None, *, log_level: str = "warning", loop: str = "auto", http: str = "auto"
    ) -> None:
        self.starlette = create_app(config or Config(port=0))
        # The settings in effect, scenario files' defaults applied: the very object the fake runs on.
        self.config = self.starlette.service.config
        super().__init__(
            self.starlette,
            host=self.config.host,
            port=self.config.port,
            log_level=log_level,
            tls_files=tls.prepare(self.config),
            loop=loop,
            http=http,
            connection_limits=limits(self.config),
        )

    @property
    def ca_file(self) -> str | None:
        """The CA certificate to trust, when the fake made its own TLS certificate."""
        return self.tls_files.ca_file if self.tls_files else None

    @property
    def service_url(self) -> str:
        """What a CDYNE client is pointed at: ``<url>/sms.svc``."""
        return f"{self.url}/sms.svc"

    @property
    def messaging_url(self) -> str:
        """What a Messaging client is pointed at: ``<url>/Messaging.svc``."""
        return f"{self.url}/Messaging.svc"


def serve(config: Config, log_level: str = "info") -> None:
    """Run in the foreground until interrupted, printing the base URL once listening."""
    app = create_app(config)  # first: a broken scenario file stops it before it listens
    tls_files = tls.prepare(config)
    sock = bind(config.host, config.port)
    url = base_url(sock, "https" if tls_files else "http")
    server = _Server(_uvicorn_config(app, log_level, tls_files, connection_limits=limits(config)))

    def announce() -> None:
        if server.ready.wait():
            # The "serving" line is what scripts wait for, so everything they need is printed before it.
            print(f"fake-cdyne: the inbox (texts and postbacks, in a browser) is at {url}/", flush=True)
            print(f"fake-cdyne: {server.stack}", flush=True)
            if tls_files and tls_files.ca_file:
                print(f"fake-cdyne: clients should trust the CA certificate {tls_files.ca_file}", flush=True)
            print(f"fake-cdyne serving {url}/sms.svc (control API: {url}/_fake/)", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    server.run(sockets=[sock])
