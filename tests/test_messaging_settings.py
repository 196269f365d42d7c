"""Postback settings (Messaging operations 15-20) and the precedence of their URLs (contract §4.7), on
the operation class itself: every SMSPostbackReturnCode, the result shapes, reset, odd input."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_cdyne.config import Config
from fake_cdyne.messaging.postback_settings import PostbackSettings
from fake_cdyne.model import EMPTY_GUID
from fake_cdyne.scenario_model import Fault, Match, Outcome, Rule, Scenario, Step
from fake_cdyne.service import Service

URL = "http://127.0.0.1:9/postbacks"


@pytest.fixture
def service() -> Service:
    return Service(Config(manual_clock=True))


@pytest.fixture
def ops(service: Service) -> PostbackSettings:
    return PostbackSettings(service)


@pytest.fixture
def key() -> uuid.UUID:
    return uuid.uuid4()


def did_of(service: Service, key: uuid.UUID) -> str:
    account = service.store.account(key)
    assert account is not None
    return account.did


def error_entry(code: str) -> dict[str, Any]:
    return {
        "Country": None,
        "PhoneNumber": None,
        "PostbackEnabled": False,
        "PostbackType": "All",
        "PostbackUrl": None,
        "ReturnCode": code,
    }


# ---- SetPostbackUrlForLicenseKey / SetPostbackEnabledForLicenseKey ------------------------------


def test_a_key_url_is_stored_enabled_and_listed(ops: PostbackSettings, key: uuid.UUID) -> None:
    assert ops.set_postback_url_for_license_key(key, "OutgoingMessage", URL).value == "NoError"
    assert ops.get_postback_settings_for_license_key(key).value == [
        {
            "Country": None,
            "PhoneNumber": None,
            "PostbackEnabled": True,
            "PostbackType": "OutgoingMessage",
            "PostbackUrl": URL,
            "ReturnCode": "NoError",
        }
    ]


def test_a_second_url_for_the_same_type_replaces_the_first_and_enables_it(
    ops: PostbackSettings, key: uuid.UUID
) -> None:
    ops.set_postback_url_for_license_key(key, "All", URL)
    ops.set_postback_enabled_for_license_key(key, "All", False)
    assert ops.set_postback_url_for_license_key(key, "All", "https://example.com/b").value == "NoError"
    [entry] = ops.get_postback_settings_for_license_key(key).value or []
    assert (entry["PostbackUrl"], entry["PostbackEnabled"]) == ("https://example.com/b", True)


def test_enabling_toggles_an_existing_setting_of_exactly_that_type(ops: PostbackSettings, key: uuid.UUID) -> None:
    ops.set_postback_url_for_license_key(key, "All", URL)
    assert ops.set_postback_enabled_for_license_key(key, "All", False).value == "NoError"
    assert ops.target(key, "OutgoingMessage", None) is None
    assert ops.set_postback_enabled_for_license_key(key, "DeliveryReceipt", True).value == "NotFound"
    assert ops.set_postback_enabled_for_license_key(key, "All", True).value == "NoError"
    assert ops.target(key, "OutgoingMessage", None) == URL


def test_nothing_stored_lists_nothing(ops: PostbackSettings, key: uuid.UUID) -> None:
    assert ops.get_postback_settings_for_license_key(key).value == []


def test_key_settings_come_first_in_type_order_then_each_number(
    service: Service, ops: PostbackSettings, key: uuid.UUID
) -> None:
    did = did_of(service, key)
    ops.set_postback_url_for_phone_number(key, did, "US", "IncomingMessage", URL + "/n")
    ops.set_postback_url_for_license_key(key, "OutgoingMessage", URL + "/o")
    ops.set_postback_url_for_license_key(key, "All", URL + "/a")
    listed = ops.get_postback_settings_for_license_key(key).value or []
    assert [(e["PhoneNumber"], e["PostbackType"]) for e in listed] == [
        (None, "All"),
        (None, "OutgoingMessage"),
        (did, "IncomingMessage"),
    ]


@pytest.mark.parametrize(
    ("given", "stored"), [("all", "All"), ("OUTGOINGMESSAGE", "OutgoingMessage"), ("1", "DeliveryReceipt")]
)
def test_a_type_is_read_by_name_in_any_case_or_by_number(
    ops: PostbackSettings, key: uuid.UUID, given: str, stored: str
) -> None:
    assert ops.set_postback_url_for_license_key(key, given, URL).value == "NoError"
    [entry] = ops.get_postback_settings_for_license_key(key).value or []
    assert entry["PostbackType"] == stored


# ---- return codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["", None, "   ", "/relative/path", "example.com/x", "ftp://example.com/x", "http://", "http://a b/", "mailto:x@y"],
)
def test_a_url_that_cannot_be_posted_to_is_invalid(ops: PostbackSettings, key: uuid.UUID, url: str | None) -> None:
    assert ops.set_postback_url_for_license_key(key, "All", url).value == "InvalidUrl"
    assert ops.get_postback_settings_for_license_key(key).value == []


@pytest.mark.parametrize("kind", ["4", "99", "Bogus", "", None])
def test_an_unknown_type_is_invalid(service: Service, ops: PostbackSettings, key: uuid.UUID, kind: str | None) -> None:
    did = did_of(service, key)
    assert ops.set_postback_url_for_license_key(key, kind, URL).value == "InvalidPostbackType"
    assert ops.set_postback_enabled_for_license_key(key, kind, True).value == "InvalidPostbackType"
    assert ops.set_postback_url_for_phone_number(key, did, "US", kind, URL).value == "InvalidPostbackType"
    assert ops.set_postback_enabled_for_phone_number(key, did, "US", kind, True).value == "InvalidPostbackType"


def test_the_empty_guid_is_an_invalid_key_everywhere(ops: PostbackSettings) -> None:
    assert ops.set_postback_url_for_license_key(EMPTY_GUID, "All", URL).value == "InvalidLicenseKey"
    assert ops.set_postback_enabled_for_license_key(EMPTY_GUID, "All", True).value == "InvalidLicenseKey"
    assert ops.set_postback_url_for_phone_number(EMPTY_GUID, "7575550100", "US", "All", URL).value == (
        "InvalidLicenseKey"
    )
    assert ops.set_postback_enabled_for_phone_number(EMPTY_GUID, "7575550100", "US", "All", True).value == (
        "InvalidLicenseKey"
    )
    invalid = [error_entry("InvalidLicenseKey")]
    assert ops.get_postback_settings_for_license_key(EMPTY_GUID).value == invalid
    assert ops.get_postback_settings_for_phone_number(EMPTY_GUID, "7575550100", "US").value == invalid


def test_an_unknown_key_is_invalid_where_keys_must_be_declared() -> None:
    ops = PostbackSettings(Service(Config(manual_clock=True, accept_unknown_keys=False)))
    key = uuid.uuid4()
    assert ops.set_postback_url_for_license_key(key, "All", URL).value == "InvalidLicenseKey"
    assert ops.get_postback_settings_for_license_key(key).value == [error_entry("InvalidLicenseKey")]


@pytest.mark.parametrize("phone", ["17575550000", "garbage", "", None, "12345"])
def test_a_number_the_key_does_not_own_is_invalid(
    service: Service, ops: PostbackSettings, key: uuid.UUID, phone: str | None
) -> None:
    service.store.declare(key, dids=["17575550199"], short_codes=["55555"])
    assert ops.set_postback_url_for_phone_number(key, phone, "US", "All", URL).value == "InvalidPhoneNumber"
    assert ops.set_postback_enabled_for_phone_number(key, phone, "US", "All", True).value == "InvalidPhoneNumber"
    assert ops.get_postback_settings_for_phone_number(key, phone, "US").value == [error_entry("InvalidPhoneNumber")]


@pytest.mark.parametrize("country", ["CA", "USA", "", None, "  "])
def test_a_country_the_account_does_not_use_is_invalid(
    service: Service, ops: PostbackSettings, key: uuid.UUID, country: str | None
) -> None:
    did = did_of(service, key)
    assert ops.set_postback_url_for_phone_number(key, did, country, "All", URL).value == "InvalidCountry"
    assert ops.set_postback_enabled_for_phone_number(key, did, country, "All", True).value == "InvalidCountry"
    assert ops.get_postback_settings_for_phone_number(key, did, country).value == [error_entry("InvalidCountry")]


def test_checks_run_in_parameter_order(service: Service, ops: PostbackSettings, key: uuid.UUID) -> None:
    """Key, number, country, type, URL: the first failure answers."""
    did = did_of(service, key)
    assert ops.set_postback_url_for_phone_number(
        EMPTY_GUID, "x", "CA", "9", ""
    ) == ops.set_postback_url_for_phone_number(EMPTY_GUID, did, "US", "All", URL)
    assert ops.set_postback_url_for_phone_number(key, "x", "CA", "9", "").value == "InvalidPhoneNumber"
    assert ops.set_postback_url_for_phone_number(key, did, "CA", "9", "").value == "InvalidCountry"
    assert ops.set_postback_url_for_phone_number(key, did, "US", "9", "").value == "InvalidPostbackType"
    assert ops.set_postback_url_for_phone_number(key, did, "US", "All", "").value == "InvalidUrl"
    assert ops.set_postback_url_for_license_key(key, "9", "").value == "InvalidPostbackType"


def test_enabling_a_number_setting_never_stored_is_not_found(
    service: Service, ops: PostbackSettings, key: uuid.UUID
) -> None:
    did = did_of(service, key)
    assert ops.set_postback_enabled_for_phone_number(key, did, "US", "All", True).value == "NotFound"
    ops.set_postback_url_for_phone_number(key, did, "US", "DeliveryReceipt", URL)
    assert ops.set_postback_enabled_for_phone_number(key, did, "US", "All", False).value == "NotFound"
    assert ops.set_postback_enabled_for_phone_number(key, did, "US", "DeliveryReceipt", False).value == "NoError"
    [entry] = ops.get_postback_settings_for_phone_number(key, did, "US").value or []
    assert entry["PostbackEnabled"] is False


# ---- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("written", ["7575550142", "17575550142", "+1 (757) 555-0142", "757.555.0142"])
def test_numbers_are_read_in_any_form_and_written_as_eleven_digits(
    service: Service, ops: PostbackSettings, key: uuid.UUID, written: str
) -> None:
    service.store.declare(key, dids=["17575550142"])
    assert ops.set_postback_url_for_phone_number(key, written, "us", "IncomingMessage", URL).value == "NoError"
    expected = {
        "Country": "US",
        "PhoneNumber": "17575550142",
        "PostbackEnabled": True,
        "PostbackType": "IncomingMessage",
        "PostbackUrl": URL,
        "ReturnCode": "NoError",
    }
    assert ops.get_postback_settings_for_phone_number(key, "7575550142", "US").value == [expected]
    assert ops.get_postback_settings_for_license_key(key).value == [expected]
    assert ops.target(key, "IncomingMessage", written) == URL


def test_a_short_code_of_the_key_takes_settings(service: Service, ops: PostbackSettings, key: uuid.UUID) -> None:
    service.store.declare(key, short_codes=["55555"])
    assert ops.set_postback_url_for_phone_number(key, "55555", "US", "All", URL).value == "NoError"
    assert ops.target(key, "IncomingMessage", "55555") == URL


def test_a_number_without_settings_lists_nothing(service: Service, ops: PostbackSettings, key: uuid.UUID) -> None:
    assert ops.get_postback_settings_for_phone_number(key, did_of(service, key), "US").value == []


# ---- precedence ---------------------------------------------------------------------------------

# (number settings, key settings, kind asked) -> the URL chosen; a setting is (type, enabled) and its URL
# names where it is: "n:<type>" for the number's, "k:<type>" for the key's.
PRECEDENCE = [
    ((), (), "OutgoingMessage", None),
    ((), (("All", True),), "OutgoingMessage", "k:All"),
    ((), (("All", True), ("OutgoingMessage", True)), "OutgoingMessage", "k:OutgoingMessage"),
    ((), (("All", True), ("OutgoingMessage", False)), "OutgoingMessage", "k:All"),
    ((), (("IncomingMessage", True),), "OutgoingMessage", None),
    ((), (("All", False),), "DeliveryReceipt", None),
    ((("All", True),), (("OutgoingMessage", True),), "OutgoingMessage", "n:All"),
    ((("OutgoingMessage", True),), (("All", True),), "OutgoingMessage", "n:OutgoingMessage"),
    ((("All", True), ("DeliveryReceipt", True)), (), "DeliveryReceipt", "n:DeliveryReceipt"),
    ((("All", True), ("DeliveryReceipt", False)), (), "DeliveryReceipt", "n:All"),
    ((("All", False), ("DeliveryReceipt", False)), (("All", True),), "DeliveryReceipt", "k:All"),
    ((("IncomingMessage", True),), (("DeliveryReceipt", True),), "DeliveryReceipt", "k:DeliveryReceipt"),
    ((("IncomingMessage", True),), (), "IncomingMessage", "n:IncomingMessage"),
    ((("IncomingMessage", False),), (("IncomingMessage", False),), "IncomingMessage", None),
]


@pytest.mark.parametrize(("number_settings", "key_settings", "kind", "chosen"), PRECEDENCE)
def test_precedence(
    service: Service,
    ops: PostbackSettings,
    key: uuid.UUID,
    number_settings: tuple[tuple[str, bool], ...],
    key_settings: tuple[tuple[str, bool], ...],
    kind: str,
    chosen: str | None,
) -> None:
    """The number's enabled setting before the key's; the specific type before All; disabled ones
    skipped; no setting, no postback."""
    did = did_of(service, key)
    for postback_type, enabled in number_settings:
        assert ops.set_postback_url_for_phone_number(
            key, did, "US", postback_type, f"{URL}/n:{postback_type}"
        ).value == ("NoError")
        assert ops.set_postback_enabled_for_phone_number(key, did, "US", postback_type, enabled).value == "NoError"
    for postback_type, enabled in key_settings:
        assert ops.set_postback_url_for_license_key(key, postback_type, f"{URL}/k:{postback_type}").value == "NoError"
        assert ops.set_postback_enabled_for_license_key(key, postback_type, enabled).value == "NoError"
    assert ops.target(key, kind, did) == (f"{URL}/{chosen}" if chosen else None)
    # Another number of the key (and no number) see only the key's settings.
    key_only = [(t, e) for t, e in key_settings if e and t in (kind, "All")]
    fallback = min(key_only, key=lambda s: s[0] == "All", default=None)
    expected = f"{URL}/k:{fallback[0]}" if fallback else None
    assert ops.target(key, kind, None) == expected
    assert ops.target(key, kind, "17575550000") == expected


def test_no_account_or_no_settings_is_no_target(service: Service, ops: PostbackSettings, key: uuid.UUID) -> None:
    assert ops.target(key, "OutgoingMessage", None) is None
    assert service.store.find(key) is None  # target never creates an account
    did_of(service, key)
    assert ops.target(key, "OutgoingMessage", "garbage") is None


# ---- reset --------------------------------------------------------------------------------------


def test_reset_of_one_key_forgets_its_settings_only(service: Service, ops: PostbackSettings, key: uuid.UUID) -> None:
    other = uuid.uuid4()
    for each in (key, other):
        ops.set_postback_url_for_license_key(each, "All", URL)
        ops.set_postback_url_for_phone_number(each, did_of(service, each), "US", "All", URL)
    service.reset(key)
    assert ops.target(key, "OutgoingMessage", None) is None
    assert ops.get_postback_settings_for_license_key(key).value == []
    assert len(ops.get_postback_settings_for_license_key(other).value or []) == 2
    service.reset()
    assert ops.target(other, "OutgoingMessage", None) is None
    assert ops.get_postback_settings_for_license_key(other).value == []


# ---- scenarios ----------------------------------------------------------------------------------


def test_a_scenario_fault_is_played_before_anything_is_stored(
    service: Service, ops: PostbackSettings, key: uuid.UUID
) -> None:
    fault = Fault(status=503)
    rule = Rule(Match(frozenset({"setpostbackurlforlicensekey"})), [Step(Outcome(fault=fault), 1)], "test")
    service.install_scenario(key, Scenario("test", rules=[rule]))
    played = ops.set_postback_url_for_license_key(key, "All", URL)
    assert (played.value, played.fault) == (None, fault)
    assert ops.get_postback_settings_for_license_key(key).value == []
    assert ops.set_postback_url_for_license_key(key, "All", URL).value == "NoError"  # the rule is used up


def test_a_scenario_delay_holds_the_answer(service: Service, ops: PostbackSettings, key: uuid.UUID) -> None:
    rule = Rule(Match(), [Step(Outcome(delay=1.5), None)], "test")
    service.install_scenario(key, Scenario("test", rules=[rule]))
    answered = ops.get_postback_settings_for_phone_number(key, "garbage", "US")
    assert (answered.value, answered.delay) == ([error_entry("InvalidPhoneNumber")], 1.5)
    assert ops.set_postback_enabled_for_license_key(key, "All", True).delay == 1.5


# ---- odd input ----------------------------------------------------------------------------------

ODD = st.one_of(st.none(), st.text(max_size=40), st.integers(), st.booleans(), st.sampled_from(["All", "7575550100"]))


@settings(max_examples=150, deadline=None)
@given(phone=ODD, country=ODD, kind=ODD, value=ODD)
def test_odd_input_never_raises(phone: Any, country: Any, kind: Any, value: Any) -> None:
    ops = PostbackSettings(Service(Config(manual_clock=True)))
    key = uuid.UUID(int=12345)
    codes = {
        ops.set_postback_url_for_phone_number(key, phone, country, kind, value).value,
        ops.set_postback_enabled_for_phone_number(key, phone, country, kind, value).value,
        ops.set_postback_url_for_license_key(key, kind, value).value,
        ops.set_postback_enabled_for_license_key(key, kind, value).value,
    }
    assert codes <= {
        "NoError",
        "InvalidLicenseKey",
        "InvalidUrl",
        "InvalidPhoneNumber",
        "InvalidPostbackType",
        "NotFound",
        "InvalidCountry",
    }
    assert isinstance(ops.get_postback_settings_for_phone_number(key, phone, country).value, list)
    ops.target(key, "OutgoingMessage", phone if isinstance(phone, str) else None)


def test_reading_and_refused_changes_leave_the_account_without_settings(
    service: Service, ops: PostbackSettings, key: uuid.UUID
) -> None:
    did = did_of(service, key)
    ops.get_postback_settings_for_license_key(key)
    ops.get_postback_settings_for_phone_number(key, did, "US")
    ops.set_postback_enabled_for_license_key(key, "All", True)
    account = service.store.find(key)
    assert account is not None
    assert account.postback_settings is None
