"""Queued, sent, scheduled and cancelled, driven by the fake's manual clock."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import datetime, timedelta

import httpx
import pytest

from fake_cdyne import lifecycle
from fake_cdyne.config import Config
from fake_cdyne.service import Service

from .conftest import message_id, send


def status(http: httpx.Client, mid: str) -> dict[str, object]:
    reply = http.get("/sms.svc/GetMessageStatus", params={"MessageID": mid}, headers={"Accept": "application/json"})
    result: dict[str, object] = reply.json()
    return result


def now(http: httpx.Client) -> datetime:
    return datetime.fromisoformat(http.get("/_fake/clock").json()["now"])


def advance(http: httpx.Client, seconds: float) -> None:
    http.post("/_fake/clock/advance", json={"seconds": seconds}).raise_for_status()


def schedule(http: httpx.Client, key: str, at: datetime) -> httpx.Response:
    millis = int(at.timestamp() * 1000)
    body = {
        "LicenseKey": key,
        "SMSRequests": [{"Message": "later", "PhoneNumbers": ["7575449510"], "ScheduledDateTime": f"/Date({millis})/"}],
    }
    return http.post("/sms.svc/AdvancedSMSsend", json=body, headers={"Accept": "application/json"})


def test_sent_right_after_the_response_by_default(http: httpx.Client, key: str) -> None:
    mid = message_id(send(http, key).text)
    result = status(http, mid)
    assert (result["Queued"], result["Sent"]) == (False, True)


def test_sent_when_the_delay_has_passed_on_the_manual_clock(manual_http: httpx.Client, key: str) -> None:
    started = now(manual_http)
    mid = message_id(send(manual_http, key).text)
    assert (status(manual_http, mid)["Queued"], status(manual_http, mid)["Sent"]) == (True, False)
    advance(manual_http, 4.9)
    assert status(manual_http, mid)["Sent"] is False
    advance(manual_http, 0.1)
    result = status(manual_http, mid)
    assert (result["Queued"], result["Sent"]) == (False, True)
    message = manual_http.get("/_fake/messages", params={"license_key": key}).json()[0]
    sent_at = datetime.fromisoformat(message["sent_at"])
    assert abs(sent_at - (started + timedelta(seconds=5))) < timedelta(milliseconds=4)


def test_scheduled_message_waits_then_queues_then_sends(manual_http: httpx.Client, key: str) -> None:
    reply = schedule(manual_http, key, now(manual_http) + timedelta(seconds=60)).json()[0]
    assert (reply["SMSError"], reply["Queued"], reply["Sent"]) == (0, False, False)
    advance(manual_http, 59)
    assert status(manual_http, reply["MessageID"])["Queued"] is False
    advance(manual_http, 1)
    assert status(manual_http, reply["MessageID"])["Queued"] is True
    advance(manual_http, 5)
    assert status(manual_http, reply["MessageID"])["Sent"] is True


def test_cancel_only_a_scheduled_message(manual_http: httpx.Client, key: str) -> None:
    mid = schedule(manual_http, key, now(manual_http) + timedelta(seconds=60)).json()[0]["MessageID"]
    cancel = manual_http.get(
        "/sms.svc/CancelMessage", params={"MessageID": mid}, headers={"Accept": "application/json"}
    )
    assert cancel.text == "true"
    again = manual_http.get("/sms.svc/CancelMessage", params={"MessageID": mid})
    assert again.text.endswith(">false</boolean>")
    advance(manual_http, 120)
    result = status(manual_http, mid)
    assert (result["Cancelled"], result["Queued"], result["Sent"]) == (True, False, False)
    queued = message_id(send(manual_http, key).text)
    assert manual_http.get("/sms.svc/CancelMessage", params={"MessageID": queued}).text.endswith(">false</boolean>")


def test_past_schedule_sends_now(manual_http: httpx.Client, key: str) -> None:
    reply = schedule(manual_http, key, now(manual_http) - timedelta(days=1)).json()[0]
    assert reply["Queued"] is True


def test_unread_messages_are_marked_read(http: httpx.Client, key: str) -> None:
    mid = message_id(send(http, key).text)
    for text in ("one", "two"):
        http.post(
            "/_fake/incoming", json={"license_key": key, "from": "7575449510", "message": text}
        ).raise_for_status()
    first = http.get(
        "/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}, headers={"Accept": "application/json"}
    )
    assert [m["Message"] for m in first.json()] == ["one", "two"]
    assert {m["MatchedMessageID"] for m in first.json()} == {mid}
    second = http.get(
        "/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}, headers={"Accept": "application/json"}
    )
    assert second.json() == []
    assert [m["read"] for m in http.get("/_fake/incoming", params={"license_key": key}).json()] == [True, True]


def test_reply_matches_the_latest_message_to_that_phone(http: httpx.Client, key: str) -> None:
    send(http, key, message="first")
    latest = message_id(send(http, key, message="second").text)
    reply = http.post("/_fake/incoming", json={"license_key": key, "from": "7575449510", "message": "hi"}).json()
    assert reply["matched_message_id"] == latest
    stranger = http.post("/_fake/incoming", json={"license_key": key, "from": "7575440000", "message": "who?"}).json()
    assert stranger["matched_message_id"] == "00000000-0000-0000-0000-000000000000"
    assert stranger["to"] == http.get(f"/_fake/accounts/{key}").json()["dids"][0]


def test_manual_clock_refused_on_the_system_clock(http: httpx.Client) -> None:
    reply = http.post("/_fake/clock/advance", json={"seconds": 1})
    assert reply.status_code == 409
    assert "manual clock" in reply.json()["error"]


def _send_in_process(service: Service, key: uuid.UUID) -> None:
    result = service.operations.simple_sms_send("7575449510", "Hello", key)
    service.lifecycle.start(result.started)


def test_a_listener_hears_only_the_kinds_it_listens_to_and_no_event_is_made_for_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[str] = []
    real = lifecycle.LifeEvent

    def counted(kind: lifecycle.Kind, *args: object) -> lifecycle.LifeEvent:
        made.append(kind)
        return real(kind, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(lifecycle, "LifeEvent", counted)
    service = Service(Config())
    heard: list[str] = []

    def listener(event: lifecycle.LifeEvent) -> None:
        heard.append(event.kind)

    service.lifecycle.listen(listener, ("sent",))
    _send_in_process(service, uuid.uuid4())
    assert heard == ["sent"]
    assert made == ["sent"]  # nobody listens to "created" (no page is open): no event was made for it
    service.lifecycle.unlisten(listener)
    _send_in_process(service, uuid.uuid4())
    assert heard == ["sent"]


def test_open_pages_hear_each_life_event_and_stop_hearing_once_closed() -> None:
    key = uuid.uuid4()

    async def scenario() -> list[str | None]:
        service = Service(Config())
        notices = service.events.subscribe(keepalive=30)
        first = asyncio.ensure_future(anext(notices))
        deadline = time.monotonic() + 5
        while not service.lifecycle._listeners["created"] and time.monotonic() < deadline:
            await asyncio.sleep(0)  # the subscription's first step (no timing: a turn of the loop)
        _send_in_process(service, key)
        heard = [await asyncio.wait_for(first, 5)]
        await notices.aclose()
        assert not service.lifecycle._listeners["created"]  # the pages' listener went with the last page
        _send_in_process(service, key)  # no page open: nothing is announced for them
        return heard

    heard = asyncio.run(scenario())
    assert [json.loads(notice or "{}") for notice in heard] == [{"kind": "created", "license_key": str(key)}]
