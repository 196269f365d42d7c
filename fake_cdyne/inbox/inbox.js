// fake-cdyne inbox: renders /_fake/inbox and re-reads it whenever /_fake/events says something changed.
// Every action goes through the control API, as a test's would. User text only ever goes in textContent.
"use strict";

const $ = (selector, root = document) => root.querySelector(selector);
let token = sessionStorage.getItem("fakeCdyneToken") || "";
let refreshTimer = null;

function headers(extra = {}) {
  return token ? { ...extra, Authorization: `Bearer ${token}` } : extra;
}

async function api(method, path, body) {
  const response = await fetch(`/_fake${path}`, {
    method,
    headers: headers(body ? { "Content-Type": "application/json" } : {}),
    body: body ? JSON.stringify(body) : undefined,
  });
  if (response.status === 401) {
    askForToken();
    throw new Error("The control API wants its token (FAKE_CDYNE_CONTROL_TOKEN).");
  }
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function askForToken() {
  $("#token-label").hidden = false;
}

function status(message) {
  $("#status").textContent = message;
}

function element(tag, className, content) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (content !== undefined) node.textContent = content;
  return node;
}

function button(label, onClick) {
  const node = element("button", "", label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleTimeString() : "";
}

async function act(work, done) {
  try {
    await work;
    status(done);
  } catch (error) {
    status(error.message);
  }
}

// Live updates re-render; what the reader opened stays open.
function keepingOpen(root, rerender) {
  const open = new Set([...root.querySelectorAll("details[open][data-key]")].map((node) => node.dataset.key));
  rerender();
  for (const node of root.querySelectorAll("details[data-key]")) node.open = open.has(node.dataset.key);
}

// At most one refresh in flight, and at most one every REFRESH_MS: a client under load makes a request
// event every millisecond, and each refresh costs the fake a pass over its store.
const REFRESH_MS = 250;
const SHOWN = 50;
let lastRefresh = 0;
let changedMeanwhile = false;

function schedule() {
  if (refreshTimer) {
    changedMeanwhile = true; // read again once this refresh is done: never miss the last change
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

async function refresh() {
  const params = new URLSearchParams();
  const key = $("#filter-key").value.trim();
  const query = $("#filter-q").value.trim();
  if (key) params.set("license_key", key);
  if (query) params.set("q", query);
  params.set("limit", SHOWN);
  try {
    const [conversations, requests] = await Promise.all([
      api("GET", `/inbox?${params}`),
      api("GET", `/requests?${new URLSearchParams({ ...(key && { license_key: key }), limit: 10 })}`),
    ]);
    render(conversations);
    renderRequests(requests);
    const shown = conversations.length < SHOWN ? `${conversations.length} conversation(s)`
      : `the ${SHOWN} most recent conversations (filter to find others)`;
    status(`${shown}, updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    status(error.message);
  }
}

function render(conversations) {
  const main = $("#conversations");
  // Keep what is being typed, and where the focus is, across live updates.
  const drafts = new Map();
  let focused = null;
  for (const form of main.querySelectorAll("form.reply")) {
    const input = form.elements.message;
    drafts.set(form.dataset.id, input.value);
    if (document.activeElement === input) focused = form.dataset.id;
  }
  keepingOpen(main, () => main.replaceChildren(...conversations.map(renderConversation)));
  if (!conversations.length) main.append(element("p", "empty", "No texts yet: send one to the service and it shows here."));
  for (const form of main.querySelectorAll("form.reply")) {
    const input = form.elements.message;
    input.value = drafts.get(form.dataset.id) || "";
    if (focused === form.dataset.id) input.focus();
  }
}

function renderConversation(conversation) {
  const node = $("#conversation").content.firstElementChild.cloneNode(true);
  const id = `${conversation.license_key}/${conversation.phone}`;
  const key = conversation.license_key;
  node.dataset.id = id;
  $(".phone", node).textContent = conversation.phone;
  $(".key", node).textContent = `license key ${key}`;
  const meta = [`to and from ${conversation.dids.join(", ")}`];
  if (conversation.blocked) meta.push("blocked: the phone texted STOP");
  if (conversation.held_postbacks) meta.push(`${conversation.held_postbacks} postback(s) held`);
  if (conversation.earlier) meta.push(`${conversation.earlier} earlier text(s) not shown`);
  $(".meta", node).textContent = meta.join(" · ");
  $(".thread", node).replaceChildren(...conversation.items.map((item) => renderText(item, key)));

  const form = $("form.reply", node);
  form.dataset.id = id;
  $(".reply-label", node).textContent = `Reply as ${conversation.phone}`;
  const reply = (message) =>
    act(api("POST", "/incoming", { license_key: key, from: conversation.phone, message }), `${conversation.phone} texted “${message}”.`);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.elements.message;
    const message = input.value;
    input.value = "";
    reply(message);
  });
  for (const word of form.querySelectorAll("button[data-word]")) {
    word.addEventListener("click", () => reply(word.dataset.word));
  }
  $(".release", node).addEventListener("click", () =>
    act(api("POST", "/postbacks/release", { license_key: key }), "Held postbacks released."));
  $(".reset", node).addEventListener("click", () =>
    act(api("POST", "/reset", { license_key: key }), `License key ${key} reset.`));
  return node;
}

function renderText(item, key) {
  const node = element("li", `text ${item.direction}`);
  node.append(element("p", "body", item.message));
  const info = element("p", "info");
  if (item.direction === "out") {
    info.append(element("span", "state", item.state), ` · sent ${when(item.sent_at) || "not yet"} · ${item.segments} part(s)`);
    if (item.reference_id) info.append(` · ReferenceID ${item.reference_id}`);
    const actions = element("span", "actions");
    actions.append(" ",
      button("Deliver", () => act(api("POST", `/messages/${item.message_id}/receipt`, { code: "000" }), "Delivery receipt sent.")),
      " ",
      button("Refuse", () => act(api("POST", `/messages/${item.message_id}/refuse`, {}), "The carrier refused it.")));
    info.append(actions);
  } else {
    info.append(`received ${when(item.received_at)}${item.read ? " · read" : " · unread"}`);
  }
  node.append(info);
  if (item.postbacks.length) node.append(renderPostbacks(item.postbacks));
  return node;
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
    entry.append(element("span", "", `${when(request.at)} ${request.method} ${request.path} → ${answer}: ${request.summary}`));
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

async function listen() {
  // Server-sent events through fetch: EventSource cannot send the control token.
  try {
    const response = await fetch("/_fake/events", { headers: headers() });
    if (response.status === 401) {
      askForToken();
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

$("#filters").addEventListener("input", schedule);
$("#filters").addEventListener("submit", (event) => event.preventDefault());
$("#token").addEventListener("change", (event) => {
  token = event.target.value;
  sessionStorage.setItem("fakeCdyneToken", token);
  refresh();
});
refresh();
listen();
