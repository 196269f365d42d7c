"""Sends the service refused (an SMSError other than NoError), read back from the request log.

A refused send stores nothing, so the request log is where it is: each recorded send (REST or SOAP,
simple or advanced) is decoded with the service's own parsers, and its answer's SMSErrors, in the
order of its recipients, are paired with the numbers and texts it named. Only refusals of a number the
service could read belong to a conversation; the rest (PhoneNumberInvalid, an unknown key) stay in
the request log, which shows every request anyway.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from .. import soap
from ..codecs.query import Query
from ..codecs.xml import advanced_request_members, members, text_of
from ..dates import quantise
from ..endpoint import PREFIX, SECURE_PREFIX
from ..errors import RequestError
from ..model import EMPTY_GUID
from ..requests import AdvancedRequest
from ..rest import body_codec
from ..sms2 import SMS2
from ..traffic import Exchange
from ..values import normalise_phone, parse_guid

SIMPLE = frozenset({"simplesmssend", "simplesmssendwithpostback"})


@dataclass(frozen=True, slots=True)
class Refusal:
    """One recipient of a send the service refused: where it belongs, what it said, and why."""

    at: datetime
    license_key: uuid.UUID
    phone: str
    text: str
    error: str
    request_id: int


Recipients = tuple[uuid.UUID, list[tuple[str, str]]]  # the license key; (phone, text) per response


def _advanced(request: AdvancedRequest) -> Recipients:
    return request.license_key, [(p, sms.message or "") for sms in request.requests for p in sms.phone_numbers]


def _guid(text: str | None) -> uuid.UUID:
    return parse_guid(text) if text else EMPTY_GUID


def _soap(exchange: Exchange, version: soap.Version) -> Recipients | None:
    envelope = soap.parse_envelope(SMS2, bytes(exchange.body), version, None)
    fields = envelope.fields
    if envelope.operation.name == "AdvancedSMSsend":
        return _advanced(advanced_request_members(members(fields.get("AdvancedRequest"))))
    if envelope.operation.name.lower() not in SIMPLE:
        return None
    phone, text = text_of(fields.get("PhoneNumber"), "PhoneNumber"), text_of(fields.get("Message"), "Message")
    return _guid(text_of(fields.get("LicenseKey"), "LicenseKey")), [(phone or "", text or "")]


def recipients(exchange: Exchange) -> Recipients | None:
    """The key and recipients of a recorded send; None for other operations or what cannot be read."""
    lowered = exchange.path.lower()
    prefix = next((p for p in (SECURE_PREFIX, PREFIX) if lowered.startswith(p)), None)
    if prefix is None:
        return None
    operation = lowered[len(prefix) :].strip("/")
    try:
        if operation in SIMPLE:
            query = Query(exchange.query, limit=len(exchange.query))
            return query.guid("LicenseKey"), [(query.text("PhoneNumber") or "", query.text("Message") or "")]
        if operation == "advancedsmssend":
            content_type = next((v.decode("latin-1") for k, v in exchange.headers if k == b"content-type"), None)
            return _advanced(body_codec(content_type).advanced_request(bytes(exchange.body)))
        version = soap.ENDPOINTS.get(operation) if prefix == PREFIX else None
        return _soap(exchange, version) if version is not None else None
    except (RequestError, soap.SoapFault, ValueError):
        return None  # a truncated body (over 16 KiB), or a request the service refused as a whole


def refusals(exchange: Exchange) -> list[Refusal]:
    """The recipients of one finished exchange that the service refused, with their SMSErrors."""
    summary = exchange.summary()
    if exchange.status != 200 or not summary.startswith("SMSError "):
        return []
    errors = summary.removeprefix("SMSError ").split(", ")
    if all(error == "NoError" for error in errors):
        return []
    found = recipients(exchange)
    if found is None:
        return []
    key, sent = found
    refused = []
    for (phone, text), error in zip(sent, errors, strict=False):
        number = normalise_phone(phone)
        if error != "NoError" and number is not None:
            # At the stored texts' precision, so that it sorts after a text stored before it.
            refused.append(Refusal(quantise(exchange.at), key, number, text, error, exchange.id))
    return refused
