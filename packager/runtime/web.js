/* packager runtime adapter: standalone web. State lives in this browser's localStorage. */
(function () {
  "use strict";
  var P = (window.Packager = window.Packager || {});
  P.adapters = P.adapters || {};
  var key = null, store = null, pending = null;

  function storage() {
    try { var s = window.localStorage; s.setItem("packager:probe", "1"); s.removeItem("packager:probe"); return s; }
    catch (e) { return null; } // private mode or blocked storage: the course still runs
  }

  P.adapters.web = {
    name: "web",
    start: function () {
      // One SCO per module keeps one state per module, as an LMS would.
      key = "packager:" + P.data.id + ":" + P.data.version + (P.scope === null || P.scope === undefined ? "" : ":" + P.data.modules[P.scope].id);
      store = storage();
      var data = null;
      try { data = store ? store.getItem(key) : null; } catch (e) { data = null; }
      return { connected: true, learnerName: null, data: data, location: null, mode: "normal" };
    },
    save: function (state) { pending = state; },
    commit: function () {
      if (store && pending !== null) { try { store.setItem(key, pending); } catch (e) { /* full */ } }
    },
    finish: function () { this.commit(); },
  };
})();
