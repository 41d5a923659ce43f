// Book details are fetched in the background: while any shown on this page are
// still pending, ask the server again every few seconds and swap in the result.
(function () {
  "use strict";

  const INTERVAL_MS = 2000;
  const GIVE_UP_MS = 10 * 60 * 1000;
  const started = Date.now();

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content;
  }

  async function refreshInfo() {
    const info = document.querySelector("#book-info[data-refresh-url]");
    if (!info) return false;
    const response = await fetch(info.dataset.refreshUrl, {
      headers: { "X-Requested-With": "fetch" },
      credentials: "same-origin",
    });
    if (!response.ok) return true;
    const fresh = fragment(await response.text()).querySelector("#book-info");
    const changed = (name) => fresh.dataset[name] !== info.dataset[name];
    if (fresh && (changed("metadataStatus") || changed("metadataTrouble"))) {
      info.replaceWith(fresh);
    }
    return Boolean(document.querySelector("#book-info[data-refresh-url]"));
  }

  async function refreshCards() {
    const pending = document.querySelectorAll("[data-card-key][data-pending]");
    if (!pending.length) return false;
    const keys = Array.from(pending, (card) => card.dataset.cardKey);
    const url = "/books/cards/?keys=" + encodeURIComponent(keys.join(","));
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) return true;
    const cards = fragment(await response.text());
    for (const card of pending) {
      const fresh = cards.querySelector(
        '[data-card-key="' + CSS.escape(card.dataset.cardKey) + '"]',
      );
      // Details arrived, or the word on why they are late changed.
      if (fresh && fresh.getAttribute("data-pending") !== card.getAttribute("data-pending")) {
        card.replaceWith(fresh);
      }
    }
    return Boolean(document.querySelector("[data-card-key][data-pending]"));
  }

  async function poll() {
    let again = false;
    try {
      const results = await Promise.all([refreshInfo(), refreshCards()]);
      again = results.some(Boolean);
    } catch (error) {
      again = true; // a network blip: keep trying until the time limit
    }
    if (again && Date.now() - started < GIVE_UP_MS) {
      window.setTimeout(poll, INTERVAL_MS);
    }
  }

  if (document.querySelector("#book-info[data-refresh-url], [data-card-key][data-pending]")) {
    window.setTimeout(poll, INTERVAL_MS);
  }
})();
