/* packager runtime core: pages, quizzes, scoring, completion and saved state.
 *
 * LMS-neutral. It talks to an adapter (web.js, scorm12.js, scorm2004.js, ...) through
 * this interface; every method is optional except start:
 *   start()              -> {connected, learnerName, data (saved state string|null),
 *                            location (page id|null), mode: "normal"|"review"|"browse"}
 *   save(stateString)    saved state (suspend data)
 *   location(pageId)     bookmark
 *   progress(measure)    0..1
 *   score({raw, min, max, scaled})
 *   status({completed, passed})        passed: true | false | null (not known yet)
 *   interaction({...})   one answered question (see recordInteraction)
 *   objective({id, completed, passed, scaled})   per module
 *   commit()             persist now
 *   canNavigate(dir) / navigate(dir)   "continue" | "previous": ask the LMS for the next or
 *                        previous SCO (one SCO per module, LMS sequencing); before finish
 *   finish({suspend, sessionSeconds})   end the session (the adapter commits first);
 *                        called once, nothing is called after it
 * The core always reports score before status, then commits. Adapters for an LMS API find
 * it with Packager.lms.find(name) and call it through Packager.lms.connect(api, names).
 * With ?sco=<module-id> in the URL (one SCO per module) the core shows, scores and reports
 * that module only; Packager.scope is then its index.
 */
(function () {
  "use strict";

  var P = (window.Packager = window.Packager || {});
  P.adapters = P.adapters || {};

  /* ---------- SHA-256 (the answer key is stored as salted hashes) ---------- */
  var K = [];
  (function () {
    var n = 2, found = 0;
    function frac(x) { return ((x - Math.floor(x)) * 4294967296) | 0; }
    while (found < 64) {
      var prime = true;
      for (var f = 2; f * f <= n; f++) if (n % f === 0) { prime = false; break; }
      if (prime) K[found++] = frac(Math.pow(n, 1 / 3));
      n++;
    }
  })();
  function utf8(s) {
    if (window.TextEncoder) return new TextEncoder().encode(s);
    var b = unescape(encodeURIComponent(s)), out = new Uint8Array(b.length);
    for (var i = 0; i < b.length; i++) out[i] = b.charCodeAt(i);
    return out;
  }
  function sha256hex(s) {
    var bytes = utf8(s), len = bytes.length, words = [];
    var total = ((len + 9 + 63) >> 6) << 4;
    for (var i = 0; i < total; i++) words[i] = 0;
    for (i = 0; i < len; i++) words[i >> 2] |= bytes[i] << (24 - (i % 4) * 8);
    words[len >> 2] |= 0x80 << (24 - (len % 4) * 8);
    words[total - 1] = len * 8;
    var H = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
    var W = new Array(64);
    function rotr(x, r) { return (x >>> r) | (x << (32 - r)); }
    for (var blk = 0; blk < total; blk += 16) {
      for (var t = 0; t < 64; t++) {
        if (t < 16) W[t] = words[blk + t] | 0;
        else {
          var s0 = rotr(W[t - 15], 7) ^ rotr(W[t - 15], 18) ^ (W[t - 15] >>> 3);
          var s1 = rotr(W[t - 2], 17) ^ rotr(W[t - 2], 19) ^ (W[t - 2] >>> 10);
          W[t] = (W[t - 16] + s0 + W[t - 7] + s1) | 0;
        }
      }
      var a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
      for (t = 0; t < 64; t++) {
        var S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        var t1 = (h + S1 + ((e & f) ^ (~e & g)) + K[t] + W[t]) | 0;
        var S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        var t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
        h = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
      }
      H[0] = (H[0] + a) | 0; H[1] = (H[1] + b) | 0; H[2] = (H[2] + c) | 0; H[3] = (H[3] + d) | 0;
      H[4] = (H[4] + e) | 0; H[5] = (H[5] + f) | 0; H[6] = (H[6] + g) | 0; H[7] = (H[7] + h) | 0;
    }
    var hex = "";
    for (i = 0; i < 8; i++) hex += ("00000000" + (H[i] >>> 0).toString(16)).slice(-8);
    return hex;
  }
  P.sha256hex = sha256hex;

  /* ---------- small helpers ---------- */
  function $(sel, root) { return (root || document).querySelector(sel); }
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function normText(s) {
    // Mirrors answerkey.normalize_text in Python.
    return String(s).normalize("NFC").trim().toLowerCase().replace(/\s+/g, " ");
  }
  function cleanInput(s) {
    // Control characters and lone surrogates would bloat the saved state when escaped.
    return String(s).replace(/[\u0000-\u001f\u007f]/g, " ")
      .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(^|[^\ud800-\udbff])[\udc00-\udfff]/g, "$1\ufffd");
  }
  function keyOf(q, canonical) { return sha256hex(DATA.salt + "|" + q.id + "|" + canonical).slice(0, 16); }
  function mulberry32(seed) {
    return function () {
      seed = (seed + 0x6d2b79f5) | 0;
      var t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  function shuffled(list, rand) {
    var out = list.slice();
    for (var i = out.length - 1; i > 0; i--) {
      var j = Math.floor(rand() * (i + 1)), tmp = out[i];
      out[i] = out[j]; out[j] = tmp;
    }
    return out;
  }
  function newSeed() { return 1 + Math.floor(Math.random() * (Math.pow(36, 6) - 2)); }
  function encodeBits(bits) {
    var abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", out = "";
    for (var i = 0; i < bits.length; i += 6) {
      var v = 0;
      for (var j = 0; j < 6; j++) if (bits[i + j]) v |= 1 << j;
      out += abc.charAt(v);
    }
    return out;
  }
  function decodeBits(text, n) {
    var abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", bits = [];
    for (var i = 0; i < n; i++) {
      var v = abc.indexOf(String(text || "").charAt(Math.floor(i / 6)));
      bits.push(v > 0 && (v >> (i % 6)) & 1 ? 1 : 0);
    }
    return bits;
  }
  P.util = { normText: normText, keyOf: function (q, c) { return keyOf(q, c); } };

  /* ---------- LMS API discovery and error-checked calls (shared by the SCORM adapters) ---------- */
  function findAPI(name) {
    // The RTE's search: this window and its parents, then the opener's. Bounded, and every
    // step in try/catch because a cross-origin frame throws on access.
    function climb(win) {
      for (var depth = 0; win && depth < 500; depth++) {
        try { if (win[name]) return win[name]; } catch (e) { /* cross-origin: keep climbing */ }
        var up = null;
        try { up = win.parent; } catch (e) { return null; }
        if (!up || up === win) return null;
        win = up;
      }
      return null;
    }
    var api = climb(window);
    try { if (!api && window.opener) api = climb(window.opener); } catch (e) { api = null; }
    try { if (!api && window.top && window.top.opener) api = climb(window.top.opener); } catch (e) { api = null; }
    return api || null;
  }
  function connect(api, fn) {
    // fn names the API's methods: {init, get, set, commit, finish, err, errStr, diag}.
    var done = false, dirty = false, written = {}, errors = [];
    function check(what) {
      var code = 0, text = "", diag = "";
      try { code = parseInt(api[fn.err](), 10) || 0; } catch (e) { code = 0; }
      if (!code) return true;
      try { text = String(api[fn.errStr](String(code))); } catch (e) { text = ""; }
      try { diag = String(api[fn.diag](String(code))); } catch (e) { diag = ""; }
      errors.push({ call: what, code: code, text: text, diagnostic: diag });
      // A warning, not an error: the learner's page keeps working whatever the LMS says.
      if (window.console) console.warn("packager: LMS " + what + " -> error " + code + " " + text + (diag && diag !== text ? " (" + diag + ")" : ""));
      return false;
    }
    function invoke(method, args, what) {
      if (done) return "";
      var result;
      try { result = api[method].apply(api, args); } catch (e) {
        if (window.console) console.warn("packager: LMS " + what + " threw", e);
        return "";
      }
      check(what);
      return result;
    }
    return {
      errors: errors,
      init: function () { return String(invoke(fn.init, [""], fn.init)) === "true"; },
      get: function (el) { var v = invoke(fn.get, [el], fn.get + "(" + el + ")"); return v === null || v === undefined ? "" : String(v); },
      set: function (el, value) {
        value = String(value);
        if (written[el] === value) return true; // unchanged: spare the LMS a call
        var ok = String(invoke(fn.set, [el, value], fn.set + "(" + el + ")")) === "true";
        if (ok) { written[el] = value; dirty = true; }
        return ok;
      },
      commit: function (force) {
        if (!dirty && !force) return;
        dirty = false;
        invoke(fn.commit, [""], fn.commit);
      },
      finish: function () { invoke(fn.finish, [""], fn.finish); done = true; },
      finished: function () { return done; },
    };
  }
  function letter(i) { return "abcdefghijklmnopqrstuvwxyz".charAt(i); }
  P.lms = { find: findAPI, connect: connect, letter: letter };

  /* ---------- state ---------- */
  var DATA, adapter, info, S, view = {}, finished = false, sessionStart = Date.now(), lastTick = Date.now();
  var MAX_SECONDS = 99999999, scope = null;
  function inScope(mi) { return scope === null || mi === scope; }

  function freshState() {
    return {
      p: 0, seen: DATA.pages.map(function () { return 0; }),
      sub: DATA.pages.map(function () { return 0; }),
      t: 0, a: DATA.questions.map(function () { return null; }),
      m: DATA.modules.map(function (m) { return m.kind === "assessment" ? { seed: newSeed(), att: 1 } : null; }),
      c: 0, n: "", d: "",
    };
  }
  function encodeState() {
    // Python's state.worst_case_state mirrors this field for field (SCORM 1.2: 4,096 chars).
    var o = {
      v: 1, p: S.p, s: encodeBits(S.seen), e: encodeBits(S.sub), t: Math.min(MAX_SECONDS, Math.floor(S.t)),
      a: S.a.map(function (x, i) {
        if (x === null) return 0;
        var q = DATA.questions[i];
        if (q.type === "text") return x;
        if (q.type === "multiple") return x.reduce(function (acc, c) { return acc + Math.pow(2, c); }, 0).toString(36);
        return x.toString(36);
      }),
      m: S.m.map(function (m) { return m ? m.seed.toString(36) + "." + Math.min(m.att, 999) : 0; }),
      c: S.c ? 1 : 0, n: S.n || "", d: S.d || "",
    };
    return JSON.stringify(o);
  }
  function decodeState(text) {
    var o;
    try { o = JSON.parse(text); } catch (e) { return null; }
    if (!o || o.v !== 1 || !Array.isArray(o.a) || o.a.length !== DATA.questions.length) return null;
    var s = freshState();
    s.p = Math.max(0, Math.min(DATA.pages.length - 1, o.p | 0));
    s.seen = decodeBits(o.s, DATA.pages.length);
    s.sub = decodeBits(o.e, DATA.pages.length);
    s.t = Math.max(0, +o.t || 0);
    s.a = o.a.map(function (x, i) {
      var q = DATA.questions[i];
      if (x === 0 || x === null || x === undefined) return null;
      if (q.type === "text") return String(x);
      var n = parseInt(x, 36);
      if (isNaN(n)) return null;
      if (q.type === "multiple") {
        var picked = [];
        for (var c = 0; c < q.labels.length; c++) if (Math.floor(n / Math.pow(2, c)) % 2) picked.push(c);
        return picked.length ? picked : null;
      }
      return n < q.labels.length ? n : null;
    });
    if (Array.isArray(o.m)) s.m = s.m.map(function (m, i) {
      var raw = o.m[i];
      if (!m || typeof raw !== "string") return m;
      var parts = raw.split(".");
      return { seed: parseInt(parts[0], 36) || newSeed(), att: parseInt(parts[1], 10) || 1 };
    });
    s.c = o.c ? 1 : 0;
    s.n = typeof o.n === "string" ? o.n.slice(0, 100) : "";
    s.d = typeof o.d === "string" && /^\d{4}-\d{2}-\d{2}$/.test(o.d) ? o.d : "";
    return s;
  }
  P.encodeState = function () { return encodeState(); };

  /* ---------- pools and shuffles, derived from a per-attempt seed ---------- */
  function drawn(mi) {
    // Which questions of module mi are in play this attempt (all, unless pooled).
    var mod = DATA.modules[mi], qs = [];
    DATA.questions.forEach(function (q, i) { if (q.module === mi) qs.push(i); });
    if (!mod.pool || !S.m[mi]) return qs;
    var graded = qs.filter(function (i) { return DATA.questions[i].graded; });
    var other = qs.filter(function (i) { return !DATA.questions[i].graded; });
    var pick = shuffled(graded, mulberry32(S.m[mi].seed)).slice(0, mod.pool);
    return other.concat(pick).sort(function (a, b) { return a - b; });
  }
  function activeQuestions() {
    var on = DATA.questions.map(function () { return false; });
    DATA.modules.forEach(function (m, mi) { drawn(mi).forEach(function (i) { on[i] = true; }); });
    return on;
  }
  function applyDraw() {
    view.active = activeQuestions();
    $all("fieldset.question").forEach(function (fs) {
      var qi = +fs.getAttribute("data-q"), q = DATA.questions[qi], on = view.active[qi];
      fs.hidden = !on;
      fs.disabled = !on;
      var mod = DATA.modules[q.module];
      if (mod.shuffle && S.m[q.module] && q.type !== "true-false" && q.type !== "likert") {
        var box = $(".choices", fs);
        if (box) {
          var items = $all(".choice", box);
          items.sort(function (a, b) { return +a.getAttribute("data-choice") - +b.getAttribute("data-choice"); });
          shuffled(items, mulberry32(S.m[q.module].seed + qi * 7919)).forEach(function (el) { box.appendChild(el); });
        }
      }
    });
    // A page whose only content is questions left out of the pool is skipped.
    view.skip = DATA.pages.map(function (p, pi) {
      if (!inScope(p.module)) return true; // another SCO's page
      var sec = view.pages[pi], qs = $all("fieldset.question", sec);
      if (!qs.length || $(".content", sec)) return false;
      return qs.every(function (fs) { return fs.hidden; });
    });
  }

  /* ---------- grading ---------- */
  function responseOf(fs, q) {
    if (q.type === "text") {
      var input = $("input[type=text]", fs), v = cleanInput(input.value).slice(0, q.max);
      return v.trim() === "" ? null : v;
    }
    var picked = $all("input:checked", fs).map(function (i) { return +i.value; }).sort(function (a, b) { return a - b; });
    if (!picked.length) return null;
    return q.type === "multiple" ? picked : picked[0];
  }
  function canonical(q, response) {
    if (q.type === "text") return normText(response);
    if (q.type === "multiple") return response.join(",");
    return String(response);
  }
  function isCorrect(q, response) {
    if (response === null) return null;
    // Server-graded adapters (LTI) hold the verdicts; their course data carries no key.
    var v = call("verdict", { index: DATA.questions.indexOf(q), response: response });
    if (v === true || v === false) return v;
    if (!q.key.length) return null;
    return q.key.indexOf(keyOf(q, canonical(q, response))) >= 0;
  }
  function scoreNow() {
    var earned = 0, possible = 0, answered = 0, graded = 0;
    DATA.questions.forEach(function (q, i) {
      if (!q.graded || !view.active[i] || !inScope(q.module)) return;
      graded++; possible += q.points;
      if (S.a[i] !== null) { answered++; if (isCorrect(q, S.a[i])) earned += q.points; }
    });
    return { earned: earned, possible: possible, allAnswered: graded > 0 && answered === graded, graded: graded };
  }
  function moduleDone(mi) {
    return drawn(mi).every(function (i) { return S.a[i] !== null || !DATA.questions[i].graded; });
  }

  /* ---------- completion ---------- */
  function rules() {
    var sc = scoreNow(), pct = sc.possible ? (100 * sc.earned) / sc.possible : 0;
    var pages = DATA.pages.every(function (p, i) { return S.seen[i] || view.skip[i]; });
    var passed = sc.graded ? (sc.allAnswered ? pct >= DATA.passingScore : null) : null;
    var evalDone = DATA.modules.every(function (m, mi) {
      if (m.kind !== "evaluation" || !inScope(mi)) return true;
      for (var pi = m.first; pi <= m.last; pi++) if (view.hasQuestions[pi] && !S.sub[pi]) return false;
      return true;
    });
    // One SCO per module: a module with nothing graded has nothing to pass, and seat time is
    // the course's (the LMS adds up the SCOs' session times), so neither rule holds it back.
    var time = scope !== null || S.t >= DATA.minMinutes * 60;
    var met = { pages: pages, passed: passed === true || (scope !== null && !sc.graded), evaluation: evalDone, time: time };
    var completed = DATA.completion.every(function (r) { return met[r]; });
    return { score: sc, pct: pct, passed: passed, completed: completed, met: met };
  }
  function outOfAttempts() {
    return DATA.modules.some(function (m, mi) {
      return m.kind === "assessment" && m.attempts > 0 && S.m[mi] && S.m[mi].att >= m.attempts;
    });
  }
  function report() {
    var r = rules();
    if (r.completed) { S.c = 1; if (!S.d) S.d = new Date().toISOString().slice(0, 10); }
    // Over the pages in play: a page left out of the pool or another SCO's page never counts.
    var inPlay = DATA.pages.filter(function (p, i) { return !view.skip[i]; }).length || 1;
    var seenCount = DATA.pages.filter(function (p, i) { return S.seen[i] && !view.skip[i]; }).length;
    call("progress", S.c ? 1 : Math.round((1000 * seenCount) / inPlay) / 1000);
    if (r.score.graded && r.score.allAnswered) {
      call("score", {
        raw: Math.round(r.pct * 100) / 100, min: 0, max: 100, scaled: Math.round(r.pct * 100) / 10000,
      });
    }
    DATA.modules.forEach(function (m, mi) {
      if (!inScope(mi)) return;
      var done = true, earned = 0, possible = 0;
      for (var pi = m.first; pi <= m.last; pi++) if (!S.seen[pi] && !view.skip[pi]) done = false;
      drawn(mi).forEach(function (i) {
        var q = DATA.questions[i];
        if (!q.graded) return;
        possible += q.points;
        if (S.a[i] === null) done = false; else if (isCorrect(q, S.a[i])) earned += q.points;
      });
      var scaled = possible ? earned / possible : null;
      call("objective", {
        id: m.id, completed: done, scaled: done ? scaled : null,
        passed: possible && done ? (100 * earned) / possible >= DATA.passingScore : null,
      });
    });
    call("status", { completed: !!S.c, passed: r.passed });
    view.lastRules = r;
    return r;
  }

  /* ---------- adapter calls never break the page ---------- */
  function call(name, arg) {
    if (finished || !adapter || typeof adapter[name] !== "function") return undefined;
    try { return adapter[name](arg); } catch (e) {
      if (window.console) console.warn("packager: adapter." + name + " failed", e);
      return undefined;
    }
  }
  function save(commit) {
    call("save", encodeState());
    if (commit) call("commit");
  }

  /* ---------- UI ---------- */
  function setStatus(el, text) { if (el) el.textContent = text; }
  function notice(text) { var n = $(".notice"); if (n) { n.textContent = text; n.hidden = false; } }

  function nextIndex(from, step) {
    for (var i = from + step; i >= 0 && i < DATA.pages.length; i += step) if (!view.skip[i]) return i;
    return -1;
  }
  function show(pi, focus) {
    if (view.skip[pi]) pi = nextIndex(pi, 1) >= 0 ? nextIndex(pi, 1) : nextIndex(pi, -1);
    view.pages.forEach(function (sec, i) { sec.hidden = i !== pi; });
    S.p = pi;
    S.seen[pi] = 1;
    var prev = $(".nav-prev"), next = $(".nav-next");
    prev.disabled = nextIndex(pi, -1) < 0;
    next.disabled = nextIndex(pi, 1) < 0;
    var visible = DATA.pages.filter(function (p, i) { return !view.skip[i]; }).length;
    var position = DATA.pages.filter(function (p, i) { return !view.skip[i] && i <= pi; }).length;
    setStatus($(".page-count"), "Page " + position + " of " + visible);
    updateProgress();
    refreshPage(pi);
    call("location", DATA.pages[pi].id);
    report();
    save(true);
    updateFlow(pi);
    if (focus) { var h = $("h1", view.pages[pi]); if (h) h.focus(); }
  }
  function updateFlow(pi) {
    // One SCO per module: at its edges Next/Previous may go on to the LMS's next or previous
    // SCO, when the LMS's sequencing says that request is valid.
    view.flow = { continue: false, previous: false };
    if (scope === null || finished) return;
    if (nextIndex(pi, 1) < 0) view.flow["continue"] = call("canNavigate", "continue") === true;
    if (nextIndex(pi, -1) < 0) view.flow.previous = call("canNavigate", "previous") === true;
    if (view.flow["continue"]) $(".nav-next").disabled = false;
    if (view.flow.previous) $(".nav-prev").disabled = false;
  }
  function flowOut(dir) {
    call("navigate", dir);
    finish(); // Terminate makes the LMS carry out the request
    $all("button").forEach(function (b) { b.disabled = true; });
    notice(dir === "continue" ? "Opening the next part of the course..." : "Opening the previous part of the course...");
  }
  function updateProgress() {
    var seen = DATA.pages.filter(function (p, i) { return S.seen[i] && !view.skip[i]; }).length;
    var visible = DATA.pages.filter(function (p, i) { return !view.skip[i]; }).length || 1;
    var pct = Math.round((100 * seen) / visible);
    var bar = $("[role=progressbar]");
    bar.setAttribute("aria-valuenow", String(pct));
    bar.setAttribute("aria-valuetext", pct + "% of pages viewed");
    $(".progress-fill").style.width = pct + "%";
    setStatus($(".progress-text"), pct + "%");
  }
  function pageQuestions(pi) {
    return $all("fieldset.question", view.pages[pi]).filter(function (fs) { return !fs.hidden; });
  }
  function locked(qi) {
    // Graded answers are final for the attempt; knowledge checks may be retried.
    var q = DATA.questions[qi];
    return S.a[qi] !== null && (q.graded || DATA.modules[q.module].kind === "evaluation");
  }
  function restoreAnswer(fs, q, value) {
    if (value === null) return;
    if (q.type === "text") { $("input[type=text]", fs).value = value; return; }
    var vals = q.type === "multiple" ? value : [value];
    $all("input", fs).forEach(function (inp) { inp.checked = vals.indexOf(+inp.value) >= 0; });
  }
  function showFeedback(fs, q, response) {
    var ok = isCorrect(q, response), parts = [];
    $all(".choice-feedback", fs).forEach(function (el) { el.hidden = true; });
    var chosen = q.type === "multiple" ? response : [response];
    if (q.type === "single" || q.type === "multiple") {
      chosen.forEach(function (c) {
        var el = $('.choice[data-choice="' + c + '"] .choice-feedback', fs);
        if (el) { el.hidden = false; parts.push(el.textContent); }
      });
    }
    var box = $(".q-feedback", fs), verdict;
    if (ok === null) verdict = q.type === "likert" || q.free ? "Response recorded." : "";
    else verdict = ok ? "Correct." : "Incorrect.";
    var general = $(ok ? ".fb-correct" : ".fb-incorrect", fs);
    if (general && ok !== null) parts.push(general.textContent);
    fs.classList.toggle("is-correct", ok === true);
    fs.classList.toggle("is-incorrect", ok === false);
    setStatus(box, (verdict + " " + parts.join(" ")).trim());
  }
  function refreshPage(pi) {
    var sec = view.pages[pi], qs = pageQuestions(pi);
    if (!qs.length) return;
    var allLocked = true;
    qs.forEach(function (fs) {
      var qi = +fs.getAttribute("data-q"), q = DATA.questions[qi];
      restoreAnswer(fs, q, S.a[qi]);
      if (S.a[qi] !== null) showFeedback(fs, q, S.a[qi]);
      var lock = locked(qi) || view.review;
      $all("input", fs).forEach(function (inp) { inp.disabled = lock; });
      if (!lock) allLocked = false;
    });
    var submit = $(".submit", sec);
    if (submit) submit.disabled = allLocked;
    updateRetake(pi);
    var status = $(".page-status", sec);
    // A returning learner sees that the page was submitted, as they left it.
    if (S.sub[pi] && status && !status.textContent) setStatus(status, "Submitted. See the feedback under each question.");
  }
  function updateRetake(pi) {
    var sec = view.pages[pi], btn = $(".retake", sec), mi = DATA.pages[pi].module, m = DATA.modules[mi];
    if (!btn) return;
    var r = view.lastRules || rules();
    var canRetake = m.kind === "assessment" && moduleDone(mi) && r.passed === false && !S.c &&
      (m.attempts === 0 || S.m[mi].att < m.attempts);
    btn.hidden = !canRetake;
    var status = $(".page-status", sec);
    if (m.kind === "assessment" && moduleDone(mi) && r.score.allAnswered) {
      var msg = "Your score: " + Math.round(r.pct) + "% (passing score " + DATA.passingScore + "%). ";
      msg += r.passed ? "You passed." : canRetake ? "You did not pass yet: you can retake the assessment." :
        "You did not pass.";
      setStatus(status, msg);
    }
  }
  function submitPage(pi, checked) {
    var sec = view.pages[pi], qs = pageQuestions(pi), status = $(".page-status", sec);
    var missing = 0, now = new Date();
    qs.forEach(function (fs) {
      var qi = +fs.getAttribute("data-q"), q = DATA.questions[qi];
      if (locked(qi)) return;
      var resp = responseOf(fs, q);
      if (resp === null && !q.free) missing++;
    });
    if (missing) {
      setStatus(status, "Please answer every question on this page before submitting (" + missing + " unanswered).");
      return;
    }
    if (!checked && adapter && typeof adapter.grade === "function") {
      // Server-graded adapters (LTI) check the page's answers before feedback is shown.
      var batch = [], button = $(".submit", sec);
      qs.forEach(function (fs) {
        var qi = +fs.getAttribute("data-q"), q = DATA.questions[qi];
        if (!locked(qi)) batch.push({ index: qi, response: responseOf(fs, q) === null ? "" : responseOf(fs, q) });
      });
      if (button) button.disabled = true;
      setStatus(status, "Checking your answers...");
      Promise.resolve(call("grade", batch)).then(function () { submitPage(pi, true); }, function (e) {
        if (button) button.disabled = false;
        setStatus(status, "Your answers could not be checked (" + ((e && e.message) || "no connection") + "). Please try again.");
      });
      return;
    }
    qs.forEach(function (fs) {
      var qi = +fs.getAttribute("data-q"), q = DATA.questions[qi];
      if (locked(qi)) return;
      var resp = responseOf(fs, q);
      if (resp === null) resp = "";
      S.a[qi] = resp;
      var ok = resp === "" ? null : isCorrect(q, resp);
      showFeedback(fs, q, resp);
      var latency = Math.max(0, Math.round((now - (view.shownAt || now)) / 1000));
      call("interaction", {
        index: qi, id: q.id, type: q.type, response: resp, correct: ok, graded: q.graded,
        weighting: q.points, latency: latency, timestamp: now, description: q.prompt, labels: q.labels,
        module: DATA.modules[q.module].id, free: q.free,
      });
    });
    S.sub[pi] = 1;
    var r = report();
    refreshPage(pi);
    if (!$(".page-status", sec).textContent || !(DATA.modules[DATA.pages[pi].module].kind === "assessment" && moduleDone(DATA.pages[pi].module))) {
      setStatus(status, "Submitted. See the feedback under each question.");
    }
    save(true);
    onCompletionChange(r);
  }
  function retake(pi) {
    var mi = DATA.pages[pi].module, m = DATA.modules[mi];
    S.m[mi] = { seed: newSeed(), att: S.m[mi].att + 1 };
    DATA.questions.forEach(function (q, i) { if (q.module === mi) S.a[i] = null; });
    for (var p = m.first; p <= m.last; p++) {
      S.sub[p] = 0;
      $all("fieldset.question", view.pages[p]).forEach(function (fs) {
        $all("input", fs).forEach(function (inp) { inp.checked = false; if (inp.type === "text") inp.value = ""; });
        $all(".choice-feedback", fs).forEach(function (el) { el.hidden = true; });
        fs.classList.remove("is-correct", "is-incorrect");
        setStatus($(".q-feedback", fs), "");
      });
      setStatus($(".page-status", view.pages[p]), "");
    }
    applyDraw();
    report();
    save(true);
    show(nextIndex(m.first - 1, 1), true);
  }
  function onCompletionChange(r) {
    if (r.completed && !view.announcedDone) {
      view.announcedDone = true;
      notice("You have completed this course." + (r.passed ? " You passed." : ""));
    }
    if (P.onComplete && r.completed) try { P.onComplete(r, S); } catch (e) { /* theme hook */ }
  }

  /* ---------- time ---------- */
  function tick() {
    var now = Date.now();
    if (document.visibilityState !== "hidden" && !finished) S.t += Math.min(60, (now - lastTick) / 1000);
    lastTick = now;
    var box = $(".seat-time");
    if (box && DATA.completion.indexOf("time") >= 0 && scope === null) {
      box.hidden = false;
      box.textContent = "Time in course: " + Math.floor(S.t / 60) + " of " + DATA.minMinutes + " minutes";
      var r = view.lastRules;
      if (r && !r.met.time && S.t >= DATA.minMinutes * 60) { r = report(); save(true); onCompletionChange(r); }
    }
  }

  /* ---------- lifecycle ---------- */
  function finish() {
    if (finished) return;
    tick();
    save(false);
    var args = { suspend: !S.c, sessionSeconds: (Date.now() - sessionStart) / 1000 };
    call("finish", args); // the adapter writes exit and session time, commits, then ends
    finished = true;
  }
  function scopeFromUrl() {
    var m = /[?&]sco=([^&#]*)/.exec(window.location.search || ""), found = null;
    if (!m) return null;
    var id = decodeURIComponent(m[1].replace(/\+/g, " "));
    DATA.modules.forEach(function (mod, mi) { if (mod.id === id) found = mi; });
    if (found === null && window.console) console.warn("packager: no module '" + id + "': showing the whole course");
    return found;
  }

  P.start = function (adapterName) {
    DATA = JSON.parse($("#course-data").textContent);
    P.data = DATA;
    var cfg = $("#runtime-config");
    P.config = cfg ? JSON.parse(cfg.textContent) : {};
    scope = scopeFromUrl();
    P.scope = scope;
    adapter = P.adapters[adapterName] || P.adapters.web;
    info = call("start") || {};
    if (!info.connected && adapter !== P.adapters.web) {
      adapter = P.adapters.web;
      info = call("start") || {};
      notice("No LMS connection was found: your progress is saved in this browser only.");
    }
    P.learnerName = info.learnerName || null;
    view.pages = $all("section.page");
    view.review = info.mode === "review";
    S = (info.data && decodeState(info.data)) || freshState();
    view.hasQuestions = view.pages.map(function (sec) { return !!$("fieldset.question", sec); });
    applyDraw();
    var start = S.p;
    if (info.location) DATA.pages.forEach(function (p, i) { if (p.id === info.location) start = i; });

    $(".nav-next").addEventListener("click", function () {
      var n = nextIndex(S.p, 1);
      if (n >= 0) { view.shownAt = new Date(); show(n, true); } else if (view.flow && view.flow["continue"]) flowOut("continue");
    });
    $(".nav-prev").addEventListener("click", function () {
      var n = nextIndex(S.p, -1);
      if (n >= 0) { view.shownAt = new Date(); show(n, true); } else if (view.flow && view.flow.previous) flowOut("previous");
    });
    view.pages.forEach(function (sec, pi) {
      var submit = $(".submit", sec), again = $(".retake", sec);
      if (submit) submit.addEventListener("click", function () { submitPage(pi); });
      if (again) again.addEventListener("click", function () { retake(pi); });
    });
    var exit = $(".exit-button");
    if (exit) exit.addEventListener("click", function () {
      finish();
      $all("button").forEach(function (b) { b.disabled = true; });
      notice("Your progress has been saved. You can close this window now.");
    });
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") { tick(); save(true); } else { lastTick = Date.now(); }
    });
    // pagehide is the last event a page reliably gets (unload where it is missing); not
    // beforeunload, which another handler may cancel after the session has ended.
    window.addEventListener("onpagehide" in window ? "pagehide" : "unload", finish);
    setInterval(tick, 1000);
    view.shownAt = new Date();
    show(start, false);
    var r = view.lastRules;
    if (r && S.c) view.announcedDone = true;
    P.ready = true;
    if (P.onReady) try { P.onReady(); } catch (e) { if (window.console) console.warn("packager: onReady", e); }
    document.documentElement.setAttribute("data-packager-ready", "1");
  };

  // For tests and themes: read-only views of the run.
  P.state = function () { return JSON.parse(encodeState()); };
  P.rules = function () { return rules(); };
  P.finish = finish;
  // For the certificate (certificate.js): the typed name, and extra interactions.
  P.setLearnerName = function (name) { S.n = cleanInput(name).slice(0, 100); save(true); };
  P.record = function (interaction) { call("interaction", interaction); save(true); };
})();
