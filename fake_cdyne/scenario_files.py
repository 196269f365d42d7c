"""Reading scenario files (YAML, or JSON) into ``Scenario`` values, refusing any mistake precisely.

Every problem names the file, the line, the key path and what was expected, for example
``scenarios/x.yaml:12 rules[2].outcome.error: 'NoErorr' is not an SMSError; did you mean 'NoError'?``
All problems of a file are reported together (the first hundred). The text is read, bounded, by
``scenario_yaml``; each value is checked by ``scenario_check``'s ``Checker``. Every number is finite and
within its range; patterns are RE2 (matched in linear time, no backtracking).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import re2  # type: ignore[import-untyped]

from .carrier import read_carrier
from .model import SMSError
from .scenario_check import MAX_SECONDS, Checker
from .scenario_model import (
    OPERATIONS,
    SEND_OPERATIONS,
    AccountSpec,
    Fault,
    Life,
    Match,
    Outcome,
    Receipt,
    Reply,
    Rule,
    Scenario,
    Step,
    TextMatch,
)
from .scenario_yaml import (
    MAX_DEPTH,
    MAX_SCENARIO_BYTES,
    MAX_VALUES,
    KeyPath,
    ScenarioError,
    check_size,
    dotted,
    parse,
    read_text,
)
from .values import is_short_code

__all__ = [
    "MAX_DEPTH", "MAX_PATTERN_LENGTH", "MAX_RETRIES", "MAX_SCENARIO_BYTES", "MAX_SECONDS", "MAX_TIMES",
    "MAX_VALUES", "SCHEMA_PATH", "ScenarioError", "build_scenario", "load_scenarios", "parse", "read_scenario",
    "scenario_paths",
]  # fmt: skip

SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")
DEFAULT_FAULT_TYPE = "text/plain; charset=utf-8"
SUFFIXES = (".yaml", ".yml", ".json")
MAX_TIMES = 1_000_000_000
MAX_RETRIES = 20  # backoff * 2**19 stays within what a datetime can add, even with a year's backoff
MAX_PATTERN_LENGTH = 1000
_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # its own errors are reported as problems, not logged to stderr

TOP_KEYS = ("name", "description", "accept_unknown_keys", "strict", "accounts", "defaults", "carrier", "rules")
ACCOUNT_KEYS = ("license_key", "dids", "suspended", "blocked", "postback_url", "short_codes")
DEFAULT_KEYS = (
    "send_delay", "max_message_length", "default_format", "postback_retries", "postback_backoff",
    "postback_timeout",
)  # fmt: skip
RULE_KEYS = ("match", "outcome", "outcomes", "times", "description")
MATCH_KEYS = ("operation", "license_key", "phone", "message", "reference_id", "assigned_did", "postback_url")
TEXT_HOWS = ("equals", "prefix", "contains", "pattern")
OUTCOME_KEYS = ("error", "message_id", "queued", "sent", "cancelled", "fault", "delay", "life", "times")
FAULT_KEYS = ("status", "body", "content_type", "delay", "close", "truncate", "malformed")
LIFE_KEYS = ("sent_after", "refuse", "receipt", "replies", "stop")


def read_scenario(text: str, source: str, *, for_key: uuid.UUID | None = None) -> Scenario:
    """A scenario from its text; ``for_key`` limits it to one account (one installed at runtime)."""
    data, lines = parse(text, source)
    return build_scenario(data, source, lines, for_key=for_key)


def build_scenario(
    data: Any, source: str, lines: dict[KeyPath, int] | None = None, *, for_key: uuid.UUID | None = None
) -> Scenario:
    if lines is None:
        check_size(data, source)
    check = Checker(source, lines or {})
    top = check.mapping(data, (), TOP_KEYS, "a scenario")
    scenario = Scenario(source=source, name=top.get("name") if isinstance(top.get("name"), str) else None)
    if "accept_unknown_keys" in top:
        scenario.accept_unknown_keys = check.boolean(top["accept_unknown_keys"], ("accept_unknown_keys",))
    if "strict" in top:
        scenario.strict = bool(check.boolean(top["strict"], ("strict",)))
    for index, item in enumerate(check.sequence(top.get("accounts"), ("accounts",), "accounts")):
        account = _account(check, item, ("accounts", index), for_key)
        if account is not None:
            scenario.accounts.append(account)
    scenario.defaults = _defaults(check, top.get("defaults"), ("defaults",))
    if "carrier" in top:
        scenario.carrier = read_carrier(check, top["carrier"], ("carrier",))
    for index, item in enumerate(check.sequence(top.get("rules"), ("rules",), "rules")):
        rule = _rule(check, item, ("rules", index))
        if rule is not None:
            scenario.rules.append(rule)
    if for_key is not None:
        for key in ("defaults", "carrier", "accept_unknown_keys"):
            if key in top:
                check.problem((key,), "can only be set by a scenario file the fake starts with, not per license key")
    if check.problems:
        raise ScenarioError(check.problems)
    return scenario


def _account(check: Checker, item: Any, path: KeyPath, for_key: uuid.UUID | None) -> AccountSpec | None:
    fields = check.mapping(item, path, ACCOUNT_KEYS, "an account")
    if "license_key" not in fields and for_key is None:
        check.problem(path, "an account needs its license_key")
        return None
    key = check.guid(fields["license_key"], (*path, "license_key")) if "license_key" in fields else for_key
    if for_key is not None and key is not None and key != for_key:
        check.problem((*path, "license_key"), f"this scenario is for license key {for_key} only")
    dids = [
        check.phone(d, (*path, "dids", i))
        for i, d in enumerate(check.sequence(fields.get("dids"), (*path, "dids"), "DIDs"))
    ]
    blocked = None
    if "blocked" in fields:
        items = check.sequence(fields["blocked"], (*path, "blocked"), "phone numbers")
        blocked = tuple(n for i, b in enumerate(items) if (n := check.phone(b, (*path, "blocked", i))))
    suspended = check.boolean(fields["suspended"], (*path, "suspended")) if "suspended" in fields else None
    url = check.text(fields["postback_url"], (*path, "postback_url")) if "postback_url" in fields else None
    short_codes = None
    if "short_codes" in fields:
        items = check.sequence(fields["short_codes"], (*path, "short_codes"), "short codes")
        read = [_short_code(check, item, (*path, "short_codes", i)) for i, item in enumerate(items)]
        short_codes = tuple(code for code in read if code)
    if key is None:
        return None
    return AccountSpec(key, tuple(d for d in dids if d), suspended, blocked, url, short_codes)


def _short_code(check: Checker, value: Any, path: KeyPath) -> str | None:
    text = check.text(value, path)
    if text is not None and not is_short_code(text):
        check.problem(path, f"{text!r} is not a short code (5 or 6 digits)")
        return None
    return text


def _defaults(check: Checker, value: Any, path: KeyPath) -> dict[str, object]:
    fields = check.mapping(value, path, DEFAULT_KEYS, "defaults")
    result: dict[str, object] = {}
    for key, item in fields.items():
        where = (*path, key)
        if key == "default_format":
            found: object = check.choice(item, where, ("xml", "json"), "a format (xml or json)")
        elif key == "max_message_length":
            found = check.count(item, where, 1, MAX_SCENARIO_BYTES)
        elif key == "postback_retries":
            found = check.count(item, where, 0, MAX_RETRIES)
        else:
            found = check.seconds(fields, key, path)
        if found is not None:
            result[key] = found
    return result


def _rule(check: Checker, item: Any, path: KeyPath) -> Rule | None:
    before = len(check.problems)
    fields = check.mapping(item, path, RULE_KEYS, "a rule")
    match = _match(check, fields.get("match"), (*path, "match"))
    steps: list[Step] = []
    if ("outcome" in fields) == ("outcomes" in fields):
        check.problem(path, "a rule needs exactly one of 'outcome' or 'outcomes'")
    elif "outcome" in fields:
        times = check.count(fields["times"], (*path, "times"), 1, MAX_TIMES) if "times" in fields else None
        steps.append(Step(_outcome(check, fields["outcome"], (*path, "outcome"), match, in_sequence=False), times))
    else:
        if "times" in fields:
            check.problem((*path, "times"), "with 'outcomes', give 'times' on each outcome")
        outcomes = check.sequence(fields["outcomes"], (*path, "outcomes"), "outcomes")
        if not outcomes:
            check.problem((*path, "outcomes"), "expected at least one outcome")
        for index, entry in enumerate(outcomes):
            where = (*path, "outcomes", index)
            times = None
            if isinstance(entry, dict) and "times" in entry:
                times = check.count(entry["times"], (*where, "times"), 1, MAX_TIMES)
            elif index < len(outcomes) - 1:
                check.problem(where, "every outcome but the last needs 'times' (how many requests it answers)")
            steps.append(Step(_outcome(check, entry, where, match, in_sequence=True), times))
    if len(check.problems) > before:
        return None
    line = check.lines.get(path)
    return Rule(match, steps, f"{check.source}:{line} {dotted(path)}" if line else f"{check.source} {dotted(path)}")


def _match(check: Checker, value: Any, path: KeyPath) -> Match:
    fields = check.mapping(value, path, MATCH_KEYS, "what to match")
    operations = None
    if "operation" in fields:
        names = fields["operation"] if isinstance(fields["operation"], list) else [fields["operation"]]
        chosen: set[str] = set()
        for index, name in enumerate(names):
            where = (*path, "operation", index) if isinstance(fields["operation"], list) else (*path, "operation")
            if isinstance(name, str) and name.lower() == "send":
                chosen |= SEND_OPERATIONS
            elif isinstance(name, str) and name.lower() in OPERATIONS:
                chosen.add(name.lower())
            else:
                check.choice(name, where, ["send", *OPERATIONS.values()], "an operation")
        operations = frozenset(chosen)
    key = check.guid(fields["license_key"], (*path, "license_key")) if "license_key" in fields else None
    texts = []
    for name in MATCH_KEYS[2:]:
        if name in fields:
            found = _text_match(check, fields[name], (*path, name), phone=name in ("phone", "assigned_did"))
            if found is not None:
                texts.append((name, found))
    return Match(operations, key, tuple(texts))


def _text_match(check: Checker, value: Any, path: KeyPath, *, phone: bool) -> TextMatch | None:
    if not isinstance(value, dict):
        text = check.phone(value, path) if phone else check.text(value, path)
        return TextMatch("equals", text) if text is not None else None
    fields = check.mapping(value, path, TEXT_HOWS, "a text match")
    if len(fields) != 1:
        check.problem(path, f"expected exactly one of {', '.join(TEXT_HOWS)}")
        return None
    ((how, raw),) = fields.items()
    text = check.text(raw, (*path, how))
    if text is None:
        return None
    if how == "equals" and phone:
        text = check.phone(text, (*path, how)) or text
    if how != "pattern":
        return TextMatch(how, text)
    if len(text) > MAX_PATTERN_LENGTH:
        limit = f"expected a pattern of at most {MAX_PATTERN_LENGTH:,} characters, found {len(text):,}"
        check.problem((*path, how), limit)
        return None
    try:
        return TextMatch(how, text, re2.compile(text, _RE2_OPTIONS))
    except re2.error as error:
        reason = error.args[0].decode() if error.args and isinstance(error.args[0], bytes) else str(error)
        syntax = "RE2 syntax: no backreferences or lookaround"
        check.problem((*path, how), f"{text!r} is not a regular expression ({syntax}): {reason}")
        return None


def _outcome(check: Checker, value: Any, path: KeyPath, match: Match, *, in_sequence: bool) -> Outcome:
    allowed = OUTCOME_KEYS if in_sequence else OUTCOME_KEYS[:-1]
    fields = check.mapping(value, path, allowed, "an outcome")
    if not fields and isinstance(value, dict):
        check.problem(path, "an outcome needs at least one of error, fault, life, message_id, queued, sent, cancelled")
    error = None
    if "error" in fields:
        raw = fields["error"]
        if isinstance(raw, int) and not isinstance(raw, bool) and raw in {e.value for e in SMSError}:
            error = SMSError(raw)
        else:
            name = check.choice(raw, (*path, "error"), SMSError.__members__, "an SMSError")
            error = SMSError[name] if name else None
    if "fault" in fields and "error" in fields:
        check.problem(path, "give either an error (a CDYNE answer) or a fault (an HTTP failure), not both")
    sends_only = match.operations is not None and not match.operations & SEND_OPERATIONS
    if "life" in fields and sends_only:
        check.problem((*path, "life"), "a message's life only follows a send operation")
    message_id = None
    if "message_id" in fields:
        message_id = check.choice(fields["message_id"], (*path, "message_id"), ("zero", "fresh"), "zero or fresh")
    flags = tuple(
        (flag, found)
        for flag in ("queued", "sent", "cancelled")
        if flag in fields and (found := check.boolean(fields[flag], (*path, flag))) is not None
    )
    delay = check.seconds(fields, "delay", path)
    return Outcome(
        error=error,
        message_id=message_id,
        flags=flags,
        fault=_fault(check, fields["fault"], (*path, "fault")) if "fault" in fields else None,
        delay=delay,
        life=_life(check, fields["life"], (*path, "life")) if "life" in fields else None,
    )


def _fault(check: Checker, value: Any, path: KeyPath) -> Fault:
    fields = check.mapping(value, path, FAULT_KEYS, "a fault")
    if not fields and isinstance(value, dict):
        check.problem(path, f"a fault needs at least one of {', '.join(FAULT_KEYS)}")
    flags = {k: bool(check.boolean(fields[k], (*path, k))) for k in ("close", "truncate", "malformed") if k in fields}
    if sum(flags.values()) > 1:
        check.problem(path, "choose one of close, truncate and malformed")
    status = check.count(fields["status"], (*path, "status"), 100, 599) if "status" in fields else None
    body = check.text(fields["body"], (*path, "body")) if "body" in fields else None
    content_type = check.text(fields["content_type"], (*path, "content_type")) if "content_type" in fields else None
    delay = check.seconds(fields, "delay", path)
    return Fault(
        status=status,
        body=body,
        content_type=content_type or DEFAULT_FAULT_TYPE,
        delay=delay,
        **flags,
    )


def _life(check: Checker, value: Any, path: KeyPath) -> Life:
    fields = check.mapping(value, path, LIFE_KEYS, "a message's life")
    sent_after = check.seconds(fields, "sent_after", path) if "sent_after" in fields else None
    refuse = check.count(fields["refuse"], (*path, "refuse"), 1, 100) if "refuse" in fields else 0
    receipt = None
    if "receipt" in fields:
        where = (*path, "receipt")
        found = check.mapping(fields["receipt"], where, ("code", "after", "message"), "a delivery receipt")
        code = check.text(found.get("code", "000"), (*where, "code"))
        if code is not None and not re.fullmatch(r"\d{3}", code):
            check.problem((*where, "code"), f"{code!r} is not a three-digit receipt code (000, 003, 005, ...)")
        message = check.text(found["message"], (*where, "message")) if "message" in found else None
        receipt = Receipt(code or "000", check.seconds(found, "after", where), message)
    replies = [
        _reply(check, item, (*path, "replies", i))
        for i, item in enumerate(check.sequence(fields.get("replies"), (*path, "replies"), "replies"))
    ]
    if "stop" in fields:
        stop = check.mapping(fields["stop"], (*path, "stop"), ("after",), "when the phone texts STOP")
        replies.append(Reply(check.seconds(stop, "after", (*path, "stop")), "STOP"))
    return Life(sent_after, refuse or 0, receipt, tuple(r for r in replies if r is not None))


def _reply(check: Checker, value: Any, path: KeyPath) -> Reply | None:
    fields = check.mapping(value, path, ("after", "message"), "a reply")
    if "message" not in fields:
        check.problem(path, "a reply needs its message")
        return None
    message = check.text(fields["message"], (*path, "message"))
    return Reply(check.seconds(fields, "after", path), message) if message is not None else None


def scenario_paths(path: Path) -> list[Path]:
    """The scenario files a path names: the file itself, or every .yaml/.yml/.json below a folder but
    JSON Schemas (*.schema.json, as ``fake-cdyne scenarios copy`` writes beside the files)."""
    if path.is_dir():
        return sorted(
            p for p in path.rglob("*") if p.suffix in SUFFIXES and p.is_file() and not p.name.endswith(".schema.json")
        )
    return [path]


def load_scenarios(paths: Iterable[str | Path], read: Callable[[Path], str] | None = None) -> list[Scenario]:
    """Every scenario the paths name, in order; all problems of all files in one ScenarioError."""
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            problems.append(f"{given}: no such file or folder")
            continue
        files = scenario_paths(path)
        if path.is_dir() and not files:
            problems.append(f"{given}: no .yaml, .yml or .json files in this folder")
        for file in files:
            try:
                text = (read or read_text)(file)
                scenarios.append(read_scenario(text, str(file)))
            except ScenarioError as error:
                problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)
    return scenarios
