"""CreateMediaFromUrl with ``media_fetch`` on: only loopback (and allowed) hosts, within the size limit
and the timeout, no redirects; off the event loop it answers with the file, on the loop it answers at
once and fills the bytes in later, never blocking the loop."""

from __future__ import annotations

import asyncio
import base64
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from fake_cdyne.config import Config
from fake_cdyne.messaging import media_fetch
from fake_cdyne.messaging.media import Media
from fake_cdyne.service import Service

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
)


class Files(BaseHTTPRequestHandler):
    """/png: a PNG; /big: 2000 bytes; /chunked: 2000 bytes without a Content-Length; /moved: a redirect;
    /slow: waits for the test's event; anything else 404."""

    release = threading.Event()

    def do_GET(self) -> None:
        if self.path == "/slow":
            self.release.wait(10)
        if self.path == "/moved":
            self.send_response(302)
            self.send_header("Location", "/png")
            self.end_headers()
            return
        body = {"/png": PNG, "/big": bytes(2000), "/chunked": bytes(2000), "/slow": PNG}.get(self.path)
        self.send_response(200 if body is not None else 404)
        if self.path != "/chunked":
            self.send_header("Content-Length", str(len(body or b"")))
        self.end_headers()
        self.wfile.write(body or b"")

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def files() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Files.release.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    Files.release.set()
    server.shutdown()
    server.server_close()


def fetching(**settings: Any) -> Media:
    return Media(Service(Config(port=0, media_fetch=True, **settings)))


def url_request(key: uuid.UUID, url: str, name: str = "file") -> dict[str, Any]:
    return {"Filename": name, "LicenseKey": key, "Tags": None, "Url": url}


def test_off_the_loop_it_answers_with_the_fetched_file(files: str) -> None:
    media, key = fetching(), uuid.uuid4()
    answer = media.create_media_from_url(url_request(key, f"{files}/png")).value
    assert answer is not None
    assert (answer["FileSize"], answer["MimeType"]) == (len(PNG), "image/png")  # from the bytes: no extension
    assert media.get_media(key, answer["MediaId"]).value == base64.b64encode(PNG).decode()


@pytest.mark.parametrize("path", ["/big", "/chunked", "/moved", "/missing"])
def test_a_fetch_over_the_limit_redirected_or_failed_is_null(files: str, path: str) -> None:
    media, key = fetching(max_media_bytes=1000), uuid.uuid4()
    assert media.create_media_from_url(url_request(key, f"{files}{path}")).value is None
    assert media.service.store.media.of(key) == []


def test_a_fetch_past_its_timeout_is_null(files: str) -> None:
    media = fetching(media_fetch_timeout=0.2)
    assert media.create_media_from_url(url_request(uuid.uuid4(), f"{files}/slow")).value is None


def test_only_loopback_hosts_unless_allowed(files: str) -> None:
    assert media_fetch.allowed("http://localhost:1/a", ())
    assert media_fetch.allowed("http://[::1]:1/a", ())
    assert media_fetch.allowed("http://127.9.9.9/a", ())
    assert not media_fetch.allowed("http://example.com/a", ())
    assert not media_fetch.allowed("http://10.0.0.1/a", ())
    assert media_fetch.allowed("http://Example.COM./a", ("example.com",))
    assert media_fetch.allowed("http://example.net/a", ("*",))
    assert not media_fetch.allowed("file:///etc/passwd", ("*",))
    media = fetching()
    assert media.create_media_from_url(url_request(uuid.uuid4(), "http://example.com/a.png")).value is None


def test_on_the_loop_it_answers_at_once_and_fills_the_bytes_in(files: str) -> None:
    media, key = fetching(), uuid.uuid4()

    async def run() -> tuple[dict[str, Any] | None, bool]:
        answer = media.create_media_from_url(url_request(key, f"{files}/slow", "a")).value
        ticked = asyncio.Event()
        asyncio.get_running_loop().call_soon(ticked.set)
        await asyncio.wait_for(ticked.wait(), 5)  # the loop runs while the fetch waits
        Files.release.set()
        await asyncio.wait_for(media.settled(), 10)
        return answer, ticked.is_set()

    answer, loop_ran = asyncio.run(run())
    assert loop_ran
    assert answer is not None
    assert (answer["FileSize"], answer["MimeType"]) == (0, "application/octet-stream")
    (item,) = media.service.store.media.of(key)
    assert (item.size, item.mime_type) == (len(PNG), "image/png")


def test_on_the_loop_a_failed_fetch_drops_the_media(files: str) -> None:
    media, key = fetching(max_media_bytes=1000), uuid.uuid4()

    async def run() -> dict[str, Any] | None:
        answer = media.create_media_from_url(url_request(key, f"{files}/big", "a.bin")).value
        await asyncio.wait_for(media.settled(), 10)
        return answer

    answer = asyncio.run(run())
    assert answer is not None
    assert media.get_media(key, answer["MediaId"]).value is None


def test_a_fetch_ending_after_a_reset_leaves_the_new_media_alone(files: str) -> None:
    media, key = fetching(max_media_bytes=1000), uuid.uuid4()

    async def run() -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        pending = media.create_media_from_url(url_request(key, f"{files}/big", "a.bin")).value
        media.service.reset()  # MediaIds start again: the next file takes the pending one's id
        fresh = media.create_media_from_content(
            {"Base64EncodedContent": base64.b64encode(PNG).decode(), "Filename": "b.png", "LicenseKey": key}
        ).value
        await asyncio.wait_for(media.settled(), 10)
        return pending, fresh

    pending, fresh = asyncio.run(run())
    assert pending is not None
    assert fresh is not None
    assert pending["MediaId"] == fresh["MediaId"]
    assert media.get_media(key, fresh["MediaId"]).value == base64.b64encode(PNG).decode()
