/* The console page's messages: read once from <script type="application/json" id="i18n">,
 * which the server renders in the page's language (console/i18n.py). t("key", {name: "x"})
 * fills {name} placeholders; an unknown key shows itself, so a gap is visible, not blank. */
(function () {
  "use strict";
  var messages = {};
  var node = document.getElementById("i18n");
  if (node) {
    try { messages = JSON.parse(node.textContent || "{}"); } catch (e) { messages = {}; }
  }
  function t(key, values) {
    var text = Object.prototype.hasOwnProperty.call(messages, key) ? messages[key] : key;
    if (values) {
      text = text.replace(/\{(\w+)\}/g, function (whole, name) {
        return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
      });
    }
    return text;
  }
  window.btI18n = { t: t, lang: document.documentElement.lang || "de" };
})();
