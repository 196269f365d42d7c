"""The postback client's HTTP edge cases, against raw servers that answer exactly as told."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable

import pytest

from fake_cdyne.form_post import FormPoster, PostFailed

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    return head + await reader.readexactly(length)


def poster(timeout: float = 5) -> FormPoster:
    return FormPoster(timeout=timeout, user_agent="CDYNE SMSv2", max_response=65536, tls=ssl.create_default_context)


def run(handler: Handler, scenario: Callable[[str, list[int]], Awaitable[None]]) -> list[int]:
    """Serve ``handler`` on a free port while ``scenario`` posts to it; returns connections per request."""
    connections: list[int] = []

    async def main() -> None:
        count = 0

        async def counted(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal count
            count += 1
            connections.append(count)
            await handler(reader, writer)

        server = await asyncio.start_server(counted, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            await scenario(f"http://127.0.0.1:{port}/cb?x=1", connections)

    asyncio.run(main())
    return connections


def test_chunked_answers_and_keep_alive() -> None:
    seen: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(2):
            seen.append(await read_request(reader))
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n0\r\n\r\n")
            await writer.drain()
        writer.close()

    async def scenario(url: str, connections: list[int]) -> None:
        client = poster()
        assert await client.post(url, b"SMSSent=1") == 200
        assert await client.post(url, b"SMSSent=1") == 200
        await client.aclose()

    assert run(handler, scenario) == [1]  # one connection for both
    assert seen[0].startswith(b"POST /cb?x=1 HTTP/1.1\r\n")
    assert b"User-Agent: CDYNE SMSv2\r\n" in seen[0]
    assert b"Content-Type: application/x-www-form-urlencoded\r\n" in seen[0]
    assert seen[0].endswith(b"\r\n\r\nSMSSent=1")


def test_a_kept_alive_connection_the_peer_closed_is_replaced() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()  # keep-alive allowed by HTTP/1.1, but the server hangs up anyway

    async def scenario(url: str, connections: list[int]) -> None:
        client = poster()
        assert await client.post(url, b"a=1") == 200
        while len(connections) < 1:
            await asyncio.sleep(0)
        assert await client.post(url, b"a=2") == 200
        await client.aclose()

    assert run(handler, scenario) == [1, 2]


def test_a_huge_answer_is_not_read_to_the_end() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 500 Oops\r\nContent-Length: 100000000\r\n\r\n" + b"x" * 200_000)
        await writer.drain()
        await asyncio.Event().wait()  # it never sends the rest: the client must not wait for it

    async def scenario(url: str, connections: list[int]) -> None:
        client = poster(timeout=5)
        assert await client.post(url, b"a=1") == 500
        await client.aclose()

    run(handler, scenario)


def test_an_informational_answer_comes_before_the_status() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n")
        await writer.drain()
        writer.close()

    async def scenario(url: str, connections: list[int]) -> None:
        client = poster()
        assert await client.post(url, b"a=1") == 204
        await client.aclose()

    run(handler, scenario)


def test_garbage_instead_of_http() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
        await writer.drain()
        writer.close()

    async def scenario(url: str, connections: list[int]) -> None:
        with pytest.raises(PostFailed, match="RemoteProtocolError"):
            await poster().post(url, b"a=1")

    run(handler, scenario)


def test_a_url_a_request_line_cannot_carry_fails_the_attempt() -> None:
    async def scenario() -> None:
        for url in ("http://127.0.0.1:9/a b", "http://127.0.0.1:9/caf\u00e9"):
            with pytest.raises(PostFailed, match="InvalidURL"):
                await poster().post(url, b"a=1")

    asyncio.run(scenario())
