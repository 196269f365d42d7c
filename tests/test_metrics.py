"""GET /_fake/metrics, read by Prometheus's own client library's parser."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

import httpx
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from fake_cdyne import Config
from fake_cdyne.metrics import Metrics
from fake_cdyne.service import Service

from .conftest import StartFake, journal, send


def _scrape(http: httpx.Client) -> dict[str, list[Sample]]:
    answer = http.get("/_fake/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {family.name: family.samples for family in text_string_to_metric_families(answer.text)}


def _value(samples: list[Sample], name: str, **labels: str) -> float:
    found = [s.value for s in samples if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]
    assert len(found) == 1, (name, labels, samples)
    return found[0]


def test_requests_answers_latency_postbacks_and_the_store_are_counted(start_fake: StartFake) -> None:
    http = start_fake(retain_messages=2).http
    key = str(uuid.uuid4())
    for phone in ("17575550100", "17575550101", "17575550102"):
        send(http, key, phone=phone, StatusPostBackURL="http://127.0.0.1:9/nobody")
    send(http, key, phone="not a phone")
    http.get("/sms.svc/NoSuchOperation")
    soap = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<GetUnreadIncomingMessages xmlns="http://sms2.cdyne.com"><LicenseKey>{key}</LicenseKey>'
        "</GetUnreadIncomingMessages></s:Body></s:Envelope>"
    )
    headers = {"content-type": "text/xml", "SOAPAction": '"http://sms2.cdyne.com/Isms/GetUnreadIncomingMessages"'}
    assert http.post("/sms.svc/Soap", content=soap, headers=headers).status_code == 200
    journal(http, key, 2)
    families = _scrape(http)

    requests = families["fake_cdyne_requests"]
    sends = dict(service="sms", surface="rest", operation="SimpleSMSsendWithPostback", status="200")
    assert _value(requests, "fake_cdyne_requests_total", **sends) == 4
    assert _value(requests, "fake_cdyne_requests_total", service="sms", operation="none", status="404") == 1
    soap_labels = dict(service="sms", surface="soap", operation="GetUnreadIncomingMessages", status="200")
    assert _value(requests, "fake_cdyne_requests_total", **soap_labels) == 1
    control = dict(service="control", surface="control", operation="GET /_fake/postbacks/wait", status="200")
    assert _value(requests, "fake_cdyne_requests_total", **control) == 1

    errors = families["fake_cdyne_sms_errors"]
    operation = "SimpleSMSsendWithPostback"
    assert _value(errors, "fake_cdyne_sms_errors_total", operation=operation, sms_error="NoError") == 3
    assert _value(errors, "fake_cdyne_sms_errors_total", operation=operation, sms_error="PhoneNumberInvalid") == 1

    latency = families["fake_cdyne_request_duration_seconds"]
    labels = dict(service="sms", surface="rest", operation=operation)
    assert _value(latency, "fake_cdyne_request_duration_seconds_count", **labels) == 4
    assert _value(latency, "fake_cdyne_request_duration_seconds_bucket", le="+Inf", **labels) == 4
    buckets = [s.value for s in latency if s.name.endswith("_bucket") and s.labels["operation"] == operation]
    assert buckets == sorted(buckets)

    # The first message went (retain_messages 2), and its postback with it: two failed postbacks are left.
    postbacks = families["fake_cdyne_postbacks"]
    assert _value(postbacks, "fake_cdyne_postbacks", kind="sent", state="failed") == 2
    stored = families["fake_cdyne_store_records"]
    assert _value(stored, "fake_cdyne_store_records", kind="messages") == 2
    assert _value(families["fake_cdyne_errors"], "fake_cdyne_errors_total") == 0


def test_an_answer_with_a_status_is_counted_by_it() -> None:
    """The hook a Messaging answer uses: any record in an answer with an enum ``status``."""

    class MessageStatus(enum.Enum):
        Queued = 1

    @dataclass
    class Answer:
        status: MessageStatus

    metrics = Metrics()
    metrics.answered("messaging", "rest", "SendMessage", [Answer(MessageStatus.Queued)] * 2, 200, 0.001)
    text = metrics.render(Service(Config()))
    (family,) = [f for f in text_string_to_metric_families(text) if f.name == "fake_cdyne_message_statuses"]
    (sample,) = family.samples
    assert sample.labels == {"service": "messaging", "operation": "SendMessage", "message_status": "Queued"}
    assert sample.value == 2


def test_the_openapi_document_names_the_text_format(http: httpx.Client) -> None:
    operation = http.get("/_fake/openapi.json").json()["paths"]["/_fake/metrics"]["get"]
    assert set(operation["responses"]["200"]["content"]) == {"text/plain; version=0.0.4; charset=utf-8"}


def test_messaging_answers_are_counted_by_their_message_status(http: httpx.Client) -> None:
    def counted() -> dict[str, float]:
        families = {f.name: f for f in text_string_to_metric_families(http.get("/_fake/metrics").text)}
        samples = families["fake_cdyne_message_statuses"].samples if "fake_cdyne_message_statuses" in families else []
        return {s.labels["message_status"]: s.value for s in samples if s.labels["operation"] == "SendMessage"}

    before = counted()  # the fake is shared with other tests
    body = {"Body": "Hi", "LicenseKey": str(uuid.uuid4()), "To": ["7575449510", "123"], "UseMMS": False}
    sent = http.post("/Messaging.svc/SendMessage", json=body, headers={"Accept": "application/json"})
    assert [entry["MessageStatus"] for entry in sent.json()] == [201, 406]
    after = counted()
    added = {status: after[status] - before.get(status, 0) for status in after if after[status] != before.get(status)}
    assert added == {"Ready": 1, "InvalidDestination": 1}
