"""The pytest plugin, exercised by real inner pytest runs (pytester), each in a process of its own: an
in-process run unloads the modules first imported inside it (httpcore, which httpx imports lazily),
leaving later tests with two copies of their exception classes."""

from __future__ import annotations

import pytest

from fake_cdyne import FakeServer
from fake_cdyne.operations import Operations

pytest_plugins = ["pytester"]

SENDS = """
import httpx

def send(fake_cdyne, phone="7575449510", message="Hello"):
    params = {"PhoneNumber": phone, "Message": message, "LicenseKey": fake_cdyne.license_key}
    return httpx.get(f"{fake_cdyne.base_url}/SimpleSMSsend", params=params)
"""


def test_a_test_reads_like_a_sentence(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SENDS
        + """
def test_sends(fake_cdyne):
    assert "<SMSError>NoError</SMSError>" in send(fake_cdyne).text
    fake_cdyne.assert_sent(to="17575449510")
    fake_cdyne.assert_sent(to="(757) 544-9510", message="Hello", count=1)
    assert fake_cdyne.last_message.state == "sent"
"""
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def alone(count: int) -> str:
    """``count`` tests that each see only their own text."""
    return SENDS + (
        "import pytest\n\n"
        f"@pytest.mark.parametrize('n', range({count}))\n"
        "def test_alone(fake_cdyne, n):\n"
        "    send(fake_cdyne, message=f'number {n}')\n"
        "    assert [m.message for m in fake_cdyne.messages] == [f'number {n}']\n"
    )


def test_each_test_has_its_own_account(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(alone(4))
    pytester.runpytest_subprocess().assert_outcomes(passed=4)


def test_isolated_under_xdist(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(alone(6))
    result = pytester.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*2 workers*"])


def test_assert_sent_failure_shows_what_was_sent(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        SENDS
        + """
def test_wrong_text(fake_cdyne):
    send(fake_cdyne, message="Your code is 1234")
    send(fake_cdyne, phone="7575449511", message="Other")
    fake_cdyne.assert_sent(to="7575449510", message="Your code is 1243")
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*expected a text to 17575449510 saying 'Your code is 1243', but none was sent; sent were:",
            "*- to 17575449510: 'Your code is 1234' (sent)",
            "*- to 17575449511: 'Other' (sent)",
            "*closest, as sent (-) and as expected (+):",
            "*- Your code is 1234",
            "*+ Your code is 1243",
        ]
    )


def test_assert_sent_failure_shows_what_the_fake_answered(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
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
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*expected a text to 17575449510, but none was sent:",
            "*the fake got no request naming license key *",
            "*expected a text to 17575449510, but none was sent:",
            "*the fake's answers to the last 2 request(s) naming this key:",
            "*GET /sms.svc/SimpleSMSSendNow -> 404: Endpoint not found No operation 'SimpleSMSSendNow'. *",
            "*GET /sms.svc/SimpleSMSsend -> 200: SMSError PhoneNumberInvalid",
        ]
    )


def test_a_failing_test_shows_the_requests_it_made(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
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
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the app's own assertion*",
            "*- fake-cdyne requests -*",
            "the fake's answers to the last 2 request(s) naming this key:",
            "  GET /sms.svc/SimpleSMSsend -> 200: SMSError NoError",
            "  GET /sms.svc/SimpleSMSsend -> 200: SMSError PhoneNumberInvalid",
        ]
    )
    assert result.stdout.str().count("fake-cdyne requests") == 1  # only for the failure


def test_replies_postbacks_and_holding(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
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
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*only 0 of 1 postback(s) finished within 0.1 s (postbacks: none)*"])


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


def test_a_failure_inside_the_fake_fails_the_test_that_caused_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
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
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*fake-cdyne was surprised by this test:",
            "*fake-cdyne failed internally: GET /sms.svc/GetMessageStatus: RuntimeError: status store exploded",
        ]
    )


def test_the_marker_chooses_a_scenario_and_surprises_fail_the_test(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", busy="rules:\n  - outcome: {error: InternalError}\n")
    pytester.makepyfile(
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
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(passed=4, errors=1)
    result.stdout.fnmatch_lines(
        ["*no scenario rule matched: simplesmssend for * (phone='17575440000', message='Hello')*"]
    )


def test_a_broken_scenario_names_file_and_line(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", broken="rules:\n  - outcome: {error: NoErorr}\n")
    pytester.makepyfile(
        """
import pytest

@pytest.mark.fake_cdyne(scenario="broken.yaml")
def test_never_runs(fake_cdyne):
    pass
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(errors=1)
    expected = "broken.yaml:2 rules[0].outcome.error: 'NoErorr' is not an SMSError; did you mean 'NoError'?"
    assert expected in result.stdout.str()


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


def test_a_failing_assert_helper_points_at_the_test_line(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
def test_wrong(fake_cdyne):
    fake_cdyne.assert_sent(to="7575449510")

def test_no_text(fake_cdyne):
    fake_cdyne.last_message

def test_no_postback(fake_cdyne):
    fake_cdyne.wait_for_postbacks(1, timeout=0.05)
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=3)
    output = result.stdout.str()
    for line in ('>       fake_cdyne.assert_sent(to="7575449510")', ">       fake_cdyne.last_message"):
        assert line in output
    assert "fake_cdyne/client.py" not in output  # the helpers' own frames are hidden


def test_the_report_section_shows_postbacks_and_their_failures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import httpx

def test_handler_breaks(fake_cdyne, postback_receiver):
    params = {"PhoneNumber": "7575449510", "Message": "x", "LicenseKey": fake_cdyne.license_key,
              "StatusPostBackURL": f"{postback_receiver.url}/status/500"}
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSsendWithPostback", params=params)
    fake_cdyne.wait_for_postbacks(1)
    assert False, "the app never saw the text as sent"
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- fake-cdyne requests -*",
            "  GET /sms.svc/SimpleSMSsendWithPostback -> 200: SMSError NoError",
            "the last 1 postback(s) of this key:",
            "  #* sent -> http://127.0.0.1:*/status/500: failed (1 attempt(s): HTTP 500)",
        ]
    )


def test_the_report_section_neither_repeats_requests_nor_cuts_words(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import httpx

def test_wrong_operation(fake_cdyne):
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSSendNow", params={"LicenseKey": fake_cdyne.license_key})
    fake_cdyne.assert_sent(to="7575449510")

def test_wrong_operation_then_own_assertion(fake_cdyne):
    httpx.get(f"{fake_cdyne.base_url}/SimpleSMSSendNow", params={"LicenseKey": fake_cdyne.license_key})
    assert False
"""
    )
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=2)
    output = result.stdout.str()
    # The short summary (which CI=true prints whole) repeats assertion messages: read up to it.
    first, second = output.split("short test summary info")[0].split("_ test_wrong_operation_then_own_assertion _")
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
