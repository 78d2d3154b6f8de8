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

// As a name is typed into a property box or the type box, the names found
// by the reconciliation service's suggest endpoints (the same searches as
// the form's Search buttons) are offered in the box's list; choosing one
// puts its id in the box. Without script the Search buttons do the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-suggest]");
  if (!form || !window.fetch) { return; }
  var base = form.getAttribute("data-suggest");
  var lang = function () {
    var el = document.getElementById("languages");
    var first = el ? el.value.split(",")[0].trim() : "";
    return /^[a-z]{2,3}(-[a-z0-9]+)*$/.test(first) ? first : "en";
  };
  var idLike = /^[PQ][1-9][0-9]*$/i;
  var attach = function (input, kind) {
    var list = input.list;
    if (!list) { return; }
    var timer = null, asked = "";
    input.addEventListener("input", function () {
      var text = input.value.trim();
      clearTimeout(timer);
      if (text.length < 2 || idLike.test(text) || text === asked) { return; }
      timer = setTimeout(function () {
        asked = text;
        fetch(base + "/" + kind + "?prefix=" + encodeURIComponent(text) + "&lang=" + encodeURIComponent(lang()), { credentials: "omit" })
          .then(function (r) { return r.ok ? r.json() : { result: [] }; })
          .then(function (body) {
            if (input.value.trim() !== text) { return; }
            list.querySelectorAll("option[data-suggested]").forEach(function (o) { o.remove(); });
            (body.result || []).forEach(function (s) {
              var o = document.createElement("option");
              o.value = s.id;
              o.textContent = s.name + (s.description ? " — " + s.description : "");
              o.setAttribute("data-suggested", "");
              list.appendChild(o);
            });
          })
          .catch(function () { /* the Search buttons still work */ });
      }, 300);
    });
  };
  form.querySelectorAll("input[id^='property_']").forEach(function (el) { attach(el, "property"); });
  var type = document.getElementById("type_qid");
  if (type) { attach(type, "type"); }
})();
