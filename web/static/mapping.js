// Mapping page: "Use" buttons beside suggestions and search results fill in
// the column's property, its use and its kind. The page works without this.
(function () {
  "use strict";
  document.querySelectorAll("[data-use-property]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var i = btn.getAttribute("data-column");
      var set = function (id, v) { var el = document.getElementById(id + "_" + i); if (el && v) { el.value = v; } };
      set("role", "property");
      set("property", btn.getAttribute("data-use-property"));
      set("kind", btn.getAttribute("data-kind") || "auto");
      var prop = document.getElementById("property_" + i);
      if (prop) { prop.focus(); }
    });
  });
})();
