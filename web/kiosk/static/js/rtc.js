// The "screen" leg: a receive-only RTCPeerConnection in this page receives the caseworker.
//
// The daemon asks for an offer (SSE screen-offer), the page posts it to
// /api/rtc/screen-offer, the console's answer comes back as screen-answer. Decoding and
// lip sync stay in Chromium (hardware decode on the Pi). framesDecoded is reported once a
// second so the daemon's health and the tests see that the picture arrives.
"use strict";

import { post } from "./api.js";

/** Build the screen leg around video; kiosk gets pc and framesDecoded (window.btKiosk). */
export function screenLeg(kiosk, video) {
  function close() {
    const pc = kiosk.pc;
    kiosk.pc = null;
    if (pc) pc.close();
    if (video.srcObject) video.srcObject = null;
  }

  function gatheringComplete(pc, maxMs) {
    if (pc.iceGatheringState === "complete") return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        pc.removeEventListener("icegatheringstatechange", check);
        resolve();
      };
      const check = () => pc.iceGatheringState === "complete" && done();
      pc.addEventListener("icegatheringstatechange", check);
      setTimeout(done, maxMs);
    });
  }

  async function offer(iceServers, policy) {
    close();
    // policy: the console's ice_transport_policy ("relay" forces TURN), when the daemon passes it
    const iceTransportPolicy = policy === "relay" ? "relay" : "all";
    const pc = new RTCPeerConnection({ iceServers: iceServers || [], iceTransportPolicy });
    kiosk.pc = pc;
    kiosk.framesDecoded = 0;
    const stream = new MediaStream();
    pc.addTransceiver("audio", { direction: "recvonly" });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.ontrack = (ev) => {
      stream.addTrack(ev.track);
      video.srcObject = stream;
      video.play().catch(() => {});
    };
    await pc.setLocalDescription(await pc.createOffer());
    await gatheringComplete(pc, 2000);
    if (kiosk.pc !== pc) return;
    await post("/api/rtc/screen-offer", { sdp: pc.localDescription.sdp });
  }

  async function answer(sdp) {
    const pc = kiosk.pc;
    if (!pc || pc.signalingState !== "have-local-offer") return;
    try {
      await pc.setRemoteDescription({ type: "answer", sdp });
    } catch (err) {
      console.warn("screen answer refused", err);
    }
  }

  async function reportStats() {
    const pc = kiosk.pc;
    if (!pc) return;
    const stats = await pc.getStats();
    let frames = 0;
    stats.forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded || 0;
    });
    if (frames !== kiosk.framesDecoded) {
      kiosk.framesDecoded = frames;
      await post("/api/rtc/stats", { frames_decoded: frames });
    }
  }

  setInterval(() => reportStats().catch(() => {}), 1000);
  return { offer, answer, close };
}
