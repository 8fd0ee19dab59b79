// The citizen's display settings: text size (100/150/200 %), high contrast, spoken prompts.
//
// They belong to the citizen at the terminal, not to the terminal: reset() puts them
// back whenever the screen becomes welcome. Nothing is stored in the browser.
"use strict";

import { $ } from "./api.js";
import { locale, number } from "./i18n.js";

const SIZES = [1, 1.5, 2];

/** Wire the toolbar's size, contrast and speech buttons; returns {reset, speak}. */
export function preferences() {
  const html = document.documentElement;
  const sizeBtn = $("text-size");
  const sizeValue = $("text-size-value");
  const contrastBtn = $("contrast");
  const speechBtn = $("speech");
  let size = 0;
  let speech = false;
  const canSpeak = "speechSynthesis" in window;

  function showSize() {
    html.style.setProperty("--scale", String(SIZES[size]));
    html.dataset.textSize = String(SIZES[size] * 100);
    sizeValue.textContent = `${number(SIZES[size] * 100)}\u202f%`;
  }

  function setContrast(on) {
    html.dataset.contrast = on ? "high" : "normal";
    contrastBtn.setAttribute("aria-pressed", String(on));
  }

  function setSpeech(on) {
    speech = on && canSpeak;
    speechBtn.setAttribute("aria-pressed", String(speech));
    if (!speech && canSpeak) window.speechSynthesis.cancel();
  }

  /** Read text aloud in the page's language when spoken prompts are on. */
  function speak(text) {
    if (!speech || !text) return;
    const u = new SpeechSynthesisUtterance(text);
    u.lang = locale();
    u.rate = 0.9; // a little slower than default: many citizens are elderly
    window.speechSynthesis.cancel();
    window.speechSynthesis.speak(u);
  }

  sizeBtn.addEventListener("click", () => {
    size = (size + 1) % SIZES.length;
    showSize();
  });
  contrastBtn.addEventListener("click", () => setContrast(html.dataset.contrast !== "high"));
  speechBtn.addEventListener("click", () => setSpeech(!speech));
  speechBtn.hidden = !canSpeak;

  function reset() {
    size = 0;
    showSize();
    setContrast(false);
    setSpeech(false);
  }
  reset();
  return { reset, speak, refresh: showSize };
}
