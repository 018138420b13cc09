// The case page: one action panel open at a time; the assignee list shows the chosen
// department's people only; intake looks up the customer's other cases as they are typed.
(function () {
  "use strict";

  function openPanel(id) {
    document.querySelectorAll(".action-panel").forEach(function (panel) {
      panel.classList.toggle("open", panel.id === id);
    });
    document.querySelectorAll(".action-button").forEach(function (button) {
      button.classList.toggle("active", button.dataset.panel === id);
    });
  }

  function scopeAssignees(form) {
    var department = form.querySelector("select[name$='department']");
    var assignee = form.querySelector("select[name$='assignee']");
    if (!department || !assignee) return;
    function apply() {
      var chosen = department.value;
      Array.prototype.forEach.call(assignee.options, function (option) {
        if (!option.value) return;
        var works = (option.dataset.departments || "").split(" ").indexOf(chosen) !== -1;
        option.hidden = !works;
        option.disabled = !works;
        if (!works && option.selected) assignee.value = "";
      });
    }
    department.addEventListener("change", apply);
    apply();
  }

  function lookUpCustomer(form) {
    var url = form.dataset.customerHistory;
    var target = document.getElementById("customer-history");
    if (!url || !target) return;
    var names = ["customer_phone", "customer_email", "customer_id_number", "category"];
    function refresh() {
      var body = new FormData();
      body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      names.forEach(function (name) {
        var field = form.querySelector("[name=" + name + "]");
        if (field) body.append(name.replace("customer_", ""), field.value);
      });
      fetch(url, { method: "POST", body: body, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (html) { target.innerHTML = html; });
    }
    names.forEach(function (name) {
      var field = form.querySelector("[name=" + name + "]");
      if (field) field.addEventListener("change", refresh);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".action-button").forEach(function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        openPanel(button.dataset.panel);
        history.replaceState(null, "", "#" + button.dataset.panel);
        var first = document.querySelector("#" + button.dataset.panel + " textarea, #" + button.dataset.panel + " select, #" + button.dataset.panel + " input:not([type=hidden])");
        if (first) first.focus();
      });
    });
    document.querySelectorAll("[data-close-panel]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        openPanel("");
        history.replaceState(null, "", location.pathname);
      });
    });
    if (location.hash.indexOf("#action-") === 0) openPanel(location.hash.slice(1));
    document.querySelectorAll(".action-panel form").forEach(scopeAssignees);
    document.querySelectorAll("form[data-customer-history]").forEach(lookUpCustomer);
  });
})();
