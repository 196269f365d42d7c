"""Each SMSError the REST surface can cause, in both formats, and which one wins."""

from __future__ import annotations

import re

import httpx
import pytest

from .conftest import ZERO_GUID, StartFake, send


def error_of(reply: httpx.Response) -> str:
    assert reply.status_code == 200, reply.text
    found = re.search(r"<SMSError>(\w+)</SMSError>", reply.text)
    assert found, reply.text
    return found[1]


def advanced(http: httpx.Client, key: str, **sms: object) -> httpx.Response:
    request = {"Message": "Hello", "PhoneNumbers": ["7575449510"], **sms}
    return http.post("/sms.svc/AdvancedSMSsend", json={"LicenseKey": key, "SMSRequests": [request]})


def test_no_error(http: httpx.Client, key: str) -> None:
    assert error_of(send(http, key)) == "NoError"


@pytest.mark.parametrize("license_key", [ZERO_GUID, "", None])
def test_license_key_invalid(http: httpx.Client, license_key: str | None) -> None:
    params = {"PhoneNumber": "7575449510", "Message": "Hello"}
    if license_key is not None:
        params["LicenseKey"] = license_key
    assert error_of(http.get("/sms.svc/SimpleSMSsend", params=params)) == "LicenseKeyInvalid"


@pytest.mark.parametrize("phone", ["", "123", "27575449510", "757544951x", "+1 (757) 544-95100", "011123"])
def test_phone_number_invalid(http: httpx.Client, key: str, phone: str) -> None:
    assert error_of(send(http, key, phone=phone)) == "PhoneNumberInvalid"


@pytest.mark.parametrize(
    ("phone", "normalised"),
    [
        ("7575449510", "17575449510"),
        ("+1 (757) 544-9510", "17575449510"),
        ("1.757.544.9510", "17575449510"),
        ("011447911123456", "011447911123456"),
    ],
)
def test_phone_numbers_are_normalised(http: httpx.Client, key: str, phone: str, normalised: str) -> None:
    assert error_of(send(http, key, phone=phone)) == "NoError"
    assert http.get("/_fake/messages", params={"license_key": key}).json()[-1]["to"] == normalised


@pytest.mark.parametrize("message", ["", "   ", "x" * 1601])
def test_message_invalid(http: httpx.Client, key: str, message: str) -> None:
    assert error_of(send(http, key, message=message)) == "MessageInvalid"


def test_longest_message_is_accepted_and_split(http: httpx.Client, key: str) -> None:
    assert error_of(send(http, key, message="x" * 1600)) == "NoError"
    assert http.get("/_fake/messages", params={"license_key": key}).json()[-1]["segments"] == 11


def test_stop_from_phone_number_until_resume(http: httpx.Client, key: str) -> None:
    send(http, key)
    stop = http.post("/_fake/incoming", json={"license_key": key, "from": "7575449510", "message": " stop "})
    assert stop.json()["auto_reply"] == "This provider is now blocked. Text back RESUME to unblock your number."
    assert error_of(send(http, key)) == "STOPfromPhoneNumber"
    assert error_of(send(http, key, phone="7575449511")) == "NoError"
    resume = http.post("/_fake/incoming", json={"license_key": key, "from": "17575449510", "message": "RESUME"})
    assert resume.json()["auto_reply"] == "OK."
    assert error_of(send(http, key)) == "NoError"


@pytest.mark.parametrize("word", ["END", "cancel", "Unsubscribe", "QUIT"])
def test_every_stop_word_blocks(http: httpx.Client, key: str, word: str) -> None:
    http.post("/_fake/incoming", json={"license_key": key, "from": "7575449510", "message": word}).raise_for_status()
    assert error_of(send(http, key)) == "STOPfromPhoneNumber"


def test_scheduled_date_time_is_not_utc(http: httpx.Client, key: str) -> None:
    assert error_of(advanced(http, key, ScheduledDateTime="/Date(4102444800000-0500)/")) == "ScheduledDateTimeIsNotUTC"
    xml = (
        '<SMSAdvancedRequest xmlns="http://schemas.datacontract.org/2004/07/SmsWS">'
        f'<LicenseKey>{key}</LicenseKey><SMSRequests><SMSRequest xmlns="http://sms2.cdyne.com">'
        '<Message>hi</Message><PhoneNumbers><string xmlns="http://schemas.microsoft.com/2003/10/Serialization/Arrays">'
        "7575449510</string></PhoneNumbers><ScheduledDateTime>2100-01-01T00:00:00</ScheduledDateTime>"
        "</SMSRequest></SMSRequests></SMSAdvancedRequest>"
    )
    reply = http.post("/sms.svc/AdvancedSMSsend", content=xml, headers={"Content-Type": "application/xml"})
    assert error_of(reply) == "ScheduledDateTimeIsNotUTC"


def test_invalid_assigned_did(http: httpx.Client, key: str) -> None:
    assert error_of(advanced(http, key, AssignedDID="18005550000")) == "InvalidAssignedDID"
    own = http.get(f"/_fake/accounts/{key}").json()["dids"][0]
    assert error_of(advanced(http, key, AssignedDID=own)) == "NoError"
    assert error_of(advanced(http, key, AssignedDID="")) == "NoError"


def test_declared_did_is_accepted_and_used(http: httpx.Client, key: str) -> None:
    http.put(f"/_fake/accounts/{key}", json={"dids": ["17575550000", "(757) 555-0001"]}).raise_for_status()
    assert error_of(advanced(http, key, AssignedDID="7575550001")) == "NoError"
    assert http.get("/_fake/messages", params={"license_key": key}).json()[-1]["from"] == "17575550001"


def test_not_found(http: httpx.Client) -> None:
    reply = http.get("/sms.svc/GetMessageStatus", params={"MessageID": "7fc7f083-d169-4bc6-8ac7-1beaa6f9da11"})
    assert error_of(reply) == "NotFound"
    assert f"<MessageID>{ZERO_GUID}</MessageID>" in reply.text


def test_account_suspended(http: httpx.Client, key: str) -> None:
    http.put(f"/_fake/accounts/{key}", json={"suspended": True}).raise_for_status()
    assert error_of(send(http, key)) == "ContactCdyneAccountSuspended"
    as_json = send(http, key, phone="x").request
    reply = http.get(as_json.url, headers={"Accept": "application/json"})
    assert reply.json()["SMSError"] == 9


def test_errors_are_numbers_in_json(http: httpx.Client, key: str) -> None:
    reply = http.get(send(http, key, message="").request.url, headers={"Accept": "application/json"})
    assert reply.json()["SMSError"] == 4


@pytest.mark.parametrize(
    ("setup", "phone", "message", "expected"),
    [
        ({"suspended": True}, "bad", "", "ContactCdyneAccountSuspended"),
        ({}, "bad", "", "PhoneNumberInvalid"),
        ({"blocked": ["17575449510"]}, "7575449510", "", "STOPfromPhoneNumber"),
    ],
)
def test_which_error_wins(
    http: httpx.Client, key: str, setup: dict[str, object], phone: str, message: str, expected: str
) -> None:
    http.put(f"/_fake/accounts/{key}", json=setup).raise_for_status()
    assert error_of(send(http, key, phone=phone, message=message)) == expected


def test_message_invalid_wins_over_assigned_did_and_schedule(http: httpx.Client, key: str) -> None:
    reply = advanced(http, key, Message="", AssignedDID="18005550000", ScheduledDateTime="/Date(0+0100)/")
    assert error_of(reply) == "MessageInvalid"
    reply = advanced(http, key, AssignedDID="18005550000", ScheduledDateTime="/Date(0+0100)/")
    assert error_of(reply) == "InvalidAssignedDID"


def test_refused_keys_when_unknown_keys_are_refused(start_fake: StartFake) -> None:
    http = start_fake(accept_unknown_keys=False).http
    declared = "f01d89fd-5155-5455-5585-e84ab8de8591"
    assert error_of(send(http, "b01d89fd-5155-5455-5585-e84ab8de8591")) == "LicenseKeyInvalid"
    http.put(f"/_fake/accounts/{declared}", json={}).raise_for_status()
    assert error_of(send(http, declared)) == "NoError"
