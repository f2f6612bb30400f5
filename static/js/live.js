// Live by push: one server-sent-events stream per tab (/live/stream/, see
// inbox/views/stream.py). When it says something happened that this user may see, the page
// asks /live/ at once (the same answer as a poll: unread count, news, and the
// inbox-changed event the list, thread and navigation refresh on); while the stream holds,
// the timer's polls are skipped. When it cannot be held (a WSGI server answers 204, a
// proxy buffers it, the network drops), the polls go on by themselves; a reconnect resumes
// from the last event seen (Last-Event-ID) and asks /live/ once.
(function () {
  "use strict";

  var source = null;
  var streaming = false;
  var lastHeard = 0;
  var lastId = "";
  var keepalive = 20;
  var pushing = false;
  var inFlight = false;
  var again = false;

  function setStreaming(on) {
    if (on === streaming) return;
    streaming = on;
    document.dispatchEvent(new CustomEvent("live-stream", { detail: { streaming: on } }));
  }

  var answered = false;
  window.converseLive = {
    streaming: function () { return streaming; },
    // On the stream, its first catch-up asked and answered, and no htmx request running.
    settled: function () {
      return streaming && answered && !inFlight && !document.querySelector(".htmx-request");
    },
  };

  // Ask /live/ now; one request at a time, and one more if news came meanwhile.
  function poke() {
    if (inFlight) { again = true; return; }
    var live = document.getElementById("live");
    if (!live) return;
    // A #live just swapped in listens only once htmx has settled it (it is marked
    // htmx-added until then): asked before, the push would be lost.
    if (live.classList.contains("htmx-added")) {
      setTimeout(poke, 10);
      return;
    }
    pushing = true;
    htmx.trigger(live, "live-push");
    pushing = false;
  }

  function isPoll(event) {
    return event.detail.elt && event.detail.elt.id === "live";
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!isPoll(event)) return;
    if (streaming && !pushing) { event.preventDefault(); return; }
    inFlight = true;
    // Heard on the request itself: the answer replaces #live, whose own events then no
    // longer reach the document.
    event.detail.xhr.addEventListener("loadend", function () {
      inFlight = false;
      answered = true;
      if (again) {
        again = false;
        setTimeout(poke, 0);
      }
    });
  });

  function heard(event) {
    lastHeard = Date.now();
    if (event && event.lastEventId) lastId = event.lastEventId;
  }

  function concernsOpen(data) {
    var open = window.converseOpenConversation && window.converseOpenConversation();
    return !!(open && data.c && data.c.indexOf(open) !== -1);
  }

  // The open window looks again (who is there, who grabbed it, who replied).
  function lookAgain() {
    if (window.converseTogether) window.converseTogether.look();
  }

  // A label just made is offered by the filters and the bulk form without a reload.
  function offerLabels(names) {
    document.querySelectorAll("#f-label, #f-conversation-label, #bulk-label-names").forEach(
      function (list) {
        names.forEach(function (name) {
          var options = Array.prototype.slice.call(list.querySelectorAll("option"));
          if (options.some(function (o) { return o.value === name; })) return;
          var option = document.createElement("option");
          if (list.tagName === "DATALIST") option.value = name; else option.textContent = name;
          var next = options.filter(function (o) {
            return o.value !== "" && o.value.localeCompare(name) > 0;
          })[0];
          list.insertBefore(option, next || null);
        });
      }
    );
  }

  function connect() {
    var live = document.getElementById("live");
    var url = live && live.dataset.stream;
    if (!url || !window.EventSource) return;
    if (lastId) url += (url.indexOf("?") === -1 ? "?" : "&") + "after=" + encodeURIComponent(lastId);
    source = new EventSource(url);
    source.addEventListener("ready", function (event) {
      heard(event);
      try { keepalive = JSON.parse(event.data).keepalive || keepalive; } catch (e) { /* default */ }
      setStreaming(true);
      // Whatever happened between drawing the page (or losing the stream) and now: the
      // answer redraws nothing when nothing did.
      poke();
    });
    source.addEventListener("ping", heard);
    // The list and the thread redraw on /live/'s answer, not beside it: /live/ first reads
    // what arrived in the conversation on screen, so no count ever shows it unread.
    source.addEventListener("change", function (event) {
      heard(event);
      var data = JSON.parse(event.data);
      if (data.campaigns) {
        document.dispatchEvent(new CustomEvent("campaign-changed", { detail: { campaigns: data.campaigns } }));
        // A campaign's figures alone change nothing of the inbox: /live/ is not asked.
        if (data.k.length === 1 && data.k[0] === "campaign") return;
      }
      poke();
      if (concernsOpen(data)) lookAgain();
      if (data.labels) offerLabels(data.labels);
    });
    source.addEventListener("presence", function (event) {
      heard(event);
      if (concernsOpen(JSON.parse(event.data))) lookAgain();
    });
    source.addEventListener("reset", function (event) {
      heard(event);
      poke();
      lookAgain();
    });
    source.addEventListener("error", function () {
      // The browser reconnects by itself (sending Last-Event-ID) unless the server said
      // no (204 under WSGI, 403 signed out): meanwhile, and then for good, the polls run.
      setStreaming(false);
    });
  }

  // A stream that went quiet for three keep-alives is held up somewhere (a proxy that
  // buffers, a sleeping laptop): poll, and open it again.
  setInterval(function () {
    if (!source || !streaming || Date.now() - lastHeard < 3 * keepalive * 1000) return;
    source.close();
    setStreaming(false);
    connect();
  }, 5000);

  document.addEventListener("DOMContentLoaded", connect);
})();
