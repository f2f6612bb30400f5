// Behaviour templates would otherwise write inline (hx-on, trigger filters), kept here so
// the Content-Security-Policy needs neither inline scripts nor eval.
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

  // The list redraws on inbox-changed only while it is idle (see converseListIdle): it
  // listens for inbox-list-changed, relayed from here.
  document.addEventListener("inbox-changed", function () {
    if (window.converseListIdle && window.converseListIdle()) {
      htmx.trigger(document.body, "inbox-list-changed");
    }
  });
})();
