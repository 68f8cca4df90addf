/* packager preview: an LMS inspector around the course.
 *
 * The course runs in an iframe below a scorm-again API (the LMS side), as an LMS would launch
 * it. Every API call is logged with its error code; the panel shows the CMI data the LMS would
 * store. The server pushes each build over Server-Sent Events: a good build relaunches the
 * course on the learner's page, a failed one shows its errors and leaves the course alone.
 */
(function () {
  "use strict";

  var SPECS = {
    scorm12: {
      cls: "Scorm12API", global: "API", label: "SCORM 1.2", err: "LMSGetLastError", errStr: "LMSGetErrorString",
      calls: ["LMSInitialize", "LMSGetValue", "LMSSetValue", "LMSCommit", "LMSFinish"], finish: "LMSFinish",
      learner: { core: { student_id: "preview", student_name: "Learner, Preview" } },
    },
    scorm2004: {
      cls: "Scorm2004API", global: "API_1484_11", label: "SCORM 2004", err: "GetLastError", errStr: "GetErrorString",
      calls: ["Initialize", "GetValue", "SetValue", "Commit", "Terminate"], finish: "Terminate",
      learner: { learner_id: "preview", learner_name: "Preview Learner" },
    },
    web: { label: "Standalone (web)" },
  };
  var LIMIT_12 = 4096, LIMIT_2004 = 64000, MAX_LOG_ROWS = 400;

  function $(sel) { return document.querySelector(sel); }
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function clone(x) { return JSON.parse(JSON.stringify(x)); }

  var frame = $("#course"), select = $("#mode");
  var haveLms = !window.scormAgainMissing && !!window.Scorm12API && !!window.Scorm2004API;
  var mode = null, api = null, session = 0, sessionStart = Date.now(), status = null;
  var loadedGeneration = 0, pendingPlace = null, renderQueued = false, logShown = 0;
  var state = { log: [], reloads: [], sessions: [], ready: 0 }; // ready: the last session shown

  /* ---------- the LMS side: one scorm-again API per session ---------- */
  function removeApis() {
    Object.keys(SPECS).forEach(function (m) { if (SPECS[m].global) delete window[SPECS[m].global]; });
  }
  function wrap(target, spec) {
    // Log each call with what the LMS answered; GetLastError itself is not wrapped, so
    // reading the code here leaves the course's own error checks untouched.
    spec.calls.forEach(function (name) {
      var original = target[name];
      target[name] = function () {
        var args = Array.prototype.slice.call(arguments), result = original.apply(target, args);
        var code = String(target[spec.err]()), getter = /GetValue$/.test(name), setter = /SetValue$/.test(name);
        record({
          session: session, method: name, element: getter || setter ? String(args[0]) : "",
          value: setter ? String(args[1]) : getter ? String(result) : "", result: String(result),
          code: code, error: code === "0" ? "" : String(target[spec.errStr](code)),
        });
        return result;
      };
    });
  }
  function launch(cmi, why) {
    removeApis();
    session += 1;
    sessionStart = Date.now();
    var spec = SPECS[mode];
    api = null;
    if (spec.cls) {
      api = new window[spec.cls]({ autocommit: false, logLevel: 5, lmsCommitUrl: false, strict_errors: true });
      api.loadFromJSON(cmi || clone(spec.learner), "");
      wrap(api, spec);
      window[spec.global] = api;
    }
    state.sessions.push({ session: session, mode: mode, why: why });
    record({ session: session, marker: "session " + session + " (" + spec.label + ", " + why + ")" });
    frame.src = "/course/" + mode + "/index.html";
  }
  function cmiNow() { return api ? clone(api.cmi) : null; }
  function course() { try { return frame.contentWindow.Packager || null; } catch (e) { return null; } }
  function endSession() {
    // What happens when the learner leaves: the course's pagehide handler finishes the
    // session. Calling it now keeps the order deterministic; its own later call is a no-op.
    var P = course();
    if (P && P.ready && typeof P.finish === "function") P.finish();
    return cmiNow();
  }
  function carryOver(cmi, place) {
    // What an LMS hands the next session: the data it kept, with entry set from the exit.
    var core = mode === "scorm12" ? cmi.core : cmi, left = core.exit;
    delete core.exit;
    delete core.session_time;
    delete core.total_time;
    var resume = left === "suspend" || !!place;
    core.entry = resume ? "resume" : mode === "scorm12" ? "" : "ab-initio";
    if (place) {
      // A reload in the preview resumes on the page being read, even after completion.
      if (mode === "scorm12") core.lesson_location = place.page; else cmi.location = place.page;
    }
    return cmi;
  }

  /* ---------- standalone mode: state in localStorage ---------- */
  function webKey() {
    var b = status && status.build;
    return b ? "packager:" + b.course.id + ":" + b.course.version : null;
  }
  function webState() {
    var key = webKey(), raw = null;
    try { raw = key ? window.localStorage.getItem(key) : null; } catch (e) { raw = null; }
    return { key: key, raw: raw };
  }
  function clearWebState() {
    var b = status && status.build;
    if (!b) return;
    var prefix = "packager:" + b.course.id + ":";
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var k = window.localStorage.key(i);
        if (k && k.indexOf(prefix) === 0) window.localStorage.removeItem(k);
      }
    } catch (e) { /* storage blocked: nothing to clear */ }
  }
  function placeWebState(place) {
    // The web adapter has no bookmark: point the saved page index at the same page id.
    var ws = webState(), pages = status.build.pages, at = pages.indexOf(place.page);
    if (!ws.raw || at < 0) return;
    try {
      var o = JSON.parse(ws.raw);
      o.p = at;
      window.localStorage.setItem(ws.key, JSON.stringify(o));
    } catch (e) { /* not our format: the course starts where it decides */ }
  }

  /* ---------- the three buttons and the mode switch ---------- */
  function currentPlace() {
    var P = course();
    if (!P || !P.ready || !P.data) return null;
    var doc = frame.contentDocument, shown = doc && doc.querySelector("section.page:not([hidden])");
    var id = shown ? shown.id.replace(/^page-/, "") : P.data.pages[P.state().p].id;
    return { page: id, scroll: frame.contentWindow.scrollY || 0 };
  }
  function reset() {
    endSession();
    clearWebState();
    launch(null, "reset");
  }
  function leaveAndResume() {
    var kept = endSession();
    launch(kept ? carryOver(kept, null) : null, "resumed");
  }
  function switchMode(next) {
    if (next !== "web" && !haveLms) next = "web";
    if (mode) endSession();
    mode = next;
    select.value = mode;
    try { window.localStorage.setItem("packager-preview:mode", mode); } catch (e) { /* fine */ }
    if (status && status.build) launch(null, "new mode");
    render();
  }
  function reloadKeepingPlace(generation) {
    var place = currentPlace(), kept = endSession();
    pendingPlace = place;
    if (place && mode === "web") placeWebState(place);
    state.reloads.push({ generation: generation, page: place && place.page, at: Date.now() });
    launch(kept ? carryOver(kept, place) : null, "rebuilt");
  }

  frame.addEventListener("load", function () {
    // Restore the scroll position of a reload once the course has shown its page. The wait
    // has no deadline (a busy machine can be slow) but ends when a newer launch replaces it.
    var place = pendingPlace, mine = session;
    pendingPlace = null;
    (function settle() {
      if (session !== mine) return;
      var P = course();
      if (!P || !P.ready) { setTimeout(settle, 20); return; }
      if (place && place.scroll) frame.contentWindow.scrollTo(0, place.scroll);
      state.ready = session;
      var last = state.reloads[state.reloads.length - 1];
      if (last && !last.readyAt) last.readyAt = Date.now();
      queueRender();
    })();
  });
  select.addEventListener("change", function () { switchMode(select.value); });
  $("#reset").addEventListener("click", reset);
  $("#resume").addEventListener("click", leaveAndResume);
  $("#clear-log").addEventListener("click", function () {
    state.log.length = 0; logShown = 0; $("#log").textContent = ""; queueRender();
  });
  window.addEventListener("storage", queueRender); // the course's localStorage writes (web mode)

  /* ---------- builds from the server ---------- */
  function onStatus(st) {
    status = st;
    var line = $("#build-status");
    if (st.ok) {
      line.textContent = "Built in " + st.seconds.toFixed(2) + " s" + (st.changed.length ? " after saving " + st.changed.join(", ") : "");
      line.className = "";
    } else {
      line.textContent = "Build failed (" + st.errors.length + " error(s)): showing the last good build";
      line.className = "failed";
    }
    var overlay = $("#overlay"), list = $("#errors"), detail = $("#detail");
    list.textContent = "";
    st.errors.forEach(function (d) { list.appendChild(el("li", d.text)); });
    detail.textContent = st.detail || "";
    detail.hidden = !st.detail;
    overlay.hidden = st.ok;
    $("#empty").hidden = !!st.build;
    var notes = $("#notes");
    notes.querySelector("ul").textContent = "";
    (st.build ? st.build.notes : []).forEach(function (d) { notes.querySelector("ul").appendChild(el("li", d.text)); });
    notes.hidden = !(st.build && st.build.notes.length);
    if (st.build) {
      $("#course-name").textContent = st.build.course.title + " " + st.build.course.version;
      document.title = "Preview: " + st.build.course.title;
      if (st.build.generation !== loadedGeneration) {
        var first = loadedGeneration === 0;
        loadedGeneration = st.build.generation;
        if (first) launch(null, "start"); else reloadKeepingPlace(loadedGeneration);
      }
    }
    queueRender();
  }
  function connect() {
    var source = new EventSource("/_preview/events");
    source.addEventListener("build", function (ev) { onStatus(JSON.parse(ev.data)); });
    // EventSource reconnects by itself when the server restarts.
  }

  /* ---------- the panel ---------- */
  function record(entry) {
    entry.t = Date.now();
    state.log.push(entry);
    queueRender();
  }
  function queueRender() {
    if (renderQueued) return;
    renderQueued = true;
    setTimeout(function () { renderQueued = false; render(); }, 30);
  }
  function shown(value) {
    // Values as the LMS got them, quoted; long ones (suspend_data) cut, with their length.
    value = String(value);
    return "\u201c" + (value.length > 160 ? value.slice(0, 160) + "\u2026" : value) + "\u201d" +
      (value.length > 160 ? " (" + value.length.toLocaleString("en") + " characters)" : "");
  }
  function renderLog() {
    // Newest first: the call that just happened is the one the author is looking for.
    var list = $("#log");
    for (; logShown < state.log.length; logShown++) {
      var e = state.log[logShown], li;
      if (e.marker) li = el("li", e.marker, "session");
      else {
        li = el("li", null, e.code !== "0" ? "err" : "");
        li.appendChild(el("span", e.method, "m"));
        var args = e.element ? "(" + e.element + (/SetValue$/.test(e.method) ? ", " + shown(e.value) : "") + ")" : "()";
        li.appendChild(document.createTextNode(args + " \u2192 "));
        li.appendChild(el("span", /GetValue$/.test(e.method) ? shown(e.result) : e.result, "r"));
        if (e.code !== "0") li.appendChild(document.createTextNode("  error " + e.code + " " + e.error));
      }
      list.insertBefore(li, list.firstChild);
    }
    while (list.children.length > MAX_LOG_ROWS) list.removeChild(list.lastChild);
    var calls = state.log.filter(function (e) { return !e.marker; });
    $("#call-count").textContent = calls.length + " call(s), " + calls.filter(function (e) { return e.code !== "0"; }).length + " error(s)";
  }
  function sizeCell(length) {
    var td = el("td"), over = length > LIMIT_12;
    td.appendChild(el("span", length.toLocaleString("en") + " / " + LIMIT_12.toLocaleString("en") +
      " characters (SCORM 1.2 limit)" + (over ? ": too long for SCORM 1.2" : ""), over ? "over" : ""));
    if (mode === "scorm2004") td.appendChild(el("div", "SCORM 2004 allows " + LIMIT_2004.toLocaleString("en")));
    var meter = el("meter");
    meter.min = 0; meter.max = LIMIT_12; meter.high = LIMIT_12 * 0.8; meter.value = Math.min(length, LIMIT_12);
    td.appendChild(meter);
    return td;
  }
  function elapsed() {
    var s = Math.floor((Date.now() - sessionStart) / 1000);
    return Math.floor(s / 60) + " min " + (s % 60) + " s";
  }
  function modelRows() {
    var rows = [], cmi = cmiNow();
    if (mode === "scorm12" && cmi) {
      var c = cmi.core, st = c.lesson_status;
      rows.push(["cmi.core.lesson_status", st]);
      rows.push(["success (from lesson_status)", st === "passed" ? "passed" : st === "failed" ? "failed" : "unknown"]);
      rows.push(["cmi.core.score.raw", c.score.raw + (c.score.raw !== "" ? " (min " + c.score.min + ", max " + c.score.max + ")" : "")]);
      rows.push(["cmi.core.lesson_location", c.lesson_location]);
      rows.push(["cmi.suspend_data", cmi.suspend_data.length]);
      rows.push(["cmi.core.entry / exit", (c.entry || "\u2014") + " / " + (c.exit || "\u2014")]);
      rows.push(["cmi.core.session_time", c.session_time + " (this session so far: " + elapsed() + ")"]);
      rows.push(["cmi.core.student_name", c.student_name]);
    } else if (mode === "scorm2004" && cmi) {
      rows.push(["cmi.completion_status", cmi.completion_status]);
      rows.push(["cmi.success_status", cmi.success_status]);
      rows.push(["cmi.score.scaled / raw", (cmi.score.scaled || "\u2014") + " / " + (cmi.score.raw || "\u2014")]);
      rows.push(["cmi.progress_measure", cmi.progress_measure]);
      rows.push(["cmi.location", cmi.location]);
      rows.push(["cmi.suspend_data", cmi.suspend_data.length]);
      rows.push(["cmi.entry / exit", (cmi.entry || "\u2014") + " / " + (cmi.exit || "\u2014")]);
      rows.push(["cmi.session_time", cmi.session_time + " (this session so far: " + elapsed() + ")"]);
      rows.push(["cmi.objectives", Object.keys(cmi.objectives).length + " objective(s)"]);
      rows.push(["cmi.learner_name", cmi.learner_name]);
    } else if (mode === "web") {
      var ws = webState(), saved = null;
      try { saved = ws.raw ? JSON.parse(ws.raw) : null; } catch (e) { saved = null; }
      rows.push(["storage", "this browser's localStorage (no LMS)"]);
      rows.push(["key", ws.key || "\u2014"]);
      rows.push(["saved state", ws.raw ? ws.raw.length : 0]);
      if (saved && status && status.build) {
        rows.push(["page", status.build.pages[saved.p] || saved.p]);
        rows.push(["completed", saved.c ? "yes" : "no"]);
        rows.push(["time in course", Math.floor(saved.t / 60) + " min " + (saved.t % 60) + " s"]);
      }
    }
    return rows;
  }
  function renderModel() {
    var body = $("#model tbody");
    body.textContent = "";
    modelRows().forEach(function (row) {
      var tr = el("tr");
      tr.appendChild(el("th", row[0]));
      var sized = row[0] === "cmi.suspend_data" || row[0] === "saved state";
      tr.appendChild(sized ? sizeCell(row[1]) : el("td", row[1] === "" ? "\u2014" : row[1]));
      if (sized) tr.setAttribute("data-size", String(row[1]));
      body.appendChild(tr);
    });
    var rows = $("#interactions tbody"), cmi = cmiNow(), list = cmi ? cmi.interactions || {} : {};
    rows.textContent = "";
    Object.keys(list).forEach(function (n) {
      var x = list[n], tr = el("tr");
      [n, x.id, x.type, mode === "scorm12" ? x.student_response : x.learner_response, x.result].forEach(function (v) {
        tr.appendChild(el("td", v));
      });
      rows.appendChild(tr);
    });
    $("#interaction-count").textContent = cmi ? Object.keys(list).length + " recorded" : "(none outside an LMS)";
    $("#session").textContent = SPECS[mode] ? "\u2014 " + SPECS[mode].label + ", session " + session : "";
  }
  function render() {
    if (!mode) return;
    renderModel();
    renderLog();
  }
  setInterval(function () { if (mode) renderModel(); }, 1000); // the session clock

  /* ---------- start ---------- */
  if (!haveLms) {
    $("#missing").hidden = false;
    Array.prototype.forEach.call(select.options, function (o) { o.disabled = o.value !== "web"; });
  }
  var asked = (/[?&]mode=(scorm12|scorm2004|web)/.exec(window.location.search) || [])[1], remembered = null;
  try { remembered = window.localStorage.getItem("packager-preview:mode"); } catch (e) { remembered = null; }
  mode = asked || (SPECS[remembered] ? remembered : "scorm12");
  if (mode !== "web" && !haveLms) mode = "web";
  select.value = mode;
  window.preview = {
    state: state, mode: function () { return mode; }, cmi: cmiNow, status: function () { return status; },
    session: function () { return session; }, switchMode: switchMode, reset: reset, leaveAndResume: leaveAndResume,
  };
  connect();
})();
