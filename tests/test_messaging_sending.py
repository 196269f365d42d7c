"""SendMessage and ReadMessageStatus in process (contract §4.2, §4.3): checks, statuses, life cycle,
scheduling, cancelling, MMS, the legacy views both ways, and scenarios' MessageStatus outcomes."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from fake_cdyne import Config
from fake_cdyne.dates import MIN_VALUE
from fake_cdyne.messaging.incoming import Incoming
from fake_cdyne.messaging.sending import Sending
from fake_cdyne.messaging.status import MessageStatus
from fake_cdyne.model import EMPTY_GUID
from fake_cdyne.scenario_files import ScenarioError, read_scenario
from fake_cdyne.service import Service

NEVER = MIN_VALUE.replace(tzinfo=None)
MOBILE = "17575449510"


@pytest.fixture
def service() -> Service:
    return Service(Config(manual_clock=True, send_delay=5))


@pytest.fixture
def key(service: Service) -> uuid.UUID:
    license_key = uuid.uuid4()
    service.store.declare(license_key, dids=["17575550100", "17575550101"])
    return license_key


def request(key: uuid.UUID, *to: str, **members: Any) -> dict[str, Any]:
    """An OutgoingMessageRequest as the codec hands it over: every member, absent ones at their defaults."""
    base: dict[str, Any] = {
        "Attachments": None, "Body": "Hello", "Concatenate": False, "From": None, "IsUnicode": False,
        "LicenseKey": key, "PostbackUrl": None, "ReferenceID": None, "ScheduledDateTime": NEVER, "Subject": None,
        "To": list(to) if to else [MOBILE], "UseMMS": False,
    }  # fmt: skip
    return base | members


def send(service: Service, req: dict[str, Any]) -> list[dict[str, Any]]:
    """SendMessage, then the life cycle started as the endpoint does once the answer has gone."""
    result = Sending(service).send_message(req)
    assert result.fault is None
    assert result.value is not None
    service.lifecycle.start(result.started)
    return result.value


def status(service: Service, key: uuid.UUID, message_id: uuid.UUID) -> dict[str, Any]:
    result = Sending(service).read_message_status(key, message_id)
    assert result.value is not None
    return result.value


def test_one_ready_response_per_recipient_in_order(service: Service, key: uuid.UUID) -> None:
    entries = send(service, request(key, "7575449510", "(757) 544-9511", "nope", "17575449510"))
    assert [e["MessageStatus"] for e in entries] == ["Ready", "Ready", "InvalidDestination", "Ready"]
    assert [e["To"] for e in entries] == [MOBILE, "17575449511", "nope", MOBILE]
    assert entries[0]["From"] == "17575550100"
    assert entries[0]["SentTime"] == NEVER
    assert entries[0]["Attachments"] is None
    assert entries[2]["MessageID"] == EMPTY_GUID
    assert entries[0]["MessageID"] != entries[1]["MessageID"]
    assert all(service.store.message(e["MessageID"]) is not None for e in entries if e["MessageStatus"] == "Ready")


def test_an_empty_to_answers_an_empty_array(service: Service, key: uuid.UUID) -> None:
    assert send(service, request(key) | {"To": []}) == []
    assert send(service, request(key) | {"To": None}) == []


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"LicenseKey": EMPTY_GUID}, "InvalidLicenseKey"),
        ({"ScheduledDateTime": datetime(2030, 1, 1, tzinfo=timezone(timedelta(hours=-5)))}, "InvalidDateTime"),
        ({"Body": ""}, "NoMessage"),
        ({"Body": "   "}, "NoMessage"),
        ({"Body": None, "Attachments": ["https://example.com/a.png"]}, "NoMessage"),  # attachments need UseMMS
        ({"Body": "x" * 1601}, "MessageExceedsLimit"),
        ({"From": "17575550199"}, "InvalidDid"),
        ({"From": "not a number"}, "InvalidDid"),
    ],
)
def test_request_level_failures_answer_every_recipient(
    service: Service, key: uuid.UUID, members: dict[str, Any], expected: str
) -> None:
    entries = send(service, request(key, "7575449510", "7575449511", **members))
    assert [e["MessageStatus"] for e in entries] == [expected, expected]
    assert all(e["MessageID"] == EMPTY_GUID and e["From"] is None for e in entries)
    assert list(service.store.messages_of(key)) == []


def test_the_first_failure_wins_in_the_documented_order(service: Service, key: uuid.UUID) -> None:
    service.store.declare(key, suspended=True)
    entries = send(service, request(key, Body="", From="bad"))
    assert entries[0]["MessageStatus"] == "AccountSuspended"
    service.store.declare(key, suspended=False)
    assert send(service, request(key, Body="", From="bad"))[0]["MessageStatus"] == "NoMessage"


def test_from_empty_or_one_of_the_keys_numbers(service: Service, key: uuid.UUID) -> None:
    assert send(service, request(key, From=""))[0]["From"] == "17575550100"  # C4 sends "From":""
    assert send(service, request(key, From="(757) 555-0101"))[0]["From"] == "17575550101"


def test_unknown_keys_are_refused_only_where_accounts_are_declared() -> None:
    strict = Service(Config(manual_clock=True, accept_unknown_keys=False))
    assert send(strict, request(uuid.uuid4()))[0]["MessageStatus"] == "InvalidLicenseKey"
    lenient = Service(Config(manual_clock=True))
    assert send(lenient, request(uuid.uuid4()))[0]["MessageStatus"] == "Ready"


def test_a_stopped_number_is_refused_with_403(service: Service, key: uuid.UUID) -> None:
    account = service.store.account(key)
    assert account is not None
    service.lifecycle.receive(account, MOBILE, "STOP", None)
    entries = send(service, request(key, "7575449510", "7575449511"))
    assert [e["MessageStatus"] for e in entries] == ["StopOnPhoneNumber", "Ready"]
    assert account.refused[-1].to_number == MOBILE  # the inbox shows it where it happened


def test_ready_then_processing_then_sent(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key))[0]
    assert entry["MessageStatus"] == "Ready"
    assert status(service, key, entry["MessageID"])["MessageStatus"] == "Processing"
    service.scheduler.advance(5)
    now = status(service, key, entry["MessageID"])
    assert now["MessageStatus"] == "Sent"
    assert now["SentTime"] == service.clock.now().replace(tzinfo=None, microsecond=now["SentTime"].microsecond)


def test_a_scheduled_message_stays_ready_and_can_be_cancelled(service: Service, key: uuid.UUID) -> None:
    later = (service.clock.now() + timedelta(minutes=5)).replace(tzinfo=None)
    entry = send(service, request(key, ScheduledDateTime=later))[0]
    service.scheduler.advance(60)
    assert status(service, key, entry["MessageID"])["MessageStatus"] == "Ready"
    cancelled = service.operations.cancel_message(entry["MessageID"])
    assert cancelled.value is True
    service.scheduler.advance(600)
    assert status(service, key, entry["MessageID"])["MessageStatus"] == "Cancelled"
    assert service.operations.cancel_message(entry["MessageID"]).value is False


def test_read_message_status_of_unknown_and_other_keys_ids(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key))[0]
    other = uuid.uuid4()
    for asked, message_id in ((other, entry["MessageID"]), (key, uuid.uuid4())):
        found = status(service, asked, message_id)
        assert found == {
            "Attachments": None, "From": None, "MessageID": message_id,
            "MessageStatus": "MissingDidOrInvalidMessageId", "SentTime": NEVER, "To": None,
        }  # fmt: skip
    assert status(service, EMPTY_GUID, entry["MessageID"])["MessageStatus"] == "InvalidLicenseKey"


def test_read_message_status_of_an_incoming_message(service: Service, key: uuid.UUID) -> None:
    account = service.store.account(key)
    assert account is not None
    text = service.lifecycle.receive(account, MOBILE, "hi", "17575550101").incoming
    found = status(service, key, text.id)
    assert (found["MessageStatus"], found["From"], found["To"]) == ("Sent", MOBILE, "17575550101")
    assert found["SentTime"] == text.received_at.replace(tzinfo=None)


def test_a_send_message_message_in_sms2s_views(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key, ReferenceID="ref-1"))[0]
    legacy = service.operations.get_message_status(entry["MessageID"]).value
    assert legacy is not None
    assert (legacy.queued, legacy.sent, legacy.error.name) == (True, False, "NoError")
    service.scheduler.advance(5)
    legacy = service.operations.get_message_status(entry["MessageID"]).value
    assert legacy is not None
    assert (legacy.queued, legacy.sent, legacy.reference_id) == (False, True, "ref-1")
    by_reference = service.operations.get_message_status_by_reference_id("ref-1", key).value
    assert by_reference is not None
    assert [r.message_id for r in by_reference] == [entry["MessageID"]]


def test_an_sms2_message_answers_read_message_status(service: Service, key: uuid.UUID) -> None:
    sent = service.operations.simple_sms_send("7575449510", "legacy", key)
    assert sent.value is not None
    service.lifecycle.start(sent.started)
    found = status(service, key, sent.value.message_id)
    assert (found["MessageStatus"], found["To"], found["From"]) == ("Processing", MOBILE, "17575550100")
    service.scheduler.advance(5)
    assert status(service, key, sent.value.message_id)["MessageStatus"] == "Sent"


def test_a_failing_receipt_makes_a_message_failed_by_provider(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key))[0]
    service.scheduler.advance(5)
    message = service.store.message(entry["MessageID"])
    assert message is not None
    service.lifecycle.receipt(message, "003", "to the carrier")
    assert status(service, key, message.id)["MessageStatus"] == "Sent"
    service.lifecycle.receipt(message, "005", "undeliverable")
    assert status(service, key, message.id)["MessageStatus"] == "FailedByProvider"


def test_a_carrier_refusal_ends_cancelled(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key))[0]
    message = service.store.message(entry["MessageID"])
    assert message is not None
    service.lifecycle.refuse(message, 3)
    assert status(service, key, message.id)["MessageStatus"] == "Cancelled"


def test_mms_keeps_subject_and_attachments(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key, UseMMS=True, Body=None, Subject="Look", Attachments=["12486", "12487"]))[0]
    message = service.store.message(entry["MessageID"])
    assert message is not None
    assert (message.use_mms, message.subject, message.text) == (True, "Look", "")
    assert entry["Attachments"] == ",".join(str(i) for i in message.attachments)
    assert message.attachments
    sms = send(service, request(key, Subject="ignored", Attachments=["12486"]))[0]
    plain = service.store.message(sms["MessageID"])
    assert plain is not None
    assert (plain.use_mms, plain.subject, plain.attachments) == (False, None, ())


def test_reference_id_and_postback_url_are_kept(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key, ReferenceID="r-9", PostbackUrl="http://127.0.0.1:9/pb"))[0]
    message = service.store.message(entry["MessageID"])
    assert message is not None
    assert (message.reference_id, message.postback_url) == ("r-9", "http://127.0.0.1:9/pb")
    assert message.messaging


def scenario(service: Service, key: uuid.UUID, rules: list[dict[str, Any]]) -> None:
    service.install_scenario(key, read_scenario_from({"rules": rules}, key))


def read_scenario_from(data: dict[str, Any], key: uuid.UUID) -> Any:
    return read_scenario(json.dumps(data), "test", for_key=key)


@pytest.mark.parametrize("name", ["InvalidDid", "StopOnPhoneNumber", "MessageExceedsLimit", "InvalidDestination"])
def test_a_scenario_refusing_status_stores_nothing(service: Service, key: uuid.UUID, name: str) -> None:
    scenario(service, key, [{"match": {"operation": "SendMessage"}, "outcome": {"message_status": name}}])
    entry = send(service, request(key))[0]
    assert (entry["MessageStatus"], entry["MessageID"]) == (name, EMPTY_GUID)
    assert list(service.store.messages_of(key)) == []


@pytest.mark.parametrize("name", ["Hold", "Failed", "Cancelled", "FailedByProvider", "Sent"])
def test_a_scenario_status_that_is_kept(service: Service, key: uuid.UUID, name: str) -> None:
    scenario(service, key, [{"match": {"operation": "SendMessage"}, "outcome": {"message_status": name}}])
    entry = send(service, request(key))[0]
    assert entry["MessageStatus"] == name
    assert entry["MessageID"] != EMPTY_GUID
    service.scheduler.advance(60)
    assert status(service, key, entry["MessageID"])["MessageStatus"] == name
    assert service.postbacks.for_key(key) == []


def test_scenarios_match_to_from_and_body(service: Service, key: uuid.UUID) -> None:
    match = {"operation": "SendMessage", "phone": "7575449511", "message": {"contains": "boom"}}
    scenario(service, key, [{"match": match, "outcome": {"error": "PhoneNumberInvalid"}}])
    entries = send(service, request(key, "7575449510", "7575449511", Body="a boom"))
    assert [e["MessageStatus"] for e in entries] == ["Ready", "InvalidDestination"]
    assert send(service, request(key, "7575449511", Body="calm"))[0]["MessageStatus"] == "Ready"


def test_a_scenario_fault_stores_nothing(service: Service, key: uuid.UUID) -> None:
    scenario(service, key, [{"match": {"operation": "SendMessage"}, "outcome": {"fault": {"status": 503}}}])
    result = Sending(service).send_message(request(key))
    assert result.value is None
    assert result.fault is not None
    assert result.fault.status == 503
    assert list(service.store.messages_of(key)) == []


def test_read_message_status_answers_a_scenario_status(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key))[0]
    rule = {"match": {"operation": "ReadMessageStatus"}, "outcome": {"message_status": "Failed"}}
    scenario(service, key, [rule])
    assert status(service, key, entry["MessageID"])["MessageStatus"] == "Failed"


def test_incoming_and_sending_share_the_service(service: Service, key: uuid.UUID) -> None:
    entry = send(service, request(key))[0]
    account = service.store.account(key)
    assert account is not None
    service.lifecycle.receive(account, MOBILE, "yes", None)
    found = Incoming(service).read_incoming_messages({"LicenseKey": key, "UnreadMessagesOnly": True})
    assert found.value is not None
    assert found.value[0]["OutgoingMessageID"] == entry["MessageID"]


READY = sorted((Path(__file__).parents[1] / "scenarios" / "messaging").glob("*.yaml"))


def test_there_is_a_ready_file_for_every_failing_message_status() -> None:
    failing = {s.name for s in MessageStatus if s.refuses or s >= 500}
    assert {path.stem for path in READY} == failing


@pytest.mark.parametrize("path", READY, ids=lambda p: p.stem)
def test_each_ready_file_answers_its_status(service: Service, key: uuid.UUID, path: Path) -> None:
    service.install_scenario(key, read_scenario(path.read_text(), str(path), for_key=key))
    entry = send(service, request(key))[0]
    assert entry["MessageStatus"] == path.stem
    service.scheduler.advance(60)
    stored = service.store.messages_of(key)
    assert bool(stored) is not MessageStatus[path.stem].refuses
    if stored:  # kept in that status
        assert status(service, key, entry["MessageID"])["MessageStatus"] == path.stem


def test_a_message_status_for_sms2_operations_only_is_refused() -> None:
    data = {"rules": [{"match": {"operation": "GetMessageStatus"}, "outcome": {"message_status": "Sent"}}]}
    with pytest.raises(ScenarioError, match="a MessageStatus only answers SendMessage and ReadMessageStatus"):
        read_scenario(json.dumps(data), "x.json")
    with pytest.raises(ScenarioError, match="'Sen' is not a MessageStatus; did you mean 'Sent'"):
        read_scenario(json.dumps({"rules": [{"outcome": {"message_status": "Sen"}}]}), "x.json")


def test_a_send_message_rule_may_script_the_messages_life(service: Service, key: uuid.UUID) -> None:
    life = {"sent_after": 1, "receipt": {"code": "023", "after": 2}, "replies": [{"after": 3, "message": "who?"}]}
    scenario(service, key, [{"match": {"operation": "SendMessage"}, "outcome": {"life": life}}])
    entry = send(service, request(key))[0]
    service.scheduler.advance(1)
    assert status(service, key, entry["MessageID"])["MessageStatus"] == "Sent"
    service.scheduler.advance(3)
    assert status(service, key, entry["MessageID"])["MessageStatus"] == "FailedByProvider"
    (reply,) = Incoming(service).read_incoming_messages({"LicenseKey": key}).value or []
    assert (reply["Payload"], reply["OutgoingMessageID"]) == ("who?", entry["MessageID"])
