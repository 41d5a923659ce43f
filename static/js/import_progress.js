// An import's progress bar and counts: asks how far it got every few seconds
// and reloads the page once it has finished (to list the failed rows).
// Without JavaScript the page's reload link does the same.
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || !window.fetch || box.getAttribute("data-finished") === "true") {
    return;
  }
  var bar = document.getElementById("import-bar");
  var summary = document.getElementById("import-summary");
  var url = box.getAttribute("data-url");
  var counts = ["imported", "already", "duplicate", "failed", "warned"];
  var wait = 1500;

  function show(job) {
    bar.value = job.percent;
    bar.setAttribute("aria-valuenow", String(job.percent));
    bar.textContent = job.percent + "%";
    summary.textContent = job.text;
    counts.forEach(function (name) {
      var cell = document.getElementById("count-" + name);
      if (cell) {
        cell.textContent = String(job[name]);
      }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        show(job);
        if (job.finished) {
          window.location.reload();
          return;
        }
        wait = 1500;
        window.setTimeout(poll, wait);
      })
      .catch(function () {
        // Offline or a slow server: ask again, less often.
        wait = Math.min(wait * 2, 30000);
        window.setTimeout(poll, wait);
      });
  }

  window.setTimeout(poll, wait);
})();
