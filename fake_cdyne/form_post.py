"""Posting a form over HTTP/1.1, as postbacks need and no more: h11 over asyncio streams.

Postbacks have one shape: POST a small form, read the status, drain at most a cap of the answer, never
follow a redirect, never use a proxy. httpx spent about 1 ms of CPU on each (its pool, anyio), which
held delivery under 1,000 per second on two cores; this does the same job in a fraction of that.
Connections are kept alive per (scheme, host, port) and checked for a closed peer before reuse.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import h11


class PostFailed(Exception):
    """A failed attempt; its text is what the journal records (``ConnectError: ...``)."""


@dataclass(slots=True, eq=False)
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    protocol: h11.Connection

    def close(self) -> None:
        self.writer.close()


class FormPoster:
    def __init__(
        self, *, timeout: float, user_agent: str, max_response: int, tls: Callable[[], ssl.SSLContext]
    ) -> None:
        self.timeout = timeout
        self.user_agent = user_agent
        self.max_response = max_response
        self._tls = tls
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}

    async def post(self, url: str, body: bytes) -> int:
        """POST the form; the answer's status, or PostFailed saying what went wrong."""
        parts = urlsplit(url)
        scheme, host = parts.scheme, parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = parts.netloc.rpartition("@")[2]
        key = (scheme, host, port)
        try:
            async with asyncio.timeout(self.timeout):
                reused = self._take(key)
                if reused is not None:
                    try:
                        return await self._exchange(key, reused, host_header, target, body)
                    except (h11.RemoteProtocolError, ConnectionError):
                        pass  # the peer closed a kept-alive connection before our request: a new one
                fresh = await self._open(scheme, host, port)
                return await self._exchange(key, fresh, host_header, target, body)
        except TimeoutError:
            raise PostFailed(f"timed out after {self.timeout} s") from None
        except h11.RemoteProtocolError as error:
            raise PostFailed(f"RemoteProtocolError: {error}") from None
        except ssl.SSLError as error:
            raise PostFailed(f"ConnectError: {error}") from None
        except OSError as error:
            raise PostFailed(f"ReadError: {error}" if str(error) else "ReadError") from None

    def _take(self, key: tuple[str, str, int]) -> _Connection | None:
        idle = self._idle.get(key)
        while idle:
            connection = idle.pop()
            if not connection.reader.at_eof() and not connection.writer.is_closing():
                return connection
            connection.close()
        return None

    async def _open(self, scheme: str, host: str, port: int) -> _Connection:
        tls = self._tls() if scheme == "https" else None
        try:
            reader, writer = await asyncio.open_connection(host, port, ssl=tls, server_hostname=host if tls else None)
        except (OSError, ssl.SSLError) as error:
            raise PostFailed(f"ConnectError: {error}") from None
        return _Connection(reader, writer, h11.Connection(h11.CLIENT))

    async def _exchange(
        self, key: tuple[str, str, int], connection: _Connection, host: str, target: str, body: bytes
    ) -> int:
        protocol = connection.protocol
        headers = [
            ("Host", host),
            ("User-Agent", self.user_agent),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Content-Length", str(len(body))),
        ]
        try:
            request = protocol.send(h11.Request(method="POST", target=target, headers=headers)) or b""
            connection.writer.write(request + (protocol.send(h11.Data(data=body)) or b""))
            connection.writer.write(protocol.send(h11.EndOfMessage()) or b"")
            await connection.writer.drain()
            status, read = 0, 0
            while True:
                event = protocol.next_event()
                if event is h11.NEED_DATA:
                    protocol.receive_data(await connection.reader.read(65536))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    read += len(event.data)
                    if read >= self.max_response:  # enough: do not read a huge answer
                        connection.close()
                        return status
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    break
        except BaseException:
            connection.close()
            raise
        if protocol.our_state is h11.DONE and protocol.their_state is h11.DONE:
            protocol.start_next_cycle()
            self._idle.setdefault(key, []).append(connection)
        else:
            connection.close()
        return status

    async def aclose(self) -> None:
        """Close the kept-alive connections and wait (at most a second: TLS waits on the peer) until closed."""
        closing = [connection.writer for connections in self._idle.values() for connection in connections]
        self._idle.clear()
        for writer in closing:
            writer.close()
        if closing:
            await asyncio.wait([asyncio.ensure_future(w.wait_closed()) for w in closing], timeout=1)
