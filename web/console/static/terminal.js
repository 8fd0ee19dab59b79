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
  var t = api.t;
  var PARTS_POLL_MS = 5000;
  // Catalog keys calls.card.<type>, calls.part.<name>, calls.part_state.<state> (calls.po).
  var CARDS = ["eid", "egk", "girocard", "unknown"];
  var PARTS = ["camera", "microphone", "audio", "button", "leds", "handset", "printer",
    "card_reader", "speaker"];
  var STATES = ["ok", "missing", "failed"];
  function cardName(card) { return t("calls.card." + (CARDS.indexOf(card) >= 0 ? card : "unknown")); }
  function partName(name) { return PARTS.indexOf(name) >= 0 ? t("calls.part." + name) : name; }
  function stateName(value) { return STATES.indexOf(value) >= 0 ? t("calls.part_state." + value) : value; }

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }
  var cardEl = $("card");
  var partsEl = $("terminal-parts");
  var pollTimer = null;
  var shownFor = null;

  function showCard(card) {
    api.card = card || null;
    cardEl.hidden = !card;
    cardEl.setAttribute("data-card", card || "");
    cardEl.textContent = card ? t("calls.card.inserted", { card: cardName(card) }) : "";
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
      var isCard = CARDS.indexOf(value) >= 0;
      chip.classList.add(value === "ok" || isCard ? "part-ok" : "part-bad");
      var shown = name === "card_reader" && isCard ? cardName(value) : stateName(value);
      chip.textContent = partName(name) + ": " + shown;
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
