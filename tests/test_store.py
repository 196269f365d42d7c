"""``--store PATH``: the state in SQLite survives a restart, even ``kill -9``, and its work resumes."""

from __future__ import annotations

import base64
import signal
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from fake_cdyne import Config, FakeServer, PostbackReceiver

from .conftest import journal, message_id, send
from .test_cli import start
from .test_snapshots import JSON, OTHER, PHONE, STOPPER, advance, answers, build

REPLY = {"life": {"replies": [{"after": 4, "message": "ok"}]}}
REPLYING = {"rules": [{"match": {"operation": "send", "phone": {"equals": OTHER}}, "outcome": REPLY}]}


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    """Until ``condition()`` holds (checked every 20 ms), or fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    pause = threading.Event()
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {timeout} s")
        pause.wait(0.02)


def rows(path: Path, kind: str) -> int:
    with sqlite3.connect(path) as db:
        (count,) = db.execute("SELECT count(*) FROM records WHERE kind = ?", (kind,)).fetchone()
        return int(count)


def test_a_stopped_fake_starts_again_where_it_was(tmp_path: Path, receiver: PostbackReceiver) -> None:
    config = Config(port=0, manual_clock=True, send_delay=5, store=str(tmp_path / "state.db"))
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        built = build(http, receiver.url)
        before = answers(http, built)
        snapshot = http.post("/_fake/snapshots/kept").json()
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        assert answers(http, built) == before
        assert http.get("/_fake/snapshots").json() == [snapshot]
        assert fake.config.store == config.store
        assert http.get("/_fake/settings").json()["store"] == config.store
        advance(http, 65)
        sent = http.get("/sms.svc/GetMessageStatus", params={"MessageID": built.scheduled}, headers=JSON).json()
        assert sent["Sent"] is True
        talked = http.get("/_fake/messages", params={"license_key": built.key}).json()[1]
        assert [r["message"] for r in talked["replies"]] == ["later, thanks"]
        http.post("/_fake/reset", json={"license_key": built.key}).raise_for_status()
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        assert http.get("/_fake/messages").json() == []


def test_kill_9_loses_nothing_committed_and_the_work_resumes(tmp_path: Path, receiver: PostbackReceiver) -> None:
    store = tmp_path / "state.db"
    key, holding = str(uuid.uuid4()), str(uuid.uuid4())
    with start("--store", str(store)) as running, httpx.Client(base_url=running.url) as http:
        http.post("/_fake/scenario", json={"license_key": key, "scenario": REPLYING}).raise_for_status()
        sent = message_id(send(http, key, PHONE, "now").text)
        send(http, key, OTHER, "its reply comes 4 s later")
        http.post("/_fake/incoming", json={"license_key": key, "from": PHONE, "message": "unread"}).raise_for_status()
        http.post("/_fake/incoming", json={"license_key": key, "from": STOPPER, "message": "STOP"}).raise_for_status()
        later = datetime.now(UTC) + timedelta(seconds=4)
        sms = {
            "Message": "later",
            "PhoneNumbers": [PHONE],
            "ScheduledDateTime": f"/Date({int(later.timestamp() * 1000)})/",
        }
        body = {"LicenseKey": key, "SMSRequests": [sms | {"StatusPostBackURL": receiver.url}]}
        scheduled = http.post("/sms.svc/AdvancedSMSsend", json=body, headers=JSON).json()[0]["MessageID"]
        http.post("/_fake/postbacks/hold", json={"license_key": holding}).raise_for_status()
        held = message_id(send(http, holding, PHONE, "held", StatusPostBackURL=receiver.url).text)
        wait_until(lambda: rows(store, "messages") == 4 and rows(store, "postbacks") == 1, "the store's writes")
        before = answers_of(http, key, sent, scheduled, held)
        assert before["scheduled"]["Sent"] is False
        assert running.stop(signal.SIGKILL) == -signal.SIGKILL
    assert receiver.posts == []
    with start("--store", str(store)) as running, httpx.Client(base_url=running.url) as http:
        after = answers_of(http, key, sent, scheduled, held)
        assert after["sent"] == before["sent"]
        assert after["unread"] == before["unread"] == [(PHONE, "unread"), (STOPPER, "STOP")]
        assert STOPPER in after["account"]["blocked"]
        assert "<SMSError>STOPfromPhoneNumber</SMSError>" in send(http, key, STOPPER, "again").text
        wait_until(lambda: bool(status(http, scheduled)["Sent"]), "the scheduled message's sending")
        (post,) = receiver.wait_for(1, timeout=10)
        assert (post.kind, post.form["MessageID"]) == ("sent", scheduled)
        assert http.post("/_fake/postbacks/release", json={"license_key": holding}).json() == {"released": 1}
        posts = receiver.wait_for(2, timeout=10)
        assert (posts[1].kind, posts[1].form["MessageID"]) == ("sent", held)
        # The scenario's timed reply, due 4 s after its send, comes though the fake was killed before.
        wait_until(lambda: replies(http, key) == 1, "the timed reply")


def status(http: httpx.Client, mid: str) -> dict[str, object]:
    found: dict[str, object] = http.get("/sms.svc/GetMessageStatus", params={"MessageID": mid}, headers=JSON).json()
    return found


def replies(http: httpx.Client, key: str) -> int:
    return sum(text["message"] == "ok" for text in http.get("/_fake/incoming", params={"license_key": key}).json())


def answers_of(http: httpx.Client, key: str, sent: str, scheduled: str, held: str) -> dict[str, Any]:
    texts = http.get("/_fake/incoming", params={"license_key": key}).json()
    return {
        "sent": status(http, sent),
        "scheduled": status(http, scheduled),
        "held": status(http, held),
        "unread": [(t["from"], t["message"]) for t in texts if not t["read"] and t["message"] != "ok"],
        "account": http.get(f"/_fake/accounts/{key}").json(),
    }


def test_a_store_that_cannot_be_read_is_refused_before_starting(tmp_path: Path) -> None:
    broken = tmp_path / "broken.db"
    broken.write_bytes(b"not a database, not at all" * 100)
    with pytest.raises(Exception, match=r"store .*broken\.db"):
        FakeServer(Config(port=0, store=str(broken))).start()
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)")
        db.execute("INSERT INTO meta VALUES ('format', 'fake-cdyne store 99')")
    with pytest.raises(Exception, match="written by another version"):
        FakeServer(Config(port=0, store=str(other))).start()


def test_the_messaging_apis_keywords_and_postback_settings_are_kept(tmp_path: Path) -> None:
    """Fields others added to Account (keywords, postback settings: dicts keyed by tuples) are kept with
    nothing in the store naming them."""
    from fake_cdyne.messaging.keywords import Keywords
    from fake_cdyne.messaging.postback_settings import PostbackSettings
    from fake_cdyne.store import test_did, test_short_code

    config = Config(port=0, store=str(tmp_path / "state.db"))
    key = uuid.uuid4()
    with FakeServer(config) as fake:
        service = fake.starlette.state.service
        keyword = {"LicenseKey": key, "SMSKeywords": [{"Keyword": "Pizza", "ShortCode": test_short_code(key)}]}
        Keywords(service).assign_keyword(keyword)
        settings = PostbackSettings(service)
        settings.set_postback_url_for_license_key(key, "DeliveryReceipt", "http://127.0.0.1:9/receipts")
        settings.set_postback_url_for_phone_number(key, test_did(key), "US", "All", "http://127.0.0.1:9/phone")
        keywords, listed = (
            Keywords(service).get_keywords(key).value,
            settings.get_postback_settings_for_license_key(key),
        )
        with httpx.Client(base_url=fake.url) as http:
            exported = http.get("/_fake/state").json()
            http.post("/_fake/reset").raise_for_status()
            http.put("/_fake/state", json=exported).raise_for_status()
        assert Keywords(service).get_keywords(key).value == keywords
    with FakeServer(config) as fake:
        service = fake.starlette.state.service
        assert Keywords(service).get_keywords(key).value == keywords
        assert PostbackSettings(service).get_postback_settings_for_license_key(key).value == listed.value
        assert len(listed.value or []) == 2


def test_media_files_are_kept_and_their_ids_go_on(tmp_path: Path) -> None:
    """A key's media (an upload, bytes and tags) answer GetMedia and GetMediaInfo the same after an
    export and import and after a restart, a removed one stays removed, and its MediaId is not given
    again: the counter is kept with the files."""
    config = Config(port=0, store=str(tmp_path / "state.db"))
    key, picture = str(uuid.uuid4()), b"GIF89a\x01\x00\x01\x00fake"

    def upload(http: httpx.Client, name: str) -> int:
        request = {"Base64EncodedContent": base64.b64encode(picture).decode(), "Filename": name, "LicenseKey": key}
        made = http.post("/Messaging.svc/CreateMediaFromContent", json=request | {"Tags": ["card"]}, headers=JSON)
        media_id: int = made.json()["MediaId"]
        return media_id

    def read(http: httpx.Client) -> tuple[Any, Any]:
        info = http.post("/Messaging.svc/GetMediaInfo", json={"LicenseKey": key}, headers=JSON).json()
        content = http.get("/Messaging.svc/GetMedia", params={"LicenseKey": key, "MediaId": kept}, headers=JSON)
        return info, content.json()

    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        kept, gone = upload(http, "card.gif"), upload(http, "old.gif")
        params: dict[str, str | int] = {"LicenseKey": key, "MediaId": gone}
        assert http.get("/Messaging.svc/RemoveMedia", params=params, headers=JSON).json() is True
        before = read(http)
        assert base64.b64decode(before[1]) == picture
        assert [m["MediaId"] for m in before[0]["Media"]] == [kept]
        exported = http.get("/_fake/state").json()
        http.post("/_fake/reset").raise_for_status()
        assert read(http) != before
        http.put("/_fake/state", json=exported).raise_for_status()
        assert read(http) == before
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        assert read(http) == before
        assert upload(http, "new.gif") == gone + 1
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        newest = upload(http, "newer.gif")
        assert newest == gone + 2
        params = {"LicenseKey": key, "MediaId": newest}
        assert http.get("/Messaging.svc/RemoveMedia", params=params, headers=JSON).json() is True
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        assert upload(http, "newest.gif") == newest + 1  # the highest one removed: the counter, not the files


def test_refused_sends_and_postbacks_retention_lets_go_leave_the_file(
    tmp_path: Path, receiver: PostbackReceiver
) -> None:
    """Retention's removals reach the store: refused sends (kept without a key of their own) and the
    postbacks of a message let go are gone from the file, and after a restart."""
    path = tmp_path / "state.db"
    config = Config(port=0, store=str(path), retain_messages=2)
    key = str(uuid.uuid4())
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        http.post("/_fake/incoming", json={"license_key": key, "from": STOPPER, "message": "STOP"}).raise_for_status()
        for n in range(5):
            assert "<SMSError>STOPfromPhoneNumber</SMSError>" in send(http, key, STOPPER, f"refused {n}").text
        first = message_id(send(http, key, PHONE, "first", StatusPostBackURL=receiver.url).text)
        journal(http, key, 1)
        for n in range(2):
            send(http, key, PHONE, f"later {n}")
        assert http.get("/_fake/messages", params={"license_key": key}).json()[0]["message"] == "later 0"
        assert http.get("/_fake/postbacks", params={"license_key": key}).json() == []
        store = fake.starlette.state.service.store
        assert [one.text for one in store.find(uuid.UUID(key)).refused] == ["refused 3", "refused 4"]
    assert rows(path, "refused") == 2
    assert rows(path, "postbacks") == 0
    assert rows(path, "messages") == 2
    with FakeServer(config) as fake:
        store = fake.starlette.state.service.store
        assert [one.text for one in store.find(uuid.UUID(key)).refused] == ["refused 3", "refused 4"]
        assert store.message(uuid.UUID(first)) is None
        assert fake.starlette.state.service.postbacks.journal.for_key(None) == []


def test_postbacks_the_journals_size_lets_go_leave_the_file(tmp_path: Path, receiver: PostbackReceiver) -> None:
    """FAKE_CDYNE_POSTBACK_JOURNAL_SIZE lets the oldest postbacks go: from the file too, not back after a restart."""
    path = tmp_path / "state.db"
    config = Config(port=0, store=str(path), postback_journal_size=2)
    key = str(uuid.uuid4())
    with FakeServer(config) as fake, httpx.Client(base_url=fake.url) as http:
        for n in range(4):
            send(http, key, PHONE, f"text {n}", StatusPostBackURL=receiver.url)
        receiver.wait_for(4)
        kept = [postback["id"] for postback in http.get("/_fake/postbacks", params={"license_key": key}).json()]
        assert len(kept) == 2
    assert rows(path, "postbacks") == 2
    with FakeServer(config) as fake:
        assert [postback.id for postback in fake.starlette.state.service.postbacks.journal.for_key(None)] == kept
