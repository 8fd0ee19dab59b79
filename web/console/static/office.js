/*
 * The offices' state in the header (plain JS, loaded after console.js): open or closed and
 * when each next opens, from the same "office" status the terminals' welcome screens show.
 */
(function () {
  "use strict";

  var api = window.btConsole;
  var t = api.t;
  var locale = (window.btI18n && window.btI18n.lang === "en") ? "en-GB" : "de-DE";
  var box = document.querySelector('[data-test="office-status"]');

  function when(epochS, timeZone) {
    var d = new Date(epochS * 1000);
    try {
      var opts = { timeZone: timeZone, weekday: "short", day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit" };
      return new Intl.DateTimeFormat(locale, opts).format(d);
    } catch (err) { // an unknown time zone: the browser's own
      return d.toLocaleString(locale);
    }
  }

  var offices = {}; // office name -> its last status text and whether it is open

  function describe(msg) {
    var text = t(msg.open ? "calls.office.open" : "calls.office.closed");
    if (!msg.open && msg.next_open) {
      text = t("calls.office.closed_until", { when: when(msg.next_open, msg.timezone) });
    }
    if (msg.open && msg.hours && msg.hours.length === 0) { text = t("calls.office.open_always"); }
    return text;
  }

  // Each office of the municipality sends its own status. Offices in the same state show it
  // once; differing ones show "name: state" each; the colour says all open, all closed or
  // mixed, and the tooltip always names every office.
  api.handlers.office = function (msg) {
    offices[msg.office || ""] = { open: !!msg.open, text: describe(msg) };
    var names = Object.keys(offices).sort();
    var open = names.filter(function (n) { return offices[n].open; }).length;
    var each = names.map(function (n) { return (n ? n + ": " : "") + offices[n].text; });
    var same = names.every(function (n) { return offices[n].text === offices[names[0]].text; });
    box.hidden = false;
    box.setAttribute("data-state", open === names.length ? "open" : open === 0 ? "closed" : "mixed");
    box.textContent = same ? offices[names[0]].text : each.join(" · ");
    box.title = each.join("\n");
  };
})();
