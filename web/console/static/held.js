/*
 * The citizen's terminal lost its network mid-call (issue 7; plain JS, loaded after media.js).
 * Shown over the call's video: early, when the terminal's picture and sound stop (the browser's
 * ICE state "disconnected", about 5 s after the loss); then, when the console noticed the socket
 * is gone (call.held), that it holds the call, with a countdown; call.resumed says the terminal
 * is back and offers both legs afresh (media.js answers them, replacing the dead connections).
 * The call's own end (grace ran out, hang-up) comes as call.ended as always.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  var t = api.t;
  var box = document.querySelector('[data-test="held"]');
  var stage = box.parentElement; // its state hides the citizen's frozen last picture
  var title = box.querySelector('[data-test="held-title"]');
  var detail = box.querySelector('[data-test="held-detail"]');
  var timer = null;
  var until = 0;

  function show(state, heading, text) {
    box.hidden = false;
    box.setAttribute("data-state", state);
    stage.setAttribute("data-held", state);
    title.textContent = heading;
    detail.textContent = text || "";
    detail.hidden = !text;
  }

  function hide() {
    clearInterval(timer);
    timer = null;
    box.hidden = true;
    box.setAttribute("data-state", "");
    stage.removeAttribute("data-held");
  }

  function countdown() {
    var left = Math.max(0, Math.ceil((until - Date.now()) / 1000));
    show("held", t("held.dropped"), t("held.holding", { seconds: left }));
  }

  api.handlers["call.held"] = function (msg) {
    if (msg.call_id !== api.callId) { return; }
    // Counted on this browser's clock from now, less what passed on the console's clock
    // since it started holding (api.now(): the console's clock as far as the page knows it).
    var hold = msg.hold_s * 1000;
    var passed = Math.min(Math.max(0, api.now() - msg.since * 1000), hold);
    until = Date.now() + hold - passed;
    clearInterval(timer);
    countdown();
    timer = setInterval(countdown, 1000);
  };

  api.handlers["call.resumed"] = function (msg) {
    if (msg.call_id !== api.callId) { return; }
    clearInterval(timer);
    timer = null;
    show("resumed", t("held.resumed"), "");
  };

  // media.js reports each leg's connection state; the camera leg carries the citizen.
  api.mediaStateListeners.push(function (leg, state) {
    if (leg !== "camera") { return; }
    if (state === "connected") { hide(); return; }
    if ((state === "disconnected" || state === "failed") && box.hidden) {
      show("media_lost", t("held.media_lost"), "");
    }
  });

  api.callStateListeners.push(function (state) { if (state === "idle") { hide(); } });
})();
