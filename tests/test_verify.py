"""``fake-cdyne verify``: the probe suite passes against the fake and fails, naming the probe, against a
server that is not CDYNE; and the details the verification against the real service found."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

import httpx
import pytest

from fake_cdyne import Config, FakeCdyneClient, FakeServer
from fake_cdyne.cli import main
from fake_cdyne.verify import normalise

from .conftest import DATA, message_id, send

# ---- sent_at and created_at at the same SQL Server resolution ---------------------------------


def test_created_at_is_stored_at_sql_datetime_resolution_so_sent_at_never_precedes_it(key: str) -> None:
    """The service keeps every time as a SQL Server datetime (1/300 s; the captures show
    ``2016-12-12T00:15:52.98``). A message made at x.0015 s and sent at once was created at x.000 by that
    rule; were only sent_at rounded, it would read as sent 1.5 ms before it was created."""
    with FakeServer(Config(port=0, manual_clock=True)) as fake, httpx.Client(base_url=fake.url) as http:
        now = datetime.fromisoformat(http.get("/_fake/clock").json()["now"])
        to_next_second = 1 - now.microsecond / 1e6
        http.post("/_fake/clock/advance", json={"seconds": round(to_next_second + 0.0015, 6)}).raise_for_status()
        send(http, key)
        http.post("/_fake/clock/advance", json={"seconds": 0}).raise_for_status()
        (message,) = http.get("/_fake/messages", params={"license_key": key}).json()
        created, sent = (datetime.fromisoformat(message[name]) for name in ("created_at", "sent_at"))
        assert sent >= created, message
        assert created.microsecond == 0, message  # .0015 s is 0 in steps of 1/300 s


# ---- the request log: metadata summaries, and calls that name a key's message but not the key ------


@pytest.mark.parametrize("query", ["wsdl", "wsdl=wsdl0", "xsd=xsd0", "xsd=xsd2", "disco"])
def test_the_request_log_does_not_read_metadata_as_incoming_messages(http: httpx.Client, query: str) -> None:
    served = http.get(f"/sms.svc?{query}")
    (logged,) = [e for e in http.get("/_fake/requests").json() if e["query"] == query][-1:]
    assert "incoming message" not in logged["summary"]
    assert logged["summary"] == f"{len(served.content)} bytes"


def test_a_keys_request_log_has_the_calls_naming_its_messages(http: httpx.Client, key: str) -> None:
    """GetMessageStatus and CancelMessage carry no LicenseKey, over SOAP as over REST: the log filtered
    by a key still lists those that name one of the key's MessageIDs, and not another key's."""
    mine = message_id(send(http, key).text)
    other = message_id(send(http, str(uuid.uuid4())).text)
    soap11 = "http://schemas.xmlsoap.org/soap/envelope/"
    for operation in ("GetMessageStatus", "CancelMessage"):
        for message in (mine, other):
            envelope = (
                f'<s:Envelope xmlns:s="{soap11}"><s:Body><{operation} xmlns="http://sms2.cdyne.com">'
                f"<MessageID>{message}</MessageID></{operation}></s:Body></s:Envelope>"
            )
            action = f'"http://sms2.cdyne.com/Isms/{operation}"'
            headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action}
            http.post("/sms.svc/Soap", content=envelope, headers=headers).raise_for_status()
            http.get(f"/sms.svc/{operation}", params={"MessageID": message.upper()}).raise_for_status()
    logged = http.get("/_fake/requests", params={"license_key": key}).json()
    assert [(e["method"], e["path"]) for e in logged] == [
        ("GET", "/sms.svc/SimpleSMSsendWithPostback"),
        ("POST", "/sms.svc/Soap"),
        ("GET", "/sms.svc/GetMessageStatus"),
        ("POST", "/sms.svc/Soap"),
        ("GET", "/sms.svc/CancelMessage"),
    ]
    assert all(other not in e["body"] + e["query"].lower() for e in logged)


# ---- fake-cdyne verify ------------------------------------------------------------------------


class Impostor(ThreadingHTTPServer):
    """A server that is not CDYNE: it forwards every request to a fake-cdyne and alters the answers
    (``rewrite``), or answers some paths itself (``documents``, keyed by the query string)."""

    def __init__(
        self,
        upstream: str,
        rewrite: Callable[[bytes], bytes] = lambda body: body,
        documents: dict[str, bytes] | None = None,
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream, self.rewrite, self.documents = upstream, rewrite, documents or {}
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.client = httpx.Client()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)
        self.client.close()


class _Forward(BaseHTTPRequestHandler):
    server: Impostor

    def _forward(self) -> None:
        query = self.path.partition("?")[2]
        if query in self.server.documents:
            self._answer(200, "text/xml; charset=utf-8", self.server.documents[query])
            return
        length = int(self.headers.get("Content-Length") or 0)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
        reply = self.server.client.request(
            self.command, self.server.upstream + self.path, headers=headers, content=self.rfile.read(length)
        )
        body = reply.content.replace(self.server.upstream.encode(), self.server.url.encode())
        self._answer(reply.status_code, reply.headers.get("content-type", ""), self.server.rewrite(body))

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._forward()

    def do_POST(self) -> None:
        self._forward()

    def log_message(self, format: str, *args: object) -> None:
        pass


class NotCdyne(BaseHTTPRequestHandler):
    """Any web server: a page for every request."""

    def _page(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b"<html><body>It works!</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self._page()

    def do_POST(self) -> None:
        self._page()

    def log_message(self, format: str, *args: object) -> None:
        pass


def run_verify(capsys: pytest.CaptureFixture[str], url: str, key: str, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    status = main(["verify", url, "--license-key", key, *args])
    return status, capsys.readouterr().out


def test_verify_against_the_fake_passes(capsys: pytest.CaptureFixture[str], fake: FakeServer, key: str) -> None:
    status, output = run_verify(capsys, fake.url, key)
    assert status == 0, output
    assert "all 42 probe(s) answered as fake-cdyne answers" in output
    assert key not in output  # the key is a secret in CI logs


def test_verify_names_every_probe_a_web_server_fails(capsys: pytest.CaptureFixture[str], key: str) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), NotCdyne) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            status, output = run_verify(
                capsys, f"http://127.0.0.1:{server.server_address[1]}/sms.svc", key, "--surface", "rest"
            )
        finally:
            server.shutdown()
    assert status == 1
    assert "24 of 24 probe(s) differ" in output
    content_type = "Content-Type: service 'text/html', fake 'application/xml; charset=utf-8'"
    assert f"DIFF  GET GetMessageStatus MessageID=<unknown>: {content_type}" in output
    assert "DIFF  GET NoSuchOperation: HTTP status: service 200, fake 404" in output


def test_verify_shows_where_an_answer_differs(capsys: pytest.CaptureFixture[str], fake: FakeServer, key: str) -> None:
    """A service that writes SMSError as a number in XML (as JSON does): the XML probes of every send
    fail with a diff at that element; the JSON and metadata probes pass."""
    numeric = lambda body: body.replace(b"<SMSError>PhoneNumberInvalid</SMSError>", b"<SMSError>3</SMSError>")  # noqa: E731
    with Impostor(fake.url, numeric) as impostor:
        status, output = run_verify(capsys, impostor.url, key)
    assert status == 1
    differing = [line for line in output.splitlines() if line.startswith("DIFF")]
    assert [line.split(":")[0] for line in differing] == [
        "DIFF  GET SimpleSMSsend PhoneNumber=123 LicenseKey=K",
        "DIFF  GET simplesmssend PhoneNumber=123 LicenseKey=K",
        "DIFF  GET SimpleSMSsendWithPostback PhoneNumber=123 LicenseKey=K",
        "DIFF  POST AdvancedSMSsend (XML) PhoneNumbers=[123]",
        "DIFF  SOAP 1.1 SimpleSMSsend",
        "DIFF  SOAP 1.2 SimpleSMSsend",
    ]
    assert "-<SMSError>3</SMSError>\n        +<SMSError>PhoneNumberInvalid</SMSError>" in output
    assert "6 of 42 probe(s) differ" in output


def test_cdynes_own_documents_pass_verify(capsys: pytest.CaptureFixture[str], fake: FakeServer, key: str) -> None:
    """CDYNE's metadata documents, byte for byte as Visual Studio fetched them from sms2.cdyne.com, pass
    the probes: the schemas xsd0, xsd1 and xsd3 byte for byte (xsd0 with its EmitDefaultValue
    annotations), the WSDL, its import and the disco document as XML. (The 2012 xsd2 lacks Concatenate
    and IsUnicode, which the service has taken since 2013: the impostor forwards that one to the fake.)"""
    files = {
        "wsdl": "sms1.wsdl", "wsdl=wsdl0": "sms.wsdl", "disco": "sms.disco",
        "xsd=xsd0": "sms.xsd", "xsd=xsd1": "sms1.xsd", "xsd=xsd3": "sms3.xsd",
    }  # fmt: skip
    documents = {query: (DATA / "wsdl-2012" / name).read_bytes() for query, name in files.items()}
    with Impostor(fake.url, documents=documents) as impostor:
        status, output = run_verify(capsys, impostor.url, key, "--surface", "soap")
    assert status == 0, output
    for query in documents:
        assert f"ok    GET ?{query}\n" in output


def test_verify_with_a_phone_sends_one_text_and_compares_its_status(
    capsys: pytest.CaptureFixture[str], fake: FakeServer, key: str
) -> None:
    status, output = run_verify(capsys, fake.url, key, "--surface", "rest", "--phone", "7575449510")
    assert status == 0, output
    assert "ok    GET GetMessageStatus MessageID=<the text just sent>, once Sent" in output
    with FakeCdyneClient(fake.url, key) as control:
        (sent,) = control.messages
    assert (sent.to, sent.message, sent.state) == ("17575449510", "fake-cdyne verify", "sent")


def test_normalise_masks_what_changes_and_keeps_what_clients_read() -> None:
    key = "7DB64BD4-BF49-4C76-AE4D-F5A52D2BAC2F"
    text = (
        "<MessageID>402f481b-c420-481f-b129-7b2d8ce7cf0a</MessageID><Z>00000000-0000-0000-0000-000000000000</Z>"
        "<SentDateTime>2016-12-12T00:15:52.98</SentDateTime><N>0001-01-01T00:00:00</N>"
        '"\\/Date(1481501752980-0500)\\/","\\/Date(-62135578800000-0500)\\/"'
        f"<K>{key.lower()}</K>"
        '<soap:address location="https://cciad1ws2.cdyne.net/sms.svc/SecureSoap" />'
        '<x location="http://127.0.0.1:9/sms.svc?xsd=xsd0"/>'
    )
    assert normalise(text, "http://127.0.0.1:9/sms.svc", key) == (
        "<MessageID>{guid}</MessageID><Z>00000000-0000-0000-0000-000000000000</Z>"
        "<SentDateTime>{date}</SentDateTime><N>0001-01-01T00:00:00</N>"
        '"{date}","\\/Date(-62135578800000-0500)\\/"'
        "<K>{key}</K>"
        '<soap:address location="{base}/SecureSoap" />'
        '<x location="{base}?xsd=xsd0"/>'
    )


def test_verify_reports_a_service_that_does_not_answer(capsys: pytest.CaptureFixture[str], key: str) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), NotCdyne) as closed:
        port = closed.server_address[1]  # bound, then closed: nothing listens there
    status, output = run_verify(capsys, f"http://127.0.0.1:{port}", key, "--surface", "soap")
    assert status == 1
    assert "DIFF  GET ?wsdl: no answer: service ConnectError" in output


def test_verify_without_a_key_says_how_to_give_one(
    capsys: pytest.CaptureFixture[str], fake: FakeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CDYNE_LICENSE_KEY", raising=False)
    assert main(["verify", fake.url]) == 2
    assert "give the key with --license-key or CDYNE_LICENSE_KEY" in capsys.readouterr().err


def test_verify_takes_the_key_from_the_environment(
    capsys: pytest.CaptureFixture[str], fake: FakeServer, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CDYNE_LICENSE_KEY", key)
    assert main(["verify", fake.url, "--surface", "soap"]) == 0
    output = capsys.readouterr().out
    assert "all 18 probe(s) answered as fake-cdyne answers" in output
    assert key not in output
