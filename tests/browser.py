"""Debian's Chromium as the tests launch it: headless, fake camera and microphone.

The flags let it answer WebRTC calls on loopback (`--allow-loopback-in-peer-connection`,
real host addresses instead of mDNS names) and keep it off the closed network. The tests
never download a browser: `make test` installs Debian's chromium package, and a missing
browser fails the tests instead of skipping them.
"""

from __future__ import annotations

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
