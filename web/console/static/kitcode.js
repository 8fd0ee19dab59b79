/* "Code for a mobile kit": a signed-in caseworker asks the console for a one-time code
 * (POST /api/v1/kit-codes, 8 digits, 10 minutes, used once) and types it on the kit at the
 * outpost instead of their password. The code is shown here only, until it expires. */
(function () {
  "use strict";
  var t = function (key, values) { return window.btI18n.t(key, values); };
  var button = document.querySelector("[data-test=kit-code-new]");
  var out = document.querySelector("[data-test=kit-code]");
  if (!button || !out) { return; }
  var timer = null;

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function show(code, expiresAt) {
    var until = new Date(expiresAt);
    var time = until.toLocaleTimeString(window.btI18n.lang, { hour: "2-digit", minute: "2-digit" });
    out.textContent = "";
    var digits = document.createElement("strong");
    digits.className = "kit-code-digits";
    digits.setAttribute("data-test", "kit-code-digits");
    digits.textContent = code.slice(0, 4) + " " + code.slice(4);
    out.appendChild(digits);
    out.appendChild(document.createTextNode(" " + t("kits.code.until", { time: time })));
    out.hidden = false;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { out.hidden = true; out.textContent = ""; }, Math.max(0, until - Date.now()));
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    fetch("/api/v1/kit-codes", { method: "POST", headers: { "X-CSRF-Token": csrfToken() }, credentials: "same-origin" })
      .then(function (resp) {
        if (!resp.ok) { throw new Error(String(resp.status)); }
        return resp.json();
      })
      .then(function (body) { show(body.code, body.expires_at); })
      .catch(function () { out.textContent = t("kits.code.failed"); out.hidden = false; })
      .then(function () { button.disabled = false; });
  });
})();
