/*
 * Ringing offers (plain JS, loaded after console.js): routing offers a waiting call to this
 * caseworker ({type: "call.offer"}: longest-idle offers it to one caseworker at a time,
 * ring-all to every available one). A prominent card shows the terminal, the service, the
 * citizen's language, who transferred it and how long it still rings; Answer sends
 * call.answer, Decline call.decline. {type: "call.offer_ended"} removes the card (someone
 * else took it, it rang out, or the citizen left).
 *
 * The ring is a short WebAudio beep made in the page: the CSP lets the page fetch nothing
 * from elsewhere, and a generated tone needs no file. Browsers may keep audio silent until
 * the person has clicked on the page once; the card is the signal that always works.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  if (!api) { return; }
  var t = api.t;
  var BEEP_EVERY_MS = 2000;
  var GRACE_S = 3; // a card outlives its ring time only this long without call.offer_ended

  var list = document.querySelector('[data-test="offers"]');
  var offers = {}; // call id -> {msg, until (local ms), node}
  var audio = null;
  var beepTimer = null;

  api.offers = function () { return Object.keys(offers); };

  function beep() {
    try {
      var Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return; }
      audio = audio || new Ctx();
      if (audio.state === "suspended") { audio.resume().catch(function () { /* no gesture yet */ }); }
      [0, 0.18].forEach(function (offset) {
        var osc = audio.createOscillator();
        var gain = audio.createGain();
        var start = audio.currentTime + offset;
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.0001, start);
        gain.gain.exponentialRampToValueAtTime(0.2, start + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.12);
        osc.connect(gain);
        gain.connect(audio.destination);
        osc.start(start);
        osc.stop(start + 0.13);
      });
    } catch (err) { /* no audio: the card still shows */ }
  }

  function ringing(on) {
    if (on && !beepTimer) {
      beep();
      beepTimer = setInterval(beep, BEEP_EVERY_MS);
    } else if (!on && beepTimer) {
      clearInterval(beepTimer);
      beepTimer = null;
    }
  }

  function part(tag, cls, test, text) {
    var node = document.createElement(tag);
    node.className = cls;
    if (test) { node.setAttribute("data-test", test); }
    if (text) { node.textContent = text; }
    return node;
  }

  function card(msg) {
    var li = part("li", "offer", "offer");
    li.setAttribute("data-call-id", msg.call_id);
    var head = part("div", "offer-head"); // announced at once by screen readers
    head.setAttribute("role", "alert");
    head.appendChild(part("div", "offer-title", "offer-title", t("desk.offer.title")));
    head.appendChild(part("div", "offer-terminal", "offer-terminal", msg.terminal_name));
    var meta = part("div", "offer-meta");
    if (msg.queue_name) { meta.appendChild(part("span", "queue-badge", "offer-queue", msg.queue_name)); }
    if (msg.language) {
      meta.appendChild(part("span", "lang-badge", "offer-language", api.languageName(msg.language)));
    }
    if (msg.staff) {
      meta.appendChild(part("span", "kit-badge", "offer-kit-staff", t("kits.on_site", { name: msg.staff })));
    }
    if (msg.transferred_by) {
      meta.appendChild(part("span", "transferred-by", "offer-transferred-by",
        t("calls.transferred_by", { name: msg.transferred_by })));
    }
    head.appendChild(meta);
    li.appendChild(head);
    var bar = part("div", "offer-bar");
    var fill = part("div", "offer-bar-fill");
    bar.appendChild(fill);
    li.appendChild(bar);
    li.appendChild(part("div", "offer-countdown", "offer-countdown"));
    var actions = part("div", "offer-actions");
    var answer = part("button", "primary", "offer-answer", t("desk.offer.answer"));
    var decline = part("button", "", "offer-decline", t("desk.offer.decline"));
    answer.type = decline.type = "button";
    answer.addEventListener("click", function () {
      answer.disabled = decline.disabled = true;
      api.answer(msg.call_id, msg).then(function (sent) {
        if (!sent) { answer.disabled = decline.disabled = false; }
      });
    });
    decline.addEventListener("click", function () {
      answer.disabled = decline.disabled = true;
      if (api.send({ type: "call.decline", call_id: msg.call_id })) {
        remove(msg.call_id);
      } else {
        answer.disabled = decline.disabled = false;
        api.notice(t("calls.no_link"), "error");
      }
    });
    actions.appendChild(answer);
    actions.appendChild(decline);
    li.appendChild(actions);
    return li;
  }

  function tick() {
    var now = Date.now();
    Object.keys(offers).forEach(function (id) {
      var offer = offers[id];
      var left = (offer.until - now) / 1000;
      if (left < -GRACE_S) { remove(id); return; }
      offer.node.querySelector(".offer-countdown").textContent =
        t("desk.offer.rings", { seconds: Math.max(0, Math.ceil(left)) });
      var ring = offer.msg.ring_s || 20;
      offer.node.querySelector(".offer-bar-fill").style.width =
        Math.max(0, Math.min(100, (left / ring) * 100)) + "%";
      var busy = api.state !== "idle";
      offer.node.querySelector('[data-test="offer-answer"]').disabled = busy;
    });
  }

  function remove(callId) {
    var offer = offers[callId];
    if (!offer) { return; }
    offer.node.remove();
    delete offers[callId];
    ringing(Object.keys(offers).length > 0);
    api.titleNote = Object.keys(offers).length > 0 ? t("desk.offer.title") : "";
    api.refresh();
  }

  function clear() { Object.keys(offers).forEach(remove); }

  api.handlers["call.offer"] = function (msg) {
    remove(msg.call_id);
    var node = card(msg);
    offers[msg.call_id] = { msg: msg, until: Date.now() + (msg.ring_s || 20) * 1000, node: node };
    list.appendChild(node);
    tick();
    ringing(true);
    api.titleNote = t("desk.offer.title"); // seen in another tab too
    api.refresh();
  };

  api.handlers["call.offer_ended"] = function (msg) { remove(msg.call_id); };

  api.callStateListeners.push(function (state, callId) {
    if (callId) { remove(callId); } // answered: this call's card has done its job
    tick();
  });
  api.linkListeners.push(function (state) { if (state !== "online") { clear(); } });

  setInterval(tick, 250);
})();
