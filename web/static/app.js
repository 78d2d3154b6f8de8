// Partnerhub's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Ask before destructive actions.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  });

  // Review page: keyboard shortcuts, and decisions sent without reloading.
  var review = document.querySelector("[data-review]");
  if (!review) { return; }
  var rows = Array.prototype.slice.call(review.querySelectorAll(".review-row"));
  var current = -1;

  function focusRow(i) {
    if (i < 0 || i >= rows.length) { return; }
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = i;
    rows[i].classList.add("current");
    rows[i].focus();
    rows[i].scrollIntoView({ block: "nearest" });
  }
  rows.forEach(function (row, i) {
    row.addEventListener("mousedown", function () { advancedFrom = null; });
    row.addEventListener("focusin", function () {
      if (current !== i) {
        if (current >= 0) { rows[current].classList.remove("current"); }
        current = i;
        row.classList.add("current");
      }
    });
  });

  function say(row, text, isError) {
    var el = row.querySelector("[data-decision]");
    if (el) {
      el.textContent = text;
      el.setAttribute("role", isError ? "alert" : "status");
      el.style.color = isError ? "#b32424" : "";
    }
  }

  // Rows decided on this page, latest last: "u" on a row without a decision
  // undoes the latest of them.
  var decided = [];
  var advancedFrom = null; // the row just decided, when focus moved on from it

  function showUndo(row, on) {
    row.querySelectorAll("[data-key='u']").forEach(function (b) { b.hidden = !on; });
  }

  // Send a review form with fetch; fall back to a normal submit on failure.
  review.addEventListener("submit", function (ev) {
    var form = ev.target;
    var row = form.closest(".review-row");
    if (!row || !window.fetch || !window.FormData) { return; }
    ev.preventDefault();
    var data = new FormData(form);
    var action = ev.submitter && ev.submitter.name ? ev.submitter.value : data.get("action");
    if (ev.submitter && ev.submitter.name) { data.append(ev.submitter.name, ev.submitter.value); }
    // getAttribute: form.action would be the button named "action".
    fetch(form.getAttribute("action"), { method: "POST", body: new URLSearchParams(data), headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (resp) { return resp.json().then(function (body) { return { ok: resp.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { say(row, res.body.error ? res.body.error.message : "Not saved.", true); return; }
        var d = res.body.decision;
        var version = d ? d.version : 0;
        row.querySelectorAll("input[name=version]").forEach(function (v) { v.value = version; });
        decided = decided.filter(function (r) { return r !== row; });
        if (!d) { showUndo(row, false); say(row, "Undecided", false); return; }
        showUndo(row, true);
        decided.push(row);
        var text = d.kind === "accept" ? "Accepted " + d.qid : d.kind === "reject" ? "Rejected" : "Not on Wikidata";
        say(row, text + " by " + d.user + (res.body.message ? " — " + res.body.message : ""), false);
        if (action !== "undo" && rows.indexOf(row) + 1 < rows.length) {
          focusRow(rows.indexOf(row) + 1);
          advancedFrom = row;
        }
      })
      .catch(function () { form.submit(); });
  });

  // "u" right after a decision (focus moved on by itself) takes that
  // decision back; else it undoes the current row's decision, or, on an
  // undecided row, the latest decision made on this page.
  function undo(row) {
    var b = row.querySelector("[data-key='u']");
    var target = advancedFrom;
    if (!target && b && !b.hidden) { target = row; }
    if (!target) { target = decided[decided.length - 1]; }
    if (!target) { return false; }
    advancedFrom = null;
    focusRow(rows.indexOf(target));
    target.querySelector("[data-key='u']").click();
    return true;
  }

  function toggleDetails(row) {
    var d = row.querySelector("details");
    if (!d) { return false; }
    d.open = !d.open;
    return true;
  }

  function click(row, key) {
    var el = row.querySelector("[data-key='" + key + "']");
    if (!el) { return false; }
    if (el.tagName === "INPUT") { el.focus(); return true; }
    el.click();
    return true;
  }

  document.addEventListener("keydown", function (ev) {
    var t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT")) {
      if (ev.key === "Escape") { t.blur(); if (current >= 0) { rows[current].focus(); } }
      return;
    }
    var k = ev.key;
    if (k === "/") {
      var search = document.getElementById("f-q");
      if (search) { ev.preventDefault(); search.focus(); }
      return;
    }
    if (k === "j") { ev.preventDefault(); advancedFrom = null; focusRow(current + 1); return; }
    if (k === "k") { ev.preventDefault(); advancedFrom = null; focusRow(Math.max(0, current - 1)); return; }
    if (current < 0 && rows.length) { focusRow(0); }
    var row = rows[current];
    if (!row) { return; }
    if (k === "u") { if (undo(row)) { ev.preventDefault(); } return; }
    if (k === "o") { if (toggleDetails(row)) { ev.preventDefault(); } return; }
    if (/^[1-5]$/.test(k) || k === "x" || k === "n" || k === "q") {
      if (click(row, k)) { ev.preventDefault(); }
    }
  });
})();
