// Colour mode: "auto" (follow the system, the default), "light" or "dark",
// remembered in localStorage. Loaded in <head> without defer so the page is
// drawn in the right colours from the start.
(function () {
  "use strict";

  const KEY = "theme";
  const CHOICES = ["auto", "light", "dark"];
  const system = window.matchMedia("(prefers-color-scheme: dark)");

  function stored() {
    try {
      const value = window.localStorage.getItem(KEY);
      return CHOICES.includes(value) ? value : "auto";
    } catch (error) {
      return "auto"; // storage refused (private mode): follow the system
    }
  }

  function apply(choice) {
    const mode = choice === "auto" ? (system.matches ? "dark" : "light") : choice;
    document.documentElement.setAttribute("data-bs-theme", mode);
  }

  function showChoice(choice) {
    for (const button of document.querySelectorAll("[data-theme-choice]")) {
      const chosen = button.dataset.themeChoice === choice;
      button.setAttribute("aria-pressed", String(chosen));
      button.classList.toggle("active", chosen);
    }
    const current = document.querySelector("[data-theme-current]");
    if (current) current.textContent = choice;
  }

  function choose(choice) {
    try {
      window.localStorage.setItem(KEY, choice);
    } catch (error) {
      // Not remembered, but still applied to this page.
    }
    apply(choice);
    showChoice(choice);
  }

  apply(stored());
  system.addEventListener("change", () => {
    if (stored() === "auto") apply("auto");
  });
  // A pick made in another tab applies here too.
  window.addEventListener("storage", (event) => {
    if (event.key !== KEY) return;
    apply(stored());
    showChoice(stored());
  });

  document.addEventListener("DOMContentLoaded", () => {
    for (const toggle of document.querySelectorAll("[data-theme-toggle]")) {
      toggle.hidden = false; // useless without JavaScript, so hidden until now
    }
    for (const button of document.querySelectorAll("[data-theme-choice]")) {
      button.addEventListener("click", () => choose(button.dataset.themeChoice));
    }
    showChoice(stored());
  });
})();
