// The theme opens the menu and search with <label> elements, which a keyboard cannot reach.
// Make them buttons that Tab reaches; the theme already opens a focused label on Enter, this adds Space.
(function () {
  "use strict";
  var names = { __drawer: "Open the menu", __search: "Open search" };
  document.querySelectorAll("label.md-header__button[for], label.md-search__icon[for='__search']").forEach(function (label) {
    var target = label.getAttribute("for");
    if (!names[target] || label.closest(".md-search__inner")) return;
    label.setAttribute("role", "button");
    label.setAttribute("tabindex", "0");
    label.setAttribute("aria-label", names[target]);
    label.addEventListener("keydown", function (event) {
      if (event.key === " ") {
        event.preventDefault();
        label.click();
      }
    });
  });
})();
