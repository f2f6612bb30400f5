// Behaviour templates would otherwise write inline (hx-on, trigger filters), and small
// corrections to how htmx handles answers, kept here so the Content-Security-Policy needs
// neither inline scripts nor eval.
(function () {
  "use strict";

  // The navigation's counts, as /live/'s, first read what arrived in the conversation on
  // screen (``?open=``): its redraw may reach the server before the thread's own.
  document.addEventListener("htmx:configRequest", function (event) {
    var open = window.converseOpenConversation && window.converseOpenConversation();
    if (open && event.detail.elt.id === "inbox-nav") event.detail.parameters.open = open;
  });

  // A form marked data-reset-on-success empties itself once its htmx request succeeded
  // (2xx; a refusal such as a 422 keeps what was typed).
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    var saved = event.detail.successful && event.detail.xhr.status < 300;
    if (saved && form.matches && form.matches("form[data-reset-on-success]")) {
      form.reset();
    }
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
  // listens for inbox-list-changed, relayed from here.
  document.addEventListener("inbox-changed", function () {
    if (window.converseListIdle && window.converseListIdle()) {
      htmx.trigger(document.body, "inbox-list-changed");
    }
  });
})();
