/*
 * Guichet web chat widget.  One tag embeds it on any page:
 *   <script src="https://guichet.example.bj/webchat/widget.js"
 *           data-guichet-url="https://guichet.example.bj" data-lang="fr"></script>
 * Optional: data-container="#css-selector" shows the chat inside that element, always open.
 *
 * Plain JavaScript, no framework; styles live in a shadow root so the host page cannot break
 * them (nor they the page).  New messages are announced by an ARIA live region; every control
 * has a label; Escape closes the panel and gives focus back to the launcher.  The session id and
 * token are kept in localStorage, so a reload shows the conversation again (history endpoint).
 * Later messages (an agent, a background answer) come over a server-sent event stream read with
 * fetch (it carries the bearer token), reconnected with backoff after a network drop.  A session
 * has one stream: when another tab of it opens one, this tab's ends ("replaced") and comes back
 * only when the tab is shown again or the visitor writes.
 * Its own words come from GET /webchat/config, in every offered language (French built in, for
 * when that call fails); they follow the language list, which switches on a committed choice only,
 * and the conversation's language (a reply in another language repaints them).  The same call
 * says whether this page's site may use the chat: when it may not, the widget says so (an
 * operator's setting, not the visitor's network) and sends nothing.
 * Proving a phone number (before "my requests" or a request) is a plain part of the dialog: the
 * bot asks the number, then the code it sent by SMS; the input switches to a phone or one-time-code
 * keyboard while it waits for them (the reply's "input").
 */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector('script[src*="webchat/widget.js"]');
  if (!script || script.getAttribute("data-guichet-loaded")) return;
  script.setAttribute("data-guichet-loaded", "1");
  var BASE = (script.getAttribute("data-guichet-url") ||
    new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var API = BASE + "/webchat";
  var KEY = "guichet-webchat:" + BASE;
  var MAX = 1000;
  var LANGS = [["fr", "Français"], ["en", "English"], ["fon", "Fongbe"], ["yo", "Yoruba"]];

  /* Interface strings come from the server (GET /webchat/config: every offered language, from
     the same gettext catalogues as the answers; Fon and Yoruba unreviewed).  French below is
     only what a page shows if that call fails. */
  var FR = {
    title: "Service Public", sub: "Démarches, coûts, demandes", open: "Ouvrir le chat Service Public",
    close: "Fermer le chat", input: "Votre message", ph: "Écrivez votre question…",
    send: "Envoyer", lang: "Langue", menu: "Menu principal", choices: "Réponses proposées",
    log: "Conversation", typing: "Service Public écrit…",
    lost: "Connexion perdue. Reconnexion…", back: "Connexion rétablie.",
    failed: "Message non envoyé : vérifiez votre connexion et réessayez.",
    refused: "Le service de discussion n'est pas disponible sur ce site pour le moment. Appelez le 135.",
    you: "Vous", bot: "Service Public", agent: "Conseiller",
    long: "Message trop long (1000 caractères au plus).",
    hello: "Bonjour ! Posez votre question (ex. : prix du passeport) ou choisissez :"
  };
  var T = { fr: FR };

  var CSS = [
    ":host{all:initial;font:15px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Noto Sans',sans-serif;color:#1b1f24}",
    "*{box-sizing:border-box;font:inherit}",
    ".launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;border-radius:28px;",
    "padding:14px 20px;background:#006a4e;color:#fff;font-weight:600;cursor:pointer;box-shadow:0 4px 14px rgba(0,0,0,.25)}",
    ".launch:hover{background:#00563f}",
    ":focus-visible{outline:3px solid #f4b400;outline-offset:2px}",
    ".panel{display:flex;flex-direction:column;background:#fff;border:1px solid #c9d1d9;border-radius:12px;overflow:hidden}",
    ".float{position:fixed;right:20px;bottom:20px;z-index:2147483001;width:min(380px,calc(100vw - 24px));",
    "height:min(560px,calc(100vh - 40px));box-shadow:0 8px 30px rgba(0,0,0,.3)}",
    ".inline{width:100%;height:100%;min-height:420px}",
    "[hidden]{display:none!important}",
    "header{display:flex;align-items:center;gap:8px;padding:10px 12px;background:#006a4e;color:#fff}",
    "header .t{flex:1;min-width:0}header h2{margin:0;font-size:16px;font-weight:700}",
    "header p{margin:0;font-size:12px;opacity:.9}",
    "header label{font-size:12px}",
    "select{border-radius:6px;border:0;padding:4px;background:#fff;color:#1b1f24;font-size:13px}",
    ".x{border:0;background:transparent;color:#fff;font-size:22px;line-height:1;cursor:pointer;padding:4px 8px;border-radius:6px}",
    ".log{flex:1;overflow-y:auto;padding:12px;background:#f5f7f9;display:flex;flex-direction:column;gap:8px}",
    ".m{max-width:86%;padding:8px 11px;border-radius:12px;white-space:pre-wrap;word-wrap:break-word}",
    ".m p{margin:0 0 4px}.m p:last-child{margin:0}",
    ".bot{align-self:flex-start;background:#fff;border:1px solid #dde3e8}",
    ".agent{align-self:flex-start;background:#fff8e1;border:1px solid #f1d48a}",
    ".user{align-self:flex-end;background:#006a4e;color:#fff}",
    ".err{align-self:flex-start;background:#fdecea;border:1px solid #f5b7b1;color:#8a1c12}",
    ".note{align-self:center;font-size:12px;color:#57606a;text-align:center}",
    ".who{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}",
    ".qr{display:flex;flex-wrap:wrap;gap:6px;padding:8px 12px 0;background:#fff}",
    ".qr button{border:1px solid #006a4e;color:#006a4e;background:#fff;border-radius:16px;padding:6px 12px;cursor:pointer}",
    ".qr button:hover{background:#e6f2ee}",
    "form{display:flex;gap:8px;padding:10px 12px;background:#fff;border-top:1px solid #e1e6eb}",
    "textarea{flex:1;resize:none;height:42px;border:1px solid #9aa5b1;border-radius:8px;padding:9px 10px}",
    ".send{border:0;border-radius:8px;background:#006a4e;color:#fff;padding:0 16px;font-weight:600;cursor:pointer}",
    ".send:disabled{opacity:.5;cursor:default}",
    ".st{font-size:12px;color:#57606a;padding:0 12px;background:#fff;min-height:0}"
  ].join("");

  var state = { lang: pickLang(), sid: null, token: null, busy: false, lastLive: 0,
    stream: null, backoff: 1000, retryTimer: null, open: false, started: false,
    allowed: true, keyed: false };
  var saved = load();
  if (saved) { state.sid = saved.id; state.token = saved.token; state.lang = saved.lang || state.lang; }

  function pickLang() {
    var l = (script.getAttribute("data-lang") || document.documentElement.lang || "fr")
      .toLowerCase().split("-")[0];
    return /^[a-z]{2,3}$/.test(l) ? l : "fr";
  }
  function t(key) { return (T[state.lang] && T[state.lang][key]) || T.fr[key] || FR[key]; }
  function offered(code) { return LANGS.some(function (l) { return l[0] === code; }); }
  function load() {
    try { return JSON.parse(localStorage.getItem(KEY) || "null"); } catch (e) { return null; }
  }
  function save() {
    try {
      if (state.sid) localStorage.setItem(KEY, JSON.stringify(
        { id: state.sid, token: state.token, lang: state.lang, open: state.open }));
      else localStorage.removeItem(KEY);
    } catch (e) { /* private mode: the conversation lasts this page only */ }
  }
  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    return n;
  }

  /* -- the DOM, inside a shadow root ------------------------------------------------------ */
  var containerSel = script.getAttribute("data-container");
  var host = containerSel && document.querySelector(containerSel);
  var inline = !!host;
  if (!host) { host = el("div", { id: "guichet-webchat" }); document.body.appendChild(host); }
  var root = host.attachShadow({ mode: "open" });
  root.appendChild(el("style", null, CSS));
  var launch = el("button", { type: "button", "class": "launch", "aria-haspopup": "dialog",
    "aria-expanded": "false" });
  var panel = el("section", { "class": "panel " + (inline ? "inline" : "float"),
    role: inline ? "region" : "dialog", "aria-labelledby": "gw-title" });
  var head = el("header");
  var titles = el("div", { "class": "t" });
  var h2 = el("h2", { id: "gw-title" });
  var sub = el("p");
  titles.appendChild(h2); titles.appendChild(sub);
  var langLabel = el("label", { "for": "gw-lang", "class": "who" });
  var select = el("select", { id: "gw-lang" });
  function fillSelect() {
    select.textContent = "";
    LANGS.forEach(function (l) { select.appendChild(el("option", { value: l[0], lang: l[0] }, l[1])); });
  }
  fillSelect();
  var closeBtn = el("button", { type: "button", "class": "x" }, "×");
  head.appendChild(titles); head.appendChild(langLabel); head.appendChild(select);
  if (!inline) head.appendChild(closeBtn);
  var logEl = el("div", { "class": "log", role: "log", "aria-live": "polite",
    "aria-relevant": "additions", tabindex: "0" });
  var status = el("div", { "class": "st", role: "status", "aria-live": "polite" });
  var qr = el("div", { "class": "qr", role: "group" });
  qr.hidden = true;
  var form = el("form", { novalidate: "" });
  var inputLabel = el("label", { "for": "gw-input", "class": "who" });
  var input = el("textarea", { id: "gw-input", rows: "1", maxlength: String(MAX),
    autocomplete: "off" });
  var send = el("button", { type: "submit", "class": "send" });
  form.appendChild(inputLabel); form.appendChild(input); form.appendChild(send);
  [head, logEl, status, qr, form].forEach(function (n) { panel.appendChild(n); });
  if (!inline) { root.appendChild(launch); panel.hidden = true; }
  root.appendChild(panel);

  function paintChrome() {
    select.value = state.lang;
    launch.textContent = "💬 " + t("title");
    launch.setAttribute("aria-label", t("open"));
    h2.textContent = t("title"); sub.textContent = t("sub");
    langLabel.textContent = t("lang"); select.setAttribute("aria-label", t("lang"));
    closeBtn.setAttribute("aria-label", t("close"));
    logEl.setAttribute("aria-label", t("log"));
    qr.setAttribute("aria-label", t("choices"));
    inputLabel.textContent = t("input"); input.placeholder = t("ph");
    send.textContent = t("send");
    host.setAttribute("lang", state.lang);
  }
  paintChrome();

  /* -- rendering -------------------------------------------------------------------------- */
  function scroll() { logEl.scrollTop = logEl.scrollHeight; }
  function bubble(cls, who, lines) {
    var m = el("div", { "class": "m " + cls });
    m.appendChild(el("span", { "class": "who" }, who + " : "));
    lines.forEach(function (line) { m.appendChild(el("p", null, line)); });
    logEl.appendChild(m); scroll();
    return m;
  }
  function note(text) { logEl.appendChild(el("p", { "class": "note" }, text)); scroll(); }
  function clearChoices() { qr.textContent = ""; qr.hidden = true; }
  function fitInput(kind) {
    input.setAttribute("inputmode", kind === "tel" ? "tel" : kind === "code" ? "numeric" : "text");
    input.setAttribute("autocomplete", kind === "tel" ? "tel" : kind === "code" ? "one-time-code" : "off");
  }
  function follow(lang) {
    /* The conversation's language changed on the server (a question written in another
       language, the LANGUE keyword): the controls follow, and so do the next messages. */
    if (!lang || lang === state.lang || !offered(lang) || !T[lang]) return;
    state.lang = lang; save(); paintChrome();
  }
  function showChoices(r) {
    var choices = (r.choices || []).slice();
    if (r.navigable && !r.end && choices.length &&
        !choices.some(function (c) { return c.id === "nav:home"; })) {
      choices.push({ id: "nav:home", label: t("menu") });
    }
    clearChoices();
    choices.forEach(function (c) {
      var b = el("button", { type: "button", "data-choice": c.id }, c.label);
      b.addEventListener("click", function () { choose(c); });
      qr.appendChild(b);
    });
    qr.hidden = !choices.length;
    scroll();
  }
  function showSwitch(r) {
    /* A language change: the answer above stays where it is (no second copy of it); a short
       note says which language is on, and the buttons come in that language. */
    var name = LANGS.filter(function (l) { return l[0] === r.lang; }).map(function (l) { return l[1]; })[0];
    follow(r.lang);
    if (name) note(name);
    fitInput(r.input);
    showChoices(r);
  }
  function showReply(r, from) {
    if (!r) return;
    if (from !== "agent") { fitInput(r.input); follow(r.lang); }
    if (r.error) bubble("err", t("bot"), [r.error]);
    if (r.parts && r.parts.length) {
      bubble(from === "agent" ? "agent" : "bot", from === "agent" ? t("agent") : t("bot"),
        r.parts.join("\n").split("\n"));
    }
    if (!(r.choices || []).length && !(r.parts || []).length && !r.error) return;
    showChoices(r);
  }
  function showEntry(e) {
    if (e.from === "user") bubble("user", t("you"), [e.text || e.choice || ""]);
    else if (e["switch"]) showSwitch(e.reply);
    else showReply(e.reply, e.from);
  }

  /* -- the API ---------------------------------------------------------------------------- */
  function call(method, path, body) {
    var headers = { "Content-Type": "application/json" };
    if (state.token) headers.Authorization = "Bearer " + state.token;
    return fetch(API + path, { method: method, headers: headers, credentials: "omit",
      body: body ? JSON.stringify(body) : undefined }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        return { status: res.status, data: data };
      });
    });
  }
  function newSession() {
    return call("POST", "/sessions", { lang: state.lang }).then(function (r) {
      if (r.status !== 201) throw r;
      state.sid = r.data.id; state.token = r.data.token; state.lastLive = 0; save();
      connect();
    });
  }
  function post(body, retried) {
    var go = state.sid ? Promise.resolve() : newSession();
    return go.then(function () {
      body.lang = state.lang;
      return call("POST", "/sessions/" + state.sid + "/messages", body);
    }).then(function (r) {
      if ((r.status === 401 || r.status === 404) && !retried) {
        forget(); return post(body, true);
      }
      if (r.status === 200) return r.data;
      throw r;
    });
  }
  function forget() { stopStream(); state.sid = null; state.token = null; save(); }
  function submit(body, echo) {
    if (state.busy) return;
    state.busy = true; send.disabled = true;
    if (echo) bubble("user", t("you"), [echo]);
    clearChoices();
    status.textContent = t("typing");
    post(body).then(function (reply) {
      status.textContent = "";
      if (reply["switch"]) showSwitch(reply); else showReply(reply, "bot");
      if (state.replaced) { state.replaced = false; connect(); }
    }).catch(function (r) {
      status.textContent = "";
      var msg = r && r.data && r.data.error;
      if (r && r.status === 403 && msg === "origin_not_allowed") { refuse(); return; }
      bubble("err", t("bot"), [msg || t("failed")]);
    }).then(function () {
      state.busy = false; send.disabled = false;
    });
  }
  function choose(c) {
    submit({ choice: c.id }, c.label);
    input.focus();
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value.trim();
    if (!text || state.busy) return;
    if (text.length > MAX) { bubble("err", t("bot"), [t("long")]); return; }
    input.value = "";
    submit({ text: text }, text);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
      ev.preventDefault();
      if (form.requestSubmit) form.requestSubmit(); else send.click();
    }
  });
  /* The language list changes language when the visitor commits a choice: a pick in the
     open list (mouse, or Enter in it), Enter on the closed list, or leaving it.  Chrome fires
     "change" for each arrow key on a closed list; switching there would post a language change
     per key press while the visitor is only reading the names. */
  function commitLang() {
    state.keyed = false;
    var lang = select.value;
    if (lang === state.lang || !offered(lang)) return;
    state.lang = lang; save(); paintChrome();
    if (state.started && state.allowed) submit({}, null);
  }
  select.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); commitLang(); }
    else if (ev.key === "Escape") { state.keyed = false; select.value = state.lang; }
    else if (ev.key === " " || ev.altKey) state.keyed = false;  /* opens the list */
    else if (/^(Arrow|Page|Home$|End$)/.test(ev.key) || ev.key.length === 1) state.keyed = true;
  });
  select.addEventListener("pointerdown", function () { state.keyed = false; });
  select.addEventListener("change", function () { if (!state.keyed) commitLang(); });
  select.addEventListener("blur", function () { if (state.keyed) commitLang(); });

  /* -- opening, closing, restoring -------------------------------------------------------- */
  function refuse() {
    /* The page's site is not among WEBCHAT_ORIGINS: an operator's setting, not the visitor's
       network; say so plainly and offer the phone line. */
    state.allowed = false;
    if (!state.refusedShown) { state.refusedShown = true; bubble("err", t("bot"), [t("refused")]); }
    input.disabled = true; send.disabled = true; clearChoices();
  }
  function start() {
    if (state.started) return Promise.resolve();
    state.started = true;
    return configured.then(begin);
  }
  function begin() {
    if (!state.allowed) { refuse(); return; }
    if (!state.sid) { greet(); return Promise.resolve(); }
    return call("GET", "/sessions/" + state.sid + "/history").then(function (r) {
      if (r.status !== 200) { forget(); greet(); return; }
      r.data.entries.forEach(showEntry);
      state.lastLive = r.data.last_id || 0;
      if (!r.data.entries.length) greet();
      connect();
    }).catch(function () { greet(); });
  }
  function greet() {
    note(t("hello"));
    submit({ start: "home" }, null);
  }
  /* -- the configuration: languages, labels, whether this page may chat ------------------ */
  var configured = (window.fetch ? fetch(API + "/config", { credentials: "omit", cache: "no-store" })
    .then(function (res) { return res.json(); }) : Promise.reject(null)).then(function (c) {
    if (c.languages && c.languages.length) {
      LANGS = c.languages.map(function (l) { return [l.code, l.name]; });
      fillSelect();
    }
    T = c.labels || T;
    if (!T.fr) T.fr = FR;
    if (!offered(state.lang) || !T[state.lang]) state.lang = c.default_lang || "fr";
    state.allowed = c.origin_allowed !== false;
    paintChrome();
  }).catch(function () { /* French controls; the first message will tell if anything is wrong */ });

  function openPanel(quiet) {
    panel.hidden = false; launch.hidden = true; launch.setAttribute("aria-expanded", "true");
    state.open = true; save();
    start().then(function () { connect(); if (quiet !== true) input.focus(); });
    if (quiet !== true) input.focus();
  }
  function closePanel() {
    if (inline) return;
    panel.hidden = true; launch.hidden = false; launch.setAttribute("aria-expanded", "false");
    state.open = false; save(); stopStream(); launch.focus();
  }
  launch.addEventListener("click", openPanel);
  closeBtn.addEventListener("click", closePanel);
  panel.addEventListener("keydown", function (ev) { if (ev.key === "Escape") closePanel(); });

  /* -- the event stream: fetch + text/event-stream, reconnected with backoff --------------- */
  function stopStream() {
    if (state.stream) { state.stream.abort(); state.stream = null; }
    clearTimeout(state.retryTimer);
  }
  function connect() {
    if (!state.open || !state.allowed || !state.sid || state.stream || !window.AbortController) return;
    var ctrl = new AbortController();
    state.stream = ctrl;
    var headers = { Authorization: "Bearer " + state.token, Accept: "text/event-stream" };
    if (state.lastLive) headers["Last-Event-ID"] = String(state.lastLive);
    fetch(API + "/sessions/" + state.sid + "/events", { headers: headers, signal: ctrl.signal,
      credentials: "omit", cache: "no-store" }).then(function (res) {
      if (res.status === 401 || res.status === 404) return "gone";
      if (res.status === 503) return "busy";  /* the server is at its stream limit */
      if (!res.ok || !res.body) throw new Error("stream " + res.status);
      if (status.textContent === t("lost")) status.textContent = t("back");
      state.backoff = 1000;
      var reader = res.body.getReader(), dec = new TextDecoder(), buf = "";
      function pump() {
        return reader.read().then(function (chunk) {
          if (chunk.done) return "ended";
          buf += dec.decode(chunk.value, { stream: true }).replace(/\r\n?/g, "\n");
          var i;
          while ((i = buf.indexOf("\n\n")) >= 0) { dispatch(buf.slice(0, i)); buf = buf.slice(i + 2); }
          return pump();
        });
      }
      return pump();
    }).then(function (how) {
      if (state.stream !== ctrl) return;
      state.stream = null;
      if (state.replaced) return;  /* another tab of this session has the stream now */
      if (how === "busy") retry(15000 + Math.random() * 5000);
      else if (how !== "gone") retry(how === "ended" ? 500 : null);
    }, function () {
      if (ctrl.signal.aborted || state.stream !== ctrl) return;
      state.stream = null;
      status.textContent = t("lost");
      retry(null);
    });
  }
  function retry(delay) {
    clearTimeout(state.retryTimer);
    var wait = delay || state.backoff + Math.random() * 500;
    if (!delay) state.backoff = Math.min(state.backoff * 2, 30000);
    state.retryTimer = setTimeout(connect, wait);
  }
  function dispatch(block) {
    var id = null, data = [], kind = "message";
    block.split("\n").forEach(function (line) {
      if (line.indexOf("event:") === 0) kind = line.slice(6).trim();
      else if (line.indexOf("id:") === 0) id = line.slice(3).trim();
      else if (line.indexOf("data:") === 0) data.push(line.slice(5).replace(/^ /, ""));
    });
    if (kind === "replaced") { state.replaced = true; return; }
    if (!data.length || kind !== "message") return;
    var n = parseInt(id, 10);
    if (n && n <= state.lastLive) return;
    if (n) state.lastLive = n;
    try { showEntry(JSON.parse(data.join("\n"))); } catch (e) { /* not for us */ }
  }
  window.addEventListener("online", function () {
    if (state.sid && !state.stream && !state.replaced) { state.backoff = 1000; retry(100); }
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && state.replaced) { state.replaced = false; connect(); }
  });

  if (inline || (saved && saved.open)) openPanel(true);
  window.GuichetWebchat = { open: openPanel, close: closePanel };
})();
