// The conversation window on top of converse.js: the back arrow returns to the list the
// conversation was opened from, and the live poll and the navigation's redraw name the
// conversation on screen so that a customer message arriving in it is read before
// anything is counted (no +1 flicker in the unread counts).
(function () {
  "use strict";

  function listUrl() {
    var list = document.getElementById("conversation-list");
    return list ? list.getAttribute("hx-get") : null;
  }

  // Without JavaScript the arrow leads to My Inbox; with it, to the list on this page
  // (a sender ID's inbox, a filtered list…).
  function pointBackLinks() {
    var url = listUrl();
    if (!url) return;
    document.querySelectorAll(".thread-header .back").forEach(function (link) {
      link.setAttribute("href", url);
    });
  }

  // On a phone the list is still on the page, only hidden: show it again as it was
  // (scroll, older pages, ticks) instead of loading it afresh.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".thread-header .back");
    var url = listUrl();
    if (!link || !url) return;
    event.preventDefault();
    document.body.classList.replace("has-thread", "no-thread");
    history.pushState({ htmx: true }, "", url);
  });

  // A page of the navigation on its way (#main; htmx marks its link while it runs): the
  // conversation on screen is being left.
  function leaving() {
    return !!document.querySelector('[hx-target="#main"].htmx-request');
  }
  window.converseLeaving = leaving;

  // The conversation the agent is looking at, by public id: none in a hidden tab, behind a
  // phone's list, or while the agent is leaving it for another page (what arrives then is
  // not read by being on screen).
  function conversationOnScreen() {
    if (document.hidden || !document.body.classList.contains("has-thread") || leaving()) {
      return null;
    }
    var open = document.getElementById("window");
    var match = open && open.dataset.url && open.dataset.url.match(/\/c\/([^/]+)\/$/);
    return match ? match[1] : null;
  }
  window.converseOpenConversation = conversationOnScreen;

  // /live/ and the navigation's redraw first read what arrived there before counting: the
  // navigation's may reach the server before the thread's own.
  document.addEventListener("htmx:configRequest", function (event) {
    var counts = event.detail.path.indexOf("/live/") === 0 || event.detail.elt.id === "inbox-nav";
    var open = counts && conversationOnScreen();
    if (open) event.detail.parameters.open = open;
  });

  document.addEventListener("DOMContentLoaded", pointBackLinks);
  document.addEventListener("htmx:afterSettle", pointBackLinks);
})();
