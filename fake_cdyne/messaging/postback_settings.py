"""Postback settings (Messaging operations 15-20) and the URL each postback goes to (contract §4.7).

An account's settings are a ``SettingsBook`` hung off its ``Account`` (``postback_settings``), made on
first use and gone when the account is reset. A setting is a URL and whether it is enabled, stored per
(key, PostbackType) and per (key, number, country, PostbackType). ``SetPostbackUrl…`` stores a URL and
enables it; ``SetPostbackEnabled…`` toggles a stored setting of exactly that type (NotFound when there
is none). Checks run in the parameters' order, the first failure answering: LicenseKey (InvalidLicenseKey),
PhoneNumber, a number of the key's (InvalidPhoneNumber), Country, one the account uses (InvalidCountry),
PostbackType (InvalidPostbackType), Url, an absolute http(s) URL (InvalidUrl).

``target`` is the lookup the sending side asks: for a postback of a kind about a number, an enabled
setting of that number (the specific type before All), else an enabled key setting (the same rule),
else none. The message's own URL, which comes first, is the caller's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..operations import Result, answered
from ..postback_urls import Refusal, destination
from ..scenarios import Facts
from ..values import normalise_phone

if TYPE_CHECKING:
    from ..service import Service
    from ..store import Account

TYPES = ("All", "DeliveryReceipt", "IncomingMessage", "OutgoingMessage")  # SMSPostbackType, by number
COUNTRIES = frozenset({"US"})  # the countries an account's numbers are in (the test numbers are US)
NO_ERROR = "NoError"


@dataclass(slots=True)
class Setting:
    url: str
    enabled: bool = True


@dataclass(slots=True)
class SettingsBook:
    """One account's postback settings: by PostbackType, and by (number, country) then PostbackType."""

    by_type: dict[str, Setting] = field(default_factory=dict)
    by_number: dict[tuple[str, str], dict[str, Setting]] = field(default_factory=dict)


def _book(account: Account) -> SettingsBook:
    book = account.postback_settings
    if book is None:
        book = account.postback_settings = SettingsBook()
    return book


def _writable(account: Account, where: tuple[str, str] | None) -> dict[str, Setting]:
    """The key's settings (``where`` None) or a number's, made if there are none yet."""
    book = _book(account)
    return book.by_type if where is None else book.by_number.setdefault(where, {})


Change = Callable[["Account", "tuple[str, str] | None"], str]  # a setter's change: its return code


def _toggling(postback_type: object, enabled: object) -> Change:
    return lambda account, where: _toggle(_settings_of(account, where), postback_type, enabled)


def _pointing(postback_type: object, url: object) -> Change:
    return lambda account, where: _set(_writable(account, where), postback_type, url)


def _settings_of(account: Account, where: tuple[str, str] | None) -> dict[str, Setting] | None:
    """The key's settings (``where`` None) or a number's, if any are stored."""
    book = account.postback_settings
    if book is None:
        return None
    return book.by_type if where is None else book.by_number.get(where)


def _postback_type(value: object) -> str | None:
    """The SMSPostbackType's XSD name, from its name (any case) or number; None if it is neither."""
    if isinstance(value, str):
        text = value.strip()
        for name in TYPES:
            if name.lower() == text.lower():
                return name
        value = int(text) if text.isascii() and text.isdigit() and len(text) < 4 else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < len(TYPES):
        return TYPES[value]
    return None


def owned_number(account: Account, phone: object) -> str | None:
    """The number as the key's settings name it (11 digits, or a short code's digits), if the key owns it."""
    if not isinstance(phone, str):
        return None
    number = normalise_phone(phone)
    if number is not None and number in account.dids:
        return number
    digits = phone.strip()
    return digits if digits in account.short_codes else None


def _country(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if code in COUNTRIES else None


def _url(value: object) -> str | None:
    if not isinstance(value, str) or isinstance(destination(value), Refusal):
        return None
    return value.strip()


def _response(setting: Setting | None, kind: str, where: tuple[str, str] | None, code: str) -> dict[str, Any]:
    return {
        "Country": where[1] if where else None,
        "PhoneNumber": where[0] if where else None,
        "PostbackEnabled": setting.enabled if setting else False,
        "PostbackType": kind,
        "PostbackUrl": setting.url if setting else None,
        "ReturnCode": code,
    }


def _listed(settings: dict[str, Setting], where: tuple[str, str] | None) -> list[dict[str, Any]]:
    return [_response(settings[kind], kind, where, NO_ERROR) for kind in TYPES if kind in settings]


def _number_settings(book: SettingsBook, number: str) -> dict[str, Setting] | None:
    """The number's settings (its country is the one the account uses); the number as stored callers
    pass it (11 digits, or a short code) is looked up before its normalised form."""
    for country in COUNTRIES:
        found = book.by_number.get((number, country))
        if found is None:
            named = normalise_phone(number) or number.strip()
            found = book.by_number.get((named, country)) if named != number else None
        if found is not None:
            return found
    return None


def _first_enabled(settings: dict[str, Setting] | None, kind: str) -> str | None:
    if not settings:
        return None
    for candidate in (kind, "All"):
        setting = settings.get(candidate)
        if setting is not None and setting.enabled:
            return setting.url
    return None


def _set(settings: dict[str, Setting], postback_type: object, url: object) -> str:
    """Store the URL for the type, enabled (a setting's last two checks: type, then URL)."""
    kind = _postback_type(postback_type)
    if kind is None:
        return "InvalidPostbackType"
    target = _url(url)
    if target is None:
        return "InvalidUrl"
    settings[kind] = Setting(target)
    return NO_ERROR


def _toggle(settings: dict[str, Setting] | None, postback_type: object, enabled: object) -> str:
    kind = _postback_type(postback_type)
    if kind is None:
        return "InvalidPostbackType"
    setting = settings.get(kind) if settings else None
    if setting is None:
        return "NotFound"
    setting.enabled = enabled is True
    return NO_ERROR


class PostbackSettings:
    """The six postback-setting operations, and ``target``."""

    def __init__(self, service: Service) -> None:
        self.service = service

    def _consult(self, operation: str, key: uuid.UUID, phone: object = None, url: object = None) -> Result[Any]:
        """A scenario's fault or delay for this request (value None: answer it as usual)."""
        facts = Facts(
            operation,
            key,
            phone=(normalise_phone(phone) or phone) if isinstance(phone, str) else None,
            postback_url=url if isinstance(url, str) else None,
        )
        return answered(None, self.service.scenarios.decide(facts, self.service.clock.now()))

    def _where(self, account: Account | None, phone: object, country: object) -> tuple[str, str] | str:
        """The (number, country) a phone-number operation names, or the return code refusing it."""
        if account is None:
            return "InvalidLicenseKey"
        number = owned_number(account, phone)
        if number is None:
            return "InvalidPhoneNumber"
        code = _country(country)
        if code is None:
            return "InvalidCountry"
        return number, code

    # ---- reading ---------------------------------------------------------------------------------

    def get_postback_settings_for_phone_number(
        self, license_key: uuid.UUID, phone_number: str | None, country: str | None
    ) -> Result[list[dict[str, Any]]]:
        plan = self._consult("getpostbacksettingsforphonenumber", license_key, phone_number)
        if plan.fault is not None:
            return plan
        account = self.service.store.account(license_key)
        where = self._where(account, phone_number, country)
        if account is None or isinstance(where, str):
            return Result([_response(None, "All", None, str(where))], delay=plan.delay)
        return Result(_listed(_settings_of(account, where) or {}, where), delay=plan.delay)

    def get_postback_settings_for_license_key(self, license_key: uuid.UUID) -> Result[list[dict[str, Any]]]:
        """The key's own settings (PhoneNumber and Country null), then each number's, in type order."""
        plan = self._consult("getpostbacksettingsforlicensekey", license_key)
        if plan.fault is not None:
            return plan
        account = self.service.store.account(license_key)
        if account is None:
            return Result([_response(None, "All", None, "InvalidLicenseKey")], delay=plan.delay)
        book = account.postback_settings
        if book is None:
            return Result([], delay=plan.delay)
        found = _listed(book.by_type, None)
        for where, settings in book.by_number.items():
            found.extend(_listed(settings, where))
        return Result(found, delay=plan.delay)

    # ---- changing --------------------------------------------------------------------------------

    def set_postback_enabled_for_phone_number(
        self,
        license_key: uuid.UUID,
        phone_number: str | None,
        country: str | None,
        postback_type: str | None,
        enabled: bool,
    ) -> Result[str]:
        return self._change(
            "setpostbackenabledforphonenumber", license_key, _toggling(postback_type, enabled), (phone_number, country)
        )

    def set_postback_url_for_phone_number(
        self,
        license_key: uuid.UUID,
        phone_number: str | None,
        country: str | None,
        postback_type: str | None,
        url: str | None,
    ) -> Result[str]:
        return self._change(
            "setpostbackurlforphonenumber", license_key, _pointing(postback_type, url), (phone_number, country), url
        )

    def set_postback_enabled_for_license_key(
        self, license_key: uuid.UUID, postback_type: str | None, enabled: bool
    ) -> Result[str]:
        return self._change("setpostbackenabledforlicensekey", license_key, _toggling(postback_type, enabled))

    def set_postback_url_for_license_key(
        self, license_key: uuid.UUID, postback_type: str | None, url: str | None
    ) -> Result[str]:
        return self._change("setpostbackurlforlicensekey", license_key, _pointing(postback_type, url), url=url)

    def _change(
        self,
        operation: str,
        license_key: uuid.UUID,
        change: Change,
        number: tuple[object, object] | None = None,
        url: object = None,
    ) -> Result[str]:
        """A setter: the scenario's say, then the key's account, and for a number's setting (``number``:
        the PhoneNumber and Country given) the number checked; ``change`` makes the change and gives the
        return code, and a store writes the account again (persist)."""
        plan = self._consult(operation, license_key, number[0] if number else None, url)
        if plan.fault is not None:
            return plan
        account = self.service.store.account(license_key)
        where: tuple[str, str] | str | None = "InvalidLicenseKey" if account is None else None
        if number is not None:
            where = self._where(account, *number)
        if account is None or isinstance(where, str):
            return Result(str(where), delay=plan.delay)
        code = change(account, where)
        self.service.store.changed(account)
        return Result(code, delay=plan.delay)

    # ---- the lookup for postbacks ----------------------------------------------------------------

    def target(self, license_key: uuid.UUID, kind: str, number: str | None) -> str | None:
        """Where a postback of ``kind`` (OutgoingMessage, IncomingMessage or DeliveryReceipt) about
        ``number`` (the sending number, or the one that received the text) goes by the key's settings:
        an enabled setting of the number, else of the key; the specific type before All; else None."""
        account = self.service.store.find(license_key)
        book = account.postback_settings if account is not None else None
        if book is None:
            return None
        if number is not None and book.by_number:
            found = _first_enabled(_number_settings(book, number), kind)
            if found is not None:
                return found
        return _first_enabled(book.by_type, kind)
