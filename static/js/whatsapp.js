// WhatsApp's 24-hour window in the compose box: counts down the time left, turns amber in
// the last hour, and switches to the template picker when the window closes on screen.
// The server stays the authority: a freeform send after the close is refused there too.
(function () {
  "use strict";

  var HOUR = 3600 * 1000;

  function timeLeft(ms) {
    var minutes = Math.floor(ms / 60000);
    if (minutes < 1) return "less than a minute left";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    return hours ? hours + " h " + minutes + " min left" : minutes + " min left";
  }

  function closeWindow(status) {
    status.textContent = status.dataset.closedText;
    status.classList.remove("wa-open", "wa-closing");
    status.classList.add("wa-closed");
    delete status.dataset.closesAt;
    var compose = document.getElementById("compose");
    if (compose) compose.hidden = true;
    var picker = document.getElementById("template-picker");
    if (picker) picker.open = true;
    var section = status.closest("#wa-compose");
    if (section) section.dataset.closedLive = "1";
  }

  // A window that closed on screen opens again when the customer writes: the server says
  // so (the compose refresh answers 204 while it stays closed), the status line comes back
  // from it, and the compose box shows again with whatever was typed in it.
  function reopen(section) {
    fetch(section.dataset.refresh, { credentials: "same-origin", headers: { "HX-Request": "true" } })
      .then(function (response) { return response.status === 200 ? response.text() : null; })
      .then(function (html) {
        if (!html || !section.isConnected) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector(".wa-window");
        var old = section.querySelector(".wa-window");
        if (!fresh || !old || !fresh.dataset.closesAt) return;
        old.replaceWith(fresh);
        delete section.dataset.closedLive;
        var compose = document.getElementById("compose");
        if (compose) compose.hidden = false;
        var picker = document.getElementById("template-picker");
        if (picker) picker.open = false;
        tick();
      })
      .catch(function () { /* the next change asks again */ });
  }

  document.addEventListener("inbox-changed", function () {
    var section = document.querySelector("#wa-compose[data-closed-live]");
    if (section && section.dataset.refresh) reopen(section);
  });

  function tick() {
    document.querySelectorAll(".wa-window[data-closes-at]").forEach(function (status) {
      var left = Date.parse(status.dataset.closesAt) - Date.now();
      if (left <= 0) {
        closeWindow(status);
        return;
      }
      var text = status.querySelector(".wa-left");
      if (text) text.textContent = timeLeft(left);
      status.classList.toggle("wa-closing", left <= HOUR);
    });
  }

  // The template's text as the customer will see it, while the agent fills the variables.
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.name || input.name.indexOf("var_") !== 0) return;
    var form = input.closest("form");
    var preview = form && form.querySelector(".template-preview[data-body]");
    if (!preview) return;
    preview.textContent = preview.dataset.body.replace(/\{\{\s*(\w+)\s*\}\}/g, function (all, name) {
      var field = form.querySelector('[name="var_' + name + '"]');
      return field && field.value.trim() ? field.value : all;
    });
  });

  // "Start with a template" on the new-conversation page carries the number typed there
  // when it is clicked: the notice drawn with the link may predate the last keystroke (its
  // redraw asked on "change" can be dropped while the first one is still on its way).
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".sender-template a[href]");
    var phone = document.getElementById("id_phone");
    if (!link || !phone) return;
    var url = new URL(link.href, window.location.href);
    url.searchParams.set("phone", phone.value.slice(0, 100));
    link.href = url.toString();
  });

  setInterval(tick, 15000);
  document.addEventListener("DOMContentLoaded", tick);
  document.addEventListener("htmx:afterSettle", tick);
})();
