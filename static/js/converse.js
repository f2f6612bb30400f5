// Small behaviours on top of htmx: keep the thread scrolled to the newest message,
// Ctrl/Cmd+Enter sends, j/k (or Alt+↓/↑) move between conversations, the tab title
// carries the unread count, and desktop notifications announce news (F-IN7).
(function () {
  "use strict";

  var notified = new Set();

  // After "Show earlier messages", the message that was the oldest stays where the reader
  // is looking instead of the thread jumping to the newest one.
  var keepInView = null;

  function scrollThread() {
    var thread = document.getElementById("thread");
    var kept = keepInView && document.getElementById(keepInView);
    // htmx may report one swap twice: forget the message once this round of events is over.
    setTimeout(function () { keepInView = null; }, 0);
    if (!thread) return;
    if (kept) {
      // Scroll the thread only (not the page) so the kept message sits near its top.
      thread.scrollTop += kept.getBoundingClientRect().top - thread.getBoundingClientRect().top - 48;
    } else {
      thread.scrollTop = thread.scrollHeight;
    }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest || !event.target.closest("#thread .earlier a")) return;
    var oldest = document.querySelector("#thread .message, #thread .event");
    keepInView = oldest ? oldest.id : null;
  });

  function currentUnread() {
    var source = document.getElementById("live") || document.getElementById("conversation-list");
    return source ? parseInt(source.dataset.unread || "0", 10) : 0;
  }

  function setTitle(unread) {
    var base = document.title.replace(/^\(\d+\) /, "");
    document.title = (unread > 0 ? "(" + unread + ") " : "") + base;
  }

  // The list refreshes on inbox-changed only while it shows just its first page, no older
  // page is on its way (htmx marks the link asking for it) and nothing is ticked: a refresh
  // would drop the older pages loaded below, or the link whose answer they would replace,
  // and the selection.
  window.converseListIdle = function () {
    return !document.querySelector(
      "#conversation-list [data-older], #conversation-list .more.htmx-request, " +
      "#conversation-list input[name=ids]:checked"
    );
  };

  function notify(news) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    news.forEach(function (item) {
      if (notified.has(item.key)) return;
      notified.add(item.key);
      var looking = !document.hidden && window.location.pathname === item.url;
      if (looking) return;
      var n = new Notification(item.title, { body: item.body, tag: item.key });
      n.onclick = function () { window.focus(); window.location.href = item.url; };
    });
  }

  function setUpNotifyButton() {
    var button = document.getElementById("notify-toggle");
    if (!button || !("Notification" in window) || Notification.permission !== "default") return;
    button.hidden = false;
    button.addEventListener("click", function () {
      Notification.requestPermission().then(function () { button.hidden = true; });
    });
  }

  function moveInList(step) {
    var links = Array.prototype.slice.call(document.querySelectorAll(".conversation-row > a"));
    if (!links.length) return;
    var active = document.querySelector(".conversation-row.active > a");
    var index = links.indexOf(active);
    var next = index === -1 ? (step > 0 ? 0 : links.length - 1) : index + step;
    if (next >= 0 && next < links.length) links[next].click();
  }

  function isTyping(target) {
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("DOMContentLoaded", function () {
    scrollThread();
    setTitle(currentUnread());
    setUpNotifyButton();
  });

  // The open conversation's row is marked whenever something was swapped in: a window,
  // a refreshed or filtered list, older conversations.
  function markActiveRow() {
    var open = document.getElementById("window");
    var openUrl = open ? open.dataset.url : null;
    document.querySelectorAll(".conversation-row").forEach(function (row) {
      var href = row.querySelector(":scope > a").getAttribute("href");
      row.classList.toggle("active", href === openUrl);
    });
  }

  // A row's answer is awaited on the link itself: a live refresh may redraw the list while
  // the window comes, and the link's events then no longer reach the document.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var link = event.detail.elt;
    if (!link.matches || !link.matches(".conversation-row > a")) return;
    link.addEventListener("htmx:afterRequest", function (after) {
      rowOpened(link, after.detail);
    }, { once: true });
  });

  function rowOpened(link, detail) {
    if (!detail.successful) {
      // Gone or no longer ours (grabbed by someone else, say): the page says why.
      if (detail.failed) window.location.href = link.href;
      return;
    }
    var href = link.getAttribute("href");
    var current = link.isConnected
      ? link
      : document.querySelector('.conversation-row > a[href="' + href + '"]');
    // Opened, so read, except in an agent's list in the Team Inbox: that shows the agent's
    // unread, and opening it reads it only for the admin.
    var list = current && current.closest("#conversation-list");
    if (list && list.dataset.kind !== "team") current.parentElement.classList.remove("unread");
  }

  function onSwap(event) {
    var target = event.detail.target;
    if (target && target.id === "thread") scrollThread();
    // A conversation opened from the list is on screen from the moment it is in the page
    // (on a phone the thread now takes the screen): a count asked from then on reads what
    // arrives in it first (window.js), not only once htmx has settled it.
    if (target && target.id === "window" && event.type === "htmx:afterSwap") {
      document.body.classList.replace("no-thread", "has-thread");
    }
  }
  document.addEventListener("htmx:afterSwap", onSwap);
  document.addEventListener("htmx:oobAfterSwap", onSwap);
  document.addEventListener("htmx:afterSettle", function (event) {
    markActiveRow();
    if (!event.detail.target || event.detail.target.id !== "window") return;
    scrollThread();
    setTitle(currentUnread());
  });
  document.addEventListener("inbox-changed", function (event) {
    var unread = event.detail.unread || 0;
    setTitle(unread);
    // My Inbox's count, wherever the page shows it: the top bar, the navigation and the
    // list header, at once (the navigation's own redraw comes after).
    var badge = document.getElementById("live");
    if (badge) {
      badge.dataset.unread = unread;
      badge.classList.toggle("is-zero", !unread);
    }
    document.querySelectorAll("#live, [data-my-unread]").forEach(function (count) {
      count.textContent = unread;
      count.setAttribute("aria-label", unread + " unread");
      if (count.id !== "live") count.hidden = !unread;
    });
    notify(event.detail.news || []);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && event.target.id === "id_body") {
      event.preventDefault();
      event.target.form.requestSubmit();
      return;
    }
    if (event.altKey && (event.key === "ArrowDown" || event.key === "ArrowUp")) {
      event.preventDefault();
      moveInList(event.key === "ArrowDown" ? 1 : -1);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
    if (event.key === "j" || event.key === "k") moveInList(event.key === "j" ? 1 : -1);
  });
})();
