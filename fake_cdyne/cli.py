"""``fake-cdyne``: the command line, a thin shell over Config and the server."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.resources
import os
import re
import ssl
import sys
import urllib.request
from collections.abc import Sequence
from importlib.resources.abc import Traversable
from pathlib import Path

from .config import ENV_PREFIX, Config
from .errors import FakeCdyneError
from .scenario_files import SCHEMA_PATH, ScenarioError, load_scenarios
from .server import serve
from .version import __version__

# The settings that have a command-line option; the others come only from the environment.
OPTION_FIELDS = (
    "host", "port", "send_delay", "manual_clock", "max_message_length", "max_body_bytes", "default_format",
    "extra_dids", "accept_unknown_keys", "scenarios", "tls", "tls_cert", "tls_key", "tls_ca_out",
    "max_media_bytes",
)  # fmt: skip
SCHEMA_NAME = "scenario.schema.json"
_MODELINE = re.compile(r"\$schema=\S+")  # the editors' pointer to the schema, on a file's first line
LOG_LEVELS = ("critical", "error", "warning", "info", "debug")


def _env(name: str) -> str:
    return f"{ENV_PREFIX}{name.upper()}"


def _environment_only() -> str:
    lines = ["settings only in the environment (README, Configuration):"]
    for field in dataclasses.fields(Config):
        if field.name not in OPTION_FIELDS:
            default = field.default if field.default not in (None, ()) else "none"
            lines.append(f"  {_env(field.name)} (default {default})")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fake-cdyne", description="A test double of the CDYNE SMS Notify! web service."
    )
    parser.add_argument("--version", action="version", version=f"fake-cdyne {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser(
        "serve", help="run the fake", epilog=_environment_only(), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    d = Config()
    run.add_argument("--host", help=f"address to listen on (default {d.host}) [{_env('host')}]")
    run.add_argument("--port", type=int, help=f"port, 0 for any free one (default {d.port}) [{_env('port')}]")
    run.add_argument(
        "--send-delay",
        type=float,
        help=f"seconds from a send's response to Sent (default {d.send_delay}) [{_env('send_delay')}]",
    )
    run.add_argument(
        "--manual-clock",
        action="store_true",
        default=None,
        help=f"time moves only through POST /_fake/clock/advance [{_env('manual_clock')}]",
    )
    run.add_argument(
        "--max-message-length",
        type=int,
        help=f"longer messages are MessageInvalid (default {d.max_message_length}) [{_env('max_message_length')}]",
    )
    run.add_argument(
        "--max-body-bytes",
        type=int,
        help=f"larger bodies get 413 (default {d.max_body_bytes}) [{_env('max_body_bytes')}]",
    )
    run.add_argument(
        "--max-media-bytes",
        type=int,
        help=f"larger media files are refused (default {d.max_media_bytes}) [{_env('max_media_bytes')}]",
    )
    run.add_argument(
        "--default-format",
        choices=["xml", "json"],
        help=(
            "format when neither Accept nor Content-Type names one "
            f"(default {d.default_format}) [{_env('default_format')}]"
        ),
    )
    run.add_argument(
        "--extra-did",
        action="append",
        dest="extra_dids",
        metavar="NUMBER",
        help=(
            "a sending number every account owns besides its test DID; repeatable "
            f"[{_env('extra_dids')}, comma-separated]"
        ),
    )
    run.add_argument(
        "--refuse-unknown-keys",
        action="store_false",
        dest="accept_unknown_keys",
        default=None,
        help=f"undeclared license keys are LicenseKeyInvalid [{_env('accept_unknown_keys')}=false]",
    )
    run.add_argument(
        "--scenario",
        action="append",
        dest="scenarios",
        metavar="PATH",
        help=f"a scenario file, or a folder of them; repeatable [{_env('scenarios')}, comma-separated]",
    )
    run.add_argument("--tls", action="store_true", default=None, help=f"serve https [{_env('tls')}]")
    run.add_argument("--tls-cert", metavar="PEM", help=f"certificate for --tls; else one is made [{_env('tls_cert')}]")
    run.add_argument("--tls-key", metavar="PEM", help=f"its private key [{_env('tls_key')}]")
    run.add_argument(
        "--tls-ca-out",
        metavar="PATH",
        help=f"where to write the CA of the made certificate, for clients to trust [{_env('tls_ca_out')}]",
    )
    run.add_argument(
        "--log-level",
        default=os.environ.get(_env("log_level"), "info"),
        choices=LOG_LEVELS,
        help=f"uvicorn's log level (default info) [{_env('log_level')}]",
    )
    check = commands.add_parser("validate", help="check scenario files, naming file, line and key of each problem")
    check.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    commands.add_parser("schema", help="print the JSON Schema of scenario files (for editors)")
    ready = commands.add_parser("scenarios", help="the ready scenario files that come with fake-cdyne")
    ready_commands = ready.add_subparsers(dest="scenarios_command", required=True)
    copy = ready_commands.add_parser(
        "copy", help=f"write them, and their schema ({SCHEMA_NAME}, for editors), into DIR to start yours from"
    )
    copy.add_argument("dir", metavar="DIR")
    _add_verify(commands)
    commands.add_parser(
        "health", help="exit 0 if the fake configured by FAKE_CDYNE_* on this machine answers (container health check)"
    )
    return parser


def _add_verify(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    probe = commands.add_parser(
        "verify",
        help="send safe probes to a CDYNE service (the real one) and compare each answer with fake-cdyne's",
        description=(
            "Sends the same probes to URL and to a fake-cdyne started here, with the same key, and prints a "
            "short diff for every answer that differs (GUIDs, dates and addresses masked). Without --phone "
            "no probe sends a text: they use the zero GUID, invalid numbers, unknown MessageIDs, malformed "
            "GUIDs, wrong verbs and the WSDL and schemas. Exit status 1 when any answer differs."
        ),
    )
    probe.add_argument("url", metavar="URL", help="the service, e.g. https://sms2.cdyne.com/sms.svc")
    probe.add_argument(
        "--license-key",
        default=os.environ.get("CDYNE_LICENSE_KEY"),
        metavar="K",
        help="the key the probes use, a real one [CDYNE_LICENSE_KEY, which keeps it off the command line]",
    )
    probe.add_argument(
        "--phone", metavar="N", help="also send one real text to N and compare its status (CDYNE charges it)"
    )
    probe.add_argument("--surface", choices=["rest", "soap", "all"], default="all", help="which probes (default all)")
    probe.add_argument("--insecure", action="store_true", help="do not check URL's TLS certificate")


def _verify(args: argparse.Namespace) -> int:
    from .verify import verify

    if not args.license_key:
        print("fake-cdyne verify: give the key with --license-key or CDYNE_LICENSE_KEY", file=sys.stderr)
        return 2

    return verify(args.url, args.license_key, surface=args.surface, phone=args.phone, verify_tls=not args.insecure)


def health() -> int:
    """Ask the fake that the environment describes whether it is up: the port and TLS it was given."""
    config = Config.from_env()
    scheme = "https" if config.tls else "http"
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::", "") else config.host
    url = f"{scheme}://{host}:{config.port}/_fake/health"
    context = ssl._create_unverified_context() if config.tls else None  # a liveness probe of ourselves
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as reply:
            return 0 if reply.status == 200 else 1
    except OSError as error:
        print(f"fake-cdyne: {url}: {error}", file=sys.stderr)
        return 1


def validate(paths: Sequence[str]) -> int:
    try:
        scenarios = load_scenarios(paths)
    except ScenarioError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print(f"fake-cdyne: {len(error.problems)} problem(s)", file=sys.stderr)
        return 1
    for scenario in scenarios:
        print(f"{scenario.source}: ok ({len(scenario.rules)} rule(s), {len(scenario.accounts)} account(s))")
    return 0


def ready_scenarios() -> Traversable:
    """The ready files: package data when installed from a wheel; the checkout's scenarios/ folder in an
    editable install (setuptools cannot map a subpackage to a folder outside the package there)."""
    try:
        return importlib.resources.files("fake_cdyne.ready_scenarios")
    except ModuleNotFoundError:
        return Path(__file__).parent.parent / "scenarios"


def copy_scenarios(target: str) -> int:
    """Write the ready files into ``target`` (errors/, examples/) with the schema beside them, each
    file's editor modeline pointing at it; nothing is overwritten."""
    out = Path(target)
    files = {
        f"{group}/{item.name}": item.read_text(encoding="utf-8")
        for group in ("errors", "examples")
        for item in sorted((ready_scenarios() / group).iterdir(), key=lambda item: item.name)
        if item.name.endswith(".yaml")
    }
    files = {name: _MODELINE.sub(f"$schema=../{SCHEMA_NAME}", text, count=1) for name, text in files.items()}
    files[SCHEMA_NAME] = SCHEMA_PATH.read_text(encoding="utf-8")
    existing = [name for name in files if (out / name).exists()]
    if existing:
        print(f"fake-cdyne: {out / existing[0]} exists; nothing written (copy into an empty folder)", file=sys.stderr)
        return 1
    for name, text in files.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_text(text, encoding="utf-8")
    print(f"fake-cdyne: wrote {len(files) - 1} scenario file(s) and {SCHEMA_NAME} into {out}")
    return 0


def announce_scenarios(config: Config) -> None:
    """Name each scenario file the fake loads at start: a folder loads every file in it, and one
    errors/ file makes every send answer its SMSError."""
    for scenario in load_scenarios(config.scenarios):
        print(f"fake-cdyne: loaded scenario {scenario.source} ({len(scenario.rules)} rule(s))", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "validate":
        return validate(args.paths)
    if args.command == "health":
        return health()
    if args.command == "verify":
        return _verify(args)
    if args.command == "scenarios":
        return copy_scenarios(args.dir)
    if args.command == "schema":
        print(SCHEMA_PATH.read_text(encoding="utf-8"), end="")
        return 0
    if args.log_level not in LOG_LEVELS:  # argparse checks choices on the command line, not defaults
        choices = ", ".join(LOG_LEVELS)
        print(f"fake-cdyne: {_env('log_level')}={args.log_level!r} is not one of {choices}", file=sys.stderr)
        return 2
    options = {name: getattr(args, name) for name in OPTION_FIELDS}
    for repeatable in ("extra_dids", "scenarios"):
        options[repeatable] = tuple(options[repeatable]) if options[repeatable] else None
    try:
        config = Config.from_env(**options)
        announce_scenarios(config)
        serve(config, log_level=args.log_level)
    except FakeCdyneError as error:
        problems = error.problems if isinstance(error, ScenarioError) else [str(error)]
        for problem in problems:
            print(f"fake-cdyne: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0
