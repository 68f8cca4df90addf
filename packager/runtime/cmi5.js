/* packager runtime adapter: cmi5. xAPI statements and state go to the LRS the LMS launches with.
 *
 * Launch (cmi5 section 8): endpoint, fetch, actor, registration and activityId come in the
 * launch URL. Before the core starts, this adapter POSTs the fetch URL once for the auth
 * token, reads the LMS.LaunchData state document (contextTemplate, launchMode, masteryScore,
 * moveOn, returnURL) and the AU's own state document, then lets the core start.
 *
 * Every request goes through one outbox kept in localStorage: statements are sent in order,
 * retried while the LRS is unreachable, and survive a reload; the next launch of the same
 * registration sends what an earlier session could not. Nothing is queued after Terminated.
 */
(function () {
  "use strict";
  var P = (window.Packager = window.Packager || {});
  P.adapters = P.adapters || {};

  var VERBS = "http://adlnet.gov/expapi/verbs/";
  var CMI5 = "https://w3id.org/xapi/cmi5/";
  var CAT_CMI5 = CMI5 + "context/categories/cmi5", CAT_MOVEON = CMI5 + "context/categories/moveon";
  var EXT_SESSION = CMI5 + "context/extensions/sessionid", EXT_PROGRESS = CMI5 + "result/extensions/progress";
  var INTERACTION = "http://adlnet.gov/expapi/activities/cmi.interaction";
  var STATE_ID = "packager.state", XAPI_VERSION = "1.0.3", MAX_BATCH = 25, KEEPALIVE_BYTES = 60000;

  var L = null;          // launch parameters
  var token = null, launch = {}, mode = "Normal", saved = null, flags = {}, lang = "en";
  var initializedAt = 0, live = false, closed = false, outbox = [], busy = false, retryTimer = null, failures = 0;
  var pendingState = null, lastState = null, lastScore = null, outboxKey = null;

  /* ---------- small helpers ---------- */
  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }
  function clone(o) { return JSON.parse(JSON.stringify(o)); }
  function duration(seconds) {
    // ISO 8601, centisecond precision, as xAPI recommends.
    var cs = Math.max(0, Math.round(seconds * 100)), h = Math.floor(cs / 360000), m = Math.floor(cs / 6000) % 60;
    var s = (cs % 6000) / 100;
    return "PT" + (h ? h + "H" : "") + (h || m ? m + "M" : "") + s + "S";
  }
  function store() {
    try { var s = window.localStorage; s.setItem("packager:probe", "1"); s.removeItem("packager:probe"); return s; }
    catch (e) { return null; }
  }
  function session() { try { return window.sessionStorage; } catch (e) { return null; } }
  function query(params) {
    return Object.keys(params).map(function (k) {
      return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
    }).join("&");
  }
  function stateUrl(stateId) {
    return L.endpoint + "activities/state?" + query({
      stateId: stateId, activityId: L.activityId, agent: JSON.stringify(L.actor), registration: L.registration,
    });
  }
  function headers(json) {
    var h = { "X-Experience-API-Version": XAPI_VERSION, Authorization: "Basic " + token };
    if (json) h["Content-Type"] = "application/json";
    return h;
  }
  function withTimeout(ms) {
    if (!window.AbortController) return {};
    var c = new AbortController();
    setTimeout(function () { c.abort(); }, ms);
    return { signal: c.signal };
  }

  /* ---------- launch: parameters, auth token, launch data, saved state ---------- */
  function readLaunch() {
    var q = new URLSearchParams(window.location.search), actor;
    try { actor = JSON.parse(q.get("actor") || "null"); } catch (e) { actor = null; }
    var l = { endpoint: q.get("endpoint"), fetch: q.get("fetch"), actor: actor,
              registration: q.get("registration"), activityId: q.get("activityId") };
    if (!l.endpoint || !l.fetch || !l.actor || !l.registration || !l.activityId) return null;
    if (l.endpoint.slice(-1) !== "/") l.endpoint += "/";
    return l;
  }
  function getToken() {
    // The fetch URL works once; a reload of the same launch reuses the token it gave.
    var ss = session(), key = "packager:cmi5:token:" + L.fetch, kept = ss && ss.getItem(key);
    if (kept) return Promise.resolve(kept);
    return fetch(L.fetch, Object.assign({ method: "POST" }, withTimeout(15000))).then(function (r) {
      return r.json();
    }).then(function (body) {
      if (!body || !body["auth-token"]) throw new Error("fetch URL: " + JSON.stringify(body));
      if (ss) ss.setItem(key, body["auth-token"]);
      return body["auth-token"];
    });
  }
  function getDocument(stateId) {
    return fetch(stateUrl(stateId), Object.assign({ headers: headers(false) }, withTimeout(15000)))
      .then(function (r) {
        if (r.status === 404) return null;
        if (!r.ok) throw new Error("state " + stateId + ": HTTP " + r.status);
        return r.text().then(function (t) { return t ? JSON.parse(t) : null; });
      });
  }
  function prepare() {
    L = readLaunch();
    if (!L) return Promise.reject(new Error("no cmi5 launch parameters"));
    outboxKey = "packager:cmi5:outbox:" + L.registration + ":" + L.activityId;
    var ls = store();
    try { outbox = JSON.parse((ls && ls.getItem(outboxKey)) || "[]"); } catch (e) { outbox = []; }
    outbox.forEach(function (i) { i.sending = false; });
    var ss = session();
    if (ss && ss.getItem("packager:cmi5:ended:" + L.fetch)) {
      // A reload after Terminated starts no session, but still delivers what the ended one
      // left in the outbox, with the token that session was given.
      token = ss.getItem("packager:cmi5:token:" + L.fetch);
      closed = true;
      pump();
      return Promise.reject(new Error("this launch has ended; start the course again from the LMS"));
    }
    return getToken().then(function (t) {
      token = t;
      return getDocument("LMS.LaunchData");
    }).then(function (data) {
      if (!data || !data.contextTemplate) throw new Error("LMS.LaunchData is missing");
      launch = data;
      mode = data.launchMode || "Normal";
      return getDocument(STATE_ID).catch(function () { return null; });
    }).then(function (doc) {
      // A state write an earlier session could not deliver is newer than the LRS's copy.
      var queued = outbox.filter(function (i) { return i.kind === "state"; }).pop();
      doc = queued ? queued.body : doc;
      saved = doc && typeof doc.data === "string" ? doc.data : null;
      flags = (doc && doc.cmi5) || {};
      live = true;
    });
  }

  /* ---------- the outbox: ordered, persistent, retried ---------- */
  function persist() {
    var ls = store();
    if (!ls) return;
    try { if (outbox.length) ls.setItem(outboxKey, JSON.stringify(outbox)); else ls.removeItem(outboxKey); }
    catch (e) { /* storage full: the items stay in memory */ }
  }
  function enqueue(item) {
    if (item.kind === "state") {
      // Only the newest state matters: drop older writes that are not on the wire.
      outbox = outbox.filter(function (i) { return i.kind !== "state" || i.sending; });
    }
    outbox.push(item);
    persist();
    pump();
  }
  function request(items, keepalive) {
    var opts = { keepalive: !!keepalive };
    if (items[0].kind === "state") {
      opts.method = "PUT"; opts.headers = headers(true); opts.body = JSON.stringify(items[0].body);
      return fetch(stateUrl(STATE_ID), opts);
    }
    opts.method = "POST"; opts.headers = headers(true);
    opts.body = JSON.stringify(items.map(function (i) { return i.body; }));
    return fetch(L.endpoint + "statements", opts);
  }
  function nextBatch() {
    if (!outbox.length) return [];
    if (outbox[0].kind === "state") return [outbox[0]];
    var batch = [];
    for (var i = 0; i < outbox.length && outbox[i].kind === "statement" && batch.length < MAX_BATCH; i++) {
      batch.push(outbox[i]);
    }
    return batch;
  }
  function pump() {
    if (busy || !token) return;
    var batch = nextBatch();
    if (!batch.length) return;
    busy = true;
    batch.forEach(function (i) { i.sending = true; });
    request(batch, false).then(function (r) {
      // 409: the LRS holds different statements with these ids; resending cannot help.
      if (r.ok || r.status === 409) return "done";
      return r.status >= 500 || r.status === 429 || r.status === 401 ? "retry" : "drop";
    }, function () { return "retry"; }).then(function (outcome) {
      busy = false;
      batch.forEach(function (i) { i.sending = false; });
      if (outcome === "retry") {
        failures++;
        clearTimeout(retryTimer);
        retryTimer = setTimeout(pump, 250 * Math.pow(2, Math.min(failures, 4))); // 0.5 s .. 4 s
        return;
      }
      if (outcome === "drop" && window.console) console.warn("packager: the LRS refused", batch);
      failures = 0;
      outbox = outbox.filter(function (i) { return batch.indexOf(i) < 0; });
      persist();
      pump();
    });
  }
  function flushOnExit() {
    // The page may be going away: send the rest at once with keepalive; whatever does not
    // arrive stays in localStorage for the next launch.
    var state = outbox.filter(function (i) { return i.kind === "state"; }).pop();
    var statements = outbox.filter(function (i) { return i.kind === "statement"; }), size = 0, batch = [];
    statements.forEach(function (i) { size += JSON.stringify(i.body).length; if (size < KEEPALIVE_BYTES) batch.push(i); });
    var sends = [];
    if (state) sends.push(request([state], true).then(function (r) { return r.ok ? [state] : []; }, function () { return []; }));
    if (batch.length) sends.push(request(batch, true).then(function (r) { return r.ok || r.status === 409 ? batch : []; }, function () { return []; }));
    return Promise.all(sends).then(function (done) {
      var sent = [].concat.apply([], done);
      outbox = outbox.filter(function (i) { return sent.indexOf(i) < 0; });
      persist();
      return outbox.length === 0;
    });
  }
  P.cmi5 = {
    pending: function () { return outbox.length; },
    launchMode: function () { return mode; },
    flush: function () { pump(); },
  };
  window.addEventListener("online", function () { failures = 0; pump(); });

  /* ---------- statements ---------- */
  function context(defined, moveOn, extraActivities) {
    var ctx = clone(launch.contextTemplate || {});
    ctx.registration = L.registration;
    ctx.contextActivities = ctx.contextActivities || {};
    ctx.extensions = ctx.extensions || {};
    if (!ctx.extensions[EXT_SESSION]) ctx.extensions[EXT_SESSION] = flags.fallbackSession || (flags.fallbackSession = uuid());
    var cats = ctx.contextActivities.category = ctx.contextActivities.category || [];
    if (defined) cats.push({ id: CAT_CMI5, objectType: "Activity" });
    if (moveOn) cats.push({ id: CAT_MOVEON, objectType: "Activity" });
    Object.keys(extraActivities || {}).forEach(function (k) {
      ctx.contextActivities[k] = (ctx.contextActivities[k] || []).concat(extraActivities[k]);
    });
    if (!ctx.contextActivities.category.length) delete ctx.contextActivities.category;
    return ctx;
  }
  function send(verb, opts) {
    if (closed) return;
    opts = opts || {};
    var display = {}; display["en-US"] = verb.charAt(0).toUpperCase() + verb.slice(1);
    var st = {
      id: uuid(), timestamp: new Date().toISOString(), actor: L.actor,
      verb: { id: VERBS + verb, display: display },
      object: opts.object || { id: L.activityId, objectType: "Activity" },
      context: context(opts.defined, opts.moveOn, opts.activities),
    };
    if (opts.result) st.result = opts.result;
    enqueue({ kind: "statement", body: st });
  }
  function normal() { return mode === "Normal"; }
  function seatSeconds() {
    try { return P.state().t; } catch (e) { return (Date.now() - initializedAt) / 1000; }
  }
  function sessionSeconds() { return (Date.now() - initializedAt) / 1000; }
  function judged(passed) {
    var result = { success: passed, duration: duration(seatSeconds()) };
    if (lastScore) result.score = { scaled: lastScore.scaled };
    send(passed ? "passed" : "failed", { defined: true, moveOn: true, result: result });
  }
  function interactionDefinition(i) {
    var def = { type: INTERACTION, name: {}, description: {} };
    def.name[lang] = def.description[lang] = i.description || i.id;
    if (i.type === "true-false") def.interactionType = "true-false";
    else if (i.type === "text") def.interactionType = i.graded || i.correct !== null ? "fill-in" : "long-fill-in";
    else if (i.type === "likert") {
      def.interactionType = "likert";
      def.scale = i.labels.map(function (label, n) { var d = {}; d[lang] = label; return { id: "L" + (n + 1), description: d }; });
    } else {
      def.interactionType = "choice";
      def.choices = i.labels.map(function (label, n) { var d = {}; d[lang] = label; return { id: "C" + (n + 1), description: d }; });
    }
    return def;
  }
  function responseText(i) {
    if (i.type === "text") return String(i.response);
    if (i.type === "true-false") return i.response === 0 ? "true" : "false";
    var picked = Array.isArray(i.response) ? i.response : [i.response];
    return picked.map(function (n) { return (i.type === "likert" ? "L" : "C") + (n + 1); }).join("[,]");
  }

  /* ---------- the adapter ---------- */
  P.adapters.cmi5 = {
    name: "cmi5",
    start: function () {
      if (!live) return { connected: false };
      lang = (P.data && P.data.lang) || "en";
      if (typeof launch.masteryScore === "number" && P.data) {
        // The LMS's masteryScore decides passed and failed (cmi5 section 10).
        P.data.passingScore = Math.round(launch.masteryScore * 10000) / 100;
      }
      initializedAt = Date.now();
      pump(); // statements an earlier session could not deliver go first
      send("initialized", { defined: true });
      lastState = saved;
      var exit = document.querySelector(".exit-button");
      if (exit) exit.addEventListener("click", function () { P.cmi5.exiting = true; });
      return {
        connected: true, learnerName: L.actor.name || null, data: saved, location: null,
        mode: mode === "Review" ? "review" : mode === "Browse" ? "browse" : "normal",
      };
    },
    save: function (state) { pendingState = state; },
    commit: function () {
      if (closed || !normal() || pendingState === null) return;
      if (pendingState === lastState && !flags.dirty) return;
      lastState = pendingState;
      delete flags.dirty;
      enqueue({ kind: "state", body: { v: 1, data: pendingState, cmi5: clone(flags) } });
    },
    progress: function (measure) {
      var pct = Math.max(0, Math.min(100, Math.round(measure * 100)));
      // No progress once Completed was sent (cmi5 9.5.5.1): completion says 100%.
      if (!normal() || flags.completed || pct >= 100 || pct <= (flags.progress || 0)) return;
      flags.progress = pct; flags.dirty = true;
      var ext = {}; ext[EXT_PROGRESS] = pct;
      send("progressed", { result: { extensions: ext } });
    },
    score: function (s) { lastScore = s; },
    status: function (s) {
      if (!normal()) return;
      if (s.passed === true && !flags.passed) {
        flags.passed = true; flags.dirty = true;
        judged(true);
      } else if (s.passed === false && !flags.passed && flags.outcome !== "failed") {
        // One Failed per judged attempt; never after Passed.
        flags.outcome = "failed"; flags.dirty = true;
        judged(false);
      } else if (s.passed === null && flags.outcome) {
        delete flags.outcome; flags.dirty = true; // a retake started
      }
      if (s.completed && !flags.completed) {
        flags.completed = true; flags.dirty = true;
        send("completed", { defined: true, moveOn: true,
                            result: { completion: true, duration: duration(seatSeconds()) } });
      }
    },
    interaction: function (i) {
      if (!normal()) return;
      var cfg = P.config || {}, result = { response: responseText(i), duration: duration(i.latency || 0) };
      if (i.correct === true || i.correct === false) result.success = i.correct;
      var def = interactionDefinition(i);
      send("answered", {
        object: { id: (cfg.questionIri || L.activityId + "/questions/") + encodeURIComponent(i.id),
                  objectType: "Activity", definition: def },
        result: result,
        activities: { parent: [{ id: L.activityId, objectType: "Activity" }] },
      });
    },
    finish: function () {
      this.commit();
      send("terminated", { defined: true, result: { duration: duration(sessionSeconds()) } });
      closed = true;
      var ss = session();
      if (ss) ss.setItem("packager:cmi5:ended:" + L.fetch, "1");
      var leave = P.cmi5.exiting && launch.returnURL;
      flushOnExit().then(function () {
        if (leave) window.location.assign(launch.returnURL);
      });
    },
  };

  // The launch handshake is asynchronous: the core starts once it is done (or has failed,
  // in which case the core falls back to keeping progress in this browser).
  var coreStart = P.start;
  P.start = function (adapterName) {
    if (adapterName !== "cmi5") return coreStart(adapterName);
    prepare().then(function () { coreStart(adapterName); }, function (err) {
      if (window.console) console.warn("packager: cmi5 launch failed:", err && err.message);
      coreStart(adapterName);
    });
  };
})();
