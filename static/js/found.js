// The books a photo's barcodes named: their details are fetched in the
// background, so while any is still pending, ask the server again every few
// seconds and swap in the items whose state changed.
(function () {
  "use strict";

  const INTERVAL_MS = 2000;
  const GIVE_UP_MS = 10 * 60 * 1000;
  const started = Date.now();
  const list = document.querySelector("#found-books[data-refresh-url]");
  if (!list) return;

  function pending() {
    return list.querySelectorAll("[data-found-isbn][data-pending]");
  }

  async function refresh() {
    const response = await fetch(list.dataset.refreshUrl, {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim();
    for (const item of pending()) {
      const fresh = template.content.querySelector(
        '[data-found-isbn="' + CSS.escape(item.dataset.foundIsbn) + '"]',
      );
      if (fresh && fresh.getAttribute("data-pending") !== item.getAttribute("data-pending")) {
        item.replaceWith(fresh);
      }
    }
  }

  async function poll() {
    try {
      await refresh();
    } catch (error) {
      // A network blip: try again at the next turn.
    }
    if (pending().length && Date.now() - started < GIVE_UP_MS) {
      window.setTimeout(poll, INTERVAL_MS);
    }
  }

  if (pending().length) window.setTimeout(poll, INTERVAL_MS);
})();
