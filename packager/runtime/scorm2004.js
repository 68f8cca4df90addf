/* packager runtime adapter: SCORM 2004 4th edition (window.API_1484_11). Maps the core's calls
 * to cmi.*, cmi.interactions.* (2004 response formats) and one cmi.objectives entry per module. */
(function () {
  "use strict";
  var P = (window.Packager = window.Packager || {});
  P.adapters = P.adapters || {};
  var lms = null, interaction = null, objective = null;

  function duration(seconds) {
    // ISO 8601 duration, hundredths of a second at most (timeinterval (second,10,2)).
    var cs = Math.max(0, Math.round(seconds * 100)), h = Math.floor(cs / 360000);
    var m = Math.floor(cs / 6000) % 60, s = (cs % 6000) / 100;
    return "PT" + (h ? h + "H" : "") + (m ? m + "M" : "") + s + "S";
  }
  function timestamp(d) { return d.toISOString().slice(0, 22) + "Z"; }
  function text(s, max) {
    // localized_string_type: one line, no leading "{" (it would read as a language tag), and
    // no "[,]" (the delimiter of response lists).
    return String(s).replace(/[\r\n\u2028\u2029]+/g, " ").replace(/\[,\]/g, ",").replace(/^\{/, "(").slice(0, max);
  }
  function response(x) {
    if (x.type === "text") return text(x.response, x.free ? 4000 : 250);
    if (x.type === "true-false") return x.response === 0 ? "true" : "false";
    var picked = x.type === "multiple" ? x.response : [x.response];
    return picked.map(P.lms.letter).join("[,]");
  }
  function type(x) {
    if (x.type === "text") return x.free ? "long-fill-in" : "fill-in";
    return { single: "choice", multiple: "choice", "true-false": "true-false", likert: "likert" }[x.type];
  }
  function records(prefix) {
    // id -> "prefix.n.": reuses the entry the LMS already holds for an id (resume, retake),
    // so a long course never runs past the LMS's limit of entries.
    var map = {}, n = parseInt(lms.get(prefix + "._count"), 10) || 0;
    for (var i = 0; i < n; i++) map[lms.get(prefix + "." + i + ".id")] = i;
    return function (id) {
      if (map[id] === undefined) { map[id] = n++; lms.set(prefix + "." + map[id] + ".id", id); }
      return prefix + "." + map[id] + ".";
    };
  }

  P.adapters.scorm2004 = {
    name: "scorm2004",
    start: function () {
      var api = P.lms.find("API_1484_11");
      if (!api) return { connected: false };
      lms = P.lms.connect(api, {
        init: "Initialize", get: "GetValue", set: "SetValue", commit: "Commit",
        finish: "Terminate", err: "GetLastError", errStr: "GetErrorString", diag: "GetDiagnostic",
      });
      P.lmsErrors = lms.errors;
      if (!lms.init()) { lms = null; return { connected: false }; }
      interaction = records("cmi.interactions");
      objective = records("cmi.objectives");
      var entry = lms.get("cmi.entry"), mode = lms.get("cmi.mode");
      // suspend_data and location are only initialised on resume: reading them otherwise is
      // error 403 in a strict LMS.
      var resume = entry === "resume";
      return {
        connected: true, learnerName: lms.get("cmi.learner_name") || null,
        data: resume ? lms.get("cmi.suspend_data") || null : null,
        location: resume ? lms.get("cmi.location") || null : null,
        entry: entry, mode: mode === "review" || mode === "browse" ? mode : "normal",
      };
    },
    save: function (state) { lms.set("cmi.suspend_data", state); },
    location: function (pageId) { lms.set("cmi.location", String(pageId).slice(0, 1000)); },
    progress: function (measure) { lms.set("cmi.progress_measure", measure); },
    score: function (s) {
      lms.set("cmi.score.scaled", s.scaled);
      lms.set("cmi.score.min", s.min);
      lms.set("cmi.score.max", s.max);
      lms.set("cmi.score.raw", s.raw);
    },
    status: function (st) {
      lms.set("cmi.completion_status", st.completed ? "completed" : "incomplete");
      lms.set("cmi.success_status", st.passed === true ? "passed" : st.passed === false ? "failed" : "unknown");
    },
    objective: function (o) {
      var base = objective(o.id);
      if (o.scaled !== null && o.scaled !== undefined) lms.set(base + "score.scaled", Math.round(o.scaled * 10000) / 10000);
      lms.set(base + "success_status", o.passed === true ? "passed" : o.passed === false ? "failed" : "unknown");
      lms.set(base + "completion_status", o.completed ? "completed" : "incomplete");
    },
    interaction: function (x) {
      var base = interaction("urn:packager:" + P.data.id + ":" + x.id), resp = response(x);
      lms.set(base + "type", type(x));
      lms.set(base + "description", text(x.description, 250));
      lms.set(base + "timestamp", timestamp(x.timestamp));
      lms.set(base + "weighting", x.graded ? x.weighting : 0);
      // The key is hashed: the runtime knows the right response only when the learner gave it.
      if (x.correct === true) lms.set(base + "correct_responses.0.pattern", resp);
      lms.set(base + "learner_response", resp);
      lms.set(base + "result", x.correct === true ? "correct" : x.correct === false ? "incorrect" : "neutral");
      lms.set(base + "latency", duration(x.latency));
    },
    canNavigate: function (dir) { return lms.get("adl.nav.request_valid." + dir) === "true"; },
    navigate: function (dir) { lms.set("adl.nav.request", dir); },
    commit: function () { lms.commit(); },
    finish: function (f) {
      lms.set("cmi.exit", f.suspend ? "suspend" : "normal");
      lms.set("cmi.session_time", duration(f.sessionSeconds));
      lms.commit(true);
      lms.finish();
    },
  };
})();
