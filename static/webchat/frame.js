/* The chat inside the website's frame: keeps the visitor's token in this frame's own
   storage (partitioned per website by the browser), holds the visitor's live stream and
   asks for news when it says something changed (or every few seconds when it cannot be
   held), sends what the visitor writes. Text only ever goes into the page as text. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("chat-config").textContent);
  var api = "/webchat/" + encodeURIComponent(config.key) + "/";
  var params = new URLSearchParams(location.hash.slice(1));
  var page = params.get("page") || "";
  var parentOrigin = "*";
  try { parentOrigin = new URL(page).origin; } catch (e) { page = ""; }
  var storeKey = "converse-chat:" + config.key;
  // The token lives in this frame's own storage, which the browser partitions per website.
  // A browser that denies a frame any storage (third-party storage blocked outright) gets
  // it kept by the widget's script in the website's own storage instead (widget.js).
  var local = null;
  try { local = window.localStorage; local.getItem(storeKey); } catch (e) { local = null; }
  var kept = null;
  var store = {
    get: function () { return local ? local.getItem(storeKey) : kept; },
    set: function (v) {
      if (local) { local.setItem(storeKey, v); return; }
      kept = v;
      if (parentOrigin !== "*") parent.postMessage({ type: "converse-chat-keep", token: v }, parentOrigin);
    },
    clear: function () { store.set(""); }
  };
  function fromHost() {
    if (local || parent === window || parentOrigin === "*") return Promise.resolve();
    return new Promise(function (resolve) {
      var done = function (event) {
        if (event.source !== parent || event.origin !== parentOrigin || !event.data ||
            event.data.type !== "converse-chat-kept") return;
        kept = typeof event.data.token === "string" ? event.data.token : null;
        window.removeEventListener("message", done);
        resolve();
      };
      window.addEventListener("message", done);
      parent.postMessage({ type: "converse-chat-ask" }, parentOrigin);
      setTimeout(resolve, 1500);
    });
  }
  var $ = function (id) { return document.getElementById(id); };
  var panel = $("panel"), launcher = $("launcher"), badge = $("badge"), log = $("log");
  var compose = $("compose"), body = $("body"), profile = $("profile"), error = $("error");
  var shown = {}, latest = null, isOpen = false, timer = null, profileAsked = false;
  document.documentElement.style.setProperty("--accent", config.colour);
  body.maxLength = config.limit;

  function tooLarge() { return "The file is too large: at most " + Math.floor(config.file_max / 1048576) + " MB."; }

  // A file (FormData) goes as it is; anything else as JSON. ``blob``: the answer is a file.
  function request(method, path, data, blob) {
    var form = data instanceof FormData;
    var headers = form ? {} : { "Content-Type": "application/json" };
    var token = store.get();
    if (token) headers.Authorization = "Bearer " + token;
    return fetch(api + path, {
      method: method, headers: headers, credentials: "omit",
      body: data === undefined || form ? data : JSON.stringify(data)
    }).then(function (response) {
      if (blob && response.ok) return response.blob();
      return response.json().catch(function () { return {}; }).then(function (json) {
        if (response.status === 401) { store.clear(); }
        if (response.status === 413) json.error = tooLarge();
        if (!response.ok) { var e = new Error(json.error || "Something went wrong."); e.status = response.status; throw e; }
        return json;
      });
    });
  }

  // A file of the chat is fetched with the token and shown from memory: its address alone
  // opens nothing. Images show in the chat; anything else is a link that saves it.
  function showFile(item, f) {
    var link = document.createElement("a");
    link.className = "file";
    link.textContent = f.image ? "" : "📎 " + f.name;
    link.download = f.name;
    link.href = "#";
    item.appendChild(link);
    request("GET", "files/" + encodeURIComponent(f.id), undefined, true).then(function (data) {
      link.href = URL.createObjectURL(data);
      if (!f.image) return;
      var img = document.createElement("img");
      img.alt = f.name;
      img.src = link.href;
      link.appendChild(img);
    }, function () { link.textContent = "📎 " + f.name + " (not available)"; });
  }

  var starting = null;
  function ensureToken() {
    if (asked) return asked.then(ensureToken);  // the website's page has not answered yet
    if (store.get()) return Promise.resolve();
    // One start at a time: the first poll and a quick first click would make two visitors.
    starting = starting || request("POST", "start", { start: config.start })
      .then(function (json) { store.set(json.token); })
      .finally(function () { starting = null; });
    return starting;
  }

  function newKey() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2)).replace(/[^0-9a-z-]/gi, "");
  }

  function say(text) { error.textContent = text; error.hidden = !text; }

  function render(state) {
    latest = state;
    state.messages.forEach(function (m) {
      if (shown[m.id]) return;
      shown[m.id] = true;
      var item = document.createElement("li");
      item.className = "msg " + (m.mine ? "msg-mine" : "msg-agent");
      item.dataset.id = m.id;
      if (!m.mine && m.author) {
        var who = document.createElement("span");
        who.className = "who";
        who.textContent = m.author;
        item.appendChild(who);
      }
      if (m.body) {
        var text = document.createElement("p");
        text.textContent = m.body;
        item.appendChild(text);
      }
      m.files.forEach(function (f) { showFile(item, f); });
      log.appendChild(item);
    });
    log.scrollTop = log.scrollHeight;
    $("typing").textContent = state.typing;
    $("typing").hidden = !state.typing;
    $("away").textContent = state.away_message;
    $("away").hidden = !state.away;
    var unread = isOpen ? 0 : state.unread;
    badge.textContent = unread;
    badge.hidden = !unread;
    launcher.setAttribute("aria-label", unread ? "Open the chat, " + unread + " unread" : "Open the chat");
    var wantsProfile = !state.profile.email && !profileAsked &&
      ((config.prechat && !state.profile.name) || state.away);
    $("profile-why").textContent = state.away ? state.away_message : "Before we start: who are you?";
    profile.hidden = !wantsProfile;
    if (isOpen && state.unread && document.visibilityState === "visible") markRead(state);
  }

  function markRead(state) {
    var agent = state.messages.filter(function (m) { return !m.mine; });
    if (!agent.length) return;
    state.unread = 0;
    request("POST", "read", { upto: agent[agent.length - 1].id }).catch(function () {});
  }

  var query = "?page=" + encodeURIComponent(page) + "&lang=" + encodeURIComponent(navigator.language || "") +
    "&tz=" + encodeURIComponent(Intl.DateTimeFormat().resolvedOptions().timeZone || "");

  // Ask for the state now: one ask at a time, and one more if news came meanwhile. Without
  // the stream, again every few seconds.
  var asking = false, askAgain = false;
  function poll() {
    clearTimeout(timer);
    if (asking) { askAgain = true; return; }
    asking = true;
    ensureToken()
      .then(function () { return request("GET", "state" + query); })
      .then(render, function (e) { if (e.status !== 401) say(e.message); })
      .then(function () {
        asking = false;
        if (askAgain) { askAgain = false; return poll(); }
        // On the stream, "… is typing" fades by itself, unannounced: ask again to see it go.
        if (!streaming) timer = setTimeout(poll, isOpen ? 2000 : 5000);
        else if (latest && latest.typing) timer = setTimeout(poll, 3000);
      });
  }

  // The live stream (channels_webchat/stream.py), read with fetch so that the token goes
  // in a header: "ready" and "change" are each one state ask (what happened while it was
  // away is in that answer). Silent for too long, dropped or refused, the chat polls, and
  // tries the stream again later, waiting longer each time; a server that cannot hold one
  // (204) is polled from then on. <html data-live> says which, for the browser tests.
  var streaming = false, failures = 0, noStream = false, watch = null, retry = null;
  function live(mode) { document.documentElement.dataset.live = mode; }
  function stream() {
    clearTimeout(retry);
    if (noStream || !window.ReadableStream || !window.AbortController) { live("poll"); return poll(); }
    var ctl = new AbortController(), wasReady = false;
    function quiet(seconds) {
      clearTimeout(watch);
      watch = setTimeout(function () { ctl.abort(); }, seconds * 2500 + 5000);
    }
    function message(block) {
      var name = (block.match(/^event: (.*)$/m) || [])[1];
      var data = (block.match(/^data: (.*)$/m) || [])[1];
      if (name === "ready") {
        wasReady = true; streaming = true; failures = 0;
        quiet(JSON.parse(data).keepalive || 20);
        live("stream");
        poll();
      } else if (name) {
        quiet(20);
        if (name === "change") poll();
      }
    }
    ensureToken().then(function () {
      return fetch(api + "stream" + query, {
        headers: { Authorization: "Bearer " + store.get(), Accept: "text/event-stream" },
        credentials: "omit", cache: "no-store", signal: ctl.signal
      });
    }).then(function (response) {
      if (response.status === 204) { noStream = true; throw new Error("no stream"); }
      if (response.status === 401) store.clear();
      if (!response.ok || !response.body) throw new Error("no stream");
      var reader = response.body.getReader(), decoder = new TextDecoder(), buffer = "";
      quiet(20);
      function read() {
        return reader.read().then(function (chunk) {
          if (chunk.done) throw new Error("ended");
          buffer += decoder.decode(chunk.value, { stream: true });
          var blocks = buffer.split("\n\n");
          buffer = blocks.pop();
          blocks.forEach(message);
          return read();
        });
      }
      return read();
    }).catch(function () {
      clearTimeout(watch);
      ctl.abort();
      streaming = false;
      live("poll");
      poll();
      if (noStream) return;
      failures = wasReady ? 0 : failures + 1;
      retry = setTimeout(stream, Math.min(2000 * Math.pow(2, failures), 120000) * (0.5 + Math.random()));
    });
  }

  function setOpen(open) {
    isOpen = open;
    panel.hidden = !open;
    document.body.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    parent.postMessage({ type: "converse-chat", open: open }, parentOrigin);
    if (open) {
      body.focus();
      if (latest) render(latest);
    }
    if (open || !streaming) poll();
  }

  launcher.addEventListener("click", function () { setOpen(!isOpen); });
  $("close").addEventListener("click", function () { setOpen(false); launcher.focus(); });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && isOpen) { setOpen(false); launcher.focus(); } });

  compose.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = body.value.trim();
    if (!text) return;
    var key = newKey();
    compose.querySelector("button").disabled = true;
    ensureToken()
      .then(function () { return request("POST", "messages", { body: text, key: key }); })
      .then(function (state) {
        // Emptied only if it still holds what was sent: the message may show (by the stream)
        // before this answer, and the visitor may have started their next one meanwhile.
        if (body.value.trim() === text) { body.value = ""; typedAt = 0; }
        say(""); render(state);
      }, function (err) { say(err.message); })
      .then(function () { compose.querySelector("button").disabled = false; body.focus(); });
  });
  // Typing is reported when it starts and again every few seconds while keys keep coming;
  // the agents see it fade by itself a few seconds after the last report.
  var typedAt = 0;
  body.addEventListener("input", function () {
    if (!store.get() || !body.value.trim() || Date.now() - typedAt < 3000) return;
    typedAt = Date.now();
    request("POST", "typing", { typing: true }).catch(function () {});
  });
  // A file goes at once, as a message of its own; what is typed stays in the box.
  var picker = $("file");
  picker.addEventListener("change", function () {
    var file = picker.files[0];
    if (!file) return;
    picker.value = "";
    if (file.size > config.file_max) return say(tooLarge());
    var data = new FormData();
    data.append("file", file);
    data.append("key", newKey());
    ensureToken()
      .then(function () { return request("POST", "files", data); })
      .then(function (state) { say(""); render(state); }, function (err) { say(err.message); });
  });
  body.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); compose.requestSubmit(); }
  });

  profile.addEventListener("submit", function (e) {
    e.preventDefault();
    var data = { name: profile.name.value.trim(), email: profile.email.value.trim(), consent: profile.consent.checked };
    ensureToken()
      .then(function () { return request("POST", "profile", data); })
      .then(function (state) { profileAsked = true; say(""); render(state); body.focus(); }, function (err) { say(err.message); });
  });

  var asked = fromHost().then(function () { asked = null; });
  setOpen(params.get("open") === "1");
  stream();
})();
