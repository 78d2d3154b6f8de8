// Partnerhub's small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions.
  document.addEventListener("submit", function (ev) {
    var msg = ev.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  });
})();
