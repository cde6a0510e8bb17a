/* The simulator page: plays Africa's Talking (USSD, SMS) and WhatsApp against this service. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var cfg = { ussd_code: "*202#", screen_max: 160, session_seconds: 180, whatsapp: "plain" };
  var phoneInput = $("phone");
  function phone() { return phoneInput.value.replace(/[\s.-]/g, ""); }
  function rid(prefix) { return prefix + Date.now().toString(36) + Math.random().toString(36).slice(2, 8); }
  function form(data) {
    var body = new URLSearchParams();
    Object.keys(data).forEach(function (k) { body.append(k, data[k]); });
    return body;
  }
  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text != null) n.textContent = text;
    return n;
  }

  /* -- USSD: a feature phone, as Africa's Talking's gateway drives the callback -------------- */
  var ussd = { session: null, inputs: [], code: null, timer: null, deadline: 0, ended: true };
  var screen = $("ussd-screen"), entry = $("ussd-input"), count = $("ussd-count");

  /* the counter counts the network's screen (what the 160-character limit is about), not the
     phone's own words ("Composez…", "Connexion…") */
  function show(text, network) {
    screen.textContent = text;
    count.textContent = (network ? text.length : 0) + "/" + cfg.screen_max;
  }
  function tick() {
    if (ussd.ended) { $("ussd-timer").textContent = ""; return; }
    var left = Math.max(0, Math.round((ussd.deadline - Date.now()) / 1000));
    $("ussd-timer").textContent = left + " s";
    if (left <= 0) timeout();
  }
  function arm() {
    ussd.deadline = Date.now() + cfg.session_seconds * 1000;
    clearInterval(ussd.timer);
    ussd.timer = setInterval(tick, 1000);
    tick();
  }
  function notifyEnd(status) {
    if (!ussd.session) return;
    fetch("/ussd/events", { method: "POST", body: form({
      sessionId: ussd.session, serviceCode: ussd.code, phoneNumber: phone(), networkCode: "61601",
      status: status, hopsCount: String(ussd.inputs.length + 1), input: ussd.inputs.join("*"),
      date: new Date().toISOString() }) }).catch(function () {});
  }
  function finish(message, status) {
    ussd.ended = true;
    clearInterval(ussd.timer);
    $("ussd-timer").textContent = "";
    if (message) show(message);
    notifyEnd(status);
    entry.value = "";
  }
  function timeout() { finish("Délai dépassé : la session USSD est terminée.", "Incomplete"); }
  function hop() {
    return fetch("/ussd", { method: "POST", body: form({
      sessionId: ussd.session, serviceCode: ussd.code, phoneNumber: phone(), networkCode: "61601",
      text: ussd.inputs.join("*") }) }).then(function (res) { return res.text(); })
      .then(function (body) {
        if (body.indexOf("END ") === 0) { show(body.slice(4), true); finish(null, "Success"); }
        else if (body.indexOf("CON ") === 0) { show(body.slice(4), true); arm(); }
        else { finish("Erreur réseau : réponse inattendue.", "Failed"); }
      }).catch(function () { finish("Erreur réseau.", "Failed"); });
  }
  function dial() {
    var code = entry.value.trim() || cfg.ussd_code;
    if (!/^\*[\d*]+#$/.test(code)) { show("Code USSD invalide. Exemple : " + cfg.ussd_code); return; }
    ussd = { session: rid("ATUid_sim_"), inputs: [], code: code, timer: null, deadline: 0,
      ended: false };
    entry.value = "";
    show("Connexion…");
    hop().then(function () { entry.focus(); });
  }
  function reply() {
    if (ussd.ended) { dial(); return; }
    ussd.inputs.push(entry.value.trim());
    entry.value = "";
    show("Envoi…");
    hop().then(function () { entry.focus(); });
  }
  document.querySelectorAll(".keys button").forEach(function (b) {
    b.addEventListener("click", function () { entry.value += b.dataset.key; });
  });
  $("ussd-call").addEventListener("click", dial);
  $("ussd-send").addEventListener("click", reply);
  $("ussd-clear").addEventListener("click", function () { entry.value = entry.value.slice(0, -1); });
  $("ussd-hangup").addEventListener("click", function () {
    if (!ussd.ended) finish("Appel terminé.", "Incomplete");
    entry.value = cfg.ussd_code;
  });
  entry.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); if (ussd.ended) dial(); else reply(); }
  });

  /* -- SMS: the citizen texts POST /sms/inbound; Guichet's answers come from the outbox ------- */
  var smsKey = function () { return "guichet-sim-sms:" + phone(); };
  var sms = { sent: [], seen: {}, poll: null, until: 0 };
  function smsLoad() {
    try { sms = JSON.parse(sessionStorage.getItem(smsKey())) || { sent: [], seen: {} }; }
    catch (e) { sms = { sent: [], seen: {} }; }
    sms.until = Date.now() + 5000;
  }
  function smsSave() {
    try { sessionStorage.setItem(smsKey(), JSON.stringify({ sent: sms.sent, seen: sms.seen })); }
    catch (e) { /* ignore */ }
  }
  var outbox = [];
  function smsPaint() {
    var thread = $("sms-thread");
    var items = sms.sent.map(function (m) { return { at: m.at, out: true, body: m.text }; });
    outbox.forEach(function (m) {
      items.push({ at: sms.seen[m.id] || 0, out: false, body: m.body, status: m.status, id: m.id });
    });
    items.sort(function (a, b) { return a.at - b.at || (a.id || 0) - (b.id || 0); });
    thread.textContent = "";
    items.forEach(function (m) {
      var n = el("div", "msg " + (m.out ? "out" : "in"), m.body);
      if (!m.out) n.appendChild(el("span", "st", "Guichet · " + m.status));
      thread.appendChild(n);
    });
    thread.scrollTop = thread.scrollHeight;
  }
  function smsFetch() {
    return fetch("/simulator/outbox?channel=sms&phone=" + encodeURIComponent(phone()))
      .then(function (r) { return r.json(); }).then(function (data) {
        var changed = false;
        (data.messages || []).forEach(function (m) {
          if (!(m.id in sms.seen)) { sms.seen[m.id] = sms.primed ? Date.now() : 0; changed = true; }
        });
        sms.primed = true;
        outbox = (data.messages || []).slice().reverse();
        if (changed) smsSave();
        smsPaint();
      }).catch(function () {});
  }
  function smsLoop() {
    clearTimeout(sms.poll);
    if (!document.hidden || Date.now() < sms.until) { smsFetch(); waFetch(); }
    sms.poll = setTimeout(smsLoop, Date.now() < sms.until ? 700 : 3000);
  }
  $("sms-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("sms-text").value.trim();
    if (!text) return;
    $("sms-text").value = "";
    sms.sent.push({ text: text, at: Date.now() });
    sms.until = Date.now() + 15000;
    smsSave(); smsPaint();
    fetch("/sms/inbound", { method: "POST", body: form({
      from: phone(), to: cfg.ussd_code.replace(/\D/g, ""), text: text,
      date: new Date().toISOString(), id: rid("sim-sms-"), linkId: "" }) })
      .then(smsLoop).catch(function () {});
  });

  /* -- WhatsApp: buttons and lists rendered as WhatsApp shows them -------------------------- */
  var waThread = $("wa-thread"), sheet = $("wa-sheet");
  function waBubble(cls, text) {
    var n = el("div", "msg " + cls, text);
    waThread.appendChild(n);
    waThread.scrollTop = waThread.scrollHeight;
    return n;
  }
  function waSend(payload, echo) {
    if (echo) waBubble("out", echo);
    sheet.hidden = true;
    payload.phone = phone();
    fetch("/simulator/whatsapp", { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(payload) }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) { waBubble("in", "⚠ " + data.error); return; }
      (data.messages || []).forEach(waRender);
    }).catch(function () { waBubble("in", "⚠ Réseau indisponible."); });
  }
  function waRender(m) {
    if (m.type === "text") { waBubble("in", m.text.body); return; }
    if (m.type === "template") {  // sent once the 24-hour window has closed
      var params = [];
      (m.template.components || []).forEach(function (c) {
        (c.parameters || []).forEach(function (p) { params.push(p.text); });
      });
      waBubble("in", "[" + m.template.name + "] " + params.join(" : "));
      return;
    }
    if (m.type !== "interactive") return;
    var i = m.interactive;
    waBubble("in", i.body.text);
    if (i.type === "button") {
      var box = el("div", "wa-buttons");
      i.action.buttons.forEach(function (b) {
        var btn = el("button", null, b.reply.title);
        btn.type = "button";
        btn.addEventListener("click", function () { waSend({ choice: b.reply.id }, b.reply.title); });
        box.appendChild(btn);
      });
      waThread.appendChild(box);
    } else if (i.type === "list") {
      var open = el("button", "wa-listbtn", "☰ " + i.action.button);
      open.type = "button";
      open.addEventListener("click", function () { waList(i); });
      waThread.appendChild(open);
    }
    waThread.scrollTop = waThread.scrollHeight;
  }
  function waList(i) {
    sheet.textContent = "";
    var close = el("button", "close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Fermer");
    close.addEventListener("click", function () { sheet.hidden = true; });
    sheet.appendChild(close);
    i.action.sections.forEach(function (s) {
      sheet.appendChild(el("h3", null, s.title || ""));
      s.rows.forEach(function (r) {
        var row = el("button", "row");
        row.type = "button";
        row.appendChild(el("b", null, r.title));
        if (r.description) row.appendChild(el("span", null, r.description));
        row.addEventListener("click", function () { waSend({ choice: r.id }, r.title); });
        sheet.appendChild(row);
      });
    });
    sheet.hidden = false;
    sheet.querySelector(".row").focus();
  }
  /* what Guichet sends later (an agent's answer, a request's outcome) is in the outbox; the
     answers to the user's own messages were shown at once ("answered"), so not twice */
  var waSeen = null;
  function waFetch() {
    var asked = phone();
    return fetch("/simulator/outbox?channel=whatsapp&phone=" + encodeURIComponent(asked))
      .then(function (r) { return r.json(); }).then(function (data) {
        if (asked !== phone()) return;
        var first = waSeen === null;
        if (first) waSeen = {};
        (data.messages || []).slice().reverse().forEach(function (m) {
          if (m.id in waSeen) return;
          waSeen[m.id] = true;
          if (first || m.answered) return;
          try { waRender(JSON.parse(m.body)); } catch (e) { waBubble("in", m.body); }
        });
      }).catch(function () {});
  }
  $("wa-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = $("wa-text").value.trim();
    if (!text) return;
    $("wa-text").value = "";
    waSend({ text: text }, text);
  });
  $("wa-text").addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); $("wa-form").requestSubmit(); }
  });
  $("wa-voice").addEventListener("click", function () { waSend({ type: "audio" }, "🎤 0:04"); });

  /* -- start --------------------------------------------------------------------------------- */
  phoneInput.addEventListener("change", function () {
    smsLoad(); outbox = []; sms.primed = false; smsFetch();
    waThread.textContent = ""; waSeen = null; waFetch();
    if (!ussd.ended) finish("Appel terminé.", "Incomplete");
  });
  fetch("/simulator/config").then(function (r) { return r.json(); }).then(function (c) {
    cfg = c;
    entry.value = c.ussd_code;
    show("Composez " + c.ussd_code + " puis appuyez sur Appeler.");
    var modes = { adapter: "canal WhatsApp de Guichet, boîte d'envoi locale",
      render: "rendu seul (API Graph configurée : rien n'est envoyé)",
      plain: "rendu simplifié (pas de rendu WhatsApp dans cette version)" };
    $("wa-mode").textContent = modes[c.whatsapp] || "";
  }).catch(function () {});
  smsLoad(); smsLoop();
})();
