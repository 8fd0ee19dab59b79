/* Keeps a used console page's session alive (console/sessions.py: idle timeout).
 * Keyboard or pointer use counts as activity; at most every five minutes it tells the
 * console so (POST /session/alive), which refreshes the session cookie. A page left alone
 * sends nothing, so its session ends after the idle time; when the console answers 401
 * the page goes to the sign-in form. Pages without a sign-out form (sign-in) do nothing. */
(function () {
  "use strict";
  var field = document.querySelector('form[action="/logout"] input[name="csrf_token"]');
  if (!field) { return; }
  var EVERY_MS = 5 * 60 * 1000;
  var last = Date.now();
  function activity() {
    var now = Date.now();
    if (now - last < EVERY_MS) { return; }
    last = now;
    fetch("/session/alive", {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": field.value }
    }).then(function (resp) {
      if (resp.status === 401) { window.location.assign("/login"); }
    }).catch(function () { /* offline: the next activity tries again */ last = 0; });
  }
  ["pointerdown", "keydown"].forEach(function (name) {
    document.addEventListener(name, activity, { passive: true, capture: true });
  });
})();
