/*
 * Zoom for document photos (plain JS, no dependencies): used by the call's photo preview
 * (photos.js) and by the case inbox viewer (inbox.js).
 *
 * btZoom.create(src, alt) returns {root, img, setSrc, fit}: a focusable, scrollable frame
 * holding the image and a toolbar (zoom out, level, zoom in, fit, actual size).
 * - Buttons: every step is x1.25, between "fit" and 400 % of the photo's pixels.
 * - Wheel over the frame zooms around the pointer (a trackpad pinch arrives as a wheel
 *   event with ctrlKey), so the detail under the pointer stays put.
 * - Touch pinch: two pointers, the distance ratio scales.
 * - Keyboard on the focused frame: + / - zoom, 0 fits, 1 actual size; the arrow keys scroll
 *   (the browser's own scrolling of an overflowing element).
 * The size is set through CSSOM (img.style.width), which the page's CSP allows.
 */
(function () {
  "use strict";

  var STEP = 1.25;
  var MAX_SCALE = 4;
  var t = function (key, values) { return window.btI18n ? window.btI18n.t(key, values) : key; };

  function button(test, text, label) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "zoom-button";
    b.setAttribute("data-test", test);
    b.textContent = text;
    if (label) { b.setAttribute("aria-label", label); b.title = label; }
    return b;
  }

  function create(src, alt) {
    var root = document.createElement("div");
    root.className = "zoom";
    var frame = document.createElement("div");
    frame.className = "zoom-frame";
    frame.tabIndex = 0;
    frame.setAttribute("role", "group");
    frame.setAttribute("aria-label", t("photos.zoom_frame"));
    frame.setAttribute("data-test", "zoom-frame");
    var img = document.createElement("img");
    img.alt = alt || "";
    img.draggable = false;
    frame.appendChild(img);

    var bar = document.createElement("div");
    bar.className = "zoom-bar";
    var out = button("zoom-out", "−", t("photos.zoom_out"));
    var level = document.createElement("output");
    level.className = "zoom-level";
    level.setAttribute("data-test", "zoom-level");
    level.setAttribute("aria-live", "polite");
    var inn = button("zoom-in", "+", t("photos.zoom_in"));
    var fitButton = button("zoom-fit", t("photos.zoom_fit"));
    var actual = button("zoom-actual", t("photos.zoom_actual"));
    [out, level, inn, fitButton, actual].forEach(function (n) { bar.appendChild(n); });
    root.appendChild(frame);
    root.appendChild(bar);

    var scale = 0; // 0 until the image has loaded and been fitted
    var fitted = true; // follow the frame's size while nobody zoomed

    function fitScale() {
      var w = img.naturalWidth, h = img.naturalHeight;
      if (!w || !h || !frame.clientWidth) { return 1; }
      return Math.min(1, frame.clientWidth / w, frame.clientHeight / h);
    }

    // Zoom to `next`, keeping the image point under (cx, cy) (frame coordinates) in place.
    function zoomTo(next, cx, cy) {
      if (!img.naturalWidth) { return; }
      var min = fitScale();
      next = Math.max(min, Math.min(MAX_SCALE, next));
      if (cx === undefined) { cx = frame.clientWidth / 2; cy = frame.clientHeight / 2; }
      var old = scale || min;
      var px = (frame.scrollLeft + cx) / old, py = (frame.scrollTop + cy) / old;
      scale = next;
      fitted = Math.abs(next - min) < 1e-6;
      img.style.width = Math.round(img.naturalWidth * next) + "px";
      img.style.height = Math.round(img.naturalHeight * next) + "px";
      frame.scrollLeft = px * next - cx;
      frame.scrollTop = py * next - cy;
      var percent = Math.round(next * 100);
      level.textContent = t("photos.zoom_level", { percent: percent });
      root.setAttribute("data-scale", String(next));
      root.classList.toggle("zoomed", !fitted);
      out.disabled = fitted;
      fitButton.disabled = fitted;
      inn.disabled = next >= MAX_SCALE - 1e-6;
    }

    function fit() { zoomTo(fitScale()); }
    function by(factor, cx, cy) { zoomTo((scale || fitScale()) * factor, cx, cy); }

    out.addEventListener("click", function () { by(1 / STEP); });
    inn.addEventListener("click", function () { by(STEP); });
    fitButton.addEventListener("click", fit);
    actual.addEventListener("click", function () { zoomTo(1); });

    frame.addEventListener("wheel", function (event) {
      event.preventDefault();
      var r = frame.getBoundingClientRect();
      var factor = Math.pow(STEP, -event.deltaY / (event.deltaMode === 1 ? 3 : 100));
      by(factor, event.clientX - r.left, event.clientY - r.top);
    }, { passive: false });

    frame.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) { return; }
      var k = event.key;
      if (k === "+" || k === "=") { by(STEP); } else if (k === "-" || k === "_") { by(1 / STEP); }
      else if (k === "0") { fit(); } else if (k === "1") { zoomTo(1); } else { return; }
      event.preventDefault();
    });

    // Pinch with two fingers (pointer events); one finger pans by scrolling natively.
    var pointers = {};
    var pinch = null;
    function spread() {
      var p = Object.keys(pointers).map(function (id) { return pointers[id]; });
      if (p.length !== 2) { return null; }
      var r = frame.getBoundingClientRect();
      return {
        d: Math.hypot(p[0].x - p[1].x, p[0].y - p[1].y),
        cx: (p[0].x + p[1].x) / 2 - r.left,
        cy: (p[0].y + p[1].y) / 2 - r.top
      };
    }
    frame.addEventListener("pointerdown", function (e) {
      if (e.pointerType !== "touch") { return; }
      pointers[e.pointerId] = { x: e.clientX, y: e.clientY };
      var s = spread();
      if (s) { pinch = { d: s.d, scale: scale || fitScale() }; }
    });
    frame.addEventListener("pointermove", function (e) {
      if (!(e.pointerId in pointers)) { return; }
      pointers[e.pointerId] = { x: e.clientX, y: e.clientY };
      var s = spread();
      if (s && pinch && pinch.d > 0) { zoomTo(pinch.scale * s.d / pinch.d, s.cx, s.cy); }
    });
    function lift(e) { delete pointers[e.pointerId]; if (!spread()) { pinch = null; } }
    frame.addEventListener("pointerup", lift);
    frame.addEventListener("pointercancel", lift);

    img.addEventListener("load", function () { scale = 0; fitted = true; fit(); });
    if (window.ResizeObserver) {
      new ResizeObserver(function () { if (fitted && img.naturalWidth) { fit(); } }).observe(frame);
    }

    function setSrc(url) { scale = 0; img.src = url; }
    if (src) { setSrc(src); }
    return { root: root, frame: frame, img: img, setSrc: setSrc, fit: fit, zoomTo: zoomTo };
  }

  window.btZoom = { create: create };
})();
