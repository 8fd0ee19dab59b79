/*
 * The terminal beside the call: the card the citizen inserted (pushed as "card" messages
 * over the page's socket) and the health of the terminal's parts (GET /api/v1/terminals,
 * fetched when a call is assigned and every 5 s during it). Uses console.js's extension
 * points (window.btConsole.handlers and callStateListeners); no card data ever reaches
 * the page, only the card's type.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  if (!api) { return; }
  var PARTS_POLL_MS = 5000;
  var CARD_NAMES = {
    eid: "Personalausweis",
    egk: "Gesundheitskarte (eGK)",
    girocard: "girocard",
    unknown: "unbekannte Karte"
  };
  var PART_NAMES = {
    camera: "Kamera", microphone: "Mikrofon", audio: "Audio", button: "Taster",
    leds: "Leuchten", handset: "Hörer", printer: "Drucker", card_reader: "Kartenleser",
    speaker: "Lautsprecher"
  };
  var STATE_NAMES = { ok: "bereit", missing: "fehlt", failed: "gestört" };

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }
  var cardEl = $("card");
  var partsEl = $("terminal-parts");
  var pollTimer = null;
  var shownFor = null;

  function showCard(card) {
    api.card = card || null;
    cardEl.hidden = !card;
    cardEl.setAttribute("data-card", card || "");
    cardEl.textContent = card ? "Karte eingesteckt: " + (CARD_NAMES[card] || CARD_NAMES.unknown) : "";
  }

  function renderParts(parts) {
    partsEl.textContent = "";
    var names = Object.keys(parts || {}).sort();
    names.forEach(function (name) {
      var value = parts[name];
      var chip = document.createElement("li");
      chip.className = "part-chip";
      chip.setAttribute("data-part", name);
      chip.setAttribute("data-state", value);
      var good = value === "ok" || CARD_NAMES.hasOwnProperty(value);
      chip.classList.add(good ? "part-ok" : "part-bad");
      var shown = name === "card_reader" && CARD_NAMES[value] ? CARD_NAMES[value] : (STATE_NAMES[value] || value);
      chip.textContent = (PART_NAMES[name] || name) + ": " + shown;
      partsEl.appendChild(chip);
    });
    partsEl.hidden = names.length === 0;
  }

  function fetchParts() {
    var callId = api.callId;
    if (!callId) { return; }
    fetch("/api/v1/terminals", { credentials: "same-origin", cache: "no-store" }).then(function (res) {
      return res.ok ? res.json() : null;
    }).then(function (body) {
      if (!body || api.callId !== callId) { return; }
      var mine = body.terminals.filter(function (t) { return t.call_id === callId; })[0];
      if (mine) { renderParts(mine.parts); }
    }).catch(function () { /* offline: the next poll tries again */ });
  }

  function reset() {
    clearInterval(pollTimer);
    pollTimer = null;
    shownFor = null;
    showCard(null);
    renderParts({});
  }

  api.handlers.card = function (msg) {
    if (api.callId && msg.call_id === api.callId) { showCard(msg.card); }
  };

  api.callStateListeners.push(function (state, callId) {
    if (state === "idle" || !callId) { reset(); return; }
    if (shownFor !== callId) {
      reset();
      shownFor = callId;
      fetchParts();
      pollTimer = setInterval(fetchParts, PARTS_POLL_MS);
    }
  });

  api.terminalParts = { refresh: fetchParts };
  reset();
})();
