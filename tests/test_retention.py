"""Retention: the oldest records go as new ones come (retain_messages, retain_seconds), with everything
that names them, and the error list and the postback journal have caps."""

from __future__ import annotations

import asyncio
import gc
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from fake_cdyne import Config
from fake_cdyne.cli import build_parser
from fake_cdyne.clock import ManualClock
from fake_cdyne.inbox.threads import index_of
from fake_cdyne.model import Message
from fake_cdyne.postbacks import Outgoing
from fake_cdyne.requests import AdvancedRequest, SMSRequest
from fake_cdyne.service import Service

from .conftest import StartFake, send

KEY = uuid.UUID("f01d89fd-5155-5455-5585-e84ab8de8591")
START = datetime(2026, 3, 1, tzinfo=UTC)


def _service(**settings: object) -> Service:
    return Service(Config(**settings), clock=ManualClock(START))  # type: ignore[arg-type]


def _send(service: Service, phone: str, text: str = "hi", reference: str | None = None) -> Message:
    request = AdvancedRequest(KEY, [SMSRequest(text, (phone,), reference_id=reference)])
    result = service.operations.advanced_sms_send(request)
    (message,) = result.started
    service.lifecycle.start(result.started)
    return message


def test_the_newest_n_messages_are_kept_and_every_index_forgets_the_others() -> None:
    service = _service(retain_messages=3)
    store = service.store
    sent = [_send(service, f"175755501{n:02d}", f"text {n}", reference="batch") for n in range(5)]
    account = store.find(KEY)
    assert account is not None
    assert [m.id for m in account.messages] == [m.id for m in sent[2:]]
    assert set(store.messages) == {m.id for m in sent[2:]}
    assert [m.id for m in account.by_reference["batch"]] == [m.id for m in sent[2:]]
    assert set(account.last_to) == {m.to_number for m in sent[2:]}
    assert account.let_go == (2, 0, 0)
    assert store.size == (3, 0, 0)
    status = service.operations.get_message_status(sent[0].id).value
    assert status is not None
    assert status.error.name == "NotFound"
    # A text from a phone whose message went matches nothing; one from a kept message's phone matches it.
    orphan = service.lifecycle.receive(account, sent[0].to_number, "who?", None)
    assert orphan.matched is None
    kept = service.lifecycle.receive(account, sent[4].to_number, "yes", None)
    assert kept.matched is sent[4]


def test_texts_go_oldest_first_with_the_unread_mark_and_their_messages_replies() -> None:
    service = _service(retain_messages=2)
    store = service.store
    message = _send(service, "17575550100")
    account = store.find(KEY)
    assert account is not None
    texts = [service.lifecycle.receive(account, "17575550100", f"reply {n}", None).incoming for n in range(3)]
    assert [t.id for t in account.incoming] == [t.id for t in texts[1:]]
    assert [r.id for r in message.replies] == [t.id for t in texts[1:]]
    assert [t.text for t in store.take_unread(account)] == ["reply 1", "reply 2"]
    newest = service.lifecycle.receive(account, "17575550100", "reply 3", None).incoming
    assert [t.id for t in account.unread] == [newest.id]
    assert store.incoming_of(None) == [texts[2], newest]


def test_records_older_than_retain_seconds_go_on_the_fakes_clock() -> None:
    service = _service(retain_seconds=60)
    first = _send(service, "17575550100")
    assert isinstance(service.clock, ManualClock)
    service.scheduler.advance(61)
    second = _send(service, "17575550101")
    assert set(service.store.messages) == {second.id}
    assert service.store.expire(service.clock.now() + timedelta(seconds=61)) == 1
    assert service.store.size == (0, 0, 0)
    assert first.id not in service.store.messages


def test_a_messages_postbacks_go_with_it_and_the_journal_has_a_cap() -> None:
    service = _service(retain_messages=2)
    journal = service.postbacks.journal
    sent = [_send(service, f"175755501{n:02d}") for n in range(3)]  # sent[0] is gone already
    for message in sent[1:]:
        service.postbacks.submit(KEY, Outgoing("sent", message.id, "http://127.0.0.1:9/", "x"))
    message = _send(service, "17575550199")  # lets sent[1] go, and its postback
    assert [p.message_id for p in journal.for_key(KEY)] == [sent[2].id]
    assert len(journal) == 1
    del message
    capped = _service(postback_journal_size=2)
    for n in range(5):
        capped.postbacks.submit(KEY, Outgoing("sent", uuid.uuid4(), "http://127.0.0.1:9/", str(n)))
    assert [p.body for p in capped.postbacks.journal.for_key(None)] == ["3", "4"]
    assert sum(capped.postbacks.journal.counts().values()) == 2


def test_the_error_list_keeps_the_newest_and_numbers_them() -> None:
    service = _service(error_log_size=3)
    for n in range(5):
        service.record_error("here", ValueError(str(n)))
    assert [(e.id, e.error) for e in service.errors] == [
        (3, "ValueError: 2"),
        (4, "ValueError: 3"),
        (5, "ValueError: 4"),
    ]


def test_the_inbox_index_drops_what_the_store_let_go() -> None:
    service = _service(retain_messages=4)

    async def conversations() -> dict[str, int]:
        index = await index_of(service)
        return {c.phone: c.size for c in index.find()}

    for n in range(4):
        _send(service, f"175755501{n % 2:02d}")
    assert asyncio.run(conversations()) == {"17575550101": 2, "17575550100": 2}
    for _ in range(3):
        _send(service, "17575550102")
    assert asyncio.run(conversations()) == {"17575550102": 3, "17575550101": 1}


def test_a_reset_frees_what_the_store_held() -> None:
    service = _service(retain_messages=100)
    sent = _send(service, "17575550100").id
    asyncio.run(index_of(service))
    service.reset()
    gc.collect()
    assert not [o for o in gc.get_objects() if isinstance(o, Message) and o.id == sent]
    assert service.store.size == (0, 0, 0)


def test_retention_is_a_setting_like_the_others(monkeypatch: pytest.MonkeyPatch, start_fake: StartFake) -> None:
    monkeypatch.setenv("FAKE_CDYNE_RETAIN_MESSAGES", "5")
    monkeypatch.setenv("FAKE_CDYNE_ERROR_LOG_SIZE", "10")
    assert Config.from_env().retain_messages == 5
    args = build_parser().parse_args(["serve", "--retain-messages", "7", "--retain-seconds", "3600"])
    assert (args.retain_messages, args.retain_seconds) == (7, 3600.0)
    started = start_fake(retain_messages=2, retain_seconds=86400, postback_journal_size=50)
    settings = started.http.get("/_fake/settings").json()
    assert {name: settings[name] for name in ("retain_messages", "retain_seconds", "postback_journal_size")} == {
        "retain_messages": 2,
        "retain_seconds": 86400,
        "postback_journal_size": 50,
    }
    key = str(uuid.uuid4())
    ids = [send(started.http, key, phone=f"175755501{n:02d}").text for n in range(3)]
    assert len(ids) == 3
    listed = started.http.get("/_fake/messages", params={"license_key": key}).json()
    assert [m["to"] for m in listed] == ["17575550101", "17575550102"]
    with pytest.raises(Exception, match="retain_seconds"):
        Config(retain_seconds=-1)


def test_http_reads_see_the_same_store(start_fake: StartFake) -> None:
    started = start_fake(retain_messages=1)
    key = str(uuid.uuid4())
    send(started.http, key, phone="17575550100")
    send(started.http, key, phone="17575550101")
    account = started.http.get(f"/_fake/accounts/{key}")
    assert account.json()["messages"] == 1
    assert isinstance(started.http, httpx.Client)


def test_a_message_let_go_before_its_time_comes_does_nothing_then() -> None:
    """A scheduled message, or one with a receipt to come, that retention let go: its time passes quietly."""
    service = _service(retain_messages=1)
    later = START + timedelta(seconds=60)
    request = AdvancedRequest(KEY, [SMSRequest("later", ("17575550100",), scheduled_for=later)])
    result = service.operations.advanced_sms_send(request)
    service.lifecycle.start(result.started)
    (scheduled,) = result.started
    _send(service, "17575550101")  # lets the scheduled one go
    service.scheduler.advance(61)
    service.lifecycle.receipt(scheduled, "000", "Delivered to handset")
    account = service.store.find(KEY)
    assert account is not None
    assert "17575550100" not in account.last_to
    assert scheduled.receipts == ()
    assert [p.message_id for p in service.postbacks.journal.for_key(None)] == []
