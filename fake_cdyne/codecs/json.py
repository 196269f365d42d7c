"""CDYNE's JSON: WCF's DataContractJsonSerializer output.

Compact, members in the same order as XML, enums as integers, dates as ``"\\/Date(ms-0500)\\/"``,
every ``/`` in a string escaped, a null ReferenceID left out, a null array as ``null``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ..dates import JSON_DATE_FORM, parse_json_date, wcf_json_date
from ..errors import BadBody, BadParameter
from ..model import EMPTY_GUID, IncomingMessage, SMSResponse
from ..requests import AdvancedRequest, SMSRequest
from ..values import guid_text, parse_guid

media_type = "application/json; charset=utf-8"


def string(text: str) -> str:
    return json.dumps(text, ensure_ascii=False).replace("/", "\\/")


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _response_object(result: SMSResponse) -> str:
    reference = "" if result.reference_id is None else f',"ReferenceID":{string(result.reference_id)}'
    incoming = result.incoming
    incoming_json = "null" if incoming is None else "[" + ",".join(map(_incoming_object, incoming)) + "]"
    return (
        f'{{"Cancelled":{_bool(result.cancelled)},"MessageID":"{guid_text(result.message_id)}",'
        f'"Queued":{_bool(result.queued)}{reference},"SMSError":{int(result.error)},'
        f'"SMSIncomingMessages":{incoming_json},"Sent":{_bool(result.sent)},'
        f'"SentDateTime":"{wcf_json_date(result.sent_at)}"}}'
    )


def _incoming_object(message: IncomingMessage) -> str:
    return (
        f'{{"FromPhoneNumber":{string(message.from_number)},"IncomingMessageID":"{message.id}",'
        f'"MatchedMessageID":"{message.matched_message_id}","Message":{string(message.text)},'
        f'"ResponseReceiveDate":"{wcf_json_date(message.received_at)}",'
        f'"ToPhoneNumber":{string(message.to_number)}}}'
    )


def response(result: SMSResponse) -> bytes:
    return _response_object(result).encode()


def responses(results: Sequence[SMSResponse]) -> bytes:
    return ("[" + ",".join(map(_response_object, results)) + "]").encode()


def incoming(messages: Sequence[IncomingMessage]) -> bytes:
    return ("[" + ",".join(map(_incoming_object, messages)) + "]").encode()


def boolean(value: bool) -> bytes:
    return _bool(value).encode()


# ---- requests ----------------------------------------------------------------------------------


# A \uD800-\uDFFF escape in the JSON text: only then can a string hold a lone surrogate.
LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_lone_surrogates(value: Any) -> Any:
    """Each lone surrogate (a pair is one character by now) as U+FFFD, as .NET writes such a string in
    UTF-8: the text can then be stored, shown and posted back like any other."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_without_lone_surrogates(k): _without_lone_surrogates(v) for k, v in value.items()}
    return value


def load(body: bytes) -> Any:
    """A request body's JSON document (UTF-8, a BOM allowed; lone surrogates made U+FFFD), or BadBody."""
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise BadBody("The JSON body is not UTF-8.") from None
    except (json.JSONDecodeError, RecursionError) as error:
        raise BadBody(f"The body is not valid JSON: {error}.") from None
    if LONE_SURROGATE_ESCAPE.search(body):
        document = _without_lone_surrogates(document)
    return document


def advanced_request(body: bytes) -> AdvancedRequest:
    document = load(body)
    fields = _object(document, "SMSAdvancedRequest")
    requests = fields.get("smsrequests")
    if requests is not None and not isinstance(requests, list):
        raise BadParameter("SMSRequests", requests, "an array of SMSRequest objects")
    return AdvancedRequest(
        license_key=_guid(fields.get("licensekey")),
        requests=[_sms_request(_object(item, f"SMSRequests[{i}]"), i) for i, item in enumerate(requests or [])],
        concatenate=_flag(fields, "Concatenate"),
        is_unicode=_flag(fields, "IsUnicode"),
    )


def _object(value: Any, name: str) -> dict[str, Any]:
    """A JSON object with its member names folded to lower case (they match case-insensitively)."""
    if not isinstance(value, dict):
        raise BadParameter(name, json.dumps(value)[:80], "a JSON object")
    return {key.lower(): item for key, item in value.items()}


def _guid(value: Any) -> uuid.UUID:
    if value is None or value == "":
        return EMPTY_GUID
    if not isinstance(value, str):
        raise BadParameter("LicenseKey", value, "a GUID string")
    try:
        return parse_guid(value)
    except ValueError:
        raise BadParameter("LicenseKey", value, "a GUID") from None


def _flag(fields: dict[str, Any], name: str) -> bool:
    value = fields.get(name.lower())
    if value is None:
        return False
    if not isinstance(value, bool):
        raise BadParameter(name, value, "true or false")
    return value


def _text(fields: dict[str, Any], name: str, where: str) -> str | None:
    value = fields.get(name.lower())
    if value is None or isinstance(value, str):
        return value
    raise BadParameter(f"{where}.{name}", value, "a string or null")


def _phone(value: Any, where: str) -> str:
    # JSON clients send numbers as numbers too.
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    raise BadParameter(f"{where}.PhoneNumbers", value, "a phone number")


def _sms_request(fields: dict[str, Any], index: int) -> SMSRequest:
    where = f"SMSRequests[{index}]"
    numbers = fields.get("phonenumbers")
    if numbers is not None and not isinstance(numbers, list):
        raise BadParameter(f"{where}.PhoneNumbers", numbers, "an array of phone numbers")
    scheduled: datetime | None = None
    is_utc = True
    when = _text(fields, "ScheduledDateTime", where)
    if when:
        try:
            scheduled, is_utc = parse_json_date(when)
        except ValueError:
            raise BadParameter(f"{where}.ScheduledDateTime", when, JSON_DATE_FORM) from None
    return SMSRequest(
        message=_text(fields, "Message", where),
        phone_numbers=[_phone(n, where) for n in numbers or []],
        assigned_did=_text(fields, "AssignedDID", where),
        reference_id=_text(fields, "ReferenceID", where),
        postback_url=_text(fields, "StatusPostBackURL", where),
        scheduled_for=scheduled,
        scheduled_is_utc=is_utc,
    )
