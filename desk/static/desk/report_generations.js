// The reports a user asked for (admin/reports/report/_generations.html): while one is queued or
// being generated, ask the panel's JSON URL every 2 s and rewrite the rows in place, so a
// finished report's download link appears without reloading the page.
(function () {
  "use strict";

  var POLL_MS = 2000;
  var GIVE_UP_AFTER = 900; // polls: half an hour

  function cell(text, className) {
    var td = document.createElement("td");
    if (className) td.className = className;
    if (text) td.textContent = text;
    return td;
  }

  function rowFor(item) {
    var tr = document.createElement("tr");
    tr.className = "generation generation-" + item.state;
    tr.dataset.generation = String(item.id);
    [item.period, item.scope, item.language, item.requested_at].forEach(function (text) {
      tr.appendChild(cell(text));
    });
    tr.appendChild(cell(item.state_label, "generation-state"));
    var result = cell("", "generation-result");
    if (item.download_url) {
      var link = document.createElement("a");
      link.href = item.download_url;
      link.textContent = item.download_label;
      result.appendChild(link);
    } else if (item.error) {
      var error = document.createElement("span");
      error.className = "generation-error";
      error.textContent = item.error;
      result.appendChild(error);
    }
    tr.appendChild(result);
    return tr;
  }

  function render(panel, data) {
    var body = panel.querySelector("tbody");
    var rows = document.createDocumentFragment();
    data.rows.forEach(function (item) {
      rows.appendChild(rowFor(item));
    });
    body.replaceChildren(rows);
    panel.hidden = data.rows.length === 0;
    panel.dataset.unfinished = data.unfinished ? "true" : "false";
  }

  function start(panel) {
    var polls = 0;
    function poll() {
      polls += 1;
      fetch(panel.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("status " + response.status);
          return response.json();
        })
        .then(function (data) {
          render(panel, data);
          if (data.unfinished && polls < GIVE_UP_AFTER) window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          if (polls < GIVE_UP_AFTER) window.setTimeout(poll, POLL_MS * 5);
        });
    }
    window.setTimeout(poll, POLL_MS);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var panel = document.getElementById("report-generations");
    if (panel && panel.dataset.unfinished === "true") start(panel);
  });
})();
