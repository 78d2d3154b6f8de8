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

  // Send a review form with fetch; fall back to a normal submit on failure.
  review.addEventListener("submit", function (ev) {
    var form = ev.target;
    var row = form.closest(".review-row");
    if (!row || !window.fetch || !window.FormData) { return; }
    ev.preventDefault();
    var data = new FormData(form);
    if (ev.submitter && ev.submitter.name) { data.append(ev.submitter.name, ev.submitter.value); }
    // getAttribute: form.action would be the button named "action".
    fetch(form.getAttribute("action"), { method: "POST", body: new URLSearchParams(data), headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (resp) { return resp.json().then(function (body) { return { ok: resp.ok, body: body }; }); })
      .then(function (res) {
        if (!res.ok) { say(row, res.body.error ? res.body.error.message : "Not saved.", true); return; }
        var d = res.body.decision;
        var version = d ? d.version : 0;
        row.querySelectorAll("input[name=version]").forEach(function (v) { v.value = version; });
        if (!d) { say(row, "Undecided", false); return; }
        var text = d.kind === "accept" ? "Accepted " + d.qid : d.kind === "reject" ? "Rejected" : "Not on Wikidata";
        say(row, text + " by " + d.user + (res.body.message ? " — " + res.body.message : ""), false);
        focusRow(rows.indexOf(row) + 1);
      })
      .catch(function () { form.submit(); });
  });

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
    if (k === "j") { ev.preventDefault(); focusRow(current + 1); return; }
    if (k === "k") { ev.preventDefault(); focusRow(Math.max(0, current - 1)); return; }
    if (current < 0 && rows.length) { focusRow(0); }
    var row = rows[current];
    if (!row) { return; }
    if (/^[1-5]$/.test(k) || k === "x" || k === "n" || k === "u" || k === "q") {
      if (click(row, k)) { ev.preventDefault(); }
    }
  });
})();
