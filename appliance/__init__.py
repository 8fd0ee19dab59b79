"""The Bürgerterminal daemon (``bt-terminal``): one asyncio process per terminal.

A coordinator owns the call state; parts (button, LEDs, camera, microphone), the
signaling link to the console and the local kiosk page only raise events and carry
out what the coordinator decides. See ``appliance.daemon`` for how they are wired.
"""

SOFTWARE = "bt-terminal/0.1.0"
"""Sent in ``hello`` and at enrollment so the console's fleet view shows versions."""
