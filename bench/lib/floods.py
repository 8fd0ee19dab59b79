"""Flood limits for benches: every simulated client comes from 127.0.0.1.

The console's per-address limits (console/floods.py) would otherwise refuse the ten
thousand terminals of one bench address as a flood. Benches measure the console's work,
so they lift the limits far above what they send; the limits' own cost is a token bucket
per address and socket, which stays in the measurement.
"""

from __future__ import annotations

import json

UNLIMITED = {
    "connections_per_min": 1e9,
    "connection_burst": 1_000_000,
    "messages_per_s": 1e9,
    "message_burst": 1_000_000,
    "address_messages_per_s": 1e9,
    "address_message_burst": 1_000_000,
}


def bench_env() -> dict[str, str]:
    """The console settings a bench adds to the harness's (``Console.extra_env``)."""
    return {"BT_CONSOLE_FLOOD": json.dumps(UNLIMITED)}
