"""Dates, GUIDs, phone numbers and configuration, value by value."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from fake_cdyne import Config, ConfigError
from fake_cdyne.dates import (
    MIN_VALUE,
    parse_json_date,
    parse_xml_datetime,
    postback_datetime,
    quantise,
    wcf_json_date,
    xml_datetime,
)
from fake_cdyne.model import IncomingMessage
from fake_cdyne.store import Store
from fake_cdyne.values import normalise_phone, parse_guid


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


@pytest.mark.parametrize(
    ("micro", "expected_ms"),
    [
        (0, 0),
        (1_000, 0),
        (2_000, 3),
        (3_333, 3),
        (4_000, 3),
        (5_000, 7),
        (991_000, 990),
        (992_000, 993),
        (995_000, 997),
        (998_900, 997),
        (980_000, 980),
        (537_000, 537),
    ],
)
def test_quantise_to_sql_server_steps(micro: int, expected_ms: int) -> None:
    assert quantise(utc(2016, 12, 12, 0, 15, 52, micro)).microsecond == expected_ms * 1000


def test_quantise_carries_into_the_next_second() -> None:
    assert quantise(utc(2016, 12, 31, 23, 59, 59, 999_000)) == utc(2017, 1, 1)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (None, "0001-01-01T00:00:00"),
        (MIN_VALUE, "0001-01-01T00:00:00"),
        (utc(2016, 12, 12, 0, 15, 52, 980_000), "2016-12-12T00:15:52.98"),
        (utc(2016, 7, 13, 22, 25, 37, 537_000), "2016-07-13T22:25:37.537"),
        (utc(2016, 7, 13, 22, 25, 37, 500_000), "2016-07-13T22:25:37.5"),
        (utc(2016, 7, 13, 22, 25, 37), "2016-07-13T22:25:37"),
    ],
)
def test_xml_datetime(moment: datetime | None, text: str) -> None:
    assert xml_datetime(moment) == text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (None, "\\/Date(-62135578800000-0500)\\/"),  # the live capture
        (utc(2016, 12, 12, 0, 15, 52, 980_000), "\\/Date(1481519752980-0500)\\/"),
        (utc(2016, 7, 13, 22, 25, 37, 537_000), "\\/Date(1468463137537-0400)\\/"),
        (utc(2026, 3, 8, 1, 59, 59), "\\/Date(1772953199000-0500)\\/"),
        (utc(2026, 3, 8, 2, 0, 0), "\\/Date(1772949600000-0400)\\/"),
        (utc(2026, 11, 1, 0, 59, 59), "\\/Date(1793509199000-0400)\\/"),
        (utc(2026, 11, 1, 1, 0, 0), "\\/Date(1793512800000-0500)\\/"),
    ],
)
def test_wcf_json_date_treats_the_time_as_us_eastern(moment: datetime | None, text: str) -> None:
    assert wcf_json_date(moment) == text


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (utc(2010, 5, 8, 2, 42, 36), "5/8/2010 2:42:36 AM"),
        (utc(2010, 12, 31, 0, 5, 9), "12/31/2010 12:05:09 AM"),
        (utc(2010, 1, 1, 12, 0, 0), "1/1/2010 12:00:00 PM"),
        (utc(2010, 1, 1, 23, 59, 59), "1/1/2010 11:59:59 PM"),
    ],
)
def test_postback_datetime(moment: datetime, text: str) -> None:
    assert postback_datetime(moment) == text


def test_parse_json_date() -> None:
    assert parse_json_date("/Date(1481519752980)/") == (utc(2016, 12, 12, 5, 15, 52, 980_000), True)
    assert parse_json_date("/Date(0-0500)/")[1] is False
    with pytest.raises(ValueError, match="WCF date"):
        parse_json_date("2016-12-12")


def test_parse_xml_datetime() -> None:
    assert parse_xml_datetime("2016-12-12T00:15:52.98Z") == (utc(2016, 12, 12, 0, 15, 52, 980_000), True)
    assert parse_xml_datetime("2016-12-12T00:15:52") == (utc(2016, 12, 12, 0, 15, 52), False)
    assert parse_xml_datetime("2016-12-12T00:15:52-05:00") == (utc(2016, 12, 12, 5, 15, 52), False)
    assert parse_xml_datetime("2016-12-12T00:15:52.1234567Z")[0].microsecond == 123456
    with pytest.raises(ValueError, match="xs:dateTime"):
        parse_xml_datetime("12/12/2016")


@pytest.mark.parametrize(
    "text",
    [
        "f01d89fd-5155-5455-5585-e84ab8de8591",
        "F01D89FD-5155-5455-5585-E84AB8DE8591",
        " f01d89fd-5155-5455-5585-e84ab8de8591\t",
        "{f01d89fd-5155-5455-5585-e84ab8de8591}",
        "(f01d89fd-5155-5455-5585-e84ab8de8591)",
        "f01d89fd51555455 5585e84ab8de8591".replace(" ", ""),
    ],
)
def test_guid_forms(text: str) -> None:
    assert str(parse_guid(text)) == "f01d89fd-5155-5455-5585-e84ab8de8591"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "f01d89fd-5155-5455-5585-e84ab8de859",
        "{f01d89fd-5155-5455-5585-e84ab8de8591",
        "f01d89f-d5155-5455-5585-e84ab8de8591",
        "urn:uuid:f01d89fd-5155-5455-5585-e84ab8de8591",
        "g01d89fd-5155-5455-5585-e84ab8de8591",
    ],
)
def test_not_guids(text: str) -> None:
    with pytest.raises(ValueError, match="is not a GUID"):
        parse_guid(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7575449510", "17575449510"),
        ("17575449510", "17575449510"),
        ("+1 (757) 544-9510", "17575449510"),
        ("0114479111234", "0114479111234"),
        ("011123456", None),
        ("01112345678901234567", None),
        ("27575449510", None),
        ("757544951", None),
        ("", None),
        ("\u0967\u0967", None),
    ],
)
def test_phone_normalisation(text: str, expected: str | None) -> None:
    assert normalise_phone(text) == expected


def test_config_from_environment_and_overrides() -> None:
    env = {
        "FAKE_CDYNE_PORT": "9000",
        "FAKE_CDYNE_MANUAL_CLOCK": "yes",
        "FAKE_CDYNE_EXTRA_DIDS": "17575550000, 7575550001",
    }
    config = Config.from_env(env, port=9100, send_delay=None)
    assert (config.port, config.manual_clock, config.extra_dids) == (9100, True, ("17575550000", "7575550001"))


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"FAKE_CDYNE_PORT": "eighty"}, "FAKE_CDYNE_PORT='eighty' is not a valid int"),
        ({"FAKE_CDYNE_MANUAL_CLOCK": "perhaps"}, "FAKE_CDYNE_MANUAL_CLOCK"),
        ({"FAKE_CDYNE_DEFAULT_FORMAT": "yaml"}, "default_format"),
        ({"FAKE_CDYNE_EXTRA_DIDS": "12"}, "extra DID '12'"),
        ({"FAKE_CDYNE_SEND_DELAY": "-1"}, "send_delay must be a finite number, not negative"),
    ],
)
def test_config_errors_name_the_setting(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("(", r"\(")):
        Config.from_env(env)


def test_message_ids_do_not_follow_the_random_modules_seed() -> None:
    """A test suite that seeds random (hypothesis does, per example) must not make the fake repeat IDs."""
    import random

    from fake_cdyne.model import new_id

    random.seed(7)
    first = new_id()
    random.seed(7)
    assert new_id() != first


def test_the_store_keeps_unread_state_in_the_texts_alone() -> None:
    """``IncomingMessage.read`` is the one record: taking, marking and counting all read it."""
    store = Store()
    key = uuid.uuid4()
    account = store.declare(key)
    texts = [
        IncomingMessage(uuid.uuid4(), key, "17575449510", account.did, f"t{n}", datetime.now(UTC)) for n in range(4)
    ]
    for text in texts:
        store.add_incoming(account, text)
    assert store.mark_read(key, {texts[1].id, texts[3].id, uuid.uuid4()}) == 2
    assert [t.read for t in texts] == [False, True, False, True]
    assert account.unread == [texts[0], texts[2]]
    assert store.take_unread(account) == [texts[0], texts[2]]
    assert account.unread == []
    assert all(t.read for t in texts)
    assert store.mark_read(key, {texts[0].id}) == 0  # already read
    late = IncomingMessage(uuid.uuid4(), key, "17575449510", account.did, "late", datetime.now(UTC))
    store.add_incoming(account, late)
    assert account.unread == [late]
    assert store.mark_read(uuid.uuid4(), {late.id}) == 0  # another key's: nothing
