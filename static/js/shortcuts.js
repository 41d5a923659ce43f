// Keyboard shortcuts for the common actions, listed in a help dialog ("?").
// They never fire while typing in a field or with Ctrl, Alt or Meta held.
(function () {
  "use strict";

  const opener = document.getElementById("shortcuts-open");
  if (!opener) return; // logged out: no shortcuts
  const urls = opener.dataset;
  const LIST = [
    [["/"], "Search"],
    [["a"], "Add a book"],
    [["n", "or", "j"], "Next page"],
    [["p", "or", "k"], "Previous page"],
    [["g", "then", "h"], "Home"],
    [["g", "then", "l"], "Library"],
    [["?"], "This list"],
    [["Esc"], "Close it"],
  ];

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      node.setAttribute(name, value);
    }
    node.append(...children);
    return node;
  }

  // The help dialog: built here, as it is of no use without this script.
  function buildDialog() {
    const list = element("dl", { class: "shortcuts-list mb-3" });
    for (const [keys, action] of LIST) {
      const shown = keys.map((key, i) => (i % 2 ? ` ${key} ` : element("kbd", {}, key)));
      list.append(element("dt", {}, ...shown), element("dd", {}, action));
    }
    const close = element(
      "button",
      { class: "btn btn-primary", type: "button", autofocus: "" },
      "Close",
    );
    close.addEventListener("click", () => built.close());
    const built = element(
      "dialog",
      { class: "shortcuts-dialog", id: "shortcuts", "aria-labelledby": "shortcuts-title" },
      element(
        "div",
        { class: "shortcuts-box" },
        element("h2", { class: "h5 mb-3", id: "shortcuts-title" }, "Keyboard shortcuts"),
        element(
          "p",
          { class: "small text-body-secondary" },
          "They work anywhere except while you type in a field.",
        ),
        list,
        close,
      ),
    );
    return built;
  }

  const dialog = buildDialog();
  document.body.append(dialog);
  const SEQUENCE_MS = 1500;
  let pendingG = 0; // when "g" was pressed, for "g h" and "g l"

  function typing(target) {
    return (
      target instanceof HTMLElement &&
      (target.isContentEditable ||
        ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))
    );
  }

  function visible(element) {
    return element && element.getClientRects().length > 0;
  }

  function focusSearch() {
    // The page's own search box first (library, search to add), then the navbar's.
    const boxes = [
      ...document.querySelectorAll("main input[type=search]"),
      document.getElementById("nav-search"),
    ];
    const box = boxes.find(visible);
    if (box) {
      box.focus();
      box.select();
    } else {
      window.location.assign(urls.libraryUrl); // the navbar is folded away
    }
  }

  function follow(rel) {
    const link = document.querySelector(`a[rel~="${rel}"]`);
    if (link) link.click();
  }

  function open() {
    if (!dialog.open) dialog.showModal();
  }

  const KEYS = {
    "/": focusSearch,
    "?": open,
    a: () => window.location.assign(urls.addUrl),
    n: () => follow("next"),
    j: () => follow("next"),
    p: () => follow("prev"),
    k: () => follow("prev"),
  };
  const AFTER_G = {
    h: () => window.location.assign(urls.homeUrl),
    l: () => window.location.assign(urls.libraryUrl),
  };

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) {
      return;
    }
    if (typing(event.target) || dialog.open || document.querySelector("dialog[open]")) {
      return;
    }
    const afterG = Date.now() - pendingG < SEQUENCE_MS ? AFTER_G[event.key] : null;
    pendingG = event.key === "g" ? Date.now() : 0;
    const action = afterG || KEYS[event.key];
    if (action) {
      event.preventDefault();
      action();
    }
  });

  opener.hidden = false; // of no use without JavaScript
  opener.addEventListener("click", open);
  // Tab and Shift+Tab go round the dialog's own controls, never out of it.
  dialog.addEventListener("keydown", (event) => {
    if (event.key !== "Tab") return;
    const controls = Array.from(
      dialog.querySelectorAll("a[href], button:not([disabled]), [tabindex='0']"),
    ).filter(visible);
    if (!controls.length) return;
    const first = controls[0];
    const last = controls[controls.length - 1];
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  });
  // A click on the backdrop (outside the box) closes it too.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
})();
