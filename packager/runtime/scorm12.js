/* packager runtime adapter: SCORM 1.2 (window.API). Maps the core's calls to cmi.core.* and
 * cmi.interactions.*, within 1.2's vocabularies and lengths. */
(function () {
  "use strict";
  var P = (window.Packager = window.Packager || {});
  P.adapters = P.adapters || {};
  var lms = null, nInteractions = 0, last = {};

  function pad(n, width) { n = String(n); while (n.length < width) n = "0" + n; return n; }
  function timespan(seconds) {
    // CMITimespan HHHH:MM:SS.SS
    var cs = Math.max(0, Math.round(seconds * 100)), h = Math.min(9999, Math.floor(cs / 360000));
    return pad(h, 4) + ":" + pad(Math.floor(cs / 6000) % 60, 2) + ":" + pad(Math.floor(cs / 100) % 60, 2) + "." + pad(cs % 100, 2);
  }
  function clock(d) { return pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2); }
  function identifier(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 255); }
  function response(x) {
    // choice and likert: a-z identifiers; true-false: t/f; fill-in: CMIString255.
    if (x.type === "text") return String(x.response).slice(0, 255);
    if (x.type === "true-false") return x.response === 0 ? "t" : "f";
    var picked = x.type === "multiple" ? x.response : [x.response];
    return picked.map(P.lms.letter).join(",");
  }
  var TYPES = { single: "choice", multiple: "choice", "true-false": "true-false", text: "fill-in", likert: "likert" };

  function lessonStatus(st) {
    // Reporting profiles: which of 1.2's single status words the LMS sees.
    var profile = (P.config && P.config.profile) || "passed-incomplete";
    var word = profile.split("-");
    if (st.completed && (st.passed !== false || word[0] === "completed")) return st.passed === true ? word[0] : "completed";
    if (st.passed === false) return word[1] === "failed" ? "failed" : "incomplete";
    return "incomplete";
  }

  P.adapters.scorm12 = {
    name: "scorm12",
    start: function () {
      var api = P.lms.find("API");
      if (!api) return { connected: false };
      lms = P.lms.connect(api, {
        init: "LMSInitialize", get: "LMSGetValue", set: "LMSSetValue", commit: "LMSCommit",
        finish: "LMSFinish", err: "LMSGetLastError", errStr: "LMSGetErrorString", diag: "LMSGetDiagnostic",
      });
      P.lmsErrors = lms.errors;
      if (!lms.init()) { lms = null; return { connected: false }; }
      nInteractions = parseInt(lms.get("cmi.interactions._count"), 10) || 0;
      // A status the LMS already holds from an earlier attempt is never downgraded.
      var prior = lms.get("cmi.core.lesson_status");
      if (prior === "passed" || prior === "completed" || prior === "failed") last.status = prior;
      var mode = lms.get("cmi.core.lesson_mode");
      return {
        connected: true, learnerName: lms.get("cmi.core.student_name") || null,
        data: lms.get("cmi.suspend_data") || null, location: lms.get("cmi.core.lesson_location") || null,
        entry: lms.get("cmi.core.entry"), mode: mode === "review" || mode === "browse" ? mode : "normal",
      };
    },
    save: function (state) { lms.set("cmi.suspend_data", state); },
    location: function (pageId) { lms.set("cmi.core.lesson_location", String(pageId).slice(0, 255)); },
    score: function (s) {
      lms.set("cmi.core.score.min", s.min);
      lms.set("cmi.core.score.max", s.max);
      lms.set("cmi.core.score.raw", s.raw);
    },
    status: function (st) {
      var word = lessonStatus(st);
      // A completed run is never reported back as incomplete (e.g. a resumed session).
      if (last.status && last.status !== "incomplete" && word === "incomplete") return;
      last.status = word;
      lms.set("cmi.core.lesson_status", word);
    },
    interaction: function (x) {
      var base = "cmi.interactions." + nInteractions++ + ".", resp = response(x);
      lms.set(base + "id", identifier(x.id));
      lms.set(base + "type", TYPES[x.type]);
      lms.set(base + "student_response", resp);
      lms.set(base + "result", x.correct === true ? "correct" : x.correct === false ? "wrong" : "neutral");
      // The key is hashed: the runtime knows the right response only when the learner gave it.
      if (x.correct === true) lms.set(base + "correct_responses.0.pattern", resp);
      lms.set(base + "time", clock(x.timestamp));
      lms.set(base + "weighting", x.graded ? Math.min(100, x.weighting) : 0);
      lms.set(base + "latency", timespan(x.latency));
    },
    commit: function () { lms.commit(); },
    finish: function (f) {
      lms.set("cmi.core.exit", f.suspend ? "suspend" : "");
      lms.set("cmi.core.session_time", timespan(f.sessionSeconds));
      lms.commit(true);
      lms.finish();
    },
  };
})();
