"""Wire formats: bytes in, typed requests out; typed results in, bytes out.

Each format module (``xml``, ``json``) offers the same functions, described by ``Codec``; the REST
layer picks one per request and every operation renders through it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ..model import IncomingMessage, SMSResponse
from ..requests import AdvancedRequest


class Codec(Protocol):
    media_type: str

    def response(self, result: SMSResponse) -> bytes: ...

    def responses(self, results: Sequence[SMSResponse]) -> bytes: ...

    def incoming(self, messages: Sequence[IncomingMessage]) -> bytes: ...

    def boolean(self, value: bool) -> bytes: ...

    def advanced_request(self, body: bytes) -> AdvancedRequest: ...
