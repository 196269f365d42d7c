"""SendMessage and ReadMessageStatus (placeholder: replaced by the msg-send branch).

Answers only the contract's bad-key shape, so the wire layer's routing can be tested before the
behaviour merges.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..operations import Result

if TYPE_CHECKING:
    from ..service import Service


class Sending:
    def __init__(self, service: Service) -> None:
        self.service = service

    def send_message(self, request: dict[str, Any]) -> Result[list[dict[str, Any]]]:
        return Result([{"MessageStatus": "InvalidLicenseKey", "To": to} for to in request["To"] or []])

    def read_message_status(self, license_key: uuid.UUID, message_id: uuid.UUID) -> Result[dict[str, Any]]:
        return Result({"MessageID": message_id, "MessageStatus": "InvalidLicenseKey"})
