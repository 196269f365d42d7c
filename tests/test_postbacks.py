"""CDYNE's postbacks, byte-exact, delivered to a real receiver; every attempt journalled."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fake_cdyne import Config, FakeServer
from fake_cdyne.app import create_app
from fake_cdyne.clock import ManualClock
from fake_cdyne.postback_forms import url_encode
from fake_cdyne.postback_urls import Refusal, destination
from fake_cdyne.receiver import PostbackReceiver
from fake_cdyne.server import ThreadedServer

from .conftest import ZERO_GUID, StartFake, journal, message_id, send

DOCUMENTED = datetime(2010, 5, 8, 2, 42, 36, tzinfo=UTC)  # the date of CDYNE's example postbacks


def attempts(http: httpx.Client, key: str, count: int) -> None:
    reply = http.get("/_fake/postbacks/wait", params={"license_key": key, "attempts": count, "timeout": 5})
    assert reply.status_code == 200, reply.text


def sent_message(http: httpx.Client, key: str) -> dict[str, str]:
    found: dict[str, str] = http.get("/_fake/messages", params={"license_key": key}).json()[-1]
    return found


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("http://127.0.0.1:8000/cdyne?a=1", "http://127.0.0.1:8000/cdyne?a=1"),
        (" https://Example.COM ", "https://example.com/"),
        ("http://ünïcode.test/x", "http://xn--ncode-cta3g.test/x"),
        ("http://h/a b/ü?q=ä ö&r=%zz&s=%41#frag", "http://h/a%20b/%C3%BC?q=%C3%A4%20%C3%B6&r=%25zz&s=%41"),
        ("http://user:secret@h:81/", "http://h:81/"),
        ("http://[::1]:81/", "http://[::1]:81/"),
    ],
)
def test_postback_urls_are_written_as_dotnet_would_send_them(url: str, target: str) -> None:
    assert destination(url) == target


def test_a_host_outside_the_allowlist_is_refused_in_either_form() -> None:
    assert destination("http://ünïcode.test/", ("xn--ncode-cta3g.test",)) == "http://xn--ncode-cta3g.test/"
    assert destination("http://other.test/", ("localhost",)) == Refusal(
        "host 'other.test' is not in postback_allowed_hosts"
    )


def test_url_encoding_is_dotnet_style() -> None:
    assert url_encode("http://www.cdyne.com/a b?c=d&e") == "http%3a%2f%2fwww.cdyne.com%2fa+b%3fc%3dd%26e"
    assert url_encode("-_.!*()~'\u00e9") == "-_.!*()%7e%27%c3%a9"


@pytest.fixture
def dated(receiver: PostbackReceiver) -> Iterator[httpx.Client]:
    """A fake whose manual clock reads 5 seconds (its send delay) before CDYNE's documented example time."""
    app = create_app(
        Config(port=0, manual_clock=True, send_delay=5), clock=ManualClock(DOCUMENTED - timedelta(seconds=5))
    )
    with ThreadedServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def test_sent_postback_is_byte_exact(dated: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    sent = send(dated, key, StatusPostBackURL=f"{receiver.url}/cdyne")
    dated.post("/_fake/clock/advance", json={"seconds": 5}).raise_for_status()
    (post,) = receiver.wait_for(1)
    message = sent_message(dated, key)
    # The documented packet's fields and order, its date "5/8/2010 2:42:36 AM" encoded as .NET encodes it.
    expected = (
        f"SMSSent=1&MessageID={message_id(sent.text)}&ReferenceID=&FromPhoneNumber={message['from']}"
        "&ToPhoneNumber=17575449510&SentTime=5%2f8%2f2010+2%3a42%3a36+AM"
    )
    assert post.text == expected
    assert post.path == "/cdyne"
    assert post.headers["user-agent"] == "CDYNE SMSv2"
    assert post.headers["content-type"] == "application/x-www-form-urlencoded"
    (entry,) = journal(dated, key, 1)
    assert (entry["kind"], entry["state"], entry["body"]) == ("sent", "delivered", expected)
    assert entry["attempts"][0]["status"] == 200  # type: ignore[index]


def test_reference_id_is_in_the_sent_postback(http: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    sms = {
        "Message": "hi",
        "PhoneNumbers": ["7575449510"],
        "ReferenceID": "order 7/8",
        "StatusPostBackURL": receiver.url,
    }
    body = {"LicenseKey": key, "SMSRequests": [sms]}
    http.post("/sms.svc/AdvancedSMSsend", json=body).raise_for_status()
    (post,) = receiver.wait_for(1)
    assert "&ReferenceID=order+7%2f8&" in post.text


def test_reply_postback_goes_to_the_matched_message(dated: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    sent = send(dated, key, StatusPostBackURL=f"{receiver.url}/m")
    dated.post("/_fake/clock/advance", json={"seconds": 5 + 12 * 3600}).raise_for_status()  # 2:42:36 PM
    incoming = dated.post(
        "/_fake/incoming", json={"license_key": key, "from": "+1 757 544 9510", "message": "Yes, 5:30 & OK"}
    ).json()
    posts = receiver.wait_for(2)
    reply = next(p for p in posts if p.kind == "reply")
    assert reply.text == (
        f"SMSResponse=1&MessageID={incoming['incoming_message_id']}&MatchedMessageID={message_id(sent.text)}"
        f"&ReferenceID=&FromPhoneNumber=17575449510&ToPhoneNumber={incoming['to']}"
        "&ResponseReceiveDate=5%2f8%2f2010+2%3a42%3a36+PM&Message=Yes%2c+5%3a30+%26+OK"
    )


def test_unmatched_text_goes_to_the_account_postback_url(
    http: httpx.Client, key: str, receiver: PostbackReceiver
) -> None:
    http.post("/_fake/incoming", json={"license_key": key, "from": "7575440000", "message": "nobody"})
    assert http.get("/_fake/postbacks", params={"license_key": key}).json() == []
    http.put(f"/_fake/accounts/{key}", json={"postback_url": f"{receiver.url}/account"}).raise_for_status()
    http.post("/_fake/incoming", json={"license_key": key, "from": "7575440000", "message": "hello?"})
    (post,) = receiver.wait_for(1)
    assert post.path == "/account"
    assert post.form["MatchedMessageID"] == ZERO_GUID
    assert post.form["Message"] == "hello?"


def test_stop_is_posted_and_blocks(http: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    send(http, key, StatusPostBackURL=receiver.url)
    http.post("/_fake/incoming", json={"license_key": key, "from": "7575449510", "message": "STOP"})
    posts = receiver.wait_for(2)
    assert [p.form.get("Message") for p in posts if p.kind == "reply"] == ["STOP"]
    assert "STOPfromPhoneNumber" in send(http, key).text


def test_carrier_refusal_posts_three_times_then_cancels(
    http: httpx.Client, key: str, receiver: PostbackReceiver
) -> None:
    mid = message_id(send(http, key, StatusPostBackURL=receiver.url).text)
    receiver.wait_for(1)
    refused = http.post(f"/_fake/messages/{mid}/refuse", json={})
    assert refused.json()["state"] == "cancelled"
    posts = receiver.wait_for(4)
    assert [p.form["SMSSent"] for p in posts] == ["1", "0", "0", "0"]
    status = http.get("/sms.svc/GetMessageStatus", params={"MessageID": mid}).text
    assert "<Cancelled>true</Cancelled>" in status
    assert "<Sent>false</Sent>" in status


def test_delivery_receipt(http: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    mid = message_id(send(http, key, StatusPostBackURL=receiver.url).text)
    http.post(f"/_fake/messages/{mid}/receipt", json={"code": "003"}).raise_for_status()
    posts = receiver.wait_for(2)
    receipt = next(p for p in posts if p.kind == "receipt")
    message = sent_message(http, key)
    assert receipt.text == (
        f"DeliveryReceipt=1&MessageID={mid}&ReferenceID=&FromPhoneNumber={message['from']}&ToPhoneNumber=17575449510"
        "&DeliveryReceiptMessage=Delivered+to+carrier&Code=003"
    )
    bad = http.post(f"/_fake/messages/{mid}/receipt", json={"code": "3"})
    assert bad.status_code == 400
    assert "three digits" in bad.json()["error"]


def test_no_postback_before_the_response_nor_before_sent(
    manual_http: httpx.Client, key: str, receiver: PostbackReceiver
) -> None:
    sent = send(manual_http, key, StatusPostBackURL=receiver.url)
    assert "<Queued>true</Queued>" in sent.text  # rendered before the message's life began
    assert manual_http.get("/_fake/postbacks", params={"license_key": key}).json() == []
    manual_http.post("/_fake/clock/advance", json={"seconds": 5}).raise_for_status()
    (post,) = receiver.wait_for(1)
    assert post.form["MessageID"] == message_id(sent.text)


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/status/500", "HTTP 500"),
        ("/status/404", "HTTP 404"),
        ("/redirect", "HTTP 302"),
    ],
)
def test_failing_receivers_are_journalled(
    http: httpx.Client, key: str, receiver: PostbackReceiver, path: str, error: str
) -> None:
    send(http, key, StatusPostBackURL=f"{receiver.url}{path}")
    (entry,) = journal(http, key, 1)
    assert entry["state"] == "failed"
    attempts: list[dict[str, str]] = entry["attempts"]  # type: ignore[assignment]
    assert len(attempts) == 1
    assert error in attempts[0]["error"]


def test_receiver_that_hangs_up_is_journalled(http: httpx.Client, key: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
        send(http, key, StatusPostBackURL=f"http://127.0.0.1:{port}/")
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.close()  # answer nothing: the client sees a FIN or, with unread bytes left, a reset
        (entry,) = journal(http, key, 1)
    assert entry["state"] == "failed"
    assert entry["attempts"][0]["error"].startswith(("RemoteProtocolError", "ReadError"))  # type: ignore[index]


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://127.0.0.1:9/closed", "ConnectError"),
        ("not a url", "not an http or https URL"),
        ("ftp://127.0.0.1/x", "not an http or https URL"),
        ("http://[::1/x", "not a valid URL"),
    ],
)
def test_unusable_urls_are_journalled_and_others_still_delivered(
    http: httpx.Client, key: str, receiver: PostbackReceiver, url: str, error: str
) -> None:
    send(http, key, StatusPostBackURL=url)
    send(http, key, phone="7575449511", StatusPostBackURL=receiver.url)
    entries = journal(http, key, 2)
    assert error in entries[0]["attempts"][0]["error"]  # type: ignore[index]
    assert entries[1]["state"] == "delivered"
    assert http.get("/_fake/health").status_code == 200


def test_slow_receiver_times_out(key: str, receiver: PostbackReceiver, start_fake: StartFake) -> None:
    http = start_fake(postback_timeout=0.3).http
    send(http, key, StatusPostBackURL=f"{receiver.url}/hang")
    (entry,) = journal(http, key, 1)
    assert entry["attempts"][0]["error"] == "timed out after 0.3 s"  # type: ignore[index]


def test_retries_with_backoff_on_the_manual_clock(key: str, receiver: PostbackReceiver) -> None:
    config = Config(port=0, manual_clock=True, postback_retries=2, postback_backoff=10)
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        send(http, key, StatusPostBackURL=f"{receiver.url}/flaky/2")
        attempts(http, key, 1)
        http.post("/_fake/clock/advance", json={"seconds": 9.9})
        assert http.get("/_fake/postbacks", params={"license_key": key}).json()[0]["state"] == "retrying"
        http.post("/_fake/clock/advance", json={"seconds": 0.1})
        attempts(http, key, 2)
        http.post("/_fake/clock/advance", json={"seconds": 20})
        receiver.wait_for(3)
        (entry,) = journal(http, key, 1)
        assert entry["state"] == "delivered"
        assert [a["status"] for a in entry["attempts"]] == [500, 500, 200]  # type: ignore[attr-defined]


def test_hold_and_release_one_by_one(http: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    http.post("/_fake/postbacks/hold", json={"license_key": key}).raise_for_status()
    for phone in ("7575449510", "7575449511", "7575449512"):
        send(http, key, phone=phone, StatusPostBackURL=receiver.url)
    states = [p["state"] for p in http.get("/_fake/postbacks", params={"license_key": key}).json()]
    assert states == ["held", "held", "held"]
    assert http.post("/_fake/postbacks/release", json={"license_key": key, "count": 1}).json() == {"released": 1}
    (first,) = receiver.wait_for(1)
    assert first.form["ToPhoneNumber"] == "17575449510"
    http.post("/_fake/postbacks/release", json={"license_key": key, "count": 1, "newest_first": True})
    assert receiver.wait_for(2)[1].form["ToPhoneNumber"] == "17575449512"
    http.post("/_fake/postbacks/release", json={"license_key": key})
    assert receiver.wait_for(3)[2].form["ToPhoneNumber"] == "17575449511"
    send(http, key, phone="7575449513", StatusPostBackURL=receiver.url)  # released all: no longer holding
    assert receiver.wait_for(4)[3].form["ToPhoneNumber"] == "17575449513"


def test_chaos_duplicate_and_drop(http: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    http.put("/_fake/postbacks/chaos", json={"license_key": key, "duplicate": True}).raise_for_status()
    send(http, key, StatusPostBackURL=receiver.url)
    first, second = receiver.wait_for(2)
    assert first.body == second.body
    entries = journal(http, key, 2)
    assert entries[1]["duplicate_of"] == entries[0]["id"]
    http.put("/_fake/postbacks/chaos", json={"license_key": key, "drop": True}).raise_for_status()
    send(http, key, StatusPostBackURL=receiver.url)
    assert journal(http, key, 3)[2]["state"] == "dropped"
    assert len(receiver.posts) == 2


def test_chaos_delay_runs_on_the_clock(manual_http: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    chaos = {"license_key": key, "delay": 30, "jitter": 10, "seed": 7}
    manual_http.put("/_fake/postbacks/chaos", json=chaos).raise_for_status()
    send(manual_http, key, StatusPostBackURL=receiver.url)
    manual_http.post("/_fake/clock/advance", json={"seconds": 5 + 29.9}).raise_for_status()
    assert manual_http.get("/_fake/postbacks", params={"license_key": key}).json()[0]["state"] == "pending"
    manual_http.post("/_fake/clock/advance", json={"seconds": 10.1}).raise_for_status()
    receiver.wait_for(1)


def test_wait_times_out_with_what_there_is(http: httpx.Client, key: str, receiver: PostbackReceiver) -> None:
    send(http, key, StatusPostBackURL=receiver.url)
    journal(http, key, 1)  # the first has finished: the short wait below can only be short of the second
    reply = http.get("/_fake/postbacks/wait", params={"license_key": key, "count": 2, "timeout": 0.2})
    assert reply.status_code == 408
    assert reply.json()["error"] == "only 1 of 2 postback(s) finished within 0.2 s"
    assert len(reply.json()["postbacks"]) == 1


def test_allowlist_refuses_other_hosts(key: str, receiver: PostbackReceiver) -> None:
    with (
        FakeServer(Config(port=0, postback_allowed_hosts=("localhost",))) as fake,
        httpx.Client(base_url=fake.url) as http,
    ):
        send(http, key, StatusPostBackURL=f"{receiver.url}/x")
        (entry,) = journal(http, key, 1)
        assert entry["attempts"][0]["error"] == "host '127.0.0.1' is not in postback_allowed_hosts"  # type: ignore[index]
        assert receiver.posts == []


@pytest.mark.xdist_group("timing")  # the heaviest: kept apart from the tests with a time bound
def test_ten_thousand_postbacks_are_all_delivered(key: str, receiver: PostbackReceiver) -> None:
    numbers = [f"1757{n:07d}" for n in range(10_000)]
    body = {
        "LicenseKey": key,
        "SMSRequests": [{"Message": "bulk", "PhoneNumbers": numbers, "StatusPostBackURL": receiver.url}],
    }
    with (
        FakeServer(Config(port=0, max_body_bytes=4_000_000)) as fake,
        httpx.Client(base_url=fake.url, timeout=60) as http,
    ):
        assert http.post("/sms.svc/AdvancedSMSsend", json=body).text.count("<SMSError>NoError</SMSError>") == 10_000
        entries = journal(http, key, 10_000, timeout=120)
        assert {e["state"] for e in entries} == {"delivered"}
    received = receiver.wait_for(10_000, timeout=5)
    assert len({p.form["MessageID"] for p in received}) == 10_000


def test_shutdown_reports_undelivered_postbacks(
    key: str, receiver: PostbackReceiver, caplog: pytest.LogCaptureFixture
) -> None:
    with FakeServer(Config(port=0, postback_drain_seconds=0.2)) as fake, httpx.Client(base_url=fake.url) as http:
        http.post("/_fake/postbacks/hold", json={"license_key": key})
        send(http, key, StatusPostBackURL=receiver.url)
        with caplog.at_level(logging.WARNING, logger="fake_cdyne.postbacks"):
            fake.stop()
    assert (
        "stopped with 1 postback(s) undelivered (0 pending, 0 interrupted in flight, 0 retrying, 1 held)" in caplog.text
    )
    assert f"#1 sent to {receiver.url} (held)" in caplog.text


def test_an_unexpected_failure_is_journalled_as_the_attempt(
    key: str, receiver: PostbackReceiver, monkeypatch: pytest.MonkeyPatch, start_fake: StartFake
) -> None:
    from fake_cdyne.postbacks import Dispatcher

    async def broken(*args: object) -> int:
        raise RuntimeError("the socket layer broke")

    monkeypatch.setattr(Dispatcher, "_post", broken)
    http = start_fake().http
    send(http, key, StatusPostBackURL=receiver.url)
    (entry,) = journal(http, key, 1)
    assert entry["state"] == "failed"
    assert entry["attempts"][0]["error"] == "RuntimeError: the socket layer broke"  # type: ignore[index]
    (error,) = http.get("/_fake/errors").json()
    assert error["where"] == "postback #1 attempt 1"


def test_a_created_message_posts_nothing_until_it_is_sent(
    manual_http: httpx.Client, key: str, receiver: PostbackReceiver
) -> None:
    send(manual_http, key, StatusPostBackURL=receiver.url)  # created and queued; sent after 5 s
    assert manual_http.get("/_fake/postbacks", params={"license_key": key}).json() == []
