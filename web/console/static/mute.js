/*
 * The caseworker's microphone mute in a call (plain JS, loaded after console.js).
 *
 * Muting sets track.enabled = false on the microphone track of the caseworker's local
 * stream (the one shown in local-video and sent on the call's "screen" leg): the browser
 * then sends silence, the connection and the camera stay as they are, and unmuting is
 * instant (no renegotiation, no new getUserMedia prompt). The button is a toggle
 * (aria-pressed), reachable with Tab and pressed with Enter or Space; while muted a badge
 * on the video says so in words. Every new call starts unmuted.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  var t = function (key, values) { return window.btI18n.t(key, values); };

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = { button: $("mute"), badge: $("mute-badge"), local: $("local-video") };
  var muted = false;

  function audioTracks() {
    var stream = el.local.srcObject;
    return stream && stream.getAudioTracks ? stream.getAudioTracks() : [];
  }

  function apply() {
    audioTracks().forEach(function (track) { track.enabled = !muted; });
  }

  function render() {
    var live = api.state !== "idle";
    el.button.disabled = !live;
    el.button.setAttribute("aria-pressed", muted ? "true" : "false");
    el.button.classList.toggle("muted", muted);
    el.badge.hidden = !(live && muted);
  }

  function toggle() {
    if (api.state === "idle") { return; }
    if (!muted && audioTracks().length === 0) {
      api.notice(t("mute.no_microphone"), "info");
      return;
    }
    muted = !muted;
    apply();
    render();
  }

  api.mute = {
    get muted() { return muted; },
    toggle: toggle
  };

  api.callStateListeners.push(function (state) {
    if (state === "idle" || state === "connecting") { muted = false; }
    apply();
    render();
  });

  el.button.addEventListener("click", toggle);
  render();
})();
