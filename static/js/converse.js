// Small behaviours on top of htmx: keep the thread scrolled to the newest message,
// Ctrl/Cmd+Enter sends, and the tab title carries the unread count.
(function () {
  "use strict";

  function scrollThread() {
    var thread = document.getElementById("thread");
    if (thread) thread.scrollTop = thread.scrollHeight;
  }

  function updateTitle() {
    var list = document.getElementById("conversation-list");
    if (!list) return;
    var unread = parseInt(list.dataset.unread || "0", 10);
    var base = document.title.replace(/^\(\d+\) /, "");
    document.title = (unread > 0 ? "(" + unread + ") " : "") + base;
  }

  // The list refreshes itself every 5 s, but only while it shows just its first page and
  // nothing is ticked: a refresh would drop the older pages loaded below and the selection.
  window.converseListIdle = function () {
    return !document.querySelector(
      "#conversation-list [data-older], #conversation-list input[name=ids]:checked"
    );
  };

  document.addEventListener("DOMContentLoaded", function () { scrollThread(); updateTitle(); });
  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "thread") scrollThread();
    updateTitle();
  });
  document.addEventListener("htmx:oobAfterSwap", scrollThread);
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.id === "id_body") {
      event.preventDefault();
      event.target.form.requestSubmit();
    }
  });
})();
