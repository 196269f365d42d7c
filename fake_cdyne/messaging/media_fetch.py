"""Fetching a media URL for CreateMediaFromUrl, when ``media_fetch`` allows it.

Only http(s) URLs, only to loopback addresses (``localhost``, ``*.localhost``, 127.0.0.0/8, ::1) and
the hosts of ``media_fetch_allowed_hosts`` (``*``: any), no redirects followed, no proxy from the
environment, the whole fetch within the timeout and the body within the size limit (a larger
Content-Length is refused unread, a longer body as soon as it passes the limit). Any failure is None:
the caller answers a null MediaMetadata.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Iterable

import httpx

_FAILURES = (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError, ValueError, OSError)


def _host(url: str) -> str | None:
    try:
        return httpx.URL(url).host.lower().rstrip(".") or None
    except (httpx.InvalidURL, ValueError, TypeError):
        return None


def is_web_url(url: str) -> bool:
    """An absolute http or https URL with a host."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError, TypeError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def allowed(url: str, hosts: Iterable[str]) -> bool:
    """Whether the URL may be fetched: a web URL to a loopback host or one of ``hosts``."""
    host = _host(url)
    if host is None or not is_web_url(url):
        return False
    names = {name.lower().rstrip(".") for name in hosts}
    return is_loopback(host) or "*" in names or host in names


def _too_long(response: httpx.Response, limit: int) -> bool:
    if not response.is_success:
        return True
    declared = response.headers.get("content-length", "")
    return declared.isdigit() and int(declared) > limit


def fetch(url: str, *, timeout: float, limit: int) -> bytes | None:
    """The body, fetched in this thread (never call it on the event loop)."""
    deadline = time.monotonic() + timeout
    try:
        with (
            httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", url) as response,
        ):
            if _too_long(response, limit):
                return None
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > limit or time.monotonic() > deadline:
                    return None
            return bytes(body) or None
    except _FAILURES:
        return None


async def fetch_async(url: str, *, timeout: float, limit: int) -> bytes | None:
    """The body, fetched without blocking the event loop."""
    try:
        async with (
            asyncio.timeout(timeout),
            httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False) as client,
            client.stream("GET", url) as response,
        ):
            if _too_long(response, limit):
                return None
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > limit:
                    return None
            return bytes(body) or None
    except (*_FAILURES, TimeoutError):
        return None
