/*
 * Printing a form at the terminal (plain JS, loaded after console.js).
 *
 * During a call the caseworker picks a PDF and clicks "Am Terminal drucken". The page
 * uploads it to POST /api/v1/calls/<call_id>/print (X-CSRF-Token header, body
 * application/pdf, at most 20 MiB); the console hands it to the terminal, which prints it
 * and reports print.status (queued, printing, done or failed) over the signaling socket.
 * The status line shows the newest job's progress in plain German. A status may arrive
 * before the upload's response names the job, so statuses are kept by job id.
 */
(function () {
  "use strict";

  var MAX_BYTES = 20 * 1024 * 1024;
  var api = window.btConsole;
  var TEXTS = {
    sending: "Wird an das Terminal gesendet …",
    queued: "Am Terminal angekommen – wartet auf den Drucker …",
    printing: "Wird gedruckt …",
    done: "Gedruckt. Das Blatt liegt im Ausgabefach des Terminals.",
    failed: "Drucken fehlgeschlagen."
  };
  var UPLOAD_ERRORS = {
    413: "Die Datei ist größer als 20 MB.",
    415: "Bitte eine PDF-Datei wählen.",
    400: "Die Datei ist kein PDF.",
    404: "Das Gespräch ist schon beendet.",
    429: "Das Terminal holt die vorigen Formulare noch ab. Bitte kurz warten.",
    503: "Die Zentrale ist ausgelastet. Bitte gleich noch einmal versuchen.",
    403: "Die Sitzung ist abgelaufen. Bitte die Seite neu laden."
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
    var text = TEXTS[msg.status] || msg.status;
    if (msg.status === "failed" && /no printer/.test(msg.message || "")) {
      text = "Dieses Terminal hat keinen Drucker.";
    }
    show(msg.status, text, msg.message);
  }

  async function upload() {
    var callId = api.callId;
    var file = el.file.files && el.file.files[0];
    if (!file || api.state !== "in-call" || !callId) { return; }
    if (file.size > MAX_BYTES) { show("failed", UPLOAD_ERRORS[413]); return; }
    uploading = true;
    jobId = null;
    show("sending", TEXTS.sending);
    render();
    try {
      var res = await fetch("/api/v1/calls/" + encodeURIComponent(callId) + "/print", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/pdf", "X-CSRF-Token": csrfToken() },
        body: file
      });
      if (res.status !== 202) {
        show("failed", UPLOAD_ERRORS[res.status] || ("Senden fehlgeschlagen (" + res.status + ")."));
        return;
      }
      var body = await res.json();
      if (api.callId !== callId) { return; }
      jobId = body.job_id;
      if (statuses[jobId]) { showJob(statuses[jobId]); }
      el.file.value = "";
    } catch (err) {
      show("failed", "Keine Verbindung zur Zentrale – nicht gesendet.");
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
        show("failed", "Gespräch beendet – der Druckauftrag wurde abgebrochen.");
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
