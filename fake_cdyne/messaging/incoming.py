"""ReadIncomingMessages and GetUnsubscribedNumbers (placeholder: replaced by the msg-send branch).

Answers only the contract's bad-key shape (``[]``).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..operations import Result

if TYPE_CHECKING:
    from ..service import Service


class Incoming:
    def __init__(self, service: Service) -> None:
        self.service = service

    def read_incoming_messages(self, criteria: dict[str, Any]) -> Result[list[dict[str, Any]]]:
        return Result([])

    def get_unsubscribed_numbers(self, license_key: uuid.UUID) -> Result[list[dict[str, Any]]]:
        return Result([])
