"""ReadIncomingMessages and GetUnsubscribedNumbers (contract §4.4, §4.5, §4.10).

Texts received are stored once (``Store``) and read by both APIs: ReadIncomingMessages here and sms2's
GetUnreadIncomingMessages share one read flag, and every message either returns is marked read, so a
client polling with ``UnreadMessagesOnly`` answers each reply once. IncomingMessageIDs sort as strings
in arrival order (``model.new_incoming_id``), which clients that re-join fragments rely on.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..dates import MIN_VALUE
from ..model import EMPTY_GUID, IncomingMessage
from ..operations import Result, answered
from ..scenarios import Facts
from ..store import Account
from .sending import aware, naive

if TYPE_CHECKING:
    from ..service import Service


def incoming_response(text: IncomingMessage) -> dict[str, Any]:
    """The IncomingMessageResponse of a text received (SMS or MMS)."""
    return {
        "Attachments": list(text.attachments) if text.attachments else None,
        "From": text.from_number,
        "IncomingMessageID": text.id,
        "OutgoingMessageID": text.matched_message_id,
        "Payload": text.text,
        "ReceivedDate": naive(text.received_at),
        "Subject": text.subject,
        "To": text.to_number,
        "Udh": None,
    }


class Incoming:
    def __init__(self, service: Service) -> None:
        self.service = service

    def read_incoming_messages(self, criteria: dict[str, Any]) -> Result[list[dict[str, Any]]]:
        service = self.service
        key: uuid.UUID = criteria.get("LicenseKey") or EMPTY_GUID
        facts = Facts("readincomingmessages", key, reference_id=criteria.get("ReferenceID"))
        plan: Result[Any] = answered(None, service.scenarios.decide(facts, service.clock.now()))
        if plan.fault is not None:
            return plan
        delay = plan.delay
        account = service.store.account(key)
        if account is None:
            return Result([], delay=delay)
        page = _page(self._matching(account, criteria), criteria.get("PageNumber") or 0, criteria.get("PageSize") or 0)
        service.store.mark_read(key, {text.id for text in page})
        return Result([incoming_response(text) for text in page], delay=delay)

    def _matching(self, account: Account, criteria: dict[str, Any]) -> list[IncomingMessage]:
        """The account's texts the criteria select (every filter given, AND), oldest first (§4.5)."""
        start, end = aware(criteria.get("StartDate")), aware(criteria.get("EndDate"))
        wanted_id = criteria.get("IncomingMessageID") or EMPTY_GUID
        outgoing_id = criteria.get("OutgoingMessageID") or EMPTY_GUID
        reference = criteria.get("ReferenceID") or None
        unread_only = bool(criteria.get("UnreadMessagesOnly"))
        store = self.service.store
        found = []
        for text in account.incoming:
            if unread_only and text.read:
                continue
            if (start is not None and text.received_at < start) or (end is not None and text.received_at > end):
                continue
            if wanted_id != EMPTY_GUID and text.id != wanted_id:
                continue
            if outgoing_id != EMPTY_GUID and text.matched_message_id != outgoing_id:
                continue
            if reference is not None:
                matched = store.message(text.matched_message_id)
                if matched is None or matched.reference_id != reference:
                    continue
            found.append(text)
        return sorted(found, key=lambda text: (text.received_at, str(text.id)))

    def get_unsubscribed_numbers(self, license_key: uuid.UUID) -> Result[list[dict[str, Any]]]:
        """One UnsubscribedNumber per phone blocked now, oldest STOP first (a phone blocked by a scenario
        or test, which never texted STOP, reads as DateTime.MinValue)."""
        service = self.service
        facts = Facts("getunsubscribednumbers", license_key)
        plan: Result[Any] = answered(None, service.scenarios.decide(facts, service.clock.now()))
        if plan.fault is not None:
            return plan
        delay = plan.delay
        account = service.store.account(license_key)
        if account is None:
            return Result([], delay=delay)
        since = account.blocked_at
        numbers = sorted(account.blocked, key=lambda phone: (since.get(phone, MIN_VALUE), phone))
        found = [{"EntryDate": naive(since.get(phone)), "PhoneNumber": phone} for phone in numbers]
        return Result(found, delay=delay)


def _page(texts: list[IncomingMessage], number: int, size: int) -> list[IncomingMessage]:
    """PageSize <= 0: everything; PageNumber 1-based (<= 0 is 1); a page past the end is empty."""
    if size <= 0:
        return texts
    first = (max(number, 1) - 1) * size
    return texts[first : first + size]
