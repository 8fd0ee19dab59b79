/*
 * Printing a form at the terminal (plain JS, loaded after console.js).
 *
 * During a call the caseworker picks a PDF and clicks "Am Terminal drucken". The page
 * uploads it to POST /api/v1/calls/<call_id>/print (X-CSRF-Token header, body
 * application/pdf, at most 20 MiB); the console hands it to the terminal, which prints it
 * and reports print.status (queued, printing, done or failed) over the signaling socket.
 * The status line shows the newest job's progress in plain words, in the page's language
 * (printing.po). A status may arrive before the upload's response names the job, so
 * statuses are kept by job id.
 */
(function () {
  "use strict";

  var MAX_BYTES = 20 * 1024 * 1024;
  var api = window.btConsole;
  var t = function (key, values) { return window.btI18n.t(key, values); };
  var STATES = ["sending", "queued", "printing", "done", "failed"]; // printing.<state>
  var UPLOAD_ERRORS = {
    413: "printing.too_large",
    415: "printing.not_pdf_type",
    400: "printing.not_pdf",
    404: "printing.call_over",
    429: "printing.busy",
    503: "printing.overloaded",
    403: "printing.session"
  };

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = { file: $("print-file"), button: $("print"), status: $("print-status") };
  var jobId = null; // the job whose progress the status line shows
  var statuses = {}; // job_id -> latest print.status of this call
  var uploading = false;

  api.printing = { statuses: statuses };

  function csrfToken() {
    var input = document.querySelector('input[name="csrf_token"]');
    return input ? input.value : "";
  }

  function show(state, text, detail) {
    el.status.setAttribute("data-state", state);
    el.status.textContent = text;
    el.status.title = detail || "";
  }

  function render() {
    var inCall = api.state === "in-call" && !!api.callId;
    el.file.disabled = !inCall || uploading;
    el.button.disabled = !inCall || uploading || !(el.file.files && el.file.files.length);
  }

  function showJob(msg) {
    var text = STATES.indexOf(msg.status) >= 0 ? t("printing." + msg.status) : msg.status;
    if (msg.status === "failed" && /no printer/.test(msg.message || "")) {
      text = t("printing.no_printer");
    }
    show(msg.status, text, msg.message);
  }

  async function upload() {
    var callId = api.callId;
    var file = el.file.files && el.file.files[0];
    if (!file || api.state !== "in-call" || !callId) { return; }
    if (file.size > MAX_BYTES) { show("failed", t(UPLOAD_ERRORS[413])); return; }
    uploading = true;
    jobId = null;
    show("sending", t("printing.sending"));
    render();
    try {
      var res = await fetch("/api/v1/calls/" + encodeURIComponent(callId) + "/print", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/pdf", "X-CSRF-Token": csrfToken() },
        body: file
      });
      if (res.status !== 202) {
        var key = UPLOAD_ERRORS[res.status];
        show("failed", key ? t(key) : t("printing.send_failed", { status: res.status }));
        return;
      }
      var body = await res.json();
      if (api.callId !== callId) { return; }
      jobId = body.job_id;
      if (statuses[jobId]) { showJob(statuses[jobId]); }
      el.file.value = "";
    } catch (err) {
      show("failed", t("printing.no_link"));
    } finally {
      uploading = false;
      render();
    }
  }

  api.handlers["print.status"] = function (msg) {
    if (msg.call_id !== api.callId) { return; }
    statuses[msg.job_id] = msg;
    if (msg.job_id === jobId) { showJob(msg); }
  };

  api.callStateListeners.push(function (state) {
    if (state === "idle") {
      // The terminal cancels unfinished jobs when the call ends; a final line stays visible.
      var shown = el.status.getAttribute("data-state");
      if (shown === "sending" || shown === "queued" || shown === "printing") {
        show("failed", t("printing.cancelled"));
      }
      jobId = null;
      Object.keys(statuses).forEach(function (key) { delete statuses[key]; });
      el.file.value = "";
    } else if (state === "connecting") {
      show("", "");
    }
    render();
  });

  el.file.addEventListener("change", render);
  el.button.addEventListener("click", upload);
  render();
})();
