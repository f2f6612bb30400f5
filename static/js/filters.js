// The list's "Filters" menu: the count on its button and the "Clear filters" link follow
// the choices as they change (htmx redraws only the list, not the form), and the menu
// closes on a click elsewhere or Escape. Without JavaScript it is a plain <details>.
(function () {
  "use strict";

  function menus() {
    return Array.prototype.slice.call(document.querySelectorAll(".filters .filter-menu"));
  }

  function recount(menu) {
    var chosen = Array.prototype.filter.call(
      menu.querySelectorAll(".filter-row select"),
      function (select) { return select.value !== ""; }
    ).length;
    var count = menu.querySelector(".filter-count");
    if (count) {
      count.textContent = chosen ? chosen : "";
      count.hidden = chosen === 0;
    }
    var clear = menu.querySelector(".filter-clear");
    if (clear) clear.hidden = chosen === 0;
  }

  document.addEventListener("change", function (event) {
    var menu = event.target.closest && event.target.closest(".filter-menu");
    if (menu) recount(menu);
  });

  document.addEventListener("click", function (event) {
    menus().forEach(function (menu) {
      if (menu.open && !menu.contains(event.target)) menu.open = false;
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    menus().forEach(function (menu) {
      if (!menu.open) return;
      menu.open = false;
      menu.querySelector("summary").focus();
    });
  });
})();
