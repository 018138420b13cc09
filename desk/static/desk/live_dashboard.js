// The live dashboard: while its figures are being computed, ask the status URL every 2 s and
// reload the page once a snapshot newer than the one shown is there (desk/admin/dashboard.py).
(function () {
  "use strict";

  var POLL_MS = 2000;
  var GIVE_UP_AFTER = 300; // polls: ten minutes, then the refresh button is the way

  function start(panel) {
    var url = panel.dataset.dashboardStatus;
    var shown = panel.dataset.computedAt || "";
    var polls = 0;

    function poll() {
      polls += 1;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (status) {
          if (status.computed_at && status.computed_at !== shown) {
            window.location.reload();
            return;
          }
          if (polls < GIVE_UP_AFTER) window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          if (polls < GIVE_UP_AFTER) window.setTimeout(poll, POLL_MS * 5);
        });
    }

    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.querySelector("[data-dashboard-status]");
    if (panel && panel.dataset.pending === "true") start(panel);
  });
})();
