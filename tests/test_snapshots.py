"""Export, import and snapshots: the whole state survives a round trip, and what was scheduled happens."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from fake_cdyne import FakeCdyneClient, PostbackReceiver
from fake_cdyne.persist.snapshots import MAX_SNAPSHOTS

from .conftest import StartFake, message_id, send

PHONE, OTHER, STOPPER = "17575449510", "17575449520", "17575449599"
JSON = {"Accept": "application/json"}
LIFE = {"receipt": {"code": "003", "after": 20}, "replies": [{"after": 30, "message": "later, thanks"}]}
CONVERSATION = {"rules": [{"match": {"operation": "send", "phone": {"equals": OTHER}}, "outcome": {"life": LIFE}}]}


@dataclass
class Built:
    key: str
    sent: str  # sent, its reply unread
    queued: str  # queued, sent when the send delay has passed
    scheduled: str  # sent at 60 s
    talking: str  # sent; its scenario's receipt at 20 s and reply at 30 s are still to come


def now(http: httpx.Client) -> datetime:
    return datetime.fromisoformat(http.get("/_fake/clock").json()["now"])


def advance(http: httpx.Client, seconds: float) -> None:
    http.post("/_fake/clock/advance", json={"seconds": seconds}).raise_for_status()


def build(http: httpx.Client, url: str, key: str | None = None, *, manual: bool = True) -> Built:
    """A state worth keeping, on a fake with a 5 s send delay: a sent message with an unread reply, a
    blocked number, a queued message, one scheduled for 60 s, and one whose scenario life is under way."""
    key = key or str(uuid.uuid4())
    http.post("/_fake/scenario", json={"license_key": key, "scenario": CONVERSATION}).raise_for_status()
    sent = message_id(send(http, key, PHONE, "first", StatusPostBackURL=url).text)
    talking = message_id(send(http, key, OTHER, "talk", StatusPostBackURL=url).text)
    if manual:
        advance(http, 5)
    queued = message_id(send(http, key, PHONE, "second", StatusPostBackURL=url, ReferenceID="ref-2").text)
    text = {"license_key": key, "from": PHONE, "message": "a reply"}
    http.post("/_fake/incoming", json=text).raise_for_status()
    http.post("/_fake/incoming", json={"license_key": key, "from": STOPPER, "message": "STOP"}).raise_for_status()
    millis = int((now(http) + timedelta(seconds=60)).timestamp() * 1000)
    sms = {"Message": "later", "PhoneNumbers": [PHONE], "ScheduledDateTime": f"/Date({millis})/"}
    body = {"LicenseKey": key, "SMSRequests": [sms | {"StatusPostBackURL": url}]}
    scheduled = http.post("/sms.svc/AdvancedSMSsend", json=body, headers=JSON).json()[0]["MessageID"]
    return Built(key, sent, queued, scheduled, talking)


def answers(http: httpx.Client, built: Built) -> dict[str, Any]:
    """What CDYNE's status operations answer (GetUnreadIncomingMessages is read from the texts' flags:
    it would mark them read) and what a send to the blocked number gets."""
    found: dict[str, Any] = {}
    for name in ("sent", "queued", "scheduled", "talking"):
        mid = getattr(built, name)
        found[name] = http.get("/sms.svc/GetMessageStatus", params={"MessageID": mid}, headers=JSON).json()
    params = {"ReferenceID": "ref-2", "LicenseKey": built.key}
    found["by_reference"] = http.get("/sms.svc/GetMessageStatusByReferenceID", params=params, headers=JSON).json()
    texts = http.get("/_fake/incoming", params={"license_key": built.key}).json()
    found["unread"] = [(t["from"], t["message"]) for t in texts if not t["read"]]
    found["account"] = http.get(f"/_fake/accounts/{built.key}").json()
    return found


def test_a_state_survives_export_reset_and_import(start_fake: StartFake, receiver: PostbackReceiver) -> None:
    http = start_fake(manual_clock=True, send_delay=5).http
    built = build(http, receiver.url)
    before = answers(http, built)
    assert before["unread"] == [(PHONE, "a reply"), (STOPPER, "STOP")]
    assert STOPPER in before["account"]["blocked"]
    exported = http.get("/_fake/state").json()
    http.post("/_fake/reset").raise_for_status()
    assert http.get("/_fake/messages").json() == []
    imported = http.put("/_fake/state", json=exported)
    assert imported.status_code == 200, imported.text
    assert imported.json()["imported"]["messages"] == 4
    assert answers(http, built) == before
    assert http.get("/_fake/state").json() == exported
    refused = send(http, built.key, STOPPER, "hello?")
    assert "<SMSError>STOPfromPhoneNumber</SMSError>" in refused.text
    unread = http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": built.key}, headers=JSON).json()
    assert [(t["FromPhoneNumber"], t["Message"]) for t in unread] == [(PHONE, "a reply"), (STOPPER, "STOP")]
    # What was scheduled happens at its time, with its postbacks.
    done = len(receiver.wait_for(3))  # SMSSent for two messages, and the reply's
    advance(http, 5)
    assert http.get("/sms.svc/GetMessageStatus", params={"MessageID": built.queued}, headers=JSON).json()["Sent"]
    advance(http, 30)
    talked = http.get("/_fake/messages", params={"license_key": built.key}).json()[1]
    assert [r["message"] for r in talked["replies"]] == ["later, thanks"]
    assert [r["code"] for r in talked["receipts"]] == ["003"]
    advance(http, 30)
    assert http.get("/sms.svc/GetMessageStatus", params={"MessageID": built.scheduled}, headers=JSON).json()["Sent"]
    posts = receiver.wait_for(done + 4)  # the queued and the scheduled one sent; the receipt; the reply
    assert sorted(post.kind for post in posts[done:]) == ["receipt", "reply", "sent", "sent"]


def test_a_snapshot_is_restored_with_its_schedule(start_fake: StartFake, receiver: PostbackReceiver) -> None:
    http = start_fake(manual_clock=True, send_delay=5).http
    built = build(http, receiver.url)
    before = answers(http, built)
    taken = http.post("/_fake/snapshots/before-sending")
    assert taken.status_code == 201
    assert taken.json()["records"]["messages"] == 4
    advance(http, 120)  # everything happens, then the snapshot takes it back
    http.post("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": built.key})
    assert answers(http, built) != before
    restored = http.post("/_fake/snapshots/before-sending/restore")
    assert restored.status_code == 200, restored.text
    assert answers(http, built) == before
    advance(http, 65)  # the clock went back with the snapshot: queued at 60 s, sent 5 s later
    assert http.get("/sms.svc/GetMessageStatus", params={"MessageID": built.scheduled}, headers=JSON).json()["Sent"]
    assert [s["name"] for s in http.get("/_fake/snapshots").json()] == ["before-sending"]
    assert http.delete("/_fake/snapshots/before-sending").json() == {"deleted": "before-sending"}
    assert http.post("/_fake/snapshots/before-sending/restore").status_code == 404
    assert http.delete("/_fake/snapshots/before-sending").status_code == 404


def test_the_client_exports_imports_and_keeps_snapshots(start_fake: StartFake) -> None:
    started = start_fake(manual_clock=True, send_delay=5)
    with FakeCdyneClient(started.fake.url) as client:
        send(started.http, client.license_key)
        document = client.export_state()
        assert client.take_snapshot("one")["records"]["messages"] == 1
        client.reset()
        assert client.messages == []
        assert client.import_state(document)["messages"] == 1
        assert len(client.messages) == 1
        client.reset()
        client.restore_snapshot("one")
        assert len(client.messages) == 1
        assert [s["name"] for s in client.snapshots()] == ["one"]
        client.delete_snapshot("one")
        assert client.snapshots() == []


def _broken(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    broken = copy.deepcopy(document)
    target: Any = broken
    for step in path[:-1]:
        target = target[step]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("version",), 2, "version: this fake-cdyne reads version 1, not 2"),
        (("format",), "something", "format: must be 'fake-cdyne state'"),
        (("messages", 0, "state"), "gone", "messages[0].state: 'gone' is not one of"),
        (("messages", 0, "colour"), "red", "messages[0].colour: Message has no such field"),
        (("messages", 0, "id"), KeyError, "messages[0].id: is required (Message)"),
        (("messages", 0, "created_at"), "2026-01-01T00:00:00", "messages[0].created_at: '2026-01-01T00:00:00' has no"),
        (("messages", 0, "created_at"), "yesterday", "messages[0].created_at: 'yesterday' is not an ISO 8601"),
        (("messages", 0, "license_key"), str(uuid.UUID(int=7)), "messages[0].license_key: names no account"),
        (("messages", 0, "replies"), [str(uuid.UUID(int=8))], "messages[0].replies[0]: names no IncomingMessage"),
        (("messages", 0, "is_unicode"), "no", "messages[0].is_unicode: must be true or false, not 'no'"),
        (("accounts", 0, "blocked"), "17575449599", "accounts[0].blocked: must be an array"),
        (("postbacks", 0, "attempts"), [{"number": "one"}], "postbacks[0].attempts[0].number: must be a whole"),
        (("incoming", 1), {}, "incoming[1].id: is required"),
        (("scenarios", 0, "text"), "rules: 3", "scenarios[0]: the scenario is not valid"),
        (("taken_at",), KeyError, "taken_at: is required"),
        (("next_media_id",), 0, "next_media_id must be a whole number from 1 to"),
        (("messages",), {}, "messages must be an array"),
    ],
)
def test_a_bad_document_is_refused_naming_path_and_key(
    start_fake: StartFake, path: tuple[Any, ...], value: Any, named: str
) -> None:
    http = start_fake(manual_clock=True, send_delay=5).http
    built = build(http, "http://127.0.0.1:9/postback")
    document = http.get("/_fake/state").json()
    document["scenarios"][0] = {"license_key": built.key, "source": "given", "text": "rules: []"}
    refused = http.put("/_fake/state", json=_broken(document, path, value))
    assert refused.status_code == 400, refused.text
    assert named in refused.json()["error"]
    assert len(http.get("/_fake/messages").json()) == 4  # nothing changed
    assert http.get("/_fake/errors").json() == []


def test_snapshot_names_and_their_number_are_bounded(start_fake: StartFake) -> None:
    http = start_fake().http
    assert http.post("/_fake/snapshots/a%20b").status_code == 400
    assert http.post(f"/_fake/snapshots/{'x' * 65}").status_code == 400
    for n in range(MAX_SNAPSHOTS):
        assert http.post(f"/_fake/snapshots/s{n}").status_code == 201
    refused = http.post("/_fake/snapshots/one-more")
    assert refused.status_code == 409
    assert "MAX_SNAPSHOTS" in refused.json()["error"]
    assert http.post("/_fake/snapshots/s0").status_code == 201  # the same name replaces it


def test_a_messaging_state_survives_export_and_import(start_fake: StartFake) -> None:
    """SendMessage's messages and the opt-out list with its STOP times, as the Messaging API reads them."""
    started = start_fake(manual_clock=True)
    http, key = started.http, str(uuid.uuid4())
    body = {"Body": "Hi", "LicenseKey": key, "To": [PHONE], "UseMMS": False, "ReferenceID": "m-1"}
    (sent,) = http.post("/Messaging.svc/SendMessage", json=body, headers=JSON).json()
    http.post("/_fake/incoming", json={"license_key": key, "from": STOPPER, "message": "STOP"}).raise_for_status()

    def read() -> tuple[Any, Any]:
        status = http.get(
            "/Messaging.svc/ReadMessageStatus", params={"LicenseKey": key, "MessageId": sent["MessageID"]}, headers=JSON
        ).json()
        stopped = http.get("/Messaging.svc/GetUnsubscribedNumbers", params={"LicenseKey": key}, headers=JSON).json()
        return status, stopped

    before = read()
    assert [entry["PhoneNumber"] for entry in before[1]] == [STOPPER]
    document = http.get("/_fake/state").json()
    http.post("/_fake/reset").raise_for_status()
    assert read() != before
    http.put("/_fake/state", json=document).raise_for_status()
    assert read() == before


def test_a_removed_media_id_is_not_given_again_after_a_snapshot_or_an_import(start_fake: StartFake) -> None:
    """The MediaId counter travels with the state: restored after a reset (which starts ids again), the
    next upload gets an id after every one given before, the removed ones included."""
    http, key = start_fake().http, str(uuid.uuid4())

    def upload() -> int:
        request = {"Base64EncodedContent": "R0lGODlh", "Filename": "card.gif", "LicenseKey": key}
        media_id: int = http.post("/Messaging.svc/CreateMediaFromContent", json=request, headers=JSON).json()["MediaId"]
        return media_id

    def remove(media_id: int) -> None:
        params: dict[str, str | int] = {"LicenseKey": key, "MediaId": media_id}
        assert http.get("/Messaging.svc/RemoveMedia", params=params, headers=JSON).json() is True

    kept, gone = upload(), upload()
    remove(gone)
    http.post("/_fake/snapshots/media").raise_for_status()
    document = http.get("/_fake/state").json()
    assert document["next_media_id"] == gone + 1
    http.post("/_fake/reset").raise_for_status()
    assert upload() == kept  # a reset starts them again
    http.post("/_fake/snapshots/media/restore").raise_for_status()
    assert upload() == gone + 1
    http.put("/_fake/state", json=document).raise_for_status()
    assert upload() == gone + 1
    del document["next_media_id"]  # an older document: the one after the highest kept
    http.put("/_fake/state", json=document).raise_for_status()
    assert upload() == kept + 1
