// fake-cdyne inbox: the conversations (GET /_fake/inbox/conversations, one page at a time) and the open
// thread (GET /_fake/inbox/thread), re-read whenever /_fake/events says something changed. Every action
// goes through the control API, as a test's would. User text only ever goes in textContent.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
const PAGE = 50; // conversations per page
const TEXTS = 50; // texts of a thread read at first; "Show earlier texts" reads 50 more
const REFRESH_MS = 250; // at most four reads a second: a client under load changes something every ms
let token = sessionStorage.getItem("fakeCdyneToken") || "";
let offset = 0;
let textLimit = TEXTS;
let receiptCodes = [["000", "Delivered to handset"]]; // [code, description], from the fake
let openThread = null; // {key, phone} of the conversation on the right, from the address (#/key/phone)

function headers(extra = {}) {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function api(method, path, body) {
  // A state-changing request declares its JSON body: the control API refuses what a form could send.
  const response = await fetch(`/_fake${path}`, {
    method,
    headers: headers(method === "GET" ? {} : { "Content-Type": "application/json" }),
    body: method === "GET" ? undefined : JSON.stringify(body || {}),
  });
  if (response.status === 401) {
    $("#token-label").hidden = false;
    throw new Error("The control API wants its token (FAKE_CDYNE_CONTROL_TOKEN).");
  }
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function status(message) {
  $("#status").textContent = message;
}

function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined && content !== null) node.textContent = content;
  return node;
}

function button(label, onClick, className = "") {
  const node = element("button", className, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });
const shortDate = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });
const shortTime = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function when(iso) {
  return iso ? dateTime.format(new Date(iso)) : "";
}

function timeElement(iso, brief = false) {
  const node = element("time", "", "");
  if (!iso) return node;
  const moment = new Date(iso);
  node.dateTime = iso;
  node.title = dateTime.format(moment);
  node.textContent = brief ? `${shortDate.format(moment)}, ${shortTime.format(moment)}` : dateTime.format(moment);
  return node;
}

async function act(work, done) {
  try {
    await work;
    status(done);
  } catch (error) {
    status(error.message);
  }
}

// ---- the address: #/<license key>/<phone> opens that conversation --------------------------------

function fromAddress() {
  const [, key, phone] = location.hash.match(/^#\/([^/]+)\/([^/]+)$/) || [];
  const next = key ? { key: decodeURIComponent(key), phone: decodeURIComponent(phone) } : null;
  const changed = JSON.stringify(next) !== JSON.stringify(openThread);
  openThread = next;
  document.body.classList.toggle("reading", Boolean(next));
  if (changed) {
    textLimit = TEXTS;
    $("#texts").replaceChildren();
    stickToBottom = true;
  }
  return changed;
}

function threadAddress(key, phone) {
  return `#/${encodeURIComponent(key)}/${encodeURIComponent(phone)}`;
}

// ---- refreshing: at most one read in flight, at most one every REFRESH_MS, never missing the last --

let refreshTimer = null;
let lastRefresh = 0;
let changedMeanwhile = false;

function schedule() {
  if (refreshTimer) {
    changedMeanwhile = true;
    return;
  }
  refreshTimer = setTimeout(async () => {
    changedMeanwhile = false;
    await refresh();
    lastRefresh = Date.now();
    refreshTimer = null;
    if (changedMeanwhile) schedule();
  }, Math.max(0, lastRefresh + REFRESH_MS - Date.now()));
}

function filters() {
  const params = new URLSearchParams();
  const key = $("#filter-key").value.trim();
  const query = $("#filter-q").value.trim();
  if (key) params.set("license_key", key);
  if (query) params.set("q", query);
  return params;
}

async function refresh() {
  const params = filters();
  params.set("offset", offset);
  params.set("limit", PAGE);
  const key = params.get("license_key");
  try {
    const [list, requests] = await Promise.all([
      api("GET", `/inbox/conversations?${params}`),
      api("GET", `/requests?${new URLSearchParams({ ...(key && { license_key: key }), limit: 10 })}`),
    ]);
    receiptCodes = list.receipt_codes;
    if (list.total && offset >= list.total) {
      offset = Math.max(0, list.total - PAGE); // the page emptied (a reset): show the last one there is
      return refresh();
    }
    renderList(list);
    renderClock(list.clock);
    renderRequests(requests);
    await refreshThread();
  } catch (error) {
    status(error.message);
  }
}

async function refreshThread() {
  if (!openThread) {
    $("#thread").hidden = true;
    $("#no-thread").hidden = false;
    return;
  }
  const params = new URLSearchParams({ license_key: openThread.key, phone: openThread.phone, limit: textLimit });
  let thread;
  try {
    thread = await api("GET", `/inbox/thread?${params}`);
  } catch (error) {
    $("#thread").hidden = true;
    $("#no-thread").hidden = false;
    $("#no-thread h2").textContent = "No such conversation";
    $("#no-thread p").textContent = `${error.message}. It may have been reset.`;
    return;
  }
  $("#no-thread").hidden = true;
  $("#thread").hidden = false;
  renderThread(thread);
  if (thread.unread && document.visibilityState === "visible") {
    api("POST", "/inbox/seen", { license_key: thread.license_key, phone: thread.phone }).catch((error) => status(error.message));
  }
}

// ---- the list ----------------------------------------------------------------------------------

function renderList(list) {
  const ul = $("#conversation-list");
  const focused = document.activeElement && ul.contains(document.activeElement) ? document.activeElement.dataset.id : null;
  ul.replaceChildren(...list.conversations.map(renderSummary));
  if (!list.conversations.length) {
    const filtered = filters().toString() ? "Nothing matches the search." : "No texts yet: send one to the service and it shows here.";
    ul.append(element("li", "empty", filtered));
  }
  if (focused) ul.querySelector(`a[data-id="${CSS.escape(focused)}"]`)?.focus();
  const shown = list.conversations.length;
  status(shown ? `${list.offset + 1} to ${list.offset + shown} of ${list.total} conversation(s)` : `${list.total} conversation(s)`);
  $("#newer").disabled = list.offset === 0;
  $("#older").disabled = list.offset + shown >= list.total;
}

function renderSummary(conversation) {
  const li = element("li", "summary");
  const link = element("a", "");
  const id = `${conversation.license_key}/${conversation.phone}`;
  link.href = threadAddress(conversation.license_key, conversation.phone);
  link.dataset.id = id;
  if (openThread && `${openThread.key}/${openThread.phone}` === id) link.setAttribute("aria-current", "true");
  const top = element("span", "line");
  top.append(element("strong", "phone", conversation.phone), element("span", "key", conversation.license_key.slice(0, 8)));
  top.append(timeElement(conversation.last.at, true));
  const bottom = element("span", "line");
  const prefix = { out: "You: ", refused: "Not sent: ", in: "" }[conversation.last.kind];
  bottom.append(element("span", "last", `${prefix}${conversation.last.message}`));
  if (conversation.blocked) bottom.append(element("span", "mark blocked", "STOP"));
  if (conversation.failed_postbacks) bottom.append(element("span", "mark failed", `${conversation.failed_postbacks} failed`));
  if (conversation.held_postbacks) bottom.append(element("span", "mark held", `${conversation.held_postbacks} held`));
  if (conversation.unread) bottom.append(element("span", "badge", String(conversation.unread)));
  link.append(top, bottom);
  // What a screen reader says for the row, in one sentence.
  const marks = [
    conversation.unread && `${conversation.unread} unread`,
    conversation.blocked && "blocked (STOP)",
    conversation.failed_postbacks && `${conversation.failed_postbacks} failed postback(s)`,
    conversation.held_postbacks && `${conversation.held_postbacks} held postback(s)`,
  ].filter(Boolean);
  link.setAttribute("aria-label", `${conversation.phone}, license key ${conversation.license_key}, ${when(conversation.last.at)}: ${prefix}${conversation.last.message}${marks.length ? `. ${marks.join(", ")}` : ""}`);
  li.append(link);
  return li;
}

function renderClock(clock) {
  const node = $("#clock");
  node.hidden = !clock.manual;
  node.textContent = clock.manual ? `Manual clock: ${when(clock.now)}` : "";
}

// ---- the thread --------------------------------------------------------------------------------

let stickToBottom = true;

function renderThread(thread) {
  $("#thread-heading").textContent = thread.phone;
  const meta = [`license key ${thread.license_key}`, `texts to and from ${thread.dids.join(", ")}`];
  if (thread.blocked) meta.push("blocked: the phone texted STOP");
  if (thread.suspended) meta.push("the account is suspended");
  $("#thread-meta").textContent = meta.join(" · ");
  $("#release").textContent = thread.held_postbacks ? `Release ${thread.held_postbacks} held postback(s)` : "Release held postbacks";
  $("#reply-label").textContent = `Reply as ${thread.phone}`;
  const earlier = $("#earlier");
  earlier.hidden = !thread.earlier;
  earlier.textContent = `Show earlier texts (${thread.earlier} more)`;
  const scroller = $("#texts-scroll");
  const atBottom = scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
  const list = $("#texts");
  keepingOpen(list, () => list.replaceChildren(...thread.items.map((item) => renderItem(item, thread))));
  if (stickToBottom || atBottom) scroller.scrollTop = scroller.scrollHeight;
  stickToBottom = false;
}

// Live updates re-render; what the reader opened stays open, and a chosen receipt code stays chosen.
function keepingOpen(root, rerender) {
  const open = new Set([...root.querySelectorAll("details[open][data-key]")].map((node) => node.dataset.key));
  const chosen = new Map([...root.querySelectorAll("select[data-key]")].map((node) => [node.dataset.key, node.value]));
  rerender();
  for (const node of root.querySelectorAll("details[data-key]")) node.open = open.has(node.dataset.key);
  for (const node of root.querySelectorAll("select[data-key]")) if (chosen.has(node.dataset.key)) node.value = chosen.get(node.dataset.key);
}

const LABELS = { out: "Sent by your app", in: "From the phone", auto: "Auto-reply from CDYNE", refused: "Refused by the service" };

function renderItem(item, thread) {
  const li = element("li", `text ${item.kind}`);
  li.append(element("span", "visually-hidden", `${LABELS[item.kind]}: `));
  if (item.subject) li.append(element("p", "subject", item.subject));
  li.append(element("p", "body", item.message));
  if (item.media && item.media.length) li.append(renderMedia(item.media));
  const info = element("p", "info");
  if (item.kind === "out") {
    info.append(element("span", `state ${item.status.replace(" ", "-")}`, item.status), " · ", timeElement(item.at));
    if (item.reference_id) info.append(` · ReferenceID ${item.reference_id}`);
    li.append(info, renderStory(item.story));
    if (item.can_deliver || item.can_refuse) li.append(renderActions(item));
  } else if (item.kind === "in") {
    info.append(timeElement(item.at), item.read ? " · fetched by the app" : " · not yet fetched by the app (GetUnreadIncomingMessages)");
    li.append(info);
  } else if (item.kind === "auto") {
    info.append(`CDYNE's answer to ${thread.phone}, from ${item.from} · `, timeElement(item.at));
    li.append(info);
  } else {
    info.append(element("span", "state refused", `SMSError ${item.error}`), " · ", timeElement(item.at));
    li.append(info);
  }
  if (item.postbacks && item.postbacks.length) li.append(renderPostbacks(item.postbacks));
  return li;
}

// An MMS's attachments: each opens from the control API's copy (/_fake/media/ID, sandboxed) or the URL it
// was recorded from. With a control token a link cannot carry it: the file is fetched and downloaded.
function renderMedia(files) {
  const list = element("ul", "attachments");
  list.setAttribute("aria-label", "Attachments");
  for (const file of files) {
    const entry = element("li", "attachment");
    const name = file.file_name || `MediaId ${file.media_id}`;
    const href = file.href && /^(\/_fake\/media\/|https?:\/\/)/.test(file.href) ? file.href : null;
    if (href) {
      const link = element("a", "", name);
      link.href = href;
      link.target = "_blank";
      link.rel = "noopener noreferrer";
      if (href.startsWith("/_fake/")) link.addEventListener("click", (event) => download(event, href, name));
      entry.append(link);
    } else {
      entry.append(element("span", "", name));
    }
    const facts = file.mime_type ? [file.mime_type, file.size ? `${file.size.toLocaleString()} bytes` : "size unknown"] : ["not stored"];
    entry.append(` · ${facts.join(" · ")}`);
    list.append(entry);
  }
  return list;
}

async function download(event, href, name) {
  if (!token) return;
  event.preventDefault();
  try {
    const response = await fetch(href, { headers: headers() });
    if (!response.ok) throw new Error(`${name}: ${response.status} ${response.statusText}`);
    const link = element("a");
    link.href = URL.createObjectURL(await response.blob());
    link.download = name;
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
  } catch (error) {
    status(error.message);
  }
}

function renderStory(steps) {
  const list = element("ol", "story");
  list.setAttribute("aria-label", "Story");
  for (const step of steps) {
    const entry = element("li", `step ${step.what.replace(" ", "-")}`);
    entry.append(element("strong", "", step.what), ` ${step.detail}`);
    if (step.at) entry.append(" · ", timeElement(step.at));
    list.append(entry);
  }
  return list;
}

function renderActions(item) {
  const actions = element("p", "actions");
  if (item.can_deliver) {
    const label = element("label", "");
    const select = element("select", "");
    select.dataset.key = `receipt-${item.message_id}`;
    for (const [code, description] of receiptCodes) {
      const option = element("option", "", `${code} ${description}`);
      option.value = code;
      select.append(option);
    }
    label.append(element("span", "visually-hidden", "Receipt code "), select);
    actions.append(label, button("Deliver", () =>
      act(api("POST", `/messages/${item.message_id}/receipt`, { code: select.value }), `Delivery receipt ${select.value} sent.`)));
  }
  if (item.can_refuse) {
    actions.append(button("Refuse", () => act(api("POST", `/messages/${item.message_id}/refuse`, {}), "The carrier refused it.")));
  }
  return actions;
}

function renderPostbacks(postbacks) {
  const list = element("ul", "postbacks");
  list.setAttribute("aria-label", "Postbacks");
  for (const postback of postbacks) {
    const entry = element("li");
    entry.append(element("span", postback.state, `${postback.kind} postback: ${postback.state}`));
    for (const attempt of postback.attempts) {
      const outcome = attempt.error ? attempt.error : `HTTP ${attempt.status}`;
      entry.append(` · attempt ${attempt.number}: ${outcome}, ${Math.round(attempt.latency_ms)} ms`);
    }
    const details = element("details");
    details.dataset.key = `postback-${postback.id}`;
    details.append(element("summary", "", "body"), element("pre", "", `POST ${postback.url}\n\n${postback.body}`));
    entry.append(details);
    list.append(entry);
  }
  return list;
}

// ---- the request log ---------------------------------------------------------------------------

function answeredWell(request) {
  if (request.status !== 200) return false;
  if (!request.summary.startsWith("SMSError ")) return true;
  return request.summary.slice("SMSError ".length).split(", ").every((error) => error === "NoError");
}

function renderRequests(requests) {
  const list = $("#request-list");
  keepingOpen(list, () => list.replaceChildren(...requests.reverse().map((request) => {
    const entry = element("li", answeredWell(request) ? "request" : "request bad");
    const answer = request.status === null ? "no answer" : `HTTP ${request.status}`;
    entry.append(element("span", "", `#${request.id} ${when(request.at)} ${request.method} ${request.path} → ${answer}: ${request.summary}`));
    const details = element("details");
    const sent = [
      `${request.method} ${request.path}${request.query ? `?${request.query}` : ""}`,
      ...request.headers.map(([name, value]) => `${name}: ${value}`),
      "",
      request.body,
    ];
    details.append(
      element("summary", "", "request and answer"),
      element("pre", "", `${sent.join("\n")}\n\n${answer}\n\n${request.response}`),
    );
    details.dataset.key = `request-${request.id}`;
    entry.append(details);
    return entry;
  })));
  if (!requests.length) list.append(element("li", "empty", "No requests yet."));
}

// ---- live updates ------------------------------------------------------------------------------

async function listen() {
  // Server-sent events through fetch: EventSource cannot send the control token.
  try {
    const response = await fetch("/_fake/events", { headers: headers() });
    if (response.status === 401) {
      $("#token-label").hidden = false;
    } else if (!response.ok) {
      // A refusal (421 for a host name the fake does not answer to, ...) says why; show it, retry later.
      const data = await response.json().catch(() => ({}));
      status(`Live updates paused: ${data.error || response.statusText}`);
      setTimeout(listen, 10000);
      return;
    } else {
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (event.split("\n").some((line) => line.startsWith("data:"))) schedule();
        }
      }
    }
  } catch (error) {
    status(`Live updates paused: ${error.message}`);
  }
  setTimeout(listen, 1000);
}

// ---- wiring ------------------------------------------------------------------------------------

function reply(message) {
  const { key, phone } = openThread;
  stickToBottom = true;
  return act(api("POST", "/incoming", { license_key: key, from: phone, message }), `${phone} texted “${message}”.`);
}

$("#filters").addEventListener("input", () => { offset = 0; schedule(); });
$("#filters").addEventListener("submit", (event) => event.preventDefault());
$("#newer").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); refresh(); });
$("#older").addEventListener("click", () => { offset += PAGE; refresh(); });
$("#earlier").addEventListener("click", () => { textLimit += TEXTS; refreshThread(); });
$("#mark-all").addEventListener("click", () => {
  const key = $("#filter-key").value.trim();
  act(api("POST", "/inbox/seen", key ? { license_key: key } : {}), "Every conversation marked read.");
});
$("#reply").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = event.target.elements.message;
  const message = input.value;
  input.value = "";
  reply(message);
});
for (const word of document.querySelectorAll("#reply button[data-word]")) {
  word.addEventListener("click", () => reply(word.dataset.word));
}
$("#release").addEventListener("click", () =>
  act(api("POST", "/postbacks/release", { license_key: openThread.key }), "Held postbacks released."));
$("#reset-key").addEventListener("click", () => {
  const { key } = openThread;
  if (confirm(`Forget everything license key ${key} sent and received?`)) {
    act(api("POST", "/reset", { license_key: key }), `License key ${key} reset.`);
  }
});
$("#clear-all").addEventListener("click", () => {
  if (confirm("Forget every conversation, message, postback and request of every license key?")) {
    act(api("POST", "/reset", {}), "Everything cleared.");
  }
});
$("#back").addEventListener("click", (event) => {
  event.preventDefault();
  const id = openThread && `${openThread.key}/${openThread.phone}`;
  history.pushState(null, "", location.pathname);
  fromAddress();
  refresh().then(() => id && $(`#conversation-list a[data-id="${CSS.escape(id)}"]`)?.focus());
});
window.addEventListener("hashchange", () => {
  if (fromAddress()) {
    refresh().then(() => openThread && $("#thread-heading").focus());
  }
});
$("#token").addEventListener("change", (event) => {
  token = event.target.value;
  sessionStorage.setItem("fakeCdyneToken", token);
  refresh();
});
fromAddress();
refresh();
listen();
