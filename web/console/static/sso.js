/* Single sign-on: follow the link to the municipality's provider at once. A script, not a
 * redirect, because the CSP's form-action 'self' also covers redirects after the entry
 * form's post (console/routes/sso.py); the link stays for browsers without script. */
(function () {
  "use strict";
  var link = document.querySelector("a[data-auto-follow]");
  if (link) { window.location.replace(link.href); }
})();
