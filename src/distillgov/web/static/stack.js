// At phone width tables stack into one block per row (app.css); each cell then shows its
// column's heading, which this copies into the cell as data-label, for rows in the page and for
// rows the page's scripts add later.
(function () {
  "use strict";
  function label(table) {
    const heads = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
    table.querySelectorAll("tbody tr").forEach((tr) => {
      Array.from(tr.children).forEach((cell, i) => {
        if (heads[i] && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", heads[i]);
      });
    });
  }
  function all() { document.querySelectorAll("table").forEach(label); }
  document.addEventListener("DOMContentLoaded", () => {
    all();
    new MutationObserver(all).observe(document.body, { childList: true, subtree: true });
  });
})();
