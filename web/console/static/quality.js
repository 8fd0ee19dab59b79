/*
 * The citizen's link is poor (issue 8; plain JS, loaded after console.js). The terminal lowers
 * the video it sends to fit its link and says so with call.quality: "reduced" and "low" are a
 * smaller, slower picture, "audio_only" pauses the picture while the sound goes on. The badge
 * over the citizen's video says which, and that the citizen's connection is the cause (so the
 * caseworker does not look for a fault on their side), with the round trip and loss the terminal
 * measured. "full" hides it; so does a new call or a resumed one (its legs start at full).
 *
 * The citizen's link is poor both ways, as a rule: the caseworker's own video to the kiosk (the
 * "screen" leg, which Chromium adapts by itself) is capped too, so that it leaves room in the
 * citizen's downlink for the sound and the RTCP reports the terminal steers by. Measured on a
 * 300 kbit/s line: without the cap Chromium kept the downlink's buffer full (600 ms round trip),
 * and the terminal, reading that round trip, paused its own video for nothing.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  var t = api.t;
  var box = document.querySelector('[data-test="quality"]');
  var stage = box.parentElement;

  // The screen leg's video cap (bit/s) per level; none at full quality.
  var SCREEN_CAP = { reduced: 200000, low: 120000, audio_only: 80000 };

  function capScreen(level) {
    var pc = api.pcs && api.pcs.screen;
    if (!pc || !pc.getSenders) { return; }
    pc.getSenders().forEach(function (sender) {
      if (!sender.track || sender.track.kind !== "video") { return; }
      var params = sender.getParameters();
      if (!params.encodings || !params.encodings.length) { return; }
      if (SCREEN_CAP[level]) { params.encodings[0].maxBitrate = SCREEN_CAP[level]; }
      else { delete params.encodings[0].maxBitrate; }
      sender.setParameters(params).catch(function () { /* the leg is closing */ });
    });
  }
  api.screenCap = capScreen; // for the tests

  function hide() {
    box.hidden = true;
    box.setAttribute("data-level", "full");
    stage.removeAttribute("data-quality");
  }

  function figures(msg) {
    var parts = [];
    if (msg.width) { parts.push(msg.width + "×" + msg.height + ", " + msg.fps + " fps"); }
    if (msg.rtt_ms !== undefined && msg.rtt_ms !== null) { parts.push(t("quality.rtt", { ms: msg.rtt_ms })); }
    if (msg.loss_pct !== undefined && msg.loss_pct !== null) { parts.push(t("quality.loss", { pct: msg.loss_pct })); }
    return parts.join(" · ");
  }

  api.handlers["call.quality"] = function (msg) {
    if (msg.call_id !== api.callId) { return; }
    capScreen(msg.level);
    if (msg.level === "full") { hide(); return; }
    box.hidden = false;
    box.setAttribute("data-level", msg.level);
    stage.setAttribute("data-quality", msg.level);
    box.querySelector('[data-test="quality-title"]').textContent = t("quality." + msg.level);
    box.querySelector('[data-test="quality-detail"]').textContent = figures(msg);
  };

  api.handlers["call.resumed"] = (function (previous) {
    return function (msg) { hide(); if (previous) { previous(msg); } };
  })(api.handlers["call.resumed"]);

  api.callStateListeners.push(function (state) { if (state === "idle") { hide(); } });
})();
