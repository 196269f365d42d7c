"""Custom keywords on short codes (Messaging operations 11-14: GetKeywords, AssignKeyword, RemoveKeyword).

A license key's keywords are a ``KeywordBook`` hung off its ``Account`` (``keywords``), made on first use
and gone when the account is reset. A keyword is assigned on one of the key's short codes
(``Account.short_codes``; an auto-created account owns one, ``store.test_short_code``), at most once per
short code across all keys, compared case-insensitively; it is kept as written.

Return codes (SMSKeywordReturnCode, contract §4.9): the response's own ReturnCode is NoError, or
LicenseKeyInvalid, or InternalError (a scenario's ``error: InternalError``), those two with SMSKeyword null.
Each keyword of AssignKeyword gets the first that applies of ShortCodeInvalid (not 5 or 6 digits),
ShortCodeNotAssignedToKey, KeywordInvalid (empty, white space or a control character, over 20 characters,
or a system keyword: STOP, END, CANCEL, UNSUBSCRIBE, QUIT, HELP, RESUME), KeywordAlreadyInUse (held on
that short code by any key, this one included, or earlier in the same request), else KeywordAdded with
EntryDate now. RemoveKeyword: KeywordRemoved (with the keyword's EntryDate) or KeywordNotFound. Refused
entries have EntryDate MinValue; Keyword and ShortCode are echoed as sent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..dates import MIN_VALUE
from ..lifecycle import STOP_WORDS
from ..model import EMPTY_GUID, SMSError
from ..operations import Result
from ..scenarios import Facts
from ..values import is_short_code

if TYPE_CHECKING:
    from ..service import Service
    from ..store import Account

SYSTEM_KEYWORDS = STOP_WORDS | {"HELP", "RESUME"}  # answered by the platform (contract §4.10)
MAX_KEYWORD_LENGTH = 20


@dataclass(frozen=True, slots=True)
class Keyword:
    keyword: str  # as assigned
    short_code: str
    entry_date: datetime


@dataclass(slots=True)
class KeywordBook:
    """One account's keywords, in the order assigned, by (short code, keyword case-folded)."""

    entries: dict[tuple[str, str], Keyword] = field(default_factory=dict)


def _slot(keyword: str, short_code: str) -> tuple[str, str]:
    return short_code, keyword.casefold()


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def keyword_valid(value: str) -> bool:
    if not value or len(value) > MAX_KEYWORD_LENGTH:
        return False
    if not value.isprintable() or any(character.isspace() for character in value):
        return False
    return value.upper() not in SYSTEM_KEYWORDS


def _entry(keyword: object, short_code: object, code: str, at: datetime = MIN_VALUE) -> dict[str, Any]:
    return {"EntryDate": at, "Keyword": _text(keyword), "ReturnCode": code, "ShortCode": _text(short_code)}


def _items(request: object) -> list[tuple[object, object]]:
    """The (Keyword, ShortCode) pairs of an SMSKeywordRequest, whatever its shape."""
    found = request.get("SMSKeywords") if isinstance(request, dict) else None
    if not isinstance(found, list):
        return []
    return [(item.get("Keyword"), item.get("ShortCode")) if isinstance(item, dict) else (None, None) for item in found]


def _answer(code: str, entries: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {"ReturnCode": code, "SMSKeyword": entries}


def _assign(
    account: Account,
    book: KeywordBook,
    taken: set[tuple[str, str]],
    keyword: object,
    short_code: object,
    now: datetime,
) -> dict[str, Any]:
    """One keyword of AssignKeyword: stored in ``book`` (and ``taken``) if it may be, and its entry."""
    if not isinstance(short_code, str) or not is_short_code(short_code):
        return _entry(keyword, short_code, "ShortCodeInvalid")
    if short_code not in account.short_codes:
        return _entry(keyword, short_code, "ShortCodeNotAssignedToKey")
    if not isinstance(keyword, str) or not keyword_valid(keyword):
        return _entry(keyword, short_code, "KeywordInvalid")
    slot = _slot(keyword, short_code)
    if slot in taken:
        return _entry(keyword, short_code, "KeywordAlreadyInUse")
    taken.add(slot)
    book.entries[slot] = Keyword(keyword, short_code, now)
    return _entry(keyword, short_code, "KeywordAdded", now)


class Keywords:
    """The keyword operations; each asks the scenario engine first."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def _start(self, operation: str, license_key: object) -> tuple[Account | None, Result[dict[str, Any]]]:
        """The key's account (None: answered already) and the answer so far: a scenario's fault, an
        InternalError or LicenseKeyInvalid, or a Result whose value is still to come (with its delay)."""
        key = license_key if isinstance(license_key, uuid.UUID) else EMPTY_GUID
        outcome = self.service.scenarios.decide(Facts(operation, key), self.service.clock.now())
        delay = outcome.delay if outcome is not None else 0.0
        if outcome is not None and outcome.fault is not None:
            return None, Result(None, fault=outcome.fault)
        if outcome is not None and outcome.error is SMSError.InternalError:
            return None, Result(_answer("InternalError", None), delay=delay)
        account = self.service.store.account(key)
        if account is None:
            return None, Result(_answer("LicenseKeyInvalid", None), delay=delay)
        return account, Result(None, delay=delay)

    def get_keywords(self, license_key: uuid.UUID) -> Result[dict[str, Any]]:
        account, answer = self._start("getkeywords", license_key)
        if account is None:
            return answer
        book = account.keywords
        found = [
            _entry(k.keyword, k.short_code, "NoError", k.entry_date) for k in (book.entries if book else {}).values()
        ]
        return Result(_answer("NoError", found), delay=answer.delay)

    def assign_keyword(self, request: dict[str, Any]) -> Result[dict[str, Any]]:
        account, answer = self._start("assignkeyword", request.get("LicenseKey"))
        if account is None:
            return answer
        items = _items(request)
        taken = self._taken({code for _, code in items if isinstance(code, str)})
        book = account.keywords
        if book is None:
            book = account.keywords = KeywordBook()
        now = self.service.clock.stamp()
        entries = [_assign(account, book, taken, keyword, short_code, now) for keyword, short_code in items]
        self.service.store.changed(account)  # a store writes the account again (persist)
        return Result(_answer("NoError", entries), delay=answer.delay)

    def remove_keyword(self, request: dict[str, Any]) -> Result[dict[str, Any]]:
        account, answer = self._start("removekeyword", request.get("LicenseKey"))
        if account is None:
            return answer
        book = account.keywords
        entries = []
        for keyword, short_code in _items(request):
            removed = None
            if book is not None and isinstance(keyword, str) and isinstance(short_code, str):
                removed = book.entries.pop(_slot(keyword, short_code), None)
            if removed is None:
                entries.append(_entry(keyword, short_code, "KeywordNotFound"))
            else:
                entries.append(_entry(keyword, short_code, "KeywordRemoved", removed.entry_date))
        self.service.store.changed(account)
        return Result(_answer("NoError", entries), delay=answer.delay)

    def _taken(self, short_codes: set[str]) -> set[tuple[str, str]]:
        """The keywords any key holds on these short codes (one pass over the accounts that have any)."""
        taken: set[tuple[str, str]] = set()
        for account in self.service.store.accounts.values():
            book = account.keywords
            if book is not None and book.entries:
                taken.update(slot for slot in book.entries if slot[0] in short_codes)
        return taken
