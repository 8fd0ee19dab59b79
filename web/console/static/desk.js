/*
 * The caseworker's desk (plain JS, loaded after console.js): their own presence and, for
 * supervisors, the team's.
 *
 * The console decides presence (console/hub.py) and pushes it as {type: "presence", state,
 * since, wrap_up_until}: available takes calls, busy is in a call, wrap_up follows every
 * call for the queue's wrap-up time, break is the caseworker's choice. The page only asks
 * ({type: "presence.set", state: "available" | "break"}); "Ready" during wrap-up is the same
 * request for available. {type: "desk"} lists colleagues with their presence and the
 * municipality's queues with waiting calls: transfer.js offers them as targets, and
 * supervisors and admins see them as a team overview.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  if (!api) { return; }
  var t = api.t;
  var STATES = ["available", "busy", "wrap_up", "break", "offline"];

  function $(test) { return document.querySelector('[data-test="' + test + '"]'); }

  var el = {
    box: $("desk"), presence: $("presence"), available: $("presence-available"),
    pause: $("presence-break"), wrapUp: $("wrap-up"), wrapLeft: $("wrap-up-left"),
    ready: $("wrap-up-ready"), breakHint: $("presence-hint"), team: $("team"), colleagues: $("team-colleagues"),
    queues: $("team-queues")
  };
  var presence = null; // the last PresenceStatus, null until the console sends one
  var supervisor = api.role === "supervisor" || api.role === "admin";
  var main = document.querySelector("main.layout");
  var myId = main ? Number(main.getAttribute("data-caseworker-id")) || null : null;

  api.presence = function () { return presence ? presence.state : null; };
  api.caseworkerId = myId;
  api.desk = { colleagues: [], queues: [] };
  api.deskListeners = [];
  // Any waiting call can be taken from the queue list when not in a call: an explicit
  // answer also ends wrap-up or a break (console/hub.py).
  api.canAnswer = function () { return !presence || presence.state !== "busy"; };

  function stateName(state) {
    return t(STATES.indexOf(state) >= 0 ? "desk.state." + state : "desk.state.offline");
  }

  function clock(epochS) {
    var d = new Date(epochS * 1000);
    return (d.getHours() < 10 ? "0" : "") + d.getHours() + ":" + (d.getMinutes() < 10 ? "0" : "") + d.getMinutes();
  }

  function fmtLeft(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    return Math.floor(s / 60) + ":" + (s % 60 < 10 ? "0" : "") + (s % 60);
  }

  function ask(state) {
    if (!api.send({ type: "presence.set", state: state })) { api.notice(t("calls.no_link"), "error"); }
  }

  function renderPresence() {
    el.box.hidden = !presence;
    if (!presence) { return; }
    var state = presence.state;
    el.presence.setAttribute("data-state", state);
    el.presence.textContent = stateName(state) + " · " + t("desk.since", { time: clock(presence.since) });
    el.available.setAttribute("aria-pressed", String(state === "available"));
    el.pause.setAttribute("aria-pressed", String(state === "break"));
    el.available.disabled = state === "available" || state === "busy" || state === "wrap_up";
    el.pause.disabled = state === "break" || state === "busy";
    el.wrapUp.hidden = state !== "wrap_up";
    el.breakHint.hidden = state !== "break";
    tickWrapUp();
    api.refresh();
  }

  function tickWrapUp() {
    if (!presence || presence.state !== "wrap_up") { return; }
    if (presence.wrap_up_until) {
      var left = presence.wrap_up_until - api.now() / 1000;
      el.wrapLeft.textContent = t("desk.wrap_up.left", { time: fmtLeft(left) });
    } else {
      el.wrapLeft.textContent = t("desk.wrap_up.open");
    }
  }

  function chip(state) {
    var node = document.createElement("span");
    node.className = "presence-chip";
    node.setAttribute("data-state", state);
    node.textContent = stateName(state);
    return node;
  }

  function renderTeam() {
    el.team.hidden = !supervisor;
    if (!supervisor) { return; }
    el.colleagues.textContent = "";
    api.desk.colleagues.forEach(function (c) {
      var li = document.createElement("li");
      li.className = "team-row";
      li.setAttribute("data-test", "team-colleague");
      li.setAttribute("data-caseworker-id", String(c.caseworker_id));
      li.setAttribute("data-state", c.state);
      var name = document.createElement("span");
      name.className = "team-name";
      name.textContent = c.caseworker_id === myId ? t("desk.team.me", { name: c.name }) : c.name;
      li.appendChild(name);
      li.appendChild(chip(c.state));
      el.colleagues.appendChild(li);
    });
    el.queues.textContent = "";
    api.desk.queues.forEach(function (q) {
      var li = document.createElement("li");
      li.className = "team-row";
      li.setAttribute("data-test", "team-queue");
      li.setAttribute("data-queue-id", String(q.queue_id));
      var name = document.createElement("span");
      name.className = "team-name";
      name.textContent = q.office ? q.name + " (" + q.office + ")" : q.name;
      var waiting = document.createElement("span");
      waiting.className = "count" + (q.waiting > 0 ? " count-busy" : "");
      waiting.setAttribute("data-test", "team-queue-waiting");
      waiting.textContent = t("desk.team.waiting", { count: q.waiting });
      li.appendChild(name);
      li.appendChild(waiting);
      el.queues.appendChild(li);
    });
  }

  api.handlers.presence = function (msg) {
    presence = { state: msg.state, since: msg.since, wrap_up_until: msg.wrap_up_until || null };
    renderPresence();
  };

  api.handlers.desk = function (msg) {
    api.desk = { colleagues: msg.colleagues || [], queues: msg.queues || [] };
    renderTeam();
    api.deskListeners.forEach(function (listener) { listener(api.desk); });
  };

  api.linkListeners.push(function (state) {
    if (state !== "online" && presence) { // shown again when the console says so
      presence = null;
      renderPresence();
    }
  });

  el.available.addEventListener("click", function () { ask("available"); });
  el.pause.addEventListener("click", function () { ask("break"); });
  el.ready.addEventListener("click", function () { ask("available"); });
  setInterval(tickWrapUp, 250);
  renderPresence();
  el.team.hidden = true;
})();
