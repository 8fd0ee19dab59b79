/* The municipality's accent colour: base.html renders it into <body data-brand-color="#rrggbb">
 * (checked on the server); this sets the CSS variable --brand-color, which console.css uses for
 * the stripe on the top bar only, never for text or buttons, so contrast does not depend on it.
 * A script, because the page's CSP forbids inline styles. */
(function () {
  "use strict";
  var color = document.body ? document.body.getAttribute("data-brand-color") : null;
  if (color && /^#[0-9a-fA-F]{6}$/.test(color)) {
    document.documentElement.style.setProperty("--brand-color", color);
  }
})();
