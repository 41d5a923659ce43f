// The book page's tags field: suggest the reader's existing tags. The names
// come from their own address so that the page itself costs the same whatever
// the size of the library; without this script the field works as typed.
(function () {
  "use strict";

  const field = document.querySelector("input[data-tag-names]");
  const list = field && document.getElementById(field.getAttribute("list"));
  if (!list) return;

  async function fill() {
    let names;
    try {
      const response = await fetch(field.dataset.tagNames, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (!response.ok) return;
      names = (await response.json()).tags;
    } catch (error) {
      return;
    }
    list.replaceChildren(
      ...names.map((name) => {
        const option = document.createElement("option");
        option.value = name;
        return option;
      }),
    );
  }

  field.addEventListener("focus", fill, { once: true });
})();
