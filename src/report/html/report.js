// The report's only script: filters the checks (also from the address, ?status=unmet&find=kms),
// fills a check's details when they are opened (a large report keeps them as text until then),
// opens the check the address names (#f1-c3), and opens everything before printing. Without it
// the report still reads from top to bottom.
(function () {
  "use strict";
  var find = document.getElementById("find");
  var status = document.getElementById("status");
  var shown = document.getElementById("shown");
  var checks = Array.prototype.slice.call(document.querySelectorAll("tbody.check"));

  function apply() {
    var query = find ? find.value.trim().toLowerCase() : "";
    var wanted = status ? status.value : "";
    var count = 0;
    for (var i = 0; i < checks.length; i++) {
      var c = checks[i];
      var keep = (!wanted || c.getAttribute("data-expect") === wanted ||
                  c.getAttribute("data-result") === wanted) &&
                 (!query || c.rows[0].textContent.toLowerCase().indexOf(query) >= 0);
      c.hidden = !keep;
      if (keep) { count++; }
    }
    if (shown) { shown.textContent = count + " of " + checks.length + " checks shown"; }
  }

  // A link can carry a filter: report.html?status=unmet&find=kms
  var params = new URLSearchParams(location.search);
  if (find && params.get("find")) { find.value = params.get("find"); }
  if (status && params.get("status")) { status.value = params.get("status"); }
  apply();

  var pending = null;
  if (find) {
    find.addEventListener("input", function () {
      clearTimeout(pending);
      pending = setTimeout(apply, 120);
    });
  }
  if (status) { status.addEventListener("change", apply); }

  // Details kept as text (type="text/html" is never run) become part of the page.
  function fill(details) {
    var holder = details.querySelector("script[type='text/html']");
    if (holder) {
      var body = document.createElement("div");
      body.innerHTML = holder.textContent;
      holder.parentNode.replaceChild(body, holder);
    }
  }
  document.addEventListener("toggle", function (e) {
    if (e.target.tagName === "DETAILS" && e.target.open) { fill(e.target); }
  }, true);

  function openNamed() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) { return; }
    var details = target.querySelector("details.trace");
    if (details) { fill(details); details.open = true; }
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", openNamed);
  openNamed();

  window.addEventListener("beforeprint", function () {
    var all = document.querySelectorAll("details");
    for (var i = 0; i < all.length; i++) { fill(all[i]); all[i].open = true; }
  });
})();
