"""The media operations and the media store (placeholder: replaced by the msg-media branch).

Answers only the contract's bad-key shape (null, ``{"Media": null}``, false) and records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..operations import Result

if TYPE_CHECKING:
    from ..service import Service


class Media:
    def __init__(self, service: Service) -> None:
        self.service = service

    def create_media_from_content(self, request: dict[str, Any]) -> Result[dict[str, Any] | None]:
        return Result(None)

    def create_media_from_url(self, request: dict[str, Any]) -> Result[dict[str, Any] | None]:
        return Result(None)

    def get_media(self, license_key: uuid.UUID, media_id: int) -> Result[str | None]:
        return Result(None)

    def get_media_info(self, criteria: dict[str, Any]) -> Result[dict[str, Any]]:
        return Result({"Media": None})

    def remove_media(self, license_key: uuid.UUID, media_id: int) -> Result[bool]:
        return Result(False)

    def record(self, license_key: uuid.UUID, attachments: Sequence[str]) -> list[int]:
        return []

    def add_received(self, license_key: uuid.UUID, parts: Sequence[tuple[str, str, bytes]]) -> list[int]:
        return []
