// The running tag job's progress line: asks how far it got every few
// seconds, and reloads the page once it has finished (to show the result and
// the new counts). Without JavaScript the page's reload link does the same.
(function () {
  "use strict";
  var box = document.getElementById("tag-job");
  if (!box || !window.fetch) {
    return;
  }
  var text = document.getElementById("tag-job-text");
  var bar = document.getElementById("tag-job-progress");
  var url = box.getAttribute("data-url");
  var wait = 2000;

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      })
      .then(function (job) {
        if (!job.running) {
          window.location.reload();
          return;
        }
        text.textContent = job.text;
        if (bar) {
          bar.max = Math.max(job.total, 1);
          bar.value = Math.min(job.done, bar.max);
          bar.textContent = job.done + " of " + job.total;
        }
        wait = 2000;
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
