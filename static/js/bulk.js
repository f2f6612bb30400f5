// Bulk actions (F-IN8): the agent list only for "Assign to…", the label box only for the
// label actions, select all on the page, and ticks that survive a filter or a search (a
// ticked row the new list does not show is still sent, and the bar says how many are
// selected).
(function () {
  "use strict";

  var ticked = new Set();
  var seenForm = null;

  function bulkForm() { return document.getElementById("bulk-form"); }
  function rowBoxes() {
    return Array.prototype.slice.call(
      document.querySelectorAll("#conversation-list input.row-select")
    );
  }

  function sync() {
    var form = bulkForm();
    if (!form) return;
    if (form !== seenForm) {
      // Another list (a navigation link redrew the page): start from its own ticks.
      seenForm = form;
      ticked = new Set(rowBoxes().filter(function (b) { return b.checked; }).map(function (b) { return b.value; }));
      var allLabel = form.querySelector(".bulk-all-label");
      if (allLabel) allLabel.hidden = false;
    }
    var action = form.querySelector("[name=action]");
    var assignee = form.querySelector(".bulk-assignee");
    if (assignee) assignee.hidden = action.value !== "assign";
    var label = form.querySelector(".bulk-label");
    if (label) label.hidden = action.value !== "label" && action.value !== "unlabel";

    form.querySelectorAll("input.kept-id").forEach(function (input) { input.remove(); });
    var shown = new Set();
    rowBoxes().forEach(function (box) {
      shown.add(box.value);
      box.checked = ticked.has(box.value);
    });
    ticked.forEach(function (id) {
      if (shown.has(id)) return;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "ids";
      input.value = id;
      input.className = "kept-id";
      form.appendChild(input);
    });

    var boxes = rowBoxes();
    var all = form.querySelector(".bulk-all");
    if (all) {
      var every = boxes.length > 0 && boxes.every(function (b) { return b.checked; });
      all.checked = every;
      all.indeterminate = !every && boxes.some(function (b) { return b.checked; });
    }
    var count = form.querySelector(".bulk-count");
    if (count) count.textContent = ticked.size ? ticked.size + " selected" : "";
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("#conversation-list input.row-select")) {
      if (target.checked) ticked.add(target.value); else ticked.delete(target.value);
    } else if (target.matches("#bulk-form .bulk-all")) {
      rowBoxes().forEach(function (box) {
        if (target.checked) ticked.add(box.value); else ticked.delete(box.value);
      });
    } else if (!target.matches("#bulk-form [name=action]")) {
      return;
    }
    sync();
  });
  document.addEventListener("htmx:afterSettle", sync);
  document.addEventListener("DOMContentLoaded", sync);
})();
