"""The request log (GET /_fake/requests): what a client really sent to /sms.svc and what it got back."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from fake_cdyne import Config, FakeCdyneClient, FakeServer, RecordedRequest

from .conftest import send


def test_every_answer_is_recorded_as_the_client_got_it(client: FakeCdyneClient, http: httpx.Client) -> None:
    key = client.license_key
    sent = send(http, key, Message="Caf\u00e9 at 8", StatusPostBackURL="http://127.0.0.1:9/cb")
    malformed = f"not-a-guid-{uuid.uuid4().hex}"  # unique: the session's fake serves other tests too
    refused = http.get("/sms.svc/GetMessageStatusByReferenceID", params={"ReferenceID": "r", "LicenseKey": malformed})
    unknown = http.get("/sms.svc/SendItPlease", params={"LicenseKey": key})
    recorded = client.requests
    assert [(r.method, r.path, r.status) for r in recorded] == [
        ("GET", "/sms.svc/SimpleSMSsendWithPostback", 200),
        ("GET", "/sms.svc/SendItPlease", 404),
    ]  # the 400 names no valid key: it is in the unfiltered log
    first = recorded[0]
    assert first.response == sent.text
    assert first.response_bytes == len(sent.content)
    assert first.params["Message"] == "Caf\u00e9 at 8"
    assert first.params["StatusPostBackURL"] == "http://127.0.0.1:9/cb"
    assert first.header("User-Agent") == http.headers["user-agent"]
    assert recorded[1].response == unknown.text
    everything = http.get("/_fake/requests").json()
    (bad,) = [r for r in everything if f"LicenseKey={malformed}" in r["query"]]
    assert (bad["status"], bad["response"]) == (400, refused.text)


def test_bodies_are_recorded_and_found_by_the_key_in_any_form(client: FakeCdyneClient, http: httpx.Client) -> None:
    key = uuid.UUID(client.license_key)
    body = {"LicenseKey": str(key), "SMSRequests": [{"Message": "json", "PhoneNumbers": ["7575449510"]}]}
    http.post("/sms.svc/AdvancedSMSsend", content=json.dumps(body), headers={"Content-Type": "application/json"})
    xml = (
        '<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS">'
        f"<LicenseKey>{{{str(key).upper()}}}</LicenseKey><SMSRequests/></SMSAdvancedRequest>"
    )
    http.post("/sms.svc/AdvancedSMSsend", content=xml, headers={"Content-Type": "text/xml"})
    http.get("/sms.svc/SimpleSMSsend", params={"PhoneNumber": "7575449510", "Message": "n", "LicenseKey": key.hex})
    recorded = client.requests
    assert [r.body for r in recorded[:2]] == [json.dumps(body), xml]
    assert recorded[0].header("content-type") == "application/json"
    assert recorded[2].params["LicenseKey"] == key.hex
    assert all(r.status == 200 for r in recorded)


def test_soap_requests_are_recorded(client: FakeCdyneClient, http: httpx.Client) -> None:
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<CancelMessage xmlns="http://sms2.cdyne.com"><MessageID>{client.license_key}</MessageID></CancelMessage>'
        "</s:Body></s:Envelope>"
    )
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '"http://sms2.cdyne.com/Isms/CancelMessage"'}
    reply = http.post("/sms.svc/Soap", content=envelope, headers=headers)
    (recorded,) = client.requests
    assert (recorded.body, recorded.status, recorded.response) == (envelope, 200, reply.text)
    assert recorded.header("SOAPAction") == headers["SOAPAction"]


def test_a_closed_connection_has_no_status(client: FakeCdyneClient, http: httpx.Client) -> None:
    client.use_scenario({"rules": [{"outcome": {"fault": {"close": True}}}]})
    with pytest.raises(httpx.RemoteProtocolError):
        send(http, client.license_key)
    (recorded,) = client.requests
    assert (recorded.status, recorded.response) == (None, "")


def test_large_bodies_are_kept_in_part(client: FakeCdyneClient, http: httpx.Client) -> None:
    numbers = [f"1757{n:07d}" for n in range(3000)]
    body = json.dumps({"LicenseKey": client.license_key, "SMSRequests": [{"Message": "m", "PhoneNumbers": numbers}]})
    reply = http.post("/sms.svc/AdvancedSMSsend", content=body, headers={"Content-Type": "application/json"})
    (recorded,) = client.requests
    assert (recorded.body_bytes, recorded.body) == (len(body), body[: 16 * 1024])
    assert (recorded.response_bytes, recorded.response) == (len(reply.content), reply.text[: 16 * 1024])


def test_the_newest_few_and_a_summary_of_each(client: FakeCdyneClient, http: httpx.Client) -> None:
    for phone in ("7575449510", "12", "7575449511"):
        send(http, client.license_key, phone=phone)
    params: dict[str, str | float] = {"license_key": client.license_key, "limit": 2}
    newest = http.get("/_fake/requests", params=params).json()
    assert [r["summary"] for r in newest] == ["SMSError PhoneNumberInvalid", "SMSError NoError"]
    assert http.get("/_fake/requests", params=params | {"limit": 1.5}).status_code == 400
    body = {"LicenseKey": client.license_key, "SMSRequests": [{"Message": "m", "PhoneNumbers": ["1", "7575449510"]}]}
    http.post("/sms.svc/AdvancedSMSsend", json=body, headers={"Accept": "application/json"})
    assert client.requests[-1].summary == "SMSError PhoneNumberInvalid, NoError"


def test_reset_forgets_a_keys_requests(client: FakeCdyneClient, http: httpx.Client, key: str) -> None:
    send(http, client.license_key)
    send(http, key)
    client.reset()
    assert client.requests == []
    with FakeCdyneClient(client.url, key) as other:
        assert len(other.requests) == 1


def test_only_the_newest_are_kept_and_the_log_can_be_off() -> None:
    for size, kept in ((2, ["b", "c"]), (0, [])):
        with (
            FakeServer(Config(port=0, request_log_size=size)) as fake,
            httpx.Client(base_url=fake.url) as http,
            FakeCdyneClient(fake.url) as client,
        ):
            for text in "abc":
                send(http, client.license_key, message=text)
            recorded: list[RecordedRequest] = client.requests
            assert [r.params["Message"] for r in recorded] == kept
            assert [r.id for r in recorded] == list(range(4 - len(kept), 4))


def test_a_failed_assert_sent_says_what_the_fake_answered(client: FakeCdyneClient, http: httpx.Client) -> None:
    send(http, client.license_key, phone="12", StatusPostBackURL="")
    http.get(
        "/sms.svc/SimpleSMSsend",
        params={"PhoneNumber": "7575449510", "Message": "", "LicenseKey": client.license_key},
        headers={"Accept": "application/json"},
    )
    client.use_scenario({"rules": [{"outcome": {"fault": {"close": True}}}]})
    with pytest.raises(httpx.RemoteProtocolError):
        send(http, client.license_key)
    with pytest.raises(AssertionError) as failure:
        client.assert_sent(to="7575449510")
    assert str(failure.value).splitlines()[1:] == [
        "the fake's answers to the last 3 request(s) naming this key:",
        "  GET /sms.svc/SimpleSMSsendWithPostback -> 200: SMSError PhoneNumberInvalid",
        "  GET /sms.svc/SimpleSMSsend -> 200: SMSError MessageInvalid",
        "  GET /sms.svc/SimpleSMSsendWithPostback -> None: no answer (the connection was closed)",
    ]


@pytest.mark.parametrize(
    ("path", "params", "accept", "summary"),
    [
        ("GetUnreadIncomingMessages", {}, "application/xml", "1 incoming message(s)"),
        ("GetUnreadIncomingMessages", {}, "application/json", "1 incoming message(s)"),
        ("CancelMessage", {"MessageID": str(uuid.UUID(int=1))}, "application/xml", "false"),
        ("CancelMessage", {"MessageID": str(uuid.UUID(int=1))}, "application/json", "false"),
        ("GetMessageStatusByReferenceID", {"ReferenceID": "none"}, "application/xml", "an empty list"),
        ("GetMessageStatusByReferenceID", {"ReferenceID": "none"}, "application/json", "an empty list"),
    ],
)
def test_summaries_of_answers_without_an_smserror(
    client: FakeCdyneClient, http: httpx.Client, path: str, params: dict[str, str], accept: str, summary: str
) -> None:
    send(http, client.license_key)
    client.incoming(from_="7575449510", message="hi")
    params = params | {"LicenseKey": client.license_key}
    http.get(f"/sms.svc/{path}", params=params, headers={"Accept": accept}).raise_for_status()
    assert client.requests[-1].summary == summary


def test_summaries_of_soap_answers(client: FakeCdyneClient, http: httpx.Client) -> None:
    send(http, client.license_key)
    client.incoming(from_="7575449510", message="hi")
    envelope = (
        '<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>'
        f'<GetUnreadIncomingMessages xmlns="http://sms2.cdyne.com"><LicenseKey>{client.license_key}</LicenseKey>'
        "</GetUnreadIncomingMessages></s:Body></s:Envelope>"
    )
    action = '"http://sms2.cdyne.com/Isms/GetUnreadIncomingMessages"'
    headers = {"Content-Type": "text/xml; charset=utf-8", "SOAPAction": action}
    http.post("/sms.svc/Soap", content=envelope, headers=headers).raise_for_status()
    assert client.requests[-1].summary == "1 incoming message(s)"


def test_a_long_summary_is_shortened_at_a_word(client: FakeCdyneClient, http: httpx.Client) -> None:
    page = " ".join(f"word{n:03}" for n in range(60))  # 479 characters
    client.use_scenario({"rules": [{"outcome": {"fault": {"status": 503, "body": page}}}]})
    assert send(http, client.license_key).status_code == 503
    summary = client.requests[-1].summary
    assert summary.endswith(" …")
    assert 190 < len(summary) <= 200
    assert page.startswith(summary.removesuffix(" …") + " ")  # whole words only
