"""The web inbox in a real browser (Debian's chromium, driven by Playwright).

Skipped when no chromium is installed, unless FAKE_CDYNE_BROWSER_TESTS=1 (as CI sets it), which makes
a missing browser a failure. Screenshots go to $FAKE_CDYNE_ARTIFACTS, or test-artifacts/ (kept by CI).
"""

from __future__ import annotations

import base64
import os
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from fake_cdyne import Config, FakeServer, PostbackReceiver
from fake_cdyne.lifecycle import HELP_REPLY, STOP_REPLY

CHROMIUM = os.environ.get("FAKE_CDYNE_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("FAKE_CDYNE_ARTIFACTS") or Path(__file__).parent.parent / "test-artifacts")
REQUIRED = os.environ.get("FAKE_CDYNE_BROWSER_TESTS") == "1"

if not REQUIRED and not Path(CHROMIUM).exists():
    pytest.skip(f"no browser at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Dialog, Locator, Page, expect, sync_playwright  # noqa: E402

# Assertions wait for the page, up to a deadline: generous, since a loaded CI machine is slow to render.
expect.set_options(timeout=15_000)
pytestmark = pytest.mark.xdist_group("browser")  # one worker launches the browser, once

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


def new_page(browser: Browser, url: str, *, width: int = 1280, height: int = 900, scheme: str = "light") -> Page:
    """A page in its own context, its times in UTC and British English so that tests can read them."""
    context = browser.new_context(
        viewport={"width": width, "height": height},
        color_scheme=scheme,  # type: ignore[arg-type]
        timezone_id="UTC",
        locale="en-GB",
    )
    opened = context.new_page()
    opened.goto(url)
    expect(opened.get_by_role("heading", name="fake-cdyne inbox")).to_be_visible()
    return opened


@pytest.fixture
def page(browser: Browser, fake: FakeServer) -> Iterator[Page]:
    opened = new_page(browser, f"{fake.url}/")
    yield opened
    opened.context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def show_only(page: Page, key: str) -> None:
    """Filter to one license key and wait until the page shows it has nothing for it yet."""
    page.get_by_role("textbox", name="License key").fill(key)
    expect(page.get_by_role("status")).to_have_text("0 conversation(s)")


def row(page: Page, key: str, phone: str) -> Locator:
    return page.locator(f'#conversation-list a[data-id="{key}/{phone}"]')


def texts(page: Page) -> Locator:
    return page.get_by_role("list", name="Texts")


def send_to(
    http: httpx.Client, key: str, phones: list[str], message: str = "Your table is ready", **extra: str
) -> None:
    body = {"LicenseKey": key, "SMSRequests": [{"Message": message, "PhoneNumbers": phones, **extra}]}
    http.post("/sms.svc/AdvancedSMSsend", json=body).raise_for_status()


def test_two_panes_ten_conversations_and_one_thread(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    phones = [f"17575449{n:03d}" for n in range(20)]
    for phone in phones:
        send_to(http, key, [phone], f"Your table for {phone[-2:]} is ready, see you soon")
    http.post("/_fake/incoming", json={"license_key": key, "from": phones[5], "message": "On my way"})
    expect(page.get_by_role("status")).to_have_text("1 to 20 of 20 conversation(s)")
    rows = page.locator("#conversation-list a")
    on_screen = [
        box for box in (rows.nth(n).bounding_box() for n in range(20)) if box and box["y"] + box["height"] <= 900
    ]
    assert len(on_screen) >= 10, f"only {len(on_screen)} conversations fit a 1280x900 screen"
    first = rows.first  # the most recently active: the one that just texted, its unread count and time shown
    expect(first).to_have_attribute("data-id", f"{key}/{phones[5]}")
    expect(first).to_contain_text("On my way")
    expect(first.locator(".badge")).to_have_text("1")
    expect(first.locator("time")).to_contain_text(",")  # "1 Dec, 17:02": a date with the time

    first.focus()  # the keyboard opens a conversation, and the focus moves to the thread
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name=phones[5], level=2)).to_be_focused()
    expect(texts(page).get_by_text("On my way")).to_be_visible()
    expect(page.get_by_role("navigation", name="Conversations")).to_be_visible()  # both panes at once
    expect(first).to_have_attribute("aria-current", "true")
    expect(first.locator(".badge")).to_have_count(0)  # opened: seen
    shot(page, "inbox.png")


def test_unread_counts_mark_all_read_and_the_apps_own_read(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    send_to(http, key, ["17575449601", "17575449602"])
    for phone, text in (("7575449601", "one"), ("7575449601", "two"), ("7575449602", "three")):
        http.post("/_fake/incoming", json={"license_key": key, "from": phone, "message": text}).raise_for_status()
    expect(row(page, key, "17575449601").locator(".badge")).to_have_text("2")
    expect(row(page, key, "17575449601")).to_have_attribute("aria-label", re.compile(r"2 unread$"))
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator("#conversation-list .badge")).to_have_count(0)
    unread = http.get("/sms.svc/GetUnreadIncomingMessages", params={"LicenseKey": key}).text
    assert unread.count("<SMSIncomingMessage>") == 3  # what the app has not fetched is still unread for it


def test_search_by_number_key_and_text_and_pages_beyond_fifty(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    phones = [f"17575449{n:03d}" for n in range(60)]
    send_to(http, key, phones[:59])
    send_to(http, key, phones[59:], "dentist tomorrow at nine")
    status = page.get_by_role("status")
    expect(status).to_have_text("1 to 50 of 60 conversation(s)")
    page.get_by_role("button", name="Older").click()
    expect(status).to_have_text("51 to 60 of 60 conversation(s)")
    expect(row(page, key, phones[0])).to_be_visible()  # the least recently active, on the last page
    search = page.get_by_role("searchbox", name="Search")
    search.fill("DENTIST")
    expect(status).to_have_text("1 to 1 of 1 conversation(s)")
    expect(row(page, key, phones[59])).to_be_visible()
    search.fill("7575449042")
    expect(status).to_have_text("1 to 1 of 1 conversation(s)")
    page.get_by_role("textbox", name="License key").fill("")
    search.fill(key)
    expect(status).to_have_text("1 to 50 of 60 conversation(s)")


def test_the_whole_story_of_a_message(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    with PostbackReceiver() as receiver:
        params = {"PhoneNumber": "7575449599", "Message": "Your table for 4 is ready", "LicenseKey": key,
                  "StatusPostBackURL": f"{receiver.url}/sms"}  # fmt: skip
        http.get("/sms.svc/SimpleSMSsendWithPostback", params=params).raise_for_status()
        row(page, key, "17575449599").click()
        bubble = texts(page).locator("li.text.out")
        expect(bubble.get_by_text("sent postback: delivered")).to_be_visible()  # live: no reload
        expect(bubble.get_by_role("list", name="Story")).to_contain_text("queued accepted by the service")
        expect(bubble.get_by_role("list", name="Story")).to_contain_text("sent to the carrier, 1 segment(s)")
        expect(bubble.locator(".state")).to_have_text("sent")
        bubble.get_by_label("Receipt code").select_option("003")
        bubble.get_by_role("button", name="Deliver").click()
        assert receiver.wait_for(2)[1].form["Code"] == "003"
        expect(bubble.locator(".state")).to_have_text("delivered")
        expect(bubble.get_by_role("list", name="Story")).to_contain_text("receipt 003: Delivered to carrier")
        expect(bubble.get_by_role("button", name="Deliver")).to_have_count(0)  # done: nothing more offered
        expect(
            bubble.get_by_text(re.compile(r"receipt postback: delivered · attempt 1: HTTP 200, \d+ ms"))
        ).to_be_visible()
        bubble.get_by_text("body").last.click()
        expect(bubble.get_by_text("Code=003", exact=False)).to_be_visible()

        reply = page.get_by_label("Reply as 17575449599")
        reply.fill("On my way")
        reply.press("Enter")  # the keyboard is enough
        expect(texts(page).locator("li.text.in").get_by_text("On my way")).to_be_visible()
        posts = receiver.wait_for(3)
    assert posts[2].form["Message"] == "On my way"
    assert posts[2].form["MatchedMessageID"] == posts[0].form["MessageID"]
    shot(page, "inbox-story.png")


def test_auto_replies_and_refused_sends_in_the_thread(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    params = {"PhoneNumber": "7575449598", "Message": "Hello", "LicenseKey": key}
    http.get("/sms.svc/SimpleSMSsend", params=params).raise_for_status()
    row(page, key, "17575449598").click()
    thread = texts(page)
    page.get_by_role("button", name="HELP").click()
    expect(thread.locator("li.text.auto")).to_contain_text(HELP_REPLY)
    page.get_by_role("button", name="STOP").click()
    expect(thread.locator("li.text.auto").last).to_contain_text(STOP_REPLY)
    expect(row(page, key, "17575449598").locator(".mark.blocked")).to_be_visible()
    assert (
        "STOPfromPhoneNumber" in http.get("/sms.svc/SimpleSMSsend", params={**params, "Message": "Still there?"}).text
    )
    refused = thread.locator("li.text.refused")
    expect(refused).to_contain_text("Still there?")
    expect(refused).to_contain_text("SMSError STOPfromPhoneNumber")
    page.get_by_role("button", name="RESUME").click()
    expect(thread.locator("li.text.auto").last).to_contain_text("OK.")
    assert "NoError" in http.get("/sms.svc/SimpleSMSsend", params={**params, "Message": "Welcome back"}).text
    expect(thread.locator("li.text").last).to_contain_text("Welcome back")
    kinds = thread.locator("li.text").evaluate_all("(items) => items.map((item) => item.className)")
    assert kinds == ["text out", "text in", "text auto", "text in", "text auto", "text refused", "text in",
                     "text auto", "text out"]  # fmt: skip
    shot(page, "inbox-auto-replies.png")


def test_refuse_release_and_a_failed_postback(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    with PostbackReceiver() as receiver:
        http.post("/_fake/postbacks/hold", json={"license_key": key}).raise_for_status()
        params = {"PhoneNumber": "7575449597", "Message": "Hello", "LicenseKey": key, "StatusPostBackURL": receiver.url}
        http.get("/sms.svc/SimpleSMSsendWithPostback", params=params).raise_for_status()
        expect(row(page, key, "17575449597").locator(".mark.held")).to_have_text("1 held")
        row(page, key, "17575449597").click()
        page.get_by_role("button", name="Release 1 held postback(s)").click()
        assert receiver.wait_for(1)[0].form["SMSSent"] == "1"
        texts(page).get_by_role("button", name="Refuse").click()
        bubble = texts(page).locator("li.text.out")
        expect(bubble.locator(".state")).to_have_text("refused")
        expect(bubble.get_by_role("list", name="Story")).to_contain_text("refused by the carrier: cancelled")
    nowhere = {**params, "PhoneNumber": "7575449596", "StatusPostBackURL": "http://127.0.0.1:9/closed"}
    http.post("/_fake/postbacks/release", json={"license_key": key}).raise_for_status()  # holding ends
    http.get("/sms.svc/SimpleSMSsendWithPostback", params=nowhere).raise_for_status()
    expect(row(page, key, "17575449596").locator(".mark.failed")).to_have_text("1 failed")


def test_reset_a_key_and_clear_all_after_a_confirmation(browser: Browser, key: str) -> None:
    with FakeServer(Config(port=0)) as own, httpx.Client(base_url=own.url) as http:
        other = str(uuid.uuid4())
        send_to(http, key, ["17575449595"])
        send_to(http, other, ["17575449594"])
        page = new_page(browser, f"{own.url}/#/{key}/17575449595")
        expect(page.get_by_role("status")).to_have_text("1 to 2 of 2 conversation(s)")
        asked: list[str] = []

        def refuse(dialog: Dialog) -> None:
            asked.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", refuse)
        page.get_by_role("button", name="Reset this license key").click()
        expect(page.get_by_role("status")).to_have_text("1 to 2 of 2 conversation(s)")  # not confirmed: kept
        assert len(asked) == 1
        assert key in asked[0]
        assert http.get("/_fake/messages", params={"license_key": key}).json()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Reset this license key").click()
        expect(page.get_by_role("status")).to_have_text("1 to 1 of 1 conversation(s)")
        expect(page.get_by_role("heading", name="No such conversation")).to_be_visible()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Clear all").click()
        expect(page.get_by_role("status")).to_have_text("0 conversation(s)")
        assert http.get("/_fake/messages").json() == []
        page.context.close()


def test_dates_the_manual_clock_and_a_scheduled_text(
    browser: Browser, manual_fake: FakeServer, manual_http: httpx.Client, key: str
) -> None:
    now = datetime.fromisoformat(manual_http.get("/_fake/clock").json()["now"])
    later = now + timedelta(days=1)
    send_to(manual_http, key, ["17575449593"], ScheduledDateTime=f"/Date({int(later.timestamp() * 1000)})/")
    page = new_page(browser, f"{manual_fake.url}/#/{key}/17575449593")
    expect(page.get_by_text(re.compile(r"^Manual clock: "))).to_contain_text(f"{now.day} {now:%b %Y}, {now:%H:%M}")
    story = texts(page).get_by_role("list", name="Story")
    expect(story).to_contain_text(f"scheduled for {later:%Y-%m-%dT%H:%M}")
    expect(story.locator("time").first).to_contain_text(f"{now.day} {now:%b %Y}")
    page.context.close()


def test_a_dark_scheme_that_follows_the_system(
    browser: Browser, fake: FakeServer, http: httpx.Client, key: str
) -> None:
    send_to(http, key, ["17575449592"], "Seen in the dark")
    http.post("/_fake/incoming", json={"license_key": key, "from": "7575449592", "message": "HELP"})
    page = new_page(browser, f"{fake.url}/#/{key}/17575449592", scheme="dark")
    page.get_by_role("textbox", name="License key").fill(key)
    expect(page.get_by_role("status")).to_have_text("1 to 1 of 1 conversation(s)")
    expect(texts(page).get_by_text("Seen in the dark")).to_be_visible()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = (int(n) for n in re.findall(r"\d+", background)[:3])
    assert max(red, green, blue) < 64, background
    shot(page, "inbox-dark.png")
    page.context.close()


def test_a_narrow_screen_shows_one_pane_at_a_time(
    browser: Browser, fake: FakeServer, http: httpx.Client, key: str
) -> None:
    send_to(http, key, ["17575449591"], "pizza at eight")
    page = new_page(browser, f"{fake.url}/_fake/ui", width=375, height=800)
    page.get_by_role("textbox", name="License key").fill(key)
    conversation = row(page, key, "17575449591")
    expect(conversation).to_be_visible()
    expect(page.get_by_role("heading", name="No conversation open")).to_be_hidden()
    shot(page, "inbox-narrow-list.png")
    conversation.click()
    expect(texts(page).get_by_text("pizza at eight")).to_be_visible()
    expect(conversation).to_be_hidden()  # the thread alone
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    shot(page, "inbox-narrow-thread.png")
    page.get_by_role("link", name="← Conversations").click()
    expect(conversation).to_be_focused()  # back where the reader was
    page.context.close()


def test_requests_and_what_went_wrong(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    page.get_by_text("Latest requests to /sms.svc").click()
    requests = page.get_by_role("complementary", name="Latest requests to /sms.svc")
    expect(requests).to_contain_text("No requests yet.")
    http.get("/sms.svc/SimpleSMSsend", params={"PhoneNumber": "12", "Message": "x", "LicenseKey": key})
    http.get("/sms.svc/SendTheText", params={"LicenseKey": key})
    bad_number = requests.get_by_text(re.compile(r"GET /sms.svc/SimpleSMSsend → HTTP 200: SMSError PhoneNumberInvalid"))
    expect(bad_number).to_be_visible()  # live: the page was not reloaded
    expect(requests.get_by_text(re.compile("GET /sms.svc/SendTheText → HTTP 404: Endpoint not found"))).to_be_visible()
    assert requests.locator("li.request.bad").count() == 2
    requests.get_by_text("request and answer").first.click()  # the newest first: the 404
    expect(requests.get_by_text("No operation 'SendTheText'", exact=False).first).to_be_visible()


def test_the_page_uses_nothing_from_outside(page: Page, fake: FakeServer) -> None:
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.reload()
    expect(page.get_by_role("heading", name="fake-cdyne inbox")).to_be_visible()
    assert requests
    assert all(url.startswith(fake.url) for url in requests), requests


def test_a_token_protected_fake_asks_for_it(browser: Browser) -> None:
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


def test_an_mms_shows_its_subject_and_attachments(page: Page, http: httpx.Client, key: str) -> None:
    show_only(page, key)
    png = bytes.fromhex("89504e470d0a1a0a") + bytes(62)  # a PNG signature: 70 bytes
    part = {"filename": "cat.png", "content_base64": base64.b64encode(png).decode()}
    body = {"license_key": key, "from": "17575449597", "message": "Look", "subject": "Our cat", "attachments": [part]}
    http.post("/_fake/incoming", json=body).raise_for_status()
    row(page, key, "17575449597").click()
    bubble = texts(page).locator("li.text.in")
    expect(bubble.locator(".subject")).to_have_text("Our cat")
    expect(bubble.locator(".body")).to_have_text("Look")
    attachments = bubble.get_by_role("list", name="Attachments")
    expect(attachments).to_contain_text("cat.png · image/png · 70 bytes")
    link = attachments.get_by_role("link", name="cat.png")
    expect(link).to_have_attribute("href", re.compile(rf"^/_fake/media/\d+\?license_key={key}$"))
    href = link.get_attribute("href")
    assert href is not None
    assert http.get(href).content == png
    shot(page, "inbox-mms.png")
