"""GetKeywords, AssignKeyword, RemoveKeyword (placeholder: replaced by the msg-settings branch).

Answers only the contract's bad-key shape (ReturnCode LicenseKeyInvalid, SMSKeyword null).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..operations import Result

if TYPE_CHECKING:
    from ..service import Service

_INVALID = {"ReturnCode": "LicenseKeyInvalid", "SMSKeyword": None}


class Keywords:
    def __init__(self, service: Service) -> None:
        self.service = service

    def get_keywords(self, license_key: uuid.UUID) -> Result[dict[str, Any]]:
        return Result(dict(_INVALID))

    def assign_keyword(self, request: dict[str, Any]) -> Result[dict[str, Any]]:
        return Result(dict(_INVALID))

    def remove_keyword(self, request: dict[str, Any]) -> Result[dict[str, Any]]:
        return Result(dict(_INVALID))
