"""Media of a call: the aiortc camera leg and the ICE host-address policy.

Only the camera leg (camera + microphone, sent by the terminal) lives here; the screen
leg (the caseworker shown on the kiosk) is negotiated by the daemon but terminated in
the kiosk's Chromium, see ``appliance.kiosk``.
"""
