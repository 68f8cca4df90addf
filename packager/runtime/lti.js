/* packager runtime adapter: LTI 1.3. The tool server grades; this file never sees the key.
 *
 * The server injects <script id="lti-launch"> into the course document after a validated
 * launch: {token, api, state, location, verdicts, learnerName, mode}. Every call carries the
 * token, which the server ties to the launch's signed identity; scores are computed and sent
 * to the platform (AGS) by the server, so score() and status() are ignored here.
 */
(function () {
  "use strict";
  var P = (window.Packager = window.Packager || {});
  P.adapters = P.adapters || {};
  var boot = null, pending = null, where = null, verdicts = {}, sending = null;

  function readBoot() {
    var el = document.getElementById("lti-launch");
    if (!el) return null;
    try { return JSON.parse(el.textContent); } catch (e) { return null; }
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function post(path, body, keepalive) {
    return fetch(boot.api + path, {
      method: "POST", keepalive: !!keepalive, credentials: "omit",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + boot.token },
      body: JSON.stringify(body),
    }).then(function (resp) {
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) throw new Error(data.error || "HTTP " + resp.status);
        return data;
      });
    });
  }

  P.adapters.lti = {
    name: "lti",
    start: function () {
      boot = readBoot();
      if (!boot || !boot.token) return { connected: false };
      Object.keys(boot.verdicts || {}).forEach(function (k) { verdicts[k] = boot.verdicts[k]; });
      where = boot.location || null;
      return {
        connected: true, learnerName: boot.learnerName || null, data: boot.state || null,
        location: boot.location || null, mode: boot.mode || "normal",
      };
    },
    grade: function (answers) {
      // The pool seed and attempt number of each module travel with the answers.
      var modules = P.state().m;
      return post("/grade", { answers: answers, modules: modules }).then(function (data) {
        (data.verdicts || []).forEach(function (v) {
          var sent = answers.filter(function (a) { return a.index === v.index; })[0];
          verdicts[v.index] = { response: sent ? sent.response : null, correct: v.correct };
        });
        P.lti = { score: data.score, completed: data.completed };
        return data;
      });
    },
    verdict: function (arg) {
      var v = verdicts[arg.index];
      if (!v || !same(v.response, arg.response)) return undefined;
      return v.correct;
    },
    save: function (state) { pending = state; },
    location: function (pageId) { where = pageId; },
    commit: function (keepalive) {
      if (pending === null) return;
      var body = { state: pending, location: where };
      pending = null;
      // One request at a time, in order, so an older state never overwrites a newer one.
      sending = (sending || Promise.resolve()).then(function () {
        return post("/state", body, keepalive);
      }).catch(function (e) {
        if (window.console) console.warn("packager: saving progress failed", e);
        if (pending === null) pending = body.state;
      });
    },
    finish: function () { this.commit(true); },
  };
})();
