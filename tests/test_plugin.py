"""The pytest plugin, exercised by real inner pytest runs, each in a process of its own: an in-process
run unloads the modules first imported inside it (httpcore, which httpx imports lazily), leaving later
tests with two copies of their exception classes. The tests whose inner test file needs nothing of its
own (no conftest, option or fake of its own) share one run, ``shared``, and each reads its own file's
outcomes and reports there (tests/inner_runs.py); the others run pytester's."""

from __future__ import annotations

import pytest

from fake_cdyne import FakeServer
from fake_cdyne.operations import Operations

from .inner_runs import InnerRun, run_together

pytest_plugins = ["pytester"]
# The tests reading the shared run: one worker makes it, once.
SHARED = pytest.mark.xdist_group("plugin")

SENDS = """
import httpx

def send(fake_cdyne, phone="7575449510", message="Hello"):
    params = {"PhoneNumber": phone, "Message": message, "LicenseKey": fake_cdyne.license_key}
    return httpx.get(f"{fake_cdyne.base_url}/SimpleSMSsend", params=params)
"""


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> InnerRun:
    """One inner run of every file below that needs nothing of its own: name (its test file) -> source."""
    files = {
        "test_sentence.py": SENTENCE,
        "test_own_account.py": alone(4),
        "test_what_was_sent.py": WHAT_WAS_SENT,
        "test_what_the_fake_answered.py": WHAT_THE_FAKE_ANSWERED,
        "test_requests_it_made.py": REQUESTS_IT_MADE,
        "test_postbacks_and_holding.py": POSTBACKS_AND_HOLDING,
        "test_failure_inside.py": FAILURE_INSIDE,
        "busy.yaml": "rules:\n  - outcome: {error: InternalError}\n",
        "test_marker.py": MARKER,
        "broken.yaml": "rules:\n  - outcome: {error: NoErorr}\n",
        "test_broken_scenario.py": BROKEN_SCENARIO,
        "test_helper_frames.py": HELPER_FRAMES,
        "test_report_postbacks.py": REPORT_POSTBACKS,
        "test_report_once.py": REPORT_ONCE,
    }
    return run_together(tmp_path_factory.mktemp("shared"), files)


SENTENCE = (
    SENDS
    + """
def test_sends(fake_cdyne):
    assert "<SMSError>NoError</SMSError>" in send(fake_cdyne).text
    fake_cdyne.assert_sent(to="17575449510")
    fake_cdyne.assert_sent(to="(757) 544-9510", message="Hello", count=1)
    assert fake_cdyne.last_message.state == "sent"
"""
)


@SHARED
def test_a_test_reads_like_a_sentence(shared: InnerRun) -> None:
    shared.assert_outcomes("test_sentence", passed=1)


def alone(count: int) -> str:
    """``count`` tests that each see only their own text."""
    return SENDS + (
        "import pytest\n\n"
        f"@pytest.mark.parametrize('n', range({count}))\n"
        "def test_alone(fake_cdyne, n):\n"
        "    send(fake_cdyne, message=f'number {n}')\n"
        "    assert [m.message for m in fake_cdyne.messages] == [f'number {n}']\n"
    )


@SHARED
def test_each_test_has_its_own_account(shared: InnerRun) -> None:
    shared.assert_outcomes("test_own_account", passed=4)


def test_isolated_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(alone(6))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*2 workers*"])


WHAT_WAS_SENT = (
    SENDS
    + """
def test_wrong_text(fake_cdyne):
    send(fake_cdyne, message="Your code is 1234")
    send(fake_cdyne, phone="7575449511", message="Other")
    fake_cdyne.assert_sent(to="7575449510", message="Your code is 1243")
"""
)


@SHARED
def test_assert_sent_failure_shows_what_was_sent(shared: InnerRun) -> None:
    shared.assert_outcomes("test_what_was_sent", failed=1)
    shared.lines("test_what_was_sent").fnmatch_lines(
        [
            "*expected a text to 17575449510 saying 'Your code is 1243', but none was sent; sent were:",
            "*- to 17575449510: 'Your code is 1234' (sent)",
            "*- to 17575449511: 'Other' (sent)",
            "*closest, as sent (-) and as expected (+):",
            "*- Your code is 1234",
            "*+ Your code is 1243",
        ]
    )


WHAT_THE_FAKE_ANSWERED = (
    SENDS
    + """
import httpx

def test_nothing_reached_it(fake_cdyne):
    fake_cdyne.assert_sent(to="7575449510")

def test_wrong_operation_and_bad_number(fake_cdyne):
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSSendNow", params={"LicenseKey": fake_cdyne.license_key})
    send(fake_cdyne, phone="12")
    fake_cdyne.assert_sent(to="7575449510")
"""
)


@SHARED
def test_assert_sent_failure_shows_what_the_fake_answered(shared: InnerRun) -> None:
    shared.assert_outcomes("test_what_the_fake_answered", failed=2)
    shared.lines("test_what_the_fake_answered").fnmatch_lines(
        [
            "*expected a text to 17575449510, but none was sent:",
            "*the fake got no request naming license key *",
            "*expected a text to 17575449510, but none was sent:",
            "*the fake's answers to the last 2 request(s) naming this key:",
            "*GET /sms.svc/SimpleSMSSendNow -> 404: Endpoint not found No operation 'SimpleSMSSendNow'. *",
            "*GET /sms.svc/SimpleSMSsend -> 200: SMSError PhoneNumberInvalid",
        ]
    )


REQUESTS_IT_MADE = (
    SENDS
    + """
def test_fails_after_sending(fake_cdyne):
    send(fake_cdyne, message="first")
    send(fake_cdyne, phone="555")
    assert False, "the app's own assertion"

def test_passes(fake_cdyne):
    send(fake_cdyne)
"""
)


@SHARED
def test_a_failing_test_shows_the_requests_it_made(shared: InnerRun) -> None:
    shared.assert_outcomes("test_requests_it_made", passed=1, failed=1)
    shared.lines("test_requests_it_made").fnmatch_lines(
        [
            "*the app's own assertion*",
            "*- fake-cdyne requests -*",
            "the fake's answers to the last 2 request(s) naming this key:",
            "  GET /sms.svc/SimpleSMSsend -> 200: SMSError NoError",
            "  GET /sms.svc/SimpleSMSsend -> 200: SMSError PhoneNumberInvalid",
        ]
    )
    # Only for the failure: the passing test has no section either (-rA would show it).
    assert shared.output("test_requests_it_made").count("fake-cdyne requests") == 1


POSTBACKS_AND_HOLDING = """
import httpx

def test_conversation(fake_cdyne, postback_receiver):
    params = {"PhoneNumber": "7575449510", "Message": "Reply YES", "LicenseKey": fake_cdyne.license_key,
              "StatusPostBackURL": f"{postback_receiver.url}/sms"}
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSsendWithPostback", params=params)
    reply = fake_cdyne.incoming(from_="7575449510", message="YES")
    assert reply.matched_message_id == fake_cdyne.last_message.message_id
    sent, answered = fake_cdyne.wait_for_postbacks(2)
    assert (sent.kind, answered.kind, answered.form["Message"]) == ("sent", "reply", "YES")
    assert [p.form.get("Message") for p in postback_receiver.wait_for(2)] == [None, "YES"]

def test_hold_and_release(fake_cdyne, postback_receiver):
    fake_cdyne.hold_postbacks()
    params = {"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": fake_cdyne.license_key,
              "StatusPostBackURL": postback_receiver.url}
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSsendWithPostback", params=params)
    assert [p.state for p in fake_cdyne.postbacks] == ["held"]
    assert fake_cdyne.release_postbacks() == 1
    assert fake_cdyne.wait_for_postbacks(1)[0].state == "delivered"

def test_waiting_too_long_says_what_there_is(fake_cdyne):
    fake_cdyne.wait_for_postbacks(1, timeout=0.1)
"""


@SHARED
def test_replies_postbacks_and_holding(shared: InnerRun) -> None:
    shared.assert_outcomes("test_postbacks_and_holding", passed=2, failed=1)
    shared.lines("test_postbacks_and_holding").fnmatch_lines(
        ["*only 0 of 1 postback(s) finished within 0.1 s (postbacks: none)*"]
    )


def test_manual_clock_through_the_config_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import pytest
from fake_cdyne import Config

@pytest.fixture(scope="session")
def fake_cdyne_config():
    return Config(port=0, manual_clock=True, send_delay=30)
"""
    )
    pytester.makepyfile(
        SENDS
        + """
def test_later(fake_cdyne):
    send(fake_cdyne)
    assert fake_cdyne.last_message.state == "queued"
    fake_cdyne.advance_clock(30)
    assert fake_cdyne.last_message.state == "sent"
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_an_already_running_fake_is_used(pytester: pytest.Pytester) -> None:
    with FakeServer() as running:
        pytester.makepyfile(
            SENDS
            + f"""
def test_remote(fake_cdyne):
    assert fake_cdyne.url == "{running.url}"
    send(fake_cdyne)
    fake_cdyne.assert_sent(to="17575449510")
"""
        )
        pytester.runpytest_subprocess("--fake-cdyne-url", running.url).assert_outcomes(passed=1)
        pytester.runpytest_subprocess().assert_outcomes(passed=0, failed=1)  # without it: its own fake
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("FAKE_CDYNE_URL", running.url)
            pytester.runpytest_subprocess().assert_outcomes(passed=1)


FAILURE_INSIDE = (
    SENDS
    + """
import httpx
from fake_cdyne.operations import Operations

def test_breaks_the_fake(fake_cdyne, monkeypatch):
    def broken(self, *args):
        raise RuntimeError("status store exploded")
    monkeypatch.setattr(Operations, "get_message_status", broken)
    reply = httpx.get(f"{fake_cdyne.base_url}/GetMessageStatus", params={"MessageID": fake_cdyne.license_key})
    assert reply.status_code == 500
    assert "Traceback" not in reply.text

def test_next_one_is_fine(fake_cdyne):
    send(fake_cdyne)
"""
)


@SHARED
def test_a_failure_inside_the_fake_fails_the_test_that_caused_it(shared: InnerRun) -> None:
    shared.assert_outcomes("test_failure_inside", passed=2, errors=1)
    shared.lines("test_failure_inside").fnmatch_lines(
        [
            "*fake-cdyne was surprised by this test:",
            "*fake-cdyne failed internally: GET /sms.svc/GetMessageStatus: RuntimeError: status store exploded",
        ]
    )


MARKER = (
    SENDS
    + """
import pytest

@pytest.mark.fake_cdyne(scenario="busy.yaml")
def test_from_a_file(fake_cdyne):
    assert "<SMSError>InternalError</SMSError>" in send(fake_cdyne).text

@pytest.mark.fake_cdyne(scenario={"rules": [{"outcome": {"error": "MessageInvalid"}}]})
def test_inline(fake_cdyne):
    assert "<SMSError>MessageInvalid</SMSError>" in send(fake_cdyne).text

def test_unaffected(fake_cdyne):
    assert "<SMSError>NoError</SMSError>" in send(fake_cdyne).text

STRICT = {"strict": True, "rules": [{"match": {"phone": "7575449510"}, "outcome": {"error": "NoError"}}]}

@pytest.mark.fake_cdyne(scenario=STRICT)
def test_surprising(fake_cdyne):
    send(fake_cdyne, phone="7575440000")
"""
)


@SHARED
def test_the_marker_chooses_a_scenario_and_surprises_fail_the_test(shared: InnerRun) -> None:
    shared.assert_outcomes("test_marker", passed=4, errors=1)
    shared.lines("test_marker").fnmatch_lines(
        ["*no scenario rule matched: simplesmssend for * (phone='17575440000', message='Hello')*"]
    )


BROKEN_SCENARIO = """
import pytest

@pytest.mark.fake_cdyne(scenario="broken.yaml")
def test_never_runs(fake_cdyne):
    pass
"""


@SHARED
def test_a_broken_scenario_names_file_and_line(shared: InnerRun) -> None:
    shared.assert_outcomes("test_broken_scenario", errors=1)
    expected = "broken.yaml:2 rules[0].outcome.error: 'NoErorr' is not an SMSError; did you mean 'NoError'?"
    assert expected in shared.output("test_broken_scenario")


HEAVY = ("starlette", "uvicorn", "httpx", "yaml", "fake_cdyne.app", "fake_cdyne.server", "fake_cdyne.client")


def test_loading_the_plugin_imports_no_server_stack(pytester: pytest.Pytester) -> None:
    """pytest loads the plugin in every project that installs fake-cdyne: a session whose tests never
    ask for the fixtures must not pay for importing the server."""
    pytester.makepyfile(
        f"""
import sys

def test_plugin_is_loaded_but_light(pytestconfig):
    assert pytestconfig.pluginmanager.hasplugin("fake_cdyne")
    assert "fake_cdyne.pytest_plugin" in sys.modules
    loaded = [name for name in {HEAVY!r} if name in sys.modules]
    assert loaded == []
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


HELPER_FRAMES = """
def test_wrong(fake_cdyne):
    fake_cdyne.assert_sent(to="7575449510")

def test_no_text(fake_cdyne):
    fake_cdyne.last_message

def test_no_postback(fake_cdyne):
    fake_cdyne.wait_for_postbacks(1, timeout=0.05)
"""


@SHARED
def test_a_failing_assert_helper_points_at_the_test_line(shared: InnerRun) -> None:
    shared.assert_outcomes("test_helper_frames", failed=3)
    output = shared.output("test_helper_frames")
    for line in ('>       fake_cdyne.assert_sent(to="7575449510")', ">       fake_cdyne.last_message"):
        assert line in output
    assert "fake_cdyne/client.py" not in output  # the helpers' own frames are hidden


REPORT_POSTBACKS = """
import httpx

def test_handler_breaks(fake_cdyne, postback_receiver):
    params = {"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": fake_cdyne.license_key,
              "StatusPostBackURL": f"{postback_receiver.url}/status/500"}
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSsendWithPostback", params=params)
    fake_cdyne.wait_for_postbacks(1)
    assert False, "the app never saw the text as sent"
"""


@SHARED
def test_the_report_section_shows_postbacks_and_their_failures(shared: InnerRun) -> None:
    shared.assert_outcomes("test_report_postbacks", failed=1)
    shared.lines("test_report_postbacks").fnmatch_lines(
        [
            "*- fake-cdyne requests -*",
            "  GET /sms.svc/SimpleSMSsendWithPostback -> 200: SMSError NoError",
            "the last 1 postback(s) of this key:",
            "  #* sent -> http://127.0.0.1:*/status/500: failed (1 attempt(s): HTTP 500)",
        ]
    )


REPORT_ONCE = """
import httpx

def test_wrong_operation(fake_cdyne):
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSSendNow", params={"LicenseKey": fake_cdyne.license_key})
    fake_cdyne.assert_sent(to="7575449510")

def test_wrong_operation_then_own_assertion(fake_cdyne):
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSSendNow", params={"LicenseKey": fake_cdyne.license_key})
    assert False
"""


@SHARED
def test_the_report_section_neither_repeats_requests_nor_cuts_words(shared: InnerRun) -> None:
    shared.assert_outcomes("test_report_once", failed=2)
    # The file's report blocks, the short summary left out (CI=true prints it whole, assertion messages too).
    first, second = shared.output("test_report_once").split("_ test_wrong_operation_then_own_assertion _")
    # Listed once: in assert_sent's message; the section says where to look.
    assert first.count("GET /sms.svc/SimpleSMSSendNow -> 404") == 1
    assert "the 1 request(s) naming this key: in the failure message above" in first
    (line,) = [line for line in second.splitlines() if "SimpleSMSSendNow -> 404" in line]
    assert line.endswith(" …"), line
    assert line.removesuffix(" …").rsplit(" ", 1)[-1] in {"SimpleSMSsendWithPostback,", "AdvancedSMSsend,"}, line


def test_a_shared_fake_blames_a_test_only_for_its_own_failures(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Against a fake shared with other test runs (a container, --fake-cdyne-url), a failure inside the
    fake that another run's request caused does not fail this run's tests; one its own request caused
    does."""

    def broken(self: object, *args: object) -> None:
        raise RuntimeError("status store exploded")

    monkeypatch.setattr(Operations, "get_message_status", broken)
    with FakeServer() as shared:
        pytester.makepyfile(
            """
import httpx
from fake_cdyne import FakeCdyneClient

def test_another_run_breaks_it_meanwhile(fake_cdyne):
    with FakeCdyneClient(fake_cdyne.url) as other:
        httpx.get(f"{other.base_url}/GetMessageStatus", params={"MessageID": other.license_key})
    assert len(fake_cdyne.errors()) == 1

def test_this_one_breaks_it(fake_cdyne):
    httpx.get(f"{fake_cdyne.base_url}/GetMessageStatus", params={"MessageID": fake_cdyne.license_key})
"""
        )
        result = pytester.runpytest_subprocess("--fake-cdyne-url", shared.url)
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_this_one_breaks_it*",
            "*fake-cdyne failed internally: GET /sms.svc/GetMessageStatus: RuntimeError: status store exploded",
        ]
    )
