// The contact form's label picker: a click on an existing label adds it to the
// comma-separated Labels field (typing works the same without JavaScript).
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var chip = event.target.closest && event.target.closest(".label-pick");
    if (!chip) return;
    var picker = chip.closest(".label-picker");
    var input = picker && document.getElementById(picker.dataset.for);
    if (!input) return;
    var names = input.value.split(",").map(function (n) { return n.trim(); }).filter(Boolean);
    var wanted = chip.dataset.label;
    var has = names.some(function (n) { return n.toLowerCase() === wanted.toLowerCase(); });
    if (!has) names.push(wanted);
    input.value = names.join(", ");
    input.focus();
  });
})();
