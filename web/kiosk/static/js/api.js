// Talking to the terminal daemon: JSON intents (POST) only; state comes back by SSE.
"use strict";

/** Post one intent; resolves to true when the daemon accepted it. */
export async function post(path, body) {
  try {
    const res = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    return res.ok;
  } catch (err) {
    return false;
  }
}

/** The element with data-test="name" (the stable names tests and tools use). */
export const $ = (name, root = document) => root.querySelector(`[data-test="${name}"]`);
