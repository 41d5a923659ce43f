// The library page: a change of status or order shows the list at once, the
// control that reloaded the page gets the focus back, and the selection of
// books shows how many are chosen and can take every book on the page.
(function () {
  "use strict";

  document.documentElement.classList.add("js");
  const FOCUS_KEY = "library-focus";

  function remember(id) {
    if (!id) return;
    try {
      window.sessionStorage.setItem(FOCUS_KEY, id);
    } catch (error) {
      // Storage refused (private mode): the page still works, focus starts at the top.
    }
  }

  function restoreFocus() {
    let id = null;
    try {
      id = window.sessionStorage.getItem(FOCUS_KEY);
      window.sessionStorage.removeItem(FOCUS_KEY);
    } catch (error) {
      return;
    }
    const control = id && document.getElementById(id);
    if (control) control.focus();
  }

  const filters = document.getElementById("library-filters");
  if (filters) {
    filters.addEventListener("submit", function () {
      const active = document.activeElement;
      if (active && filters.contains(active)) remember(active.id);
    });
    for (const id of ["id_status", "id_sort"]) {
      const select = document.getElementById(id);
      if (!select) continue;
      select.addEventListener("change", function () {
        remember(id);
        filters.requestSubmit();
      });
    }
  }

  const viewForm = document.getElementById("view-form");
  if (viewForm) {
    viewForm.addEventListener("submit", function (event) {
      if (event.submitter) remember(event.submitter.id);
    });
  }

  const bulk = document.getElementById("bulk-form");
  const all = document.getElementById("select-all");
  const count = document.getElementById("bulk-count");
  if (bulk && all && count) {
    const boxes = function () {
      return Array.from(
        document.querySelectorAll('input[name="keys"][form="bulk-form"]'),
      );
    };
    const update = function () {
      const list = boxes();
      const chosen = list.filter((box) => box.checked).length;
      count.textContent =
        chosen === 0
          ? "No books selected"
          : chosen === 1
            ? "1 book selected"
            : chosen + " books selected";
      bulk.classList.toggle("bulk-active", chosen > 0);
      all.checked = chosen > 0 && chosen === list.length;
      all.indeterminate = chosen > 0 && chosen < list.length;
    };
    all.addEventListener("change", function () {
      for (const box of boxes()) box.checked = all.checked;
      update();
    });
    document.addEventListener("change", function (event) {
      if (event.target.matches('input[name="keys"]')) update();
    });
    window.addEventListener("pageshow", update);
    all.closest("label").hidden = false;
    count.hidden = false;
    update();
  }

  // A card refreshed in place (its details arrived) keeps its checkbox.
  const grid = document.getElementById("book-grid");
  if (grid) {
    new MutationObserver(function (changes) {
      for (const change of changes) {
        for (const node of change.addedNodes) {
          if (!(node instanceof HTMLElement) || !node.dataset.cardKey) continue;
          if (node.querySelector(".book-select")) continue;
          const old = Array.from(change.removedNodes).find(
            (gone) =>
              gone instanceof HTMLElement &&
              gone.dataset.cardKey === node.dataset.cardKey,
          );
          const select = old && old.querySelector(".book-select");
          if (select) node.prepend(select);
        }
      }
    }).observe(grid, { childList: true });
  }

  restoreFocus();
})();
