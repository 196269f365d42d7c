"""The postback settings operations and their lookup (placeholder: replaced by the msg-settings branch).

Answers only the contract's bad-key shape (InvalidLicenseKey), and no target.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from ..operations import Result

if TYPE_CHECKING:
    from ..service import Service

_INVALID = "InvalidLicenseKey"


def _invalid() -> list[dict[str, Any]]:
    return [{"ReturnCode": _INVALID}]


class PostbackSettings:
    def __init__(self, service: Service) -> None:
        self.service = service

    def get_postback_settings_for_phone_number(
        self, license_key: uuid.UUID, phone_number: str | None, country: str | None
    ) -> Result[list[dict[str, Any]]]:
        return Result(_invalid())

    def get_postback_settings_for_license_key(self, license_key: uuid.UUID) -> Result[list[dict[str, Any]]]:
        return Result(_invalid())

    def set_postback_enabled_for_phone_number(
        self, license_key: uuid.UUID, phone_number: str | None, country: str | None, postback_type: str, enabled: bool
    ) -> Result[str]:
        return Result(_INVALID)

    def set_postback_url_for_phone_number(
        self, license_key: uuid.UUID, phone_number: str | None, country: str | None, postback_type: str, url: str | None
    ) -> Result[str]:
        return Result(_INVALID)

    def set_postback_enabled_for_license_key(
        self, license_key: uuid.UUID, postback_type: str, enabled: bool
    ) -> Result[str]:
        return Result(_INVALID)

    def set_postback_url_for_license_key(
        self, license_key: uuid.UUID, postback_type: str, url: str | None
    ) -> Result[str]:
        return Result(_INVALID)

    def target(self, license_key: uuid.UUID, kind: str, number: str | None) -> str | None:
        return None
