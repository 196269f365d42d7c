"""The web inbox in a real browser (Debian's chromium, driven by Playwright).

Skipped when no chromium is installed, unless FAKE_CDYNE_BROWSER_TESTS=1 (as CI sets it), which makes
a missing browser a failure. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from fake_cdyne import FakeServer, PostbackReceiver

CHROMIUM = os.environ.get("FAKE_CDYNE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"
REQUIRED = os.environ.get("FAKE_CDYNE_BROWSER_TESTS") == "1"

if not REQUIRED and not Path(CHROMIUM).exists():
    pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

# Assertions wait for the page, up to a deadline: generous, since a loaded CI machine is slow to render.
expect.set_options(timeout=15_000)

# rebound.test resolves to 127.0.0.1, as a DNS-rebinding attacker's name would.
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync",
         "--host-resolver-rules=MAP rebound.test 127.0.0.1"]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, fake: FakeServer) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    opened = context.new_page()
    opened.goto(f"{fake.url}/")
    expect(opened.get_by_role("heading", name="fake-cdyne inbox")).to_be_visible()
    yield opened
    context.close()


def show_only(page: Page, key: str) -> None:
    """Filter to one license key and wait until the page shows it has nothing for it yet."""
    page.get_by_label("License key").fill(key)
    expect(page.get_by_role("status")).to_contain_text("0 conversation(s)")


def test_a_text_appears_live_and_a_reply_from_the_page_reaches_the_app(
    page: Page, http: httpx.Client, key: str
) -> None:
    show_only(page, key)
    with PostbackReceiver() as receiver:
        params = {"PhoneNumber": "7575449599", "Message": "Your table for 4 is ready", "LicenseKey": key,
                  "StatusPostBackURL": f"{receiver.url}/sms"}  # fmt: skip
        http.get("/sms.svc/SimpleSMSsendWithPostback", params=params).raise_for_status()
        conversation = page.locator(f'section[data-id="{key}/17575449599"]')
        expect(conversation.get_by_text("Your table for 4 is ready")).to_be_visible()  # no reload, no click
        expect(conversation.get_by_text("sent postback: delivered")).to_be_visible()

        reply = conversation.get_by_label("Reply as 17575449599")
        reply.fill("On my way")
        reply.press("Enter")  # the keyboard is enough
        expect(conversation.get_by_text("On my way")).to_be_visible()
        posts = receiver.wait_for(2)
    assert posts[1].form["Message"] == "On my way"
    assert posts[1].form["MatchedMessageID"] == posts[0].form["MessageID"]
    unread = http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}).text
    assert "<Message>On my way</Message>" in unread
    expect(conversation.get_by_text("reply postback: delivered")).to_be_visible()
    conversation.get_by_text("body").last.click()
    expect(conversation.get_by_text("Message=On+my+way")).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "inbox.png"), full_page=True)


def test_actions_from_the_page(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    with PostbackReceiver() as receiver:
        http.post("/_fake/postbacks/hold", json={"license_key": key}).raise_for_status()
        params = {"PhoneNumber": "7575449598", "Message": "Hello", "LicenseKey": key, "StatusPostBackURL": receiver.url}
        http.get("/sms.svc/SimpleSMSsendWithPostback", params=params).raise_for_status()
        conversation = page.locator(f'section[data-id="{key}/17575449598"]')
        expect(conversation.get_by_text("1 postback(s) held")).to_be_visible()
        conversation.get_by_role("button", name="Release held postbacks").click()
        assert receiver.wait_for(1)[0].form["SMSSent"] == "1"
        conversation.get_by_role("button", name="Deliver").click()
        assert receiver.wait_for(2)[1].kind == "receipt"
        conversation.get_by_role("button", name="STOP").click()
        expect(conversation.get_by_text("blocked: the phone texted STOP")).to_be_visible()
    assert "<SMSError>STOPfromPhoneNumber</SMSError>" in http.get("/sms.svc/SimpleSMSsend", params=params).text
    conversation.get_by_role("button", name="Reset this license key").click()
    expect(page.get_by_role("status")).to_contain_text("0 conversation(s)")


def test_requests_and_what_went_wrong(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    requests = page.get_by_role("complementary", name="Latest requests to /sms.svc")
    expect(requests).to_contain_text("No requests yet.")
    http.get("/sms.svc/SimpleSMSsend", params={"PhoneNumber": "12", "Message": "x", "LicenseKey": key})
    http.get("/sms.svc/SendTheText", params={"LicenseKey": key})
    bad_number = requests.get_by_text("GET /sms.svc/SimpleSMSsend → HTTP 200: SMSError PhoneNumberInvalid")
    expect(bad_number).to_be_visible()  # live: the page was not reloaded
    expect(requests.get_by_text("GET /sms.svc/SendTheText → HTTP 404: Endpoint not found")).to_be_visible()
    assert requests.locator("li.request.bad").count() == 2
    requests.get_by_text("request and answer").first.click()  # the newest first: the 404
    expect(requests.get_by_text("No operation 'SendTheText'", exact=False).first).to_be_visible()


def test_a_busy_key_shows_its_most_recent_conversations(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    body = {
        "LicenseKey": key,
        "SMSRequests": [{"Message": "m", "PhoneNumbers": [f"17575449{n:03d}" for n in range(51)]}]
        + [{"Message": f"again {n}", "PhoneNumbers": ["17575449050"]} for n in range(52)],
    }
    http.post("/sms.svc/AdvancedSMSsend", json=body).raise_for_status()
    expect(page.get_by_role("status")).to_contain_text("the 50 most recent conversations (filter to find others)")
    assert page.locator("section.conversation").count() == 50
    busiest = page.locator(f'section[data-id="{key}/17575449050"]')
    expect(busiest.get_by_text("3 earlier text(s) not shown")).to_be_visible()
    assert busiest.locator("li.text").count() == 50


def test_search_and_a_narrow_screen(browser: Browser, fake: FakeServer, http: httpx.Client, key: str) -> None:
    for phone, text in (("7575449501", "pizza at eight"), ("7575449502", "dentist tomorrow")):
        http.get("/sms.svc/SimpleSMSsend", params={"PhoneNumber": phone, "Message": text, "LicenseKey": key})
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{fake.url}/_fake/ui")
    page.get_by_label("License key").fill(key)
    page.get_by_label("Number or text").fill("dentist")
    expect(page.get_by_role("status")).to_contain_text("1 conversation(s)")
    expect(page.get_by_text("dentist tomorrow")).to_be_visible()
    expect(page.get_by_text("pizza at eight")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(ARTIFACTS / "inbox-narrow.png"), full_page=True)
    context.close()


def test_the_page_uses_nothing_from_outside(page: Page, fake: FakeServer) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.reload()
    expect(page.get_by_role("heading", name="fake-cdyne inbox")).to_be_visible()
    assert requests
    assert all(url.startswith(fake.url) for url in requests), requests


def test_a_token_protected_fake_asks_for_it(browser: Browser) -> None:
    from fake_cdyne import Config

    with FakeServer(Config(port=0, control_token="s3cret")) as guarded:
        context = browser.new_context()
        page = context.new_page()
        page.goto(f"{guarded.url}/")
        token = page.get_by_label("Control token")
        expect(token).to_be_visible()
        token.fill("s3cret")
        token.press("Enter")
        expect(page.get_by_role("status")).to_contain_text("conversation(s)")
        context.close()


def test_no_token_field_without_a_token(page: Page) -> None:
    expect(page.get_by_label("Control token")).to_be_hidden()


# A page on another origin (another port of 127.0.0.1) that tries what any page may: a form posted as
# text/plain whose field names spell JSON, and fetch() in no-cors mode. Its send to /sms.svc is allowed
# (CDYNE's service is open to anyone): that it arrives shows the browser did reach the fake.
ELSEWHERE = """<!doctype html><title>elsewhere</title><iframe name="sink"></iframe>
<form method="post" enctype="text/plain" target="sink" action="{fake}/_fake/incoming">
<input name='{{"license_key": "{key}", "from": "7575449510", "message": "STOP", "x": "' value='"}}'></form>
<script>
(async () => {{
  await fetch("{fake}/sms.svc/SimpleSMSsend?PhoneNumber=7575449597&Message=from+elsewhere&LicenseKey={key}",
              {{ mode: "no-cors" }});
  await fetch("{fake}/_fake/reset", {{ method: "POST", mode: "no-cors" }});
  const stop = JSON.stringify({{ license_key: "{key}", from: "7575449510", message: "STOP" }});
  await fetch("{fake}/_fake/incoming", {{ method: "POST", mode: "no-cors", body: stop }});
  const sink = document.querySelector("iframe");
  await new Promise((done) => {{ sink.onload = done; document.forms[0].submit(); }});
  document.title = "done";
}})();
</script>"""


@pytest.fixture
def elsewhere(fake: FakeServer, key: str) -> Iterator[str]:
    page = ELSEWHERE.format(fake=fake.url, key=key).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}/"
        server.shutdown()
        thread.join(5)


def test_a_page_on_another_origin_cannot_drive_the_fake(
    browser: Browser, elsewhere: str, http: httpx.Client, key: str
) -> None:
    http.get("/sms.svc/SimpleSMSsend", params={"PhoneNumber": "7575449510", "Message": "ours", "LicenseKey": key})
    context = browser.new_context()
    page = context.new_page()
    page.goto(elsewhere)
    expect(page).to_have_title("done")
    context.close()
    texts = [m["message"] for m in http.get("/_fake/messages", params={"license_key": key}).json()]
    assert texts == ["ours", "from elsewhere"]  # not reset; and the page's requests did reach the fake
    assert http.get("/_fake/incoming", params={"license_key": key}).json() == []  # no STOP


def test_a_rebound_name_gets_nothing_and_the_page_names_the_setting(browser: Browser, fake: FakeServer) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"http://rebound.test:{urlsplit(fake.url).port}/")
    expect(page.get_by_role("status")).to_contain_text("FAKE_CDYNE_ALLOWED_HOSTS")
    # A script on the rebound name is same-origin with the fake, yet reads nothing from it.
    status = page.evaluate("fetch('/_fake/messages').then((response) => response.status)")
    assert status == 421
    context.close()
