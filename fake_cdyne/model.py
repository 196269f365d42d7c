"""The service's vocabulary: error codes, messages, and the SMSResponse a client reads. No I/O here."""

from __future__ import annotations

import enum
import itertools
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .scenario_model import Life

EMPTY_GUID = uuid.UUID(int=0)
# A field's metadata: the store sets it again when a record is stored, so snapshots and --store leave it out.
REBUILT = {"persist": False}


# Seeded from the system once; reseeded in a forked child, which would otherwise repeat the parent's IDs.
_ids = random.Random()
os.register_at_fork(after_in_child=_ids.seed)
# RFC 4122's variant and version 4 bits, as uuid.UUID(version=4) sets them.
_VERSION_4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_VERSION_4_SET = (0x8000 << 48) | (4 << 76)
_new_uuid, _unknown = uuid.UUID.__new__, uuid.SafeUUID.unknown
# UUID's slots, set as uuid.UUID sets them (object.__setattr__ looks the slot up first: a third dearer).
_set_int: Callable[[uuid.UUID, int], None] = uuid.UUID.__dict__["int"].__set__
_set_safe: Callable[[uuid.UUID, uuid.SafeUUID], None] = uuid.UUID.__dict__["is_safe"].__set__


def new_id() -> uuid.UUID:
    """A random (version 4) GUID. From a generator of its own, not uuid4's os.urandom: one system call per
    send cost 4% of the send path, and IDs need to be unique, not secret. Not the random module's shared
    generator: a test that calls random.seed() (hypothesis does, per example) would replay the IDs."""
    guid = _new_uuid(uuid.UUID)  # as uuid.UUID(int=..., version=4) makes it, without its argument checks
    _set_int(guid, (_ids.getrandbits(128) & _VERSION_4_CLEAR) | _VERSION_4_SET)
    _set_safe(guid, _unknown)
    return guid


# The leading 48 bits of incoming IDs: milliseconds since 1970 when the process started, one more for each ID.
_arrivals = itertools.count(time.time_ns() // 1_000_000)


def new_incoming_id() -> uuid.UUID:
    """A GUID for a text received: its lower-case form sorts in arrival order (clients sort on it, the
    Messaging contract's IncomingMessageID). Shaped as a version 7 GUID: a 48-bit count, then random bits."""
    bits = (next(_arrivals) % (1 << 48)) << 80 | _ids.getrandbits(80)
    return uuid.UUID(int=bits & ~(0xF << 76 | 0xC000 << 48) | 7 << 76 | 0x8000 << 48)


# Delivery receipt codes and CDYNE's descriptions of them.
RECEIPT_CODES = {
    "000": "Delivered to handset",
    "003": "Delivered to carrier",
    "004": "Accepted by carrier",
    "005": "Undeliverable",
    "008": "Expired",
    "023": "Rejected",
    "028": "Sender exceeded carrier throttle",
    "029": "Recipient exceeded carrier throttle",
    "030": "Sender and recipient exceeded carrier throttle",
    "999": "Unknown",
}


class SMSError(enum.IntEnum):
    """CDYNE's SMSErrors: rendered by name in XML and by number in JSON."""

    NoError = 0
    STOPfromPhoneNumber = 1
    LicenseKeyInvalid = 2
    PhoneNumberInvalid = 3
    MessageInvalid = 4
    ScheduledDateTimeIsNotUTC = 5
    InvalidAssignedDID = 6
    NotFound = 7
    InternalError = 8
    ContactCdyneAccountSuspended = 9
    AssignedDIDRequired = 10  # later service versions only; never produced unless a scenario asks


class MessageState(enum.Enum):
    SCHEDULED = "scheduled"
    QUEUED = "queued"
    SENT = "sent"
    CANCELLED = "cancelled"


# The members a send reads, as module constants: in Python 3.11 reading a member off its class costs 740
# instructions more than a global (EnumType's __getattr__ keeps the lookup from being specialised), and a
# send read a dozen.
NO_ERROR = SMSError.NoError
SCHEDULED, QUEUED, SENT, CANCELLED = (
    MessageState.SCHEDULED,
    MessageState.QUEUED,
    MessageState.SENT,
    MessageState.CANCELLED,
)


@dataclass(frozen=True, slots=True)
class RefusedSend:
    """One recipient of a send the service refused (an SMSError, nothing stored as a message): kept so
    that its conversation can show it where it happened."""

    at: datetime
    license_key: uuid.UUID
    to_number: str
    text: str
    error: SMSError
    serial: int = field(default=0, metadata=REBUILT)  # the store's count when stored (Store.add_refused)


@dataclass(slots=True, eq=False)
class IncomingMessage:
    """A text from a phone to one of an account's DIDs."""

    id: uuid.UUID
    license_key: uuid.UUID
    from_number: str
    to_number: str
    text: str
    received_at: datetime
    matched_message_id: uuid.UUID = EMPTY_GUID
    read: bool = False
    auto_reply: str | None = None  # what CDYNE texted back to the phone (STOP, RESUME, HELP)
    subject: str | None = None  # an MMS's subject
    attachments: tuple[int, ...] = ()  # an MMS's parts: MediaIds of the key (messaging/media.py)
    serial: int = field(default=0, metadata=REBUILT)  # the store's count when stored: its place in listings


@dataclass(frozen=True, slots=True)
class Receipt:
    """A delivery receipt the carrier reported for a sent message."""

    at: datetime
    code: str
    description: str


@dataclass(slots=True, eq=False)
class Message:
    """An outgoing text, from the send that created it to its end state."""

    id: uuid.UUID
    license_key: uuid.UUID
    to_number: str
    from_number: str
    text: str
    created_at: datetime
    reference_id: str | None = None
    postback_url: str | None = None
    scheduled_for: datetime | None = None
    is_unicode: bool = False
    state: MessageState = QUEUED
    sent_at: datetime | None = None
    replies: tuple[IncomingMessage, ...] = ()  # a tuple: no container of its own for each message stored
    receipts: tuple[Receipt, ...] = ()
    refused_at: datetime | None = None  # when the carrier refused it (it is then cancelled)
    life: Life | None = None  # a scenario's plan for what happens after the response
    # The Messaging API's (SendMessage): sms2 sends keep these defaults.
    messaging: bool = False  # sent with SendMessage: its postbacks are the Messaging API's
    use_mms: bool = False
    subject: str | None = None
    attachments: tuple[int, ...] = ()  # media IDs
    status: str | None = None  # a MessageStatus name a scenario gave it (Hold, Failed...): it stays so
    serial: int = field(default=0, metadata=REBUILT)  # the store's count when stored: its place in listings

    @property
    def segments(self) -> int:
        """How many carrier segments the text is split into (still one MessageID)."""
        single, part = (70, 67) if self.is_unicode else (160, 153)
        length = len(self.text)
        return 1 if length <= single else -(-length // part)


@dataclass(slots=True)  # not frozen: one is made for every send, and a frozen __init__ costs more
class SMSResponse:
    """What every send and status operation returns, member for member as CDYNE's SMSResponse."""

    error: SMSError
    message_id: uuid.UUID = EMPTY_GUID
    cancelled: bool = False
    queued: bool = False
    sent: bool = False
    sent_at: datetime | None = None
    reference_id: str | None = None
    # None renders as nil (send responses); a tuple, even empty, as an array (status responses).
    incoming: tuple[IncomingMessage, ...] | None = None

    @classmethod
    def refused(cls, error: SMSError, reference_id: str | None = None) -> SMSResponse:
        # The live service answers LicenseKeyInvalid with a fresh MessageID (a capture shows it) and
        # other refusals with the all-zero GUID; neither names a stored message.
        message_id = new_id() if error is SMSError.LicenseKeyInvalid else EMPTY_GUID
        return cls(error=error, message_id=message_id, reference_id=reference_id)

    @classmethod
    def of(cls, message: Message, *, with_replies: bool) -> SMSResponse:
        state = message.state  # the fields in order, by position: each keyword costs 450 instructions
        incoming = message.replies if with_replies else None
        return cls(
            NO_ERROR,
            message.id,
            state is CANCELLED,
            state is QUEUED,
            state is SENT,
            message.sent_at,
            message.reference_id,
            incoming,
        )
