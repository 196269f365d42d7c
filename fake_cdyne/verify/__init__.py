"""``fake-cdyne verify URL --license-key K``: the same probes sent to a service (the real CDYNE) and to a
fake-cdyne started in this process with the same key, their answers normalised and compared.

Normalising masks what differs on every run, never what a client reads: non-zero GUIDs, real dates (the
"never" dates stay), the license key and service addresses (each side's own, and the hosts a WSDL
names). A difference is printed as the probe's name and a short diff; any difference makes the exit
status 1.
"""

from __future__ import annotations

import difflib
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from ..config import Config
from ..server import FakeServer
from .probes import ZERO, Probe, probes

__all__ = ["Answer", "Difference", "Probe", "compare", "normalise", "probes", "run", "verify"]

_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_XML_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)?")
_JSON_DATE = re.compile(r"\\/Date\(-?\d+(?:[+-]\d{4})?\)\\/")
# Any service URL: the WSDL names the host that serves it, and CDYNE's /SecureSoap names an inner one.
_SERVICE_URL = re.compile(r"https?://[^/\s\"'<>]+/sms\.svc", re.IGNORECASE)
_NEVER = ("0001-01-01T00:00:00", "\\/Date(-62135578800000-0500)\\/")
_MESSAGE_ID = re.compile(r'<MessageID>([^<]+)</MessageID>|"MessageID":"([^"]+)"')
_FAULT_CODES = re.compile(r"<(?:faultcode|\w+:Value)(?:\s[^>]*)?>([^<]*)<")
SETTLE_SECONDS = 60.0  # how long a probe with ``until`` is asked again
TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    content_type: str
    body: str
    error: str | None = None  # the request failed: no answer at all


@dataclass(frozen=True, slots=True)
class Difference:
    probe: Probe
    what: str
    diff: list[str]


def normalise(text: str, base: str, key: str) -> str:
    """``text`` with what changes between runs and between services masked: ``{base}`` for ``base`` and
    any other ``http(s)://host/sms.svc``, ``{key}``, ``{guid}`` for any GUID but the zero one, ``{date}``
    for any date but .NET's MinValue."""
    text = _SERVICE_URL.sub("{base}", text.replace(base, "{base}"))
    text = re.sub(re.escape(key), "{key}", text, flags=re.IGNORECASE) if key else text
    text = _GUID.sub(lambda m: m[0] if m[0] == ZERO else "{guid}", text)
    text = _XML_DATE.sub(lambda m: m[0] if m[0] == _NEVER[0] else "{date}", text)
    return _JSON_DATE.sub(lambda m: m[0] if m[0] == _NEVER[1] else "{date}", text)


def _media(content_type: str) -> str:
    return content_type.replace(" ", "").lower()


def _canonical(text: str) -> str:
    try:
        return ET.canonicalize(text, strip_text=True)
    except ET.ParseError as error:
        return f"(not XML: {error}) {text}"


def _lines(text: str) -> list[str]:
    """One line per element, so that a diff of one-line XML shows where it differs."""
    return re.sub(r">\s*<", ">\n<", text).splitlines() or [""]


def compare(probe: Probe, target: Answer, fake: Answer) -> Difference | None:
    """The difference between the service's answer and the fake's, as the probe compares them."""
    if target.error or fake.error:
        return Difference(
            probe, f"no answer: service {target.error or 'answered'}, fake {fake.error or 'answered'}", []
        )
    if target.status != fake.status:
        what = f"HTTP status: service {target.status}, fake {fake.status}"
        return Difference(probe, what, _diff(target.body, fake.body) if probe.compare != "status" else [])
    if probe.compare == "status":
        return None
    if _media(target.content_type) != _media(fake.content_type):
        return Difference(probe, f"Content-Type: service {target.content_type!r}, fake {fake.content_type!r}", [])
    if probe.compare == "fault":
        ours, theirs = _FAULT_CODES.findall(target.body), _FAULT_CODES.findall(fake.body)
        if ours != theirs:
            return Difference(probe, f"fault codes: service {ours}, fake {theirs}", _diff(target.body, fake.body))
        return None
    left, right = target.body, fake.body
    if probe.compare == "xml":
        left, right = _canonical(left), _canonical(right)
    if left != right:
        kind = "canonical XML" if probe.compare == "xml" else "body"
        return Difference(probe, f"{kind} differs", _diff(left, right))
    return None


def _diff(service: str, fake: str, most: int = 16) -> list[str]:
    lines = list(difflib.unified_diff(_lines(service), _lines(fake), "service", "fake", n=1, lineterm=""))
    return lines[:most] + ([f"... ({len(lines) - most} more diff lines)"] if len(lines) > most else [])


class _Side:
    """One service the probes go to, with what it answered last (for the next probe's MessageID)."""

    def __init__(self, client: httpx.Client, service_url: str, key: str) -> None:
        self.client, self.url, self.key = client, service_url.rstrip("/"), key
        self.last_message_id = ZERO

    def ask(self, probe: Probe, settle: float) -> Answer:
        deadline = time.monotonic() + settle
        while True:
            answer = self._ask_once(probe)
            if probe.until is None or probe.until in answer.body or time.monotonic() >= deadline:
                break
            time.sleep(1)  # polling another service's message state: nothing to wait on here
        found = _MESSAGE_ID.search(answer.body)
        if found:
            self.last_message_id = found[1] or found[2]
        error = answer.error and normalise(answer.error, self.url, self.key)
        return Answer(answer.status, answer.content_type, normalise(answer.body, self.url, self.key), error)

    def _ask_once(self, probe: Probe) -> Answer:
        def fill(text: str) -> str:
            return text.replace("{base}", self.url).replace("{last_message_id}", self.last_message_id)

        try:
            reply = self.client.request(
                probe.method,
                self.url + probe.path,
                params={name: fill(value) for name, value in probe.params.items()} or None,
                headers=probe.headers,
                content=None if probe.body is None else fill(probe.body).encode(),
            )
        except httpx.HTTPError as error:
            return Answer(0, "", "", f"{type(error).__name__}: {error}")
        return Answer(reply.status_code, reply.headers.get("content-type", ""), reply.text)


def run(
    service_url: str,
    fake_url: str,
    key: str,
    chosen: Sequence[Probe],
    *,
    verify_tls: bool = True,
    settle: float = SETTLE_SECONDS,
    report: Callable[[Probe, Difference | None], None] = lambda probe, difference: None,
) -> list[Difference]:
    """Every probe to the service and to the fake at ``fake_url`` (both ``.../sms.svc``), in order."""
    differences = []
    with (
        httpx.Client(timeout=TIMEOUT, verify=verify_tls, headers={"User-Agent": "fake-cdyne-verify"}) as remote,
        httpx.Client(timeout=TIMEOUT, headers={"User-Agent": "fake-cdyne-verify"}) as local,
    ):
        target, fake = _Side(remote, service_url, key), _Side(local, fake_url, key)
        for probe in chosen:
            difference = compare(probe, target.ask(probe, settle), fake.ask(probe, settle))
            report(probe, difference)
            if difference:
                differences.append(difference)
    return differences


def service_url(url: str) -> str:
    """The URL given on the command line as the service's: ``.../sms.svc``, added when left out."""
    url = url.rstrip("/")
    return url if url.lower().endswith("/sms.svc") else f"{url}/sms.svc"


def verify(
    url: str,
    key: str,
    *,
    surface: str = "all",
    phone: str | None = None,
    verify_tls: bool = True,
    out: Callable[[str], None] = print,
) -> int:
    """The ``verify`` command: 0 when the service answered every probe as the fake does, else 1."""
    chosen = probes(key, surface, phone)
    target = service_url(url)

    def report(probe: Probe, difference: Difference | None) -> None:
        if difference is None:
            out(f"ok    {probe.name}")
            return
        out(f"DIFF  {probe.name}: {difference.what}")
        for line in difference.diff:
            out(f"        {line}")

    out(f"fake-cdyne verify: {len(chosen)} probe(s) to {target}, each compared with fake-cdyne's answer")
    with FakeServer(Config(port=0)) as fake:
        differences = run(target, fake.service_url, key, chosen, verify_tls=verify_tls, report=report)
    if differences:
        out(f"fake-cdyne verify: {len(differences)} of {len(chosen)} probe(s) differ:")
        for difference in differences:
            out(f"  {difference.probe.surface}: {difference.probe.name}: {difference.what}")
        return 1
    out(f"fake-cdyne verify: all {len(chosen)} probe(s) answered as fake-cdyne answers")
    return 0
