/* What the console's page scripts that edit data through the JSON API share (admin.js,
 * visits.js): one JSON request and one way to build elements. Loaded by base.html before
 * the page's own script (both deferred, so in document order).
 *
 * btApi.request(csrf, method, path, body): the parsed JSON body (null for 204). Session
 * requests that change something carry the page's CSRF token in X-CSRF-Token. An error
 * answer rejects with an Error whose message is the API's error message (or the status),
 * and whose code and status are the API's error code and the HTTP status.
 * btApi.el(tag, attrs, children): "text" becomes textContent (never HTML); checked,
 * disabled and selected are set as properties; everything else as attributes. */
(function () {
  "use strict";
  function request(csrf, method, path, body) {
    var options = { method: method, headers: { "Accept": "application/json" }, credentials: "same-origin" };
    if (method !== "GET") { options.headers["X-CSRF-Token"] = csrf; }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (resp) {
      if (resp.status === 204) { return null; }
      return resp.json().catch(function () { return {}; }).then(function (data) {
        if (!resp.ok) {
          var error = (data && data.error) || {};
          var err = new Error(error.message || String(resp.status));
          err.code = error.code || "";
          err.status = resp.status;
          throw err;
        }
        return data;
      });
    });
  }
  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      if (key === "text") { node.textContent = attrs[key]; }
      else if (key === "checked" || key === "disabled" || key === "selected") { node[key] = Boolean(attrs[key]); }
      else { node.setAttribute(key, attrs[key]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }
  window.btApi = { request: request, el: el };
})();
