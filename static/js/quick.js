// One tap: a book's status or rating, set from its card or the top of its page,
// and the progress of the reading going on, from its card.
// Without this script each control is a plain form post (with a Set button);
// with it the post goes in the background, the card or controls are swapped
// for the server's fresh ones and the outcome is announced politely.
(function () {
  "use strict";

  const SHOWN_MS = 6000;
  let announcer = null;
  let hideTimer = 0;

  function announce(text, level) {
    if (!announcer) return;
    window.clearTimeout(hideTimer);
    announcer.textContent = "";
    announcer.dataset.level = level || "success";
    // A fresh text node after a tick: screen readers repeat the same message too.
    window.setTimeout(function () {
      announcer.textContent = text;
      hideTimer = window.setTimeout(function () {
        announcer.textContent = "";
      }, SHOWN_MS);
    }, 50);
  }

  function rootOf(form) {
    return form.closest("[data-card-key]") || form.closest("#quick-set");
  }

  function fragment(html) {
    const template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function hideSubmitButtons(scope) {
    scope.querySelectorAll(".quick-submit").forEach(function (button) {
      button.hidden = true;
    });
  }

  // The control that had focus, found again in the swapped-in markup.
  function focusKey(root) {
    const active = document.activeElement;
    if (!active || !root.contains(active) || !active.name) return null;
    return active.tagName === "BUTTON"
      ? '[name="' + active.name + '"][value="' + CSS.escape(active.value) + '"]'
      : '[name="' + active.name + '"]:not([type="hidden"])';
  }

  // The book page's own form shows the values just set (its snapshot stays:
  // an unchanged field still merges with what is stored).
  function updateRecordForm(values) {
    const form = document.getElementById("userbook-form");
    if (!form || !values) return;
    for (const name of ["status", "rating"]) {
      const field = form.querySelector('select[name="' + name + '"]');
      if (field) field.value = values[name];
    }
  }

  const busy = new WeakMap();

  async function send(form, submitter) {
    const root = rootOf(form);
    if (!root) return form.submit();
    if (busy.get(root)) {
      busy.set(root, { form: form, submitter: submitter });
      return;
    }
    busy.set(root, true);
    form.setAttribute("aria-busy", "true");
    const data = new FormData(form, submitter || undefined);
    let answer = null;
    let refused = false;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", Accept: "application/json" },
      });
      const json = (response.headers.get("Content-Type") || "").includes("json");
      if (response.ok && json) answer = await response.json();
      else refused = true; // signed out (the login page), a 403 or a 404
    } catch (error) {
      answer = null;
    }
    const queued = busy.get(root);
    busy.delete(root);
    form.removeAttribute("aria-busy");
    if (refused) {
      // Signed out, or the book is gone: the plain post shows the page that says so.
      form.dataset.plain = "true";
      form.requestSubmit(submitter || null);
      return;
    }
    if (!answer) {
      announce("Not saved: the connection failed. Try again.", "error");
      return;
    }
    const focus = focusKey(root);
    const fresh = fragment(answer.html);
    if (fresh) {
      hideSubmitButtons(fresh);
      root.replaceWith(fresh);
      sameBookElsewhere(fresh);
      // A refused value stays in its box, marked: focus goes back to it.
      const refusedBox = answer.ok ? null : fresh.querySelector('[aria-invalid="true"]');
      if (refusedBox) refusedBox.focus();
      else if (focus) {
        const target = fresh.querySelector(focus);
        if (target) target.focus();
      }
    }
    if (answer.ok) updateRecordForm(answer.values);
    announce(answer.message, answer.level);
    if (queued && queued !== true && fresh && answer.ok) {
      // Changed again while the first change was on its way: send the latest.
      replay(fresh, queued);
    }
  }

  // The home page may show a book twice (reading, recently added): both agree.
  function sameBookElsewhere(fresh) {
    const key = fresh.dataset.cardKey;
    if (!key) return;
    document
      .querySelectorAll('[data-card-key="' + CSS.escape(key) + '"]')
      .forEach(function (card) {
        if (card !== fresh) card.replaceWith(fresh.cloneNode(true));
      });
  }

  function replay(root, queued) {
    const form = root.querySelector("form.quick-set");
    if (!form) return;
    const wanted = new FormData(queued.form, queued.submitter || undefined);
    for (const name of ["status", "rating"]) {
      const field = form.querySelector('select[name="' + name + '"]');
      if (field && wanted.has(name)) field.value = wanted.get(name);
    }
    const button = queued.submitter
      ? form.querySelector(
          '[name="' + queued.submitter.name + '"][value="' +
            CSS.escape(queued.submitter.value) + '"]',
        )
      : null;
    send(form, button);
  }

  document.addEventListener("change", function (event) {
    const field = event.target;
    if (field.tagName !== "SELECT") return;
    const form = field.closest("form.quick-set");
    if (form) send(form, null);
  });

  document.addEventListener("submit", function (event) {
    const form = event.target.closest("form.quick-set");
    if (!form || form.dataset.plain) return;
    event.preventDefault();
    send(form, event.submitter);
  });

  announcer = document.createElement("div");
  announcer.id = "quick-announce";
  announcer.className = "quick-toast";
  announcer.setAttribute("role", "status");
  announcer.setAttribute("aria-live", "polite");
  document.body.appendChild(announcer);
  hideSubmitButtons(document);

  // Cards refreshed by the details poll come without the script's touch.
  new MutationObserver(function (mutations) {
    for (const mutation of mutations) {
      mutation.addedNodes.forEach(function (node) {
        if (node.nodeType === 1) hideSubmitButtons(node);
      });
    }
  }).observe(document.body, { childList: true, subtree: true });
})();
