// Working together: who else has the conversation open or is typing (F-CO1), a warning in
// the compose box when someone else replied while I was typing, @mention suggestions in
// private notes (F-CO2), and a search result's message brought into view (F-IN9).
(function () {
  "use strict";

  var BEAT_MS = 5000;
  // On the live stream others' changes come by push: a beat now and then only says the
  // window is still open (inbox/presence.py STREAM_BEAT_SECONDS).
  var STREAM_BEAT_MS = 120000;
  var TYPING_IDLE_MS = 4000;
  // A teammate's typing fades this long after their last report (TYPING_SECONDS + 1).
  var TYPING_SHOWN_MS = 9000;

  function pace() {
    return window.converseLive && window.converseLive.streaming() ? STREAM_BEAT_MS : BEAT_MS;
  }

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }

  function post(url, fields) {
    var body = new URLSearchParams(fields);
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
      keepalive: fields.left === "1",
    });
  }

  // ---- Presence and the collision warning --------------------------------------------
  var state = {
    url: null, timer: null, typing: false, typingTimer: null, fadeTimer: null, typedAt: 0, baseline: "", latest: "",
  };

  function composeBox() {
    return document.getElementById("id_body");
  }

  function hasDraft() {
    var box = composeBox();
    return !!(box && box.value.trim());
  }

  function showWarning(name) {
    var warning = document.getElementById("collision-warning");
    if (!warning) return;
    if (name && hasDraft()) {
      warning.textContent = name + " sent a reply while you were typing. Read it before you send yours.";
      warning.hidden = false;
    } else if (!hasDraft()) {
      warning.hidden = true;
    }
  }

  function beat() {
    if (!state.url || document.hidden) return;
    var fields = { typing: state.typing ? "1" : "0", every: String(pace() / 1000) };
    // Ask who replied only while I have a draft begun after the reply I last knew of.
    if (hasDraft() && state.baseline) fields.since = state.baseline;
    var url = state.url;
    post(url, fields)
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || url !== state.url) return;
        if (data.taken) return taken(data.taken);
        var line = document.getElementById("presence");
        if (line) {
          line.textContent = data.text;
          line.classList.toggle("is-typing", data.text.indexOf("typing") !== -1);
        }
        // Nobody pushes "stopped typing": look again once it would have faded.
        clearTimeout(state.fadeTimer);
        if (data.text.indexOf("typing") !== -1 && pace() !== BEAT_MS) {
          state.fadeTimer = setTimeout(beat, TYPING_SHOWN_MS);
        }
        state.latest = data.outbound || state.latest || "0";
        if (!hasDraft()) state.baseline = state.latest;
        showWarning(data.replied_by);
      })
      .catch(function () { /* the next beat tries again */ });
  }

  // A teammate grabbed the conversation: say so at once, stop beating, and let the live
  // refresh redraw the window (the server answers it with who took it and when).
  function taken(sentence) {
    var line = document.getElementById("presence");
    if (line) line.textContent = sentence;
    clearInterval(state.timer);
    state.url = null;
    var thread = document.getElementById("thread");
    var refresh = thread && thread.getAttribute("hx-get");
    if (refresh) htmx.ajax("GET", refresh, { target: "#window", swap: "outerHTML" });
  }

  function leave() {
    if (state.url) post(state.url, { left: "1" }).catch(function () {});
  }

  function setUpPresence() {
    var line = document.getElementById("presence");
    var url = line ? line.dataset.url : null;
    if (url === state.url) return;
    if (state.url) leave();
    state.url = url;
    state.typing = false;
    // "0": no reply yet, so any reply by someone else counts.
    state.baseline = state.latest = line ? line.dataset.outbound || "0" : "0";
    clearInterval(state.timer);
    if (!url) return;
    beat();
    state.timer = setInterval(beat, pace());
  }

  // The stream came or went: beat at the pace that goes with it.
  document.addEventListener("live-stream", function () {
    if (!state.url) return;
    clearInterval(state.timer);
    state.timer = setInterval(beat, pace());
  });
  window.converseTogether = { look: beat };

  // Typing is reported at once when it starts, then with each beat while keys keep coming;
  // the server shows it for a few seconds after each report, so no "stopped" beat is needed.
  function typed() {
    // On the stream there is no beat every few seconds to carry on typing: report it
    // again while keys keep coming.
    if (!state.typing || (pace() !== BEAT_MS && Date.now() - state.typedAt > BEAT_MS)) {
      state.typing = true;
      state.typedAt = Date.now();
      beat();
    }
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(function () { state.typing = false; }, TYPING_IDLE_MS);
    if (!hasDraft()) showWarning("");
  }

  document.addEventListener("input", function (event) {
    if (event.target.id === "id_body") typed();
    if (event.target.id === "id_note") suggestMentions(event.target);
  });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) beat();
  });
  window.addEventListener("pagehide", leave);
  // Sending my reply: I have seen every reply so far, and I stopped typing.
  document.addEventListener("submit", function (event) {
    if (event.target.id !== "compose") return;
    state.typing = false;
    state.baseline = state.latest;
    var warning = document.getElementById("collision-warning");
    if (warning) warning.hidden = true;
    beat();
  });

  // ---- @mentions in private notes ----------------------------------------------------
  var menu = null;
  var mentionRequest = 0;

  function mentionPrefix(box) {
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|[^\w@])@([\w.+-]*)$/.exec(before);
    return match ? match[2] : null;
  }

  function closeMenu() {
    if (menu) menu.remove();
    menu = null;
  }

  function insertMention(box, username) {
    var caret = box.selectionStart;
    var before = box.value.slice(0, caret).replace(/@([\w.+-]*)$/, "@" + username + " ");
    box.value = before + box.value.slice(caret);
    box.focus();
    box.setSelectionRange(before.length, before.length);
    closeMenu();
  }

  function suggestMentions(box) {
    var prefix = mentionPrefix(box);
    if (prefix === null) return closeMenu();
    var ticket = ++mentionRequest;
    fetch(box.dataset.mentionUrl + "?q=" + encodeURIComponent(prefix), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { people: [] }; })
      .then(function (data) {
        if (ticket !== mentionRequest) return;
        closeMenu();
        if (!data.people.length) return;
        menu = document.createElement("ul");
        menu.className = "mention-menu";
        menu.id = "mention-menu";
        menu.setAttribute("role", "listbox");
        menu.setAttribute("aria-label", "Teammates who can see this conversation");
        data.people.forEach(function (person, index) {
          var item = document.createElement("li");
          item.setAttribute("role", "option");
          item.setAttribute("aria-selected", index === 0 ? "true" : "false");
          item.dataset.username = person.username;
          item.textContent = person.name + " (@" + person.username + ")";
          item.addEventListener("mousedown", function (event) {
            event.preventDefault();
            insertMention(box, person.username);
          });
          menu.appendChild(item);
        });
        box.insertAdjacentElement("afterend", menu);
      })
      .catch(closeMenu);
  }

  document.addEventListener("keydown", function (event) {
    if (!menu || event.target.id !== "id_note") return;
    var items = Array.prototype.slice.call(menu.children);
    var current = items.findIndex(function (item) { return item.getAttribute("aria-selected") === "true"; });
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var next = (current + (event.key === "ArrowDown" ? 1 : -1) + items.length) % items.length;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === next ? "true" : "false"); });
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      insertMention(event.target, items[Math.max(current, 0)].dataset.username);
    } else if (event.key === "Escape") {
      closeMenu();
    }
  });
  document.addEventListener("focusout", function (event) {
    if (event.target.id === "id_note") setTimeout(closeMenu, 150);
  });

  // ---- A search result opens at its message -----------------------------------------
  var wanted = null;

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".search-hit a");
    if (link) wanted = link.dataset.message;
  });

  function showWanted() {
    var id = wanted || (window.location.hash.indexOf("#m-") === 0 ? window.location.hash.slice(1) : null);
    var message = id && document.getElementById(id);
    wanted = null;
    if (!message) return;
    message.classList.add("is-found");
    message.scrollIntoView({ block: "center" });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpPresence();
    showWanted();
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    setUpPresence();
    if (event.detail.target && event.detail.target.id === "window") showWanted();
  });
})();
