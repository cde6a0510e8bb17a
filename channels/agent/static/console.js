/* Agent console: live queue and transcript (server-sent events, polling as a fallback),
   canned answers into the reply box.  No framework; the pages work without it. */
(function () {
  "use strict";

  var labels = { "in": "Citoyen", "out": "Assistant", "agent": "Conseiller" };
  var states = { "waiting": "en attente", "closed": "terminée" };

  function setCounts(counts) {
    if (!counts) { return; }
    Object.keys(counts).forEach(function (key) {
      var badge = document.querySelector('[data-count="' + key + '"]');
      if (badge) { badge.textContent = counts[key]; }
    });
  }

  function tag(text) {
    var span = document.createElement("span");
    span.className = "tag";
    span.textContent = text;
    return span;
  }

  function addMessage(list, m) {
    if (list.querySelector('[data-id="' + m.id + '"]')) { return; }
    var empty = list.querySelector(".empty");
    if (empty) { empty.remove(); }
    var li = document.createElement("li");
    li.className = "msg " + m.direction + (m["this"] ? "" : " other");
    li.dataset.id = m.id;
    var meta = document.createElement("p");
    meta.className = "meta";
    var who = document.createElement("span");
    who.className = "who";
    who.textContent = m.direction === "agent" && m.agent ? m.agent : labels[m.direction];
    var time = document.createElement("time");
    time.dateTime = m.at;
    time.textContent = m.time;
    meta.append(who, " · ", time, " · " + m.channel);
    var text = document.createElement("p");
    text.className = "text";
    text.lang = m.lang;
    text.textContent = m.text;
    li.append(meta, text);
    if (m.direction === "in" && (m.intent || m.procedure)) {
      var understood = document.createElement("p");
      understood.className = "understood";
      understood.append("Compris : ");
      if (m.intent) { understood.append(tag("intention " + m.intent), " "); }
      if (m.procedure) { understood.append(tag("démarche " + m.procedure), " "); }
      understood.append(tag("langue " + m.lang));
      li.append(understood);
    }
    list.append(li);
    list.dataset.after = m.id;
    list.scrollTop = list.scrollHeight;
  }

  function apply(target, payload) {
    setCounts(payload.counts);
    if (payload.queue_html !== undefined) {
      target.innerHTML = payload.queue_html;  // rendered and escaped by the server
      target.dataset.updated = payload.at;
    }
    if (payload.messages) {
      payload.messages.forEach(function (m) { addMessage(target, m); });
      target.dataset.updated = payload.at;
    }
    if (payload.conversation) {
      var status = document.getElementById("conv-status");
      var c = payload.conversation;
      if (status) {
        status.textContent = c.status === "active" ? "avec " + (c.agent || "?") : states[c.status];
      }
    }
  }

  function poll(target) {
    var url = target.dataset.poll;
    function once() {
      var sep = url.indexOf("?") < 0 ? "?" : "&";
      var after = target.dataset.after ? sep + "after=" + target.dataset.after : "";
      fetch(url + after, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (r.status === 401) { window.location.reload(); throw new Error("logged out"); }
          return r.json();
        })
        .then(function (payload) { apply(target, payload); })
        .catch(function () {})
        .then(function () { window.setTimeout(once, 5000); });
    }
    window.setTimeout(once, 5000);
  }

  function live(target) {
    if (!window.EventSource) { poll(target); return; }
    var source = new EventSource(target.dataset.stream);
    source.addEventListener("update", function (event) {
      apply(target, JSON.parse(event.data));
    });
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) { poll(target); }
    };
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-stream]").forEach(live);
    var transcript = document.getElementById("transcript");
    if (transcript) { transcript.scrollTop = transcript.scrollHeight; }
    var box = document.getElementById("reply-text");
    document.querySelectorAll(".canned-answer").forEach(function (button) {
      button.addEventListener("click", function () {
        if (!box) { return; }
        box.value = button.dataset.text;
        box.focus();
      });
    });
  });
})();
