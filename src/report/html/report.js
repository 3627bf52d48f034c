// The report's only script: filters the checks (also from the address, ?status=unmet&find=kms),
// builds a check's details when it is opened (a very large report leaves them to its page
// engine, or keeps them as text, until then), opens the check the address names (#f1-c3), and
// opens everything before printing. Without it a report of every check's details still reads
// from top to bottom.
(function () {
  "use strict";
  var find = document.getElementById("find");
  var status = document.getElementById("status");
  var shown = document.getElementById("shown");
  var checks = Array.prototype.slice.call(document.querySelectorAll("tbody.check"));

  function apply() {
    var query = find ? find.value.trim().toLowerCase() : "";
    var wanted = status ? status.value : "";
    for (var i = 0; i < checks.length; i++) {
      var c = checks[i];
      var keep = (!wanted || c.getAttribute("data-expect") === wanted ||
                  c.getAttribute("data-result") === wanted) &&
                 (!query || (c.rows[0].textContent + " " + (c.getAttribute("data-actions") || ""))
                   .toLowerCase().indexOf(query) >= 0);
      c.hidden = !keep;
    }
    tell();
  }

  // How many checks are shown, for the status line.
  function tell() {
    var count = 0;
    for (var i = 0; i < checks.length; i++) { if (!checks[i].hidden) { count++; } }
    if (shown) { shown.textContent = count + " of " + checks.length +
      (checks.length === 1 ? " check shown" : " checks shown"); }
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

  // A very large report keeps each check's details as text, in blocks beside the table
  // (type="text/html" is never run): a block becomes elements the first time one of its
  // checks is opened, and the check gets its details row then.
  var blocks = {};
  function heldDetails(check) {
    var name = check.getAttribute("data-held");
    var block = name && blocks[name];
    if (name && !block) {
      var holder = document.getElementById(name);
      block = blocks[name] = {};
      if (holder) {
        var parsed = document.createElement("div");
        parsed.innerHTML = holder.textContent;
        var parts = parsed.children;
        for (var i = 0; i < parts.length; i++) {
          block[parts[i].getAttribute("data-for")] = parts[i];
        }
      }
    }
    return block ? block[check.id] : null;
  }

  // A very large report leaves each check's details to its page engine: this library as a
  // WebAssembly module, carried in the page with each file's scenario. The engine decides an
  // opened check again, with its trace, at the time of the run, and renders its details with
  // the same code as a report that holds them all.
  var engineBlock = document.getElementById("engine");
  var engine = null;          // the engine's exports, once started
  var engineProblem = null;   // why it could not start
  var engineWaiting = false;  // a start in the background, under way
  var scenarios = {};
  function bytesOf(block) {
    var text = atob(block.textContent.replace(/\s+/g, ""));
    var bytes = new Uint8Array(text.length);
    for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
    return bytes;
  }
  function hand(bytes) {
    var at = engine.engine_input(bytes.length);
    new Uint8Array(engine.memory.buffer, at, bytes.length).set(bytes);
  }
  function answer() {
    return new TextDecoder().decode(new Uint8Array(engine.memory.buffer,
      engine.engine_output(), engine.engine_output_len()));
  }
  function started(exports) {
    engine = exports;
    hand(new TextEncoder().encode(engineBlock.getAttribute("data-time") || ""));
    if (!engine.engine_time()) { engineProblem = answer(); }
  }
  // Starts the engine the first time a check is opened: at once where the browser compiles a
  // module this size on the page's thread (Chromium does up to 8 MB), else in the background,
  // opening the named check when it is ready. True once it is ready or known not to start.
  function startEngine() {
    if (engine || engineProblem) { return true; }
    if (engineWaiting) { return false; }
    if (typeof WebAssembly !== "object") {
      engineProblem = "this browser runs no WebAssembly";
      return true;
    }
    var bytes = bytesOf(engineBlock);
    try {
      started(new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports);
      return true;
    } catch (e) {
      if (!(e instanceof RangeError)) { engineProblem = String(e); return true; }
    }
    engineWaiting = true;
    WebAssembly.instantiate(bytes, {}).then(function (made) {
      started(made.instance.exports);
    }).catch(function (e) {
      engineProblem = String(e);
    }).then(function () { engineWaiting = false; openNamed(); });
    return false;
  }

  // The details of check fN-cM as the engine builds them, or a note of why it could not.
  function engineDetails(check) {
    var place = /^f(\d+)-c(\d+)$/.exec(check.id);
    var part = document.createElement("div");
    var problem = engineProblem;
    if (place && engine && !problem) {
      var file = Number(place[1]);
      try {
        if (!(file in scenarios)) {
          var block = document.getElementById("scenario-f" + file);
          var name = new TextEncoder().encode((block && block.getAttribute("data-name")) + "\u0000");
          var text = block ? bytesOf(block) : new Uint8Array(0);
          var input = new Uint8Array(name.length + text.length);
          input.set(name);
          input.set(text, name.length);
          hand(input);
          scenarios[file] = engine.engine_load(file) ? null : answer();
        }
        problem = scenarios[file];
        if (!problem) {
          if (engine.engine_details(file, Number(place[2]))) {
            part.innerHTML = answer();
            return part.firstElementChild;
          }
          problem = answer();
        }
      } catch (e) {
        // A fault inside the engine leaves it unusable.
        engine = null;
        problem = engineProblem = String(e);
      }
    }
    var note = document.createElement("p");
    note.className = "muted";
    note.textContent = "This check's trace could not be built here (" +
      (problem || "the page engine did not start") + "); `iamsim explain FILE --check NAME` " +
      "prints it.";
    part.appendChild(note);
    return part;
  }

  function detailsOf(check) {
    var details = check.querySelector("details.trace");
    // Until the engine is ready (or known not to start), there is nothing to build.
    var building = engineBlock ? (startEngine() ? engineDetails : null) : heldDetails;
    var held = !details && building && building(check);
    if (held) {
      var row = document.createElement("tr");
      row.className = "detail";
      var cell = row.insertCell(0);
      cell.colSpan = 6;
      details = document.createElement("details");
      details.className = "trace";
      var summary = document.createElement("summary");
      summary.className = "toggle";
      summary.textContent = "Trace of this check";
      details.appendChild(summary);
      details.appendChild(held);
      cell.appendChild(details);
      check.appendChild(row);
    }
    return details;
  }

  // The element the address names; a step of a check whose details are still text is found
  // once its check has been built.
  function named() {
    var id = location.hash.slice(1);
    try { id = decodeURIComponent(id); } catch (e) { /* a malformed address: taken as it is */ }
    if (!id) { return null; }
    var target = document.getElementById(id);
    var check = /^f\d+-c\d+/.exec(id);
    if (!target && check) {
      var body = document.getElementById(check[0]);
      if (body) { detailsOf(body); target = document.getElementById(id); }
    }
    return target;
  }

  function openNamed() {
    // A large report's engine is made ready first; if that takes a while, this runs again.
    if (!location.hash.slice(1) || (engineBlock && !startEngine())) { return; }
    var target = named();
    if (!target) { return; }
    var check = target.closest ? target.closest("tbody.check") : null;
    if (check) {
      // A check the filters hide is shown when the address names it.
      if (check.hidden) { check.hidden = false; tell(); }
      var details = detailsOf(check);
      if (details) { details.open = true; }
    }
    var inner = target.closest ? target.closest("details") : null;
    if (inner) { inner.open = true; }
    target.scrollIntoView();
  }

  // Printing shows every check, whatever the filters hide, with its details open.
  var printNote = null;
  window.addEventListener("beforeprint", function () {
    if (find) { find.value = ""; }
    if (status) { status.value = ""; }
    apply();
    // A browser that compiles the engine only in the background cannot build traces yet.
    if (engineBlock && !startEngine() && !printNote) {
      printNote = document.createElement("p");
      printNote.className = "muted";
      printNote.textContent = "The page engine is still starting, so this printout has no " +
        "traces: print again in a moment to include them.";
      document.body.insertBefore(printNote, document.body.firstChild);
    }
    for (var i = 0; i < checks.length; i++) { detailsOf(checks[i]); }
    var all = document.querySelectorAll("details");
    for (var j = 0; j < all.length; j++) { all[j].open = true; }
  });

  window.addEventListener("afterprint", function () {
    if (printNote) { printNote.remove(); printNote = null; }
  });

  window.addEventListener("hashchange", openNamed);
  // Selecting the name of the check the address already names opens it again.
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("th a") : null;
    if (link && link.getAttribute("href") === location.hash) { openNamed(); }
  });
  openNamed();
})();
