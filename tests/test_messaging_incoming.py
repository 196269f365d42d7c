"""ReadIncomingMessages, GetUnsubscribedNumbers and the Messaging postbacks, in process (contract §4.4,
§4.5, §4.10, §5). Expected form bodies are written from the contract's field lists, not the fake's code."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest

from fake_cdyne import Config
from fake_cdyne.dates import MIN_VALUE
from fake_cdyne.messaging.incoming import Incoming
from fake_cdyne.model import EMPTY_GUID
from fake_cdyne.service import Service
from fake_cdyne.store import Account

from .test_messaging_sending import MOBILE, request, send

NEVER = MIN_VALUE.replace(tzinfo=None)
URL = "http://127.0.0.1:9/pb"


@pytest.fixture
def service() -> Service:
    return Service(Config(manual_clock=True))


@pytest.fixture
def key(service: Service) -> uuid.UUID:
    license_key = uuid.uuid4()
    service.store.declare(license_key, dids=["17575550100"])
    return license_key


def account_of(service: Service, key: uuid.UUID) -> Account:
    found = service.store.account(key)
    assert found is not None
    return found


def read(service: Service, key: uuid.UUID, **criteria: Any) -> list[dict[str, Any]]:
    base = {
        "EndDate": NEVER, "IncomingMessageID": EMPTY_GUID, "LicenseKey": key, "OutgoingMessageID": EMPTY_GUID,
        "PageNumber": 0, "PageSize": 0, "ReferenceID": None, "StartDate": NEVER, "UnreadMessagesOnly": False,
    }  # fmt: skip
    result = Incoming(service).read_incoming_messages(base | criteria)
    assert result.value is not None
    return result.value


def texts(service: Service, key: uuid.UUID, *words: str, gap: float = 1) -> None:
    for word in words:
        service.lifecycle.receive(account_of(service, key), MOBILE, word, None)
        service.scheduler.advance(gap)


def test_a_reply_is_read_once_by_either_operation(service: Service, key: uuid.UUID) -> None:
    texts(service, key, "one", "two")
    first = read(service, key, UnreadMessagesOnly=True)
    assert [m["Payload"] for m in first] == ["one", "two"]
    assert read(service, key, UnreadMessagesOnly=True) == []
    assert service.operations.get_unread_incoming_messages(key).value == []
    texts(service, key, "three")
    legacy = service.operations.get_unread_incoming_messages(key).value
    assert legacy is not None
    assert [t.text for t in legacy] == ["three"]
    assert read(service, key, UnreadMessagesOnly=True) == []
    assert [m["Payload"] for m in read(service, key)] == ["one", "two", "three"]  # read ones too


def test_the_response_members(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key))[0]
    texts(service, key, "yes")
    (found,) = read(service, key)
    text = account_of(service, key).incoming[0]
    assert found == {
        "Attachments": None, "From": MOBILE, "IncomingMessageID": text.id, "OutgoingMessageID": entry["MessageID"],
        "Payload": "yes", "ReceivedDate": text.received_at.replace(tzinfo=None), "Subject": None,
        "To": "17575550100", "Udh": None,
    }  # fmt: skip


def test_ids_increase_as_strings_in_arrival_order(service: Service, key: uuid.UUID) -> None:
    texts(service, key, *[f"part {i}" for i in range(30)], gap=0)
    ids = [str(m["IncomingMessageID"]) for m in read(service, key)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 30


def test_filters_combine(service: Service, key: uuid.UUID) -> None:
    start = service.clock.now()
    entry = send(service, request(key, ReferenceID="visit-1"))[0]
    texts(service, key, "a", "b", "c", gap=10)
    all_texts = account_of(service, key).incoming
    window = read(service, key, StartDate=(start + timedelta(seconds=5)).replace(tzinfo=None))
    assert [m["Payload"] for m in window] == ["b", "c"]
    until = read(service, key, EndDate=all_texts[1].received_at.replace(tzinfo=None))  # inclusive
    assert [m["Payload"] for m in until] == ["a", "b"]
    assert [m["Payload"] for m in read(service, key, IncomingMessageID=all_texts[2].id)] == ["c"]
    assert len(read(service, key, OutgoingMessageID=entry["MessageID"])) == 3
    assert read(service, key, OutgoingMessageID=uuid.uuid4()) == []
    assert len(read(service, key, ReferenceID="visit-1")) == 3
    assert read(service, key, ReferenceID="other") == []


def test_paging_marks_only_the_page_read(service: Service, key: uuid.UUID) -> None:
    texts(service, key, "1", "2", "3", "4", "5")
    assert [m["Payload"] for m in read(service, key, PageNumber=2, PageSize=2)] == ["3", "4"]
    assert read(service, key, PageNumber=9, PageSize=2) == []
    assert [m["Payload"] for m in read(service, key, PageNumber=0, PageSize=2)] == ["1", "2"]
    assert [m["Payload"] for m in read(service, key, UnreadMessagesOnly=True)] == ["5"]


def test_bad_key_reads_nothing() -> None:
    strict = Service(Config(manual_clock=True, accept_unknown_keys=False))
    assert read(strict, uuid.uuid4()) == []
    assert read(strict, EMPTY_GUID) == []
    assert Incoming(strict).get_unsubscribed_numbers(uuid.uuid4()).value == []


def test_unsubscribed_numbers_in_stop_order_until_resume(service: Service, key: uuid.UUID) -> None:
    account = account_of(service, key)
    service.lifecycle.receive(account, "17575449512", "stop", None)
    service.scheduler.advance(3)
    service.lifecycle.receive(account, "17575449511", "UNSUBSCRIBE", None)
    found = Incoming(service).get_unsubscribed_numbers(key).value
    assert found is not None
    assert [n["PhoneNumber"] for n in found] == ["17575449512", "17575449511"]
    assert found[0]["EntryDate"] == account.incoming[0].received_at.replace(tzinfo=None)
    service.lifecycle.receive(account, "17575449512", "RESUME", None)
    after = Incoming(service).get_unsubscribed_numbers(key).value
    assert after is not None
    assert [n["PhoneNumber"] for n in after] == ["17575449511"]
    stops = [m["Payload"] for m in read(service, key)]
    assert stops == ["stop", "UNSUBSCRIBE", "RESUME"]  # system keywords are listed too


def test_a_number_blocked_by_setup_has_no_stop_time(service: Service, key: uuid.UUID) -> None:
    service.store.declare(key, blocked=["17575449513"])
    found = Incoming(service).get_unsubscribed_numbers(key).value
    assert found == [{"EntryDate": NEVER, "PhoneNumber": "17575449513"}]


# ---- postbacks ----------------------------------------------------------------------------------


def bodies(service: Service, key: uuid.UUID) -> list[tuple[str, str, str]]:
    return [(p.kind, p.url, p.body) for p in service.postbacks.for_key(key)]


def test_sms_sent_to_the_messages_own_url(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key, PostbackUrl=URL, ReferenceID="r 1"))[0]
    message = service.store.message(entry["MessageID"])
    assert message is not None
    assert message.sent_at is not None
    when = f"{message.sent_at.month}/{message.sent_at.day}/{message.sent_at.year}"
    (kind, url, body) = bodies(service, key)[0]
    assert (kind, url) == ("sent", URL)
    assert body.startswith(f"SMSSent=1&MessageID={message.id}&ReferenceID=r+1&FromPhoneNumber=17575550100")
    assert f"&ToPhoneNumber={MOBILE}&SentTime={when.replace('/', '%2f')}+" in body


def test_mms_sent_and_refused(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key, PostbackUrl=URL, UseMMS=True, Attachments=["12486"]))[0]
    message = service.store.message(entry["MessageID"])
    assert message is not None
    assert bodies(service, key)[0][2].startswith(f"MMSSent=1&MessageID={message.id}&ReferenceID=&")
    service.lifecycle.refuse(message, 1)
    assert bodies(service, key)[-1][:2] == ("refused", URL)
    assert bodies(service, key)[-1][2].startswith("MMSSent=0&")


def test_no_url_no_postback(service: Service, key: uuid.UUID) -> None:
    send(service, request(key))
    assert bodies(service, key) == []


def test_replies_to_a_messaging_message(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key, PostbackUrl=URL, ReferenceID="R"))[0]
    texts(service, key, "yes please")
    (kind, url, body) = bodies(service, key)[-1]
    text = account_of(service, key).incoming[0]
    assert (kind, url) == ("reply", URL)
    assert body.startswith(
        f"SMSResponse=1&MessageID={text.id}&MatchedMessageID={entry['MessageID']}&ReferenceID=R"
        f"&FromPhoneNumber={MOBILE}&ToPhoneNumber=17575550100&ResponseReceiveDate="
    )
    assert body.endswith("&Message=yes+please")


def test_an_mms_reply(service: Service, key: uuid.UUID) -> None:
    send(service, request(key, PostbackUrl=URL))
    service.lifecycle.receive(account_of(service, key), MOBILE, "pic", None, subject="Hi", attachments=(10000001,))
    assert bodies(service, key)[-1][2].startswith("MMSResponse=1&MessageID=")
    (found,) = read(service, key)
    assert (found["Subject"], found["Attachments"]) == ("Hi", [10000001])


def test_legacy_sends_keep_sms2_postbacks(service: Service, key: uuid.UUID) -> None:
    sent = service.operations.simple_sms_send_with_postback("7575449510", "old", key, URL)
    service.lifecycle.start(sent.started)
    texts(service, key, "reply")
    assert [(k, u) for k, u, _ in bodies(service, key)] == [("sent", URL), ("reply", URL)]


def test_delivery_receipts_when_enabled(key: uuid.UUID) -> None:
    service = Service(Config(manual_clock=True, delivery_receipts=True))
    entry = send(service, request(key, PostbackUrl=URL))[0]
    sms = bodies(service, key)
    assert [k for k, _, _ in sms] == ["sent", "receipt", "receipt"]
    assert sms[1][2].startswith(f"DeliveryReceipt=1&MessageID={entry['MessageID']}&ReferenceID=&FromPhoneNumber=")
    assert sms[1][2].endswith("&Code=003")
    assert "stat%3aDELIVRD" in sms[2][2]
    assert sms[2][2].endswith("&Code=000")
    mms = send(service, request(key, PostbackUrl=URL, UseMMS=True, Attachments=["1"], ReferenceID="m"))[0]
    last = bodies(service, key)[-1][2]
    assert f"MessageID={mms['MessageID']}" in last
    assert last.endswith("&DeliveryReceiptMessage=DeliveredToDevice&Code=000")


def test_no_receipts_by_default(service: Service, key: uuid.UUID) -> None:
    send(service, request(key, PostbackUrl=URL))
    assert [k for k, _, _ in bodies(service, key)] == ["sent"]
