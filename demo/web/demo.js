// The demo's web chat. Everything goes through the emulator's control API (/_emulator/...) and
// the demo endpoints (/demo/...); events arrive over Server-Sent Events, so several tabs with
// different people update live. No library and nothing from outside this machine.
"use strict";

const state = { lang: "zh_Hans", texts: {}, clock: null, personas: [], userId: null, bot: "", source: null };
const $ = (id) => document.getElementById(id);

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: body instanceof FormData ? {} : { "Content-Type": "application/json" },
    body: body instanceof FormData ? body : JSON.stringify(body),
  };
  const response = await fetch(path, options);
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response.json();
}

// Bot messages use Telegram's HTML subset; anything else is shown as text.
const ALLOWED = new Set(["B", "STRONG", "I", "EM", "U", "INS", "S", "STRIKE", "DEL", "CODE", "PRE", "A", "BLOCKQUOTE", "TG-SPOILER", "SPAN"]);
function safeHtml(html) {
  const doc = new DOMParser().parseFromString(`<div>${html}</div>`, "text/html");
  const clean = (node) => {
    for (const child of [...node.childNodes]) {
      if (child.nodeType === Node.ELEMENT_NODE) {
        if (!ALLOWED.has(child.tagName)) { child.replaceWith(document.createTextNode(child.textContent)); continue; }
        for (const attr of [...child.attributes]) {
          if (!(child.tagName === "A" && attr.name === "href" && /^(https?:|tg:)/.test(attr.value))) child.removeAttribute(attr.name);
        }
        clean(child);
      }
    }
  };
  const root = doc.body.firstChild;
  clean(root);
  linkify(root);
  return root.innerHTML;
}

// Addresses in a message's text open as links, as Telegram's apps show them (e.g. /console's).
function linkify(node) {
  for (const child of [...node.childNodes]) {
    if (child.nodeType === Node.ELEMENT_NODE && child.tagName !== "A") linkify(child);
    if (child.nodeType !== Node.TEXT_NODE || !/https?:\/\//.test(child.textContent)) continue;
    const parts = child.textContent.split(/(https?:\/\/[^\s<>"]+)/);
    const fragment = document.createDocumentFragment();
    for (const part of parts) {
      if (/^https?:\/\//.test(part)) {
        const link = document.createElement("a");
        link.href = part;
        link.target = "_blank";
        link.textContent = part;
        fragment.append(link);
      } else if (part) fragment.append(document.createTextNode(part));
    }
    child.replaceWith(fragment);
  }
}

function t(key) { return state.texts[key] || key; }

// Each persona talks to the bot of their district (a city runs one bot per district): every
// control API call names it.
const asBot = (body) => ({ ...body, bot: state.bot });
const botQuery = () => `bot=${encodeURIComponent(state.bot)}`;

async function loadTexts() {
  const data = await api(`/demo/texts?lang=${state.lang}`);
  state.texts = data.texts;
  // Message times in the compound's zone (sent by the server), whatever the browser's zone.
  state.clock = new Intl.DateTimeFormat(data.clock.locale, data.clock.options);
  const select = $("language");
  select.innerHTML = "";
  for (const language of data.languages) {
    const option = new Option(language.name, language.code, false, language.code === state.lang);
    select.append(option);
  }
  document.title = t("title");
  $("title").textContent = t("title");
  $("intro").textContent = t("intro");
  $("people-title").textContent = t("people");
  $("send").textContent = t("send");
  $("text").placeholder = t("placeholder");
  $("photo-text").textContent = "📷 " + t("photo");
  $("location").textContent = "📍 " + t("location");
  $("menu-button").textContent = "☰ " + t("menu");
  $("reset").textContent = t("reset");
  $("join").textContent = t("join");
}

async function loadPersonas() {
  state.personas = await api(`/demo/personas?lang=${state.lang}`);
  const list = $("personas");
  list.innerHTML = "";
  for (const persona of state.personas) {
    const item = document.createElement("li");
    item.dataset.userId = persona.user_id;
    item.innerHTML = `<div class="name"></div><div class="role"></div><div class="bot"></div>`;
    item.querySelector(".name").textContent = persona.name;
    const home = [persona.compound, persona.home].filter(Boolean).join(" ");
    item.querySelector(".role").textContent = home ? `${persona.role} · ${home}` : persona.role;
    item.querySelector(".bot").textContent = `@${persona.bot}`;
    if (persona.console) {
      // The office console as this persona: a fresh single-use link, as /console sends one.
      const link = document.createElement("a");
      link.className = "console";
      link.href = `/demo/console?user=${persona.user_id}&lang=${state.lang}`;
      link.target = "_blank";
      link.textContent = persona.console;
      link.addEventListener("click", (event) => event.stopPropagation());
      item.append(link);
    }
    item.addEventListener("click", () => choose(persona.user_id));
    list.append(item);
  }
}

function choose(userId) {
  state.userId = Number(userId);
  location.hash = `user=${state.userId}`;
  const persona = state.personas.find((p) => p.user_id === state.userId) || {};
  for (const item of $("personas").children) item.classList.toggle("active", Number(item.dataset.userId) === state.userId);
  $("chat-name").textContent = persona.name || "";
  $("chat-role").textContent = persona.role || "";
  state.bot = persona.bot || "";
  $("chat-bot").textContent = persona.bot ? `@${persona.bot}` : "";
  $("join").hidden = !persona.newcomer;
  $("menu").hidden = true;
  if (state.source) state.source.close();
  state.source = new EventSource(`/_emulator/events?chat_id=${state.userId}&${botQuery()}`);
  state.source.onmessage = onEvent;
  refresh();
}

let refreshing = null;
function onEvent(event) {
  let data = {};
  try { data = JSON.parse(event.data); } catch (_) { /* keep-alive */ }
  if (data.type === "callback_answer" && data.answer && data.answer.text) toast(data.answer.text);
  clearTimeout(refreshing);
  refreshing = setTimeout(refresh, 30);
}

function toast(text) {
  const box = $("toast");
  box.textContent = text;
  box.hidden = false;
  setTimeout(() => { box.hidden = true; }, 3500);
}

async function refresh() {
  if (!state.userId) return;
  const [history, keyboard] = await Promise.all([
    api(`/_emulator/history/${state.userId}?${botQuery()}`),
    api(`/_emulator/keyboard/${state.userId}?${botQuery()}`),
  ]);
  render(history);
  renderReplyKeyboard(keyboard);
}

function render(history) {
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  box.innerHTML = "";
  if (!history.length) {
    const empty = document.createElement("p");
    empty.textContent = t("no_messages");
    box.append(empty);
  }
  for (const message of history) box.append(renderMessage(message));
  if (atBottom || history.length < 30) box.scrollTop = box.scrollHeight;
}

function renderMessage(message) {
  const bubble = document.createElement("div");
  bubble.className = "message" + (message.from_bot ? "" : " me");
  bubble.dataset.messageId = message.message_id;
  if (message.photo_url) {
    const image = document.createElement("img");
    image.src = message.photo_url;
    image.alt = "photo";
    bubble.append(image);
  }
  if (message.document_url) {
    const link = document.createElement("a");
    link.href = message.document_url;
    link.download = (message.document && message.document.file_name) || "file";
    link.textContent = `📎 ${link.download} (${t("download")})`;
    const wrap = document.createElement("div");
    wrap.className = "document";
    wrap.append(link);
    bubble.append(wrap);
  }
  if (message.location) {
    const where = document.createElement("div");
    where.textContent = `📍 ${t("shared_location")}: ${message.location.latitude.toFixed(5)}, ${message.location.longitude.toFixed(5)}`;
    if (message.venue) where.textContent = `📍 ${message.venue.title} · ${message.venue.address}`;
    bubble.append(where);
  }
  if (message.invoice) {
    const invoice = document.createElement("div");
    invoice.className = "invoice";
    invoice.textContent = `🧾 ${message.invoice.title} — ${(message.invoice.total_amount / 100).toFixed(2)} ${message.invoice.currency}\n${message.invoice.description}`;
    const pay = document.createElement("button");
    pay.textContent = t("pay");
    pay.addEventListener("click", () => api("/_emulator/pay", asBot({ user_id: state.userId, message_id: message.message_id })));
    invoice.append(document.createElement("br"), pay);
    bubble.append(invoice);
  }
  const text = document.createElement("div");
  if (message.from_bot && message.html) text.innerHTML = safeHtml(message.html);
  else text.textContent = message.text || message.caption || (message.contact ? `☎ ${message.contact.phone_number}` : "");
  if (text.textContent) bubble.append(text);
  if (message.inline_keyboard) bubble.append(renderInline(message));
  const time = document.createElement("div");
  time.className = "time";
  time.textContent = state.clock.format(new Date(message.date * 1000));
  bubble.append(time);
  return bubble;
}

function renderInline(message) {
  const keyboard = document.createElement("div");
  keyboard.className = "inline-keyboard";
  for (const row of message.inline_keyboard) {
    const line = document.createElement("div");
    line.className = "row";
    for (const button of row) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = button.text;
      if (button.url) element.addEventListener("click", () => window.open(button.url, "_blank"));
      else element.addEventListener("click", () => api("/_emulator/press", asBot({ user_id: state.userId, message_id: message.message_id, callback_data: button.callback_data })));
      line.append(element);
    }
    keyboard.append(line);
  }
  return keyboard;
}

function renderReplyKeyboard(rows) {
  const box = $("reply-keyboard");
  box.innerHTML = "";
  for (const row of rows || []) {
    const line = document.createElement("div");
    line.className = "row";
    for (const label of row) {
      const element = document.createElement("button");
      element.type = "button";
      element.textContent = label;
      element.addEventListener("click", () => api("/_emulator/press_button", asBot({ user_id: state.userId, text: label })));
      line.append(element);
    }
    box.append(line);
  }
}

async function showMenu() {
  const menu = $("menu");
  if (!menu.hidden) { menu.hidden = true; return; }
  const commands = await api(`/_emulator/commands/${state.userId}?${botQuery()}`);
  menu.innerHTML = "";
  for (const item of commands) {
    const entry = document.createElement("div");
    entry.innerHTML = `<span class="command"></span><span class="description"></span>`;
    entry.querySelector(".command").textContent = `/${item.command}`;
    entry.querySelector(".description").textContent = item.description;
    entry.addEventListener("click", () => { menu.hidden = true; api("/_emulator/send", asBot({ user_id: state.userId, text: `/${item.command}` })); });
    menu.append(entry);
  }
  menu.hidden = false;
}

function wire() {
  $("composer").addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = $("text").value.trim();
    if (!text || !state.userId) return;
    $("text").value = "";
    await api("/_emulator/send", asBot({ user_id: state.userId, text }));
  });
  $("photo").addEventListener("change", async () => {
    const file = $("photo").files[0];
    if (!file || !state.userId) return;
    const form = new FormData();
    form.append("user_id", String(state.userId));
    form.append("bot", state.bot);
    form.append("file", file, file.name);
    $("photo").value = "";
    await api("/_emulator/send_photo", form);
  });
  $("location").addEventListener("click", () => api("/_emulator/send_location", asBot({ user_id: state.userId, latitude: 30.6312, longitude: 114.312 })));
  $("menu-button").addEventListener("click", showMenu);
  $("join").addEventListener("click", async () => {
    const invite = await api("/demo/invite", {});
    await api("/_emulator/send", { user_id: invite.user_id, text: invite.text, bot: invite.bot });
  });
  $("reset").addEventListener("click", async () => {
    if (!confirm(t("reset_confirm"))) return;
    await api("/demo/reset", {});
    refresh();
  });
  $("language").addEventListener("change", async () => {
    state.lang = $("language").value;
    await loadTexts();
    await loadPersonas();
    if (state.userId) choose(state.userId);
  });
}

async function main() {
  const params = new URLSearchParams(location.search);
  if (params.get("lang")) state.lang = params.get("lang");
  wire();
  await loadTexts();
  await loadPersonas();
  const match = /user=(\d+)/.exec(location.hash);
  choose(match ? Number(match[1]) : state.personas[0].user_id);
}

main();
