// A campaign's page: its figures are drawn again when the worker says they changed (a
// "campaign" change on the live stream, see live.js); while no stream is held (a WSGI
// server, a proxy that buffers), every five seconds while the campaign runs.
(function () {
  "use strict";

  function figures() {
    return document.getElementById("campaign-figures");
  }

  document.addEventListener("campaign-changed", function (event) {
    var shown = figures();
    if (shown && event.detail.campaigns.indexOf(shown.dataset.campaign) !== -1) {
      htmx.trigger(shown, "figures-changed");
    }
  });

  setInterval(function () {
    var shown = figures();
    if (!shown || !shown.hasAttribute("data-running")) return;
    if (window.converseLive && window.converseLive.streaming()) return;
    htmx.trigger(shown, "figures-changed");
  }, 5000);
})();
