"""Reading scenario files (YAML, or JSON) into ``Scenario`` values, refusing any mistake precisely.

Every problem names the file, the line, the key path and what was expected, for example
``scenarios/x.yaml:12 rules[2].outcome.error: 'NoErorr' is not an SMSError; did you mean 'NoError'?``
All problems of a file are reported together. YAML is read with the safe loader only.
"""

from __future__ import annotations

import difflib
import json
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError
from .model import SMSError
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
from .values import normalise_phone, parse_guid

SCHEMA_PATH = Path(__file__).with_name("scenario.schema.json")
KeyPath = tuple[str | int, ...]
DEFAULT_FAULT_TYPE = "text/plain; charset=utf-8"
SUFFIXES = (".yaml", ".yml", ".json")

TOP_KEYS = ("name", "description", "accept_unknown_keys", "strict", "accounts", "defaults", "rules")
ACCOUNT_KEYS = ("license_key", "dids", "suspended", "blocked", "postback_url")
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


class ScenarioError(ConfigError):
    """One or more problems in scenario files, each naming file, line and key path."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _record_lines(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            child = (*path, str(key.value))
            lines[child] = key.start_mark.line + 1
            _record_lines(value, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, (*path, index), lines)


def parse(text: str, source: str) -> tuple[Any, dict[KeyPath, int]]:
    """The document and the line of every key path in it."""
    lines: dict[KeyPath, int] = {}
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        if source.endswith(".json"):
            try:
                return json.loads(text), lines
            except json.JSONDecodeError as bad:
                raise ScenarioError([f"{source}:{bad.lineno}: not valid JSON: {bad.msg}"]) from None
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError([f"{source}{line}: not valid YAML: {problem}"]) from None
    if node is not None:
        _record_lines(node, (), lines)
    return data, lines


def _dotted(path: KeyPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else part
    return text


class _Checker:
    def __init__(self, source: str, lines: dict[KeyPath, int]) -> None:
        self.source = source
        self.lines = lines
        self.problems: list[str] = []

    def problem(self, path: KeyPath, text: str) -> None:
        line = next((self.lines[path[:n]] for n in range(len(path), -1, -1) if path[:n] in self.lines), None)
        where = f"{self.source}:{line}" if line is not None else self.source
        self.problems.append(f"{where} {_dotted(path)}: {text}" if path else f"{where}: {text}")

    def mapping(self, value: Any, path: KeyPath, allowed: Iterable[str], what: str) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem(path, f"expected {what} (a mapping), found {_shown(value)}")
            return {}
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                self.problem((*path, str(key)), f"unknown key {str(key)!r}{_suggest(str(key), allowed)}")
        return {k: v for k, v in value.items() if k in allowed}

    def sequence(self, value: Any, path: KeyPath, what: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.problem(path, f"expected a list of {what}, found {_shown(value)}")
            return []
        return value

    def number(
        self, value: Any, path: KeyPath, *, integer: bool = False, low: float = 0, high: float | None = None
    ) -> Any:
        kind = "a whole number" if integer else "a number"
        ok = isinstance(value, int) if integer else isinstance(value, int | float)
        if not ok or isinstance(value, bool):
            self.problem(path, f"expected {kind}, found {_shown(value)}")
            return None
        if value < low or (high is not None and value > high):
            limits = f"from {low:g} to {high:g}" if high is not None else f"{low:g} or more"
            self.problem(path, f"expected {kind} {limits}, found {value}")
            return None
        return value

    def boolean(self, value: Any, path: KeyPath) -> bool | None:
        if not isinstance(value, bool):
            self.problem(path, f"expected true or false, found {_shown(value)}")
            return None
        return value

    def text(self, value: Any, path: KeyPath) -> str | None:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)  # YAML reads 17575449510 as a number
        if not isinstance(value, str):
            self.problem(path, f"expected text, found {_shown(value)}")
            return None
        return value

    def guid(self, value: Any, path: KeyPath) -> uuid.UUID | None:
        text = self.text(value, path)
        if text is None:
            return None
        try:
            return parse_guid(text)
        except ValueError:
            self.problem(path, f"{text!r} is not a GUID")
            return None

    def phone(self, value: Any, path: KeyPath) -> str | None:
        text = self.text(value, path)
        number = normalise_phone(text) if text is not None else None
        if text is not None and number is None:
            self.problem(path, f"{text!r} is not a phone number (10 or 11 digits, or 011 and 7 to 15 digits)")
        return number

    def choice(self, value: Any, path: KeyPath, choices: Iterable[str], what: str) -> str | None:
        choices = tuple(choices)
        if not isinstance(value, str) or value not in choices:
            shown = repr(value) if isinstance(value, str) else _shown(value)
            self.problem(path, f"{shown} is not {what}{_suggest(str(value), choices)}")
            return None
        return value


def _shown(value: Any) -> str:
    if value is None:
        return "nothing"
    kind = {dict: "a mapping", list: "a list", bool: "a boolean", str: "text"}.get(type(value))
    return f"{kind} {value!r}" if kind in ("text", "a boolean") else kind or repr(value)


def _suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[word.lower()]] if word.lower() in lowered else []
    return f"; did you mean {close[0]!r}?" if close else ""


def read_scenario(text: str, source: str, *, for_key: uuid.UUID | None = None) -> Scenario:
    """A scenario from its text; ``for_key`` limits it to one account (one installed at runtime)."""
    data, lines = parse(text, source)
    return build_scenario(data, source, lines, for_key=for_key)


def build_scenario(
    data: Any, source: str, lines: dict[KeyPath, int] | None = None, *, for_key: uuid.UUID | None = None
) -> Scenario:
    check = _Checker(source, lines or {})
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
    for index, item in enumerate(check.sequence(top.get("rules"), ("rules",), "rules")):
        rule = _rule(check, item, ("rules", index))
        if rule is not None:
            scenario.rules.append(rule)
    if for_key is not None:
        for key in ("defaults", "accept_unknown_keys"):
            if key in top:
                check.problem((key,), "can only be set by a scenario file the fake starts with, not per license key")
    if check.problems:
        raise ScenarioError(check.problems)
    return scenario


def _account(check: _Checker, item: Any, path: KeyPath, for_key: uuid.UUID | None) -> AccountSpec | None:
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
    if key is None:
        return None
    return AccountSpec(key, tuple(d for d in dids if d), suspended, blocked, url)


def _defaults(check: _Checker, value: Any, path: KeyPath) -> dict[str, object]:
    fields = check.mapping(value, path, DEFAULT_KEYS, "defaults")
    result: dict[str, object] = {}
    for key, item in fields.items():
        where = (*path, key)
        if key == "default_format":
            found: object = check.choice(item, where, ("xml", "json"), "a format (xml or json)")
        elif key in ("max_message_length", "postback_retries"):
            found = check.number(item, where, integer=True, low=1 if key == "max_message_length" else 0)
        else:
            found = check.number(item, where)
        if found is not None:
            result[key] = found
    return result


def _rule(check: _Checker, item: Any, path: KeyPath) -> Rule | None:
    before = len(check.problems)
    fields = check.mapping(item, path, RULE_KEYS, "a rule")
    match = _match(check, fields.get("match"), (*path, "match"))
    steps: list[Step] = []
    if ("outcome" in fields) == ("outcomes" in fields):
        check.problem(path, "a rule needs exactly one of 'outcome' or 'outcomes'")
    elif "outcome" in fields:
        times = check.number(fields["times"], (*path, "times"), integer=True, low=1) if "times" in fields else None
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
                times = check.number(entry["times"], (*where, "times"), integer=True, low=1)
            elif index < len(outcomes) - 1:
                check.problem(where, "every outcome but the last needs 'times' (how many requests it answers)")
            steps.append(Step(_outcome(check, entry, where, match, in_sequence=True), times))
    if len(check.problems) > before:
        return None
    line = check.lines.get(path)
    return Rule(match, steps, f"{check.source}:{line} {_dotted(path)}" if line else f"{check.source} {_dotted(path)}")


def _match(check: _Checker, value: Any, path: KeyPath) -> Match:
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


def _text_match(check: _Checker, value: Any, path: KeyPath, *, phone: bool) -> TextMatch | None:
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
    try:
        return TextMatch(how, text, re.compile(text))
    except re.error as error:
        check.problem((*path, how), f"{text!r} is not a regular expression: {error}")
        return None


def _outcome(check: _Checker, value: Any, path: KeyPath, match: Match, *, in_sequence: bool) -> Outcome:
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
    delay = check.number(fields["delay"], (*path, "delay")) if "delay" in fields else 0.0
    return Outcome(
        error=error,
        message_id=message_id,
        flags=flags,
        fault=_fault(check, fields["fault"], (*path, "fault")) if "fault" in fields else None,
        delay=delay or 0.0,
        life=_life(check, fields["life"], (*path, "life")) if "life" in fields else None,
    )


def _fault(check: _Checker, value: Any, path: KeyPath) -> Fault:
    fields = check.mapping(value, path, FAULT_KEYS, "a fault")
    if not fields and isinstance(value, dict):
        check.problem(path, f"a fault needs at least one of {', '.join(FAULT_KEYS)}")
    flags = {k: bool(check.boolean(fields[k], (*path, k))) for k in ("close", "truncate", "malformed") if k in fields}
    if sum(flags.values()) > 1:
        check.problem(path, "choose one of close, truncate and malformed")
    status = (
        check.number(fields["status"], (*path, "status"), integer=True, low=100, high=599)
        if "status" in fields
        else None
    )
    body = check.text(fields["body"], (*path, "body")) if "body" in fields else None
    content_type = check.text(fields["content_type"], (*path, "content_type")) if "content_type" in fields else None
    delay = check.number(fields["delay"], (*path, "delay")) if "delay" in fields else 0.0
    return Fault(
        status=status,
        body=body,
        content_type=content_type or DEFAULT_FAULT_TYPE,
        delay=delay or 0.0,
        **flags,
    )


def _life(check: _Checker, value: Any, path: KeyPath) -> Life:
    fields = check.mapping(value, path, LIFE_KEYS, "a message's life")
    sent_after = check.number(fields["sent_after"], (*path, "sent_after")) if "sent_after" in fields else None
    refuse = (
        check.number(fields["refuse"], (*path, "refuse"), integer=True, low=1, high=100) if "refuse" in fields else 0
    )
    receipt = None
    if "receipt" in fields:
        where = (*path, "receipt")
        found = check.mapping(fields["receipt"], where, ("code", "after", "message"), "a delivery receipt")
        code = check.text(found.get("code", "000"), (*where, "code"))
        if code is not None and not re.fullmatch(r"\d{3}", code):
            check.problem((*where, "code"), f"{code!r} is not a three-digit receipt code (000, 003, 005, ...)")
        after = check.number(found["after"], (*where, "after")) if "after" in found else 0.0
        message = check.text(found["message"], (*where, "message")) if "message" in found else None
        receipt = Receipt(code or "000", after or 0.0, message)
    replies = [
        _reply(check, item, (*path, "replies", i))
        for i, item in enumerate(check.sequence(fields.get("replies"), (*path, "replies"), "replies"))
    ]
    if "stop" in fields:
        stop = check.mapping(fields["stop"], (*path, "stop"), ("after",), "when the phone texts STOP")
        after = check.number(stop["after"], (*path, "stop", "after")) if "after" in stop else 0.0
        replies.append(Reply(after or 0.0, "STOP"))
    return Life(sent_after, refuse or 0, receipt, tuple(r for r in replies if r is not None))


def _reply(check: _Checker, value: Any, path: KeyPath) -> Reply | None:
    fields = check.mapping(value, path, ("after", "message"), "a reply")
    if "message" not in fields:
        check.problem(path, "a reply needs its message")
        return None
    message = check.text(fields["message"], (*path, "message"))
    after = check.number(fields["after"], (*path, "after")) if "after" in fields else 0.0
    return Reply(after or 0.0, message) if message is not None else None


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
                text = (read or _read)(file)
                scenarios.append(read_scenario(text, str(file)))
            except ScenarioError as error:
                problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)
    return scenarios


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ScenarioError([f"{path}: not UTF-8 text ({error.reason} at byte {error.start})"]) from None
    except OSError as error:
        raise ScenarioError([f"{path}: cannot be read: {error.strerror}"]) from None
