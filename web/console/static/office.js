/*
 * The office's state in the header (plain JS, loaded after console.js): open or closed and
 * when it next opens, from the same "office" status the terminals' welcome screens show.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  var DAYS = ["So", "Mo", "Di", "Mi", "Do", "Fr", "Sa"];
  var box = document.querySelector('[data-test="office-status"]');

  function when(epochS, timeZone) {
    var d = new Date(epochS * 1000);
    try {
      var opts = { timeZone: timeZone, weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" };
      return new Intl.DateTimeFormat("de-DE", opts).format(d);
    } catch (err) {
      return DAYS[d.getDay()] + " " + d.toLocaleString("de-DE");
    }
  }

  api.handlers.office = function (msg) {
    box.hidden = false;
    box.setAttribute("data-state", msg.open ? "open" : "closed");
    var text = msg.open ? "Geöffnet" : "Geschlossen";
    if (!msg.open && msg.next_open) { text += " – öffnet " + when(msg.next_open, msg.timezone); }
    if (msg.open && msg.hours && msg.hours.length === 0) { text = "Geöffnet (keine Sprechzeiten festgelegt)"; }
    box.textContent = text;
  };
})();
