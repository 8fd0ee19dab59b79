/*
 * The page-side twin of appliance/parts/camera/clockstamp.py: read the wall-clock stamp
 * from the frames a <video> shows, and draw it into a canvas (the Chromium-to-Chromium
 * reference). Layout and check are the Python module's; bench/lib/glass.py compares the
 * constants below with it before every run, so the two cannot drift apart silently.
 *
 * Each frame is caught with requestVideoFrameCallback, whose metadata says when the
 * compositor expects to show it (expectedDisplayTime, on the performance clock); that
 * moment, moved to the wall clock with Date.now() - performance.now(), minus the stamp is
 * the frame's glass-to-glass delay.
 */
(function () {
  "use strict";

  var CELLS = 40, SYNC = [1, 0], TIME_BITS = 32, CHECK_BITS = 6, MIN_CELL = 4;
  var MODULUS = 4294967296;

  function layout(width, height) {
    var cellW = Math.floor(width / CELLS);
    if (cellW < MIN_CELL || 2 * cellW > Math.floor(height / 4)) { return null; }
    return { cellW: cellW, cellH: 2 * cellW, x0: Math.floor((width - CELLS * cellW) / 2), y0: 0 };
  }

  function check(value) {
    return (((value >>> 24) & 255) + ((value >>> 16) & 255) + ((value >>> 8) & 255) + (value & 255)) % 64;
  }

  function bits(ms) {
    var value = ms % MODULUS, out = SYNC.slice(), i;
    for (i = TIME_BITS - 1; i >= 0; i--) { out.push(Math.floor(value / Math.pow(2, i)) % 2); }
    var sum = check(value >>> 0);
    for (i = CHECK_BITS - 1; i >= 0; i--) { out.push((sum >> i) & 1); }
    return out;
  }

  function draw(ctx, width, height, ms) {
    var where = layout(width, height);
    if (!where) { return false; }
    bits(ms).forEach(function (bit, index) {
      ctx.fillStyle = bit ? "#ffffff" : "#000000";
      ctx.fillRect(where.x0 + index * where.cellW, where.y0, where.cellW, where.cellH);
    });
    return true;
  }

  // pixels: RGBA of the strip (width x cellH) as getImageData gives it.
  function read(pixels, width, height) {
    var where = layout(width, height);
    if (!where) { return null; }
    var cells = [], index, x, y;
    for (index = 0; index < CELLS; index++) {
      var left = where.x0 + index * where.cellW, sum = 0, count = 0;
      for (y = Math.floor(where.cellH / 4); y < where.cellH - Math.floor(where.cellH / 4); y++) {
        for (x = left + Math.floor(where.cellW / 4); x < left + where.cellW - Math.floor(where.cellW / 4); x++) {
          var at = (y * width + x) * 4;
          sum += pixels[at] + pixels[at + 1] + pixels[at + 2];
          count += 3;
        }
      }
      cells.push(sum / count > 127.5 ? 1 : 0);
    }
    if (cells[0] !== SYNC[0] || cells[1] !== SYNC[1]) { return null; }
    var value = 0, stamped = 0;
    for (index = 2; index < 2 + TIME_BITS; index++) { value = value * 2 + cells[index]; }
    for (; index < CELLS; index++) { stamped = stamped * 2 + cells[index]; }
    return stamped === check(value >>> 0) ? value : null;
  }

  function delay(nowMs, stamp) {
    var diff = (nowMs - stamp) % MODULUS;
    if (diff < 0) { diff += MODULUS; }
    return diff >= MODULUS / 2 ? diff - MODULUS : diff;
  }

  // Read every frame `video` shows for `seconds`; resolves to delays and counts.
  function watch(video, seconds) {
    var canvas = document.createElement("canvas");
    var ctx = canvas.getContext("2d", { willReadFrequently: true });
    var result = { delays: [], unreadable: 0, frames: 0, width: 0, height: 0 };
    return new Promise(function (resolve) {
      var until = performance.now() + seconds * 1000;
      function onFrame(now, meta) {
        var width = meta.width, height = meta.height, where = layout(width, height);
        result.frames += 1;
        result.width = width;
        result.height = height;
        if (where) {
          canvas.width = width;
          canvas.height = where.cellH;
          ctx.drawImage(video, 0, 0, width, where.cellH, 0, 0, width, where.cellH);
          var stamp = read(ctx.getImageData(0, 0, width, where.cellH).data, width, height);
          var shown = Date.now() - performance.now() + meta.expectedDisplayTime;
          if (stamp === null) { result.unreadable += 1; } else { result.delays.push(delay(shown, stamp)); }
        } else {
          result.unreadable += 1;
        }
        if (performance.now() < until) { video.requestVideoFrameCallback(onFrame); } else { resolve(result); }
      }
      video.requestVideoFrameCallback(onFrame);
    });
  }

  // A canvas of moving bars stamped with the time it was drawn, `fps` times a second.
  function stampedCanvas(width, height, fps) {
    var canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    var ctx = canvas.getContext("2d"), number = 0;
    var colours = ["#ebebeb", "#ebeb10", "#10ebeb", "#10eb10", "#eb10eb", "#eb1010", "#1010eb", "#101010"];
    setInterval(function () {
      var shift = (number * 8) % width, bar = width / colours.length;
      colours.forEach(function (colour, i) {
        ctx.fillStyle = colour;
        var x = (i * bar + shift) % width;
        ctx.fillRect(x, 0, bar, height);
        if (x + bar > width) { ctx.fillRect(x - width, 0, bar, height); }
      });
      draw(ctx, width, height, Date.now());
      number += 1;
    }, 1000 / fps);
    return canvas;
  }

  window.btClockstamp = {
    constants: { cells: CELLS, sync: SYNC, timeBits: TIME_BITS, checkBits: CHECK_BITS, minCell: MIN_CELL },
    layout: layout, bits: bits, draw: draw, read: read, delay: delay, watch: watch,
    stampedCanvas: stampedCanvas
  };
})();
