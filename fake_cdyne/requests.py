"""What a client asks for, as typed values the codecs build and the operations read: free of both."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(slots=True)  # not frozen: one is made for every send, and a frozen __init__ costs more
class SMSRequest:
    """One SMSRequest of AdvancedSMSsend (SimpleSMSsend is one with a single number)."""

    message: str | None
    phone_numbers: Sequence[str]
    assigned_did: str | None = None
    reference_id: str | None = None
    postback_url: str | None = None
    scheduled_for: datetime | None = None
    scheduled_is_utc: bool = True


@dataclass(frozen=True, slots=True)
class AdvancedRequest:
    license_key: uuid.UUID
    requests: Sequence[SMSRequest]
    concatenate: bool = False
    is_unicode: bool = False
