/* packager runtime: the CE completion certificate, shown once the completion rules are met.
 * Reads the learner's name from the LMS (adapter), or asks for it when standalone; an optional
 * attestation comes first and is recorded as an interaction. The verification code mirrors
 * packager/certificate.py so a provider can recompute it. */
(function () {
  "use strict";
  var P = (window.Packager = window.Packager || {});
  function $(sel) { return document.querySelector(sel); }

  function displayName(raw) {
    // SCORM 1.2 student_name is "Last, First": print it the way people write it.
    var name = String(raw || "").trim(), parts = name.split(",");
    if (parts.length === 2 && parts[0].trim() && parts[1].trim()) name = parts[1].trim() + " " + parts[0].trim();
    return name;
  }
  function code(name, date) {
    var d = P.data, norm = P.util.normText(name);
    var hex = P.sha256hex(d.salt + "|cert|" + d.id + "|" + d.version + "|" + norm + "|" + date).slice(0, 12).toUpperCase();
    return hex.slice(0, 4) + "-" + hex.slice(4, 8) + "-" + hex.slice(8, 12);
  }
  P.certificateCode = code;

  var shownFrom = null;
  function sections(show) {
    var pages = document.querySelectorAll("section.page"), cert = $("#certificate");
    if (show) {
      for (var i = 0; i < pages.length; i++) if (!pages[i].hidden) { shownFrom = pages[i]; pages[i].hidden = true; }
      cert.hidden = false;
      document.body.classList.add("showing-certificate");
      $("#cert-title").focus();
    } else {
      cert.hidden = true;
      document.body.classList.remove("showing-certificate");
      if (shownFrom) { shownFrom.hidden = false; var h = shownFrom.querySelector("h1"); if (h) h.focus(); }
    }
  }
  function attested() { return !!P._attested; } // asked again in each new session

  function render() {
    var st = P.state(), r = P.rules(), d = P.data;
    var fromLms = P.learnerName ? displayName(P.learnerName) : "";
    var name = fromLms || st.n || "";
    var attestText = d.ce && d.ce.attestation;
    $(".cert-attest").hidden = !(attestText && !attested());
    if (attestText && !attested()) { $(".cert-body").hidden = true; $(".cert-name-entry").hidden = true; return; }
    $(".cert-name-entry").hidden = !!fromLms;
    if (!fromLms && st.n) $("#cert-name").value = st.n;
    if (!name) { $(".cert-body").hidden = true; $(".cert-print").disabled = true; return; }
    var date = st.d || new Date().toISOString().slice(0, 10);
    $(".cert-learner").textContent = name;
    $(".cert-date").textContent = date;
    $(".cert-score").textContent = r.score.graded ? Math.round(r.pct) + "%" : "Not graded";
    $(".cert-code").textContent = code(name, date);
    $(".cert-body").hidden = false;
    $(".cert-print").disabled = false;
  }

  function available() {
    var button = $(".cert-button");
    if (button) button.hidden = false;
  }

  function wire() {
    var button = $(".cert-button");
    if (!button || button.getAttribute("data-wired")) return;
    button.setAttribute("data-wired", "1");
    button.addEventListener("click", function () { render(); sections(true); });
    $(".cert-back").addEventListener("click", function () { sections(false); });
    $(".cert-print").addEventListener("click", function () { window.print(); });
    $(".cert-name-save").addEventListener("click", function () {
      var v = $("#cert-name").value.trim();
      if (!v) { $("#cert-name").focus(); return; }
      P.setLearnerName(v);
      render();
    });
    $(".attest-confirm").addEventListener("click", function () {
      if (!$("#attest-box").checked) { $("#attest-box").focus(); return; }
      P._attested = true;
      P.record({
        index: P.data.questions.length, id: "attestation", type: "true-false", response: 0,
        correct: null, graded: false, weighting: 0, latency: 0, timestamp: new Date(),
        description: String(P.data.ce.attestation).slice(0, 250), labels: ["True", "False"], module: "certificate",
      });
      render();
    });
  }

  var previousComplete = P.onComplete, previousReady = P.onReady;
  P.onComplete = function (r, s) {
    if (previousComplete) previousComplete(r, s);
    wire();
    available();
  };
  P.onReady = function () {
    if (previousReady) previousReady();
    wire();
    if (P.rules().completed || P.state().c) available();
  };
})();
