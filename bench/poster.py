"""The yardstick for postbacks: the least a Python client can do to POST N forms over kept-alive
connections, with prebuilt request bytes and no parsing beyond finding the end of each answer.

    python bench/poster.py URL COUNT CONNECTIONS LOOP      (LOOP: uvloop or asyncio)

Prints the seconds it took. The receiver (bench/bare.py) answers every POST with ``OK``.
"""

from __future__ import annotations

import asyncio
import sys
import time
from urllib.parse import urlsplit

BODY = (
    b"SMSSent=1&MessageID=7fc7f083-d169-4bc6-8ac7-1beaa6f9da11&ReferenceID=&FromPhoneNumber=17575550100"
    b"&ToPhoneNumber=17575449510&SentTime=12%2f1%2f2026+4%3a20%3a00+PM"
)


async def post_all(url: str, count: int, connections: int) -> float:
    parts = urlsplit(url)
    request = (
        f"POST /cb HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: CDYNE SMSv2\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY
    left = [count]

    async def worker() -> None:
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        while left[0] > 0:
            left[0] -= 1
            writer.write(request)
            answer = b""
            while not answer.endswith(b"\r\n\r\nOK"):
                chunk = await reader.read(65536)
                if not chunk:
                    raise SystemExit("the receiver closed the connection")
                answer += chunk
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    return time.perf_counter() - started


def main() -> None:
    url, count, connections, loop = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    if loop == "uvloop":
        import uvloop

        print(uvloop.run(post_all(url, count, connections)))
    else:
        print(asyncio.run(post_all(url, count, connections)))


if __name__ == "__main__":
    main()
