// The book page's "Your copy" form: after a refused save (or one to settle),
// move focus to the summary at the top of the form, which lists what to fix.
(function () {
  "use strict";

  const summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
