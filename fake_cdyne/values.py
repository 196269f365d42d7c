"""Parsing of the scalar values clients send: GUIDs, phone numbers, short codes, booleans."""

from __future__ import annotations

import re
import uuid

_HEX = "[0-9a-fA-F]"
_DASHED = f"{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}"
# The four forms .NET's Guid parser takes: D, B ({...}), P ((...)) and N (32 digits).
_GUID = re.compile(rf"{_DASHED}|\{{{_DASHED}\}}|\({_DASHED}\)|{_HEX}{{32}}")
_PHONE_PUNCTUATION = str.maketrans("", "", "+-(). ")


def parse_guid(text: str) -> uuid.UUID:
    """A GUID in any .NET form, surrounding white space allowed; ValueError otherwise."""
    candidate = text.strip()
    if not _GUID.fullmatch(candidate):
        raise ValueError(f"{text!r} is not a GUID")
    return uuid.UUID(candidate.strip("{}()"))


def guid_text(guid: uuid.UUID) -> str:
    """``str(guid)``, a quarter cheaper (from one bytes.hex in C): every send's answer renders its MessageID."""
    text = guid.int.to_bytes(16).hex("-", 2)  # 4-hex-digit groups: 8-4-4-4-12 is their first, then three joined
    return text[:4] + text[5:29] + text[30:34] + text[35:]


def normalise_phone(text: str) -> str | None:
    """CDYNE's 11-digit form (``1`` + NANP number) or ``011`` + 7-15 digits; None if neither."""
    # Most numbers come as digits alone: translate() costs some 500 instructions a character.
    digits = text if text.isdigit() else text.translate(_PHONE_PUNCTUATION)
    if not digits.isascii() or not digits.isdigit():
        return None
    if len(digits) == 10:
        return "1" + digits
    if len(digits) == 11 and digits[0] == "1":
        return digits
    if digits.startswith("011") and 7 <= len(digits) - 3 <= 15:
        return digits
    return None


def is_short_code(text: str) -> bool:
    """A short code as CDYNE's keywords name it: 5 or 6 digits (US short codes)."""
    return len(text) in (5, 6) and text.isascii() and text.isdigit()


def parse_bool(text: str) -> bool:
    """xs:boolean: true, false, 1 or 0."""
    lowered = text.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(f"{text!r} is not a boolean (true, false, 1 or 0)")
