// Behaviour templates would otherwise write inline (hx-on, trigger filters), and small
// corrections to how htmx handles answers, kept here so the Content-Security-Policy needs
// neither inline scripts nor eval.
(function () {
  "use strict";

  // A form marked data-reset-on-success empties itself once its htmx request succeeded
  // (2xx; a refusal such as a 422 keeps what was typed).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var saved = event.detail.successful && event.detail.xhr.status < 300;
    if (saved && form.matches && form.matches("form[data-reset-on-success]")) {
      form.reset();
    }
  });

  // A redraw (any GET: the thread's, the WhatsApp box's) never replaces a compose box that
  // already offers what the answer's would: what the agent is typing or attaching stays.
  // Its answer may bring one, out of band, when it was asked before a grab or a join that
  // unlocked the box and answered after it.
  function composeKey(form) {
    var match = form && form.className.match(/\bcompose-([\w-]+)/);
    return match ? match[1] : null;
  }

  function keepCompose(swap) {
    var html = swap.detail.serverResponse;
    var current = document.getElementById("compose");
    if (!current || typeof html !== "string" || html.indexOf('id="compose"') === -1) return;
    var parsed = document.createElement("template");
    parsed.innerHTML = html;
    var incoming = parsed.content.querySelector("#compose[hx-swap-oob]");
    if (!incoming || composeKey(incoming) !== composeKey(current)) return;
    if (incoming.hasAttribute("hidden") !== current.hasAttribute("hidden")) return;
    incoming.remove();
    swap.detail.serverResponse = parsed.innerHTML;
  }

  // An element that redraws itself (the navigation, the thread, the sender notice of a new
  // conversation) shows its newest answer. One asked before it asked again is dropped: it
  // holds less than what is coming, and swapped in first it would take the element the
  // newer answer is for off the page, so that htmx would drop the newer one instead.
  var newestAsked = {};
  // Asked again while its request runs (the navigation or the thread on the next change),
  // htmx queues the new request and sends it once the running one ends: the running one's
  // answer, older than the change, is dropped rather than shown until the next one comes.
  // Heard first (capturing), before the elements' own listeners ask: only what ran before
  // the change is superseded.
  var superseded = new WeakSet();

  document.addEventListener("inbox-changed", function () {
    Object.keys(newestAsked).forEach(function (id) {
      var xhr = newestAsked[id];
      var elt = document.getElementById(id);
      var redraws = elt && /(^|[\s,])inbox-changed\b/.test(elt.getAttribute("hx-trigger") || "");
      if (redraws && xhr.readyState !== XMLHttpRequest.DONE) superseded.add(xhr);
    });
  }, true);

  document.addEventListener("htmx:beforeRequest", function (event) {
    var config = event.detail.requestConfig;
    var target = event.detail.target;
    var xhr = event.detail.xhr;
    if (!target || !config || config.verb !== "get") return;
    var redraw = target === event.detail.elt && target.id;
    if (redraw) newestAsked[redraw] = xhr;
    // On the target itself, ahead of the listener below that applies a detached
    // window's answer: its events no longer reach the document once it is replaced.
    target.addEventListener("htmx:beforeSwap", function keep(swap) {
      if (swap.detail.xhr !== xhr) return;
      target.removeEventListener("htmx:beforeSwap", keep);
      if (redraw && (newestAsked[redraw] !== xhr || superseded.has(xhr))) {
        swap.detail.shouldSwap = false;
        return;
      }
      // The list redraws only while idle (see converseListIdle), and that holds when its
      // answer comes too: a row ticked or older conversations loaded meanwhile stay.
      if (redraw === "conversation-list" && window.converseListIdle && !window.converseListIdle()) {
        swap.detail.shouldSwap = false;
        return;
      }
      keepCompose(swap);
    });
  });
  // An answer whose requesting element left the page before it came (a header action's
  // form, replaced by a fresher header from another answer or a live refresh) still holds
  // the conversation's current header, thread and compose box, out of band. htmx would look
  // for their targets only inside the detached form (htmx:oobErrorNoTarget #thread-header)
  // and drop them. Apply them to the page while the window the request came from is still
  // there; drop them once another conversation or a list has taken its place. The events
  // of a detached element no longer reach the document: listen on the target itself.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    var target = event.detail.target;
    var xhr = event.detail.xhr;
    var from = elt.closest ? elt.closest("#window") : null;
    if (!from || !target) return;
    target.addEventListener("htmx:beforeSwap", function settle(swap) {
      if (swap.detail.xhr !== xhr) return;
      target.removeEventListener("htmx:beforeSwap", settle);
      if (!swap.detail.shouldSwap || elt.isConnected) return;
      swap.detail.shouldSwap = false;
      if (from.isConnected) htmx.swap(document.body, swap.detail.serverResponse, { swapStyle: "none" });
    });
  });

  // The list redraws on inbox-changed only while it is idle (see converseListIdle): it
  // listens for inbox-list-changed, relayed from here. One request draws the list at a
  // time: a redraw, a filter or search (which abort a redraw running, hx-sync on the
  // list's pane), or a page of the navigation. A change heard while one runs would be
  // lost (that answer may have been read before it, and its list's URL may be stale), so
  // the list redraws once more after it, from the list then on screen.
  var listRequests = new Set();
  var listAgain = false;

  function drawsList(target) {
    return !!target && (target.id === "conversation-list" || target.id === "main");
  }

  function redrawList() {
    if (listRequests.size) { listAgain = true; return; }
    // A list (or page) just swapped in listens only once htmx has settled it.
    if (document.querySelector("#main.htmx-added, #conversation-list.htmx-added")) {
      listAgain = true;
      setTimeout(redrawList, 10);
      return;
    }
    listAgain = false;
    if (window.converseListIdle && window.converseListIdle()) {
      htmx.trigger(document.body, "inbox-list-changed");
    }
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    if (!drawsList(event.detail.target)) return;
    var xhr = event.detail.xhr;
    listRequests.add(xhr);
    // Heard on the request itself: its element may leave the page with the answer.
    xhr.addEventListener("loadend", function () {
      listRequests.delete(xhr);
      if (listAgain) setTimeout(function () { if (listAgain) redrawList(); }, 0);
    });
  });

  document.addEventListener("inbox-changed", redrawList);

  // The thread does not redraw while the agent is leaving it for another page: the redraw
  // would read what just arrived there, which the agent will not see.
  document.addEventListener("htmx:beforeRequest", function (event) {
    if (event.detail.elt.id !== "thread" || !window.converseLeaving) return;
    if (window.converseLeaving()) event.preventDefault();
  });

})();
