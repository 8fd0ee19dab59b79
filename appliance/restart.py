"""Restarting the daemon when the console asks (``terminal.restart``), never during a call.

An admin presses "restart" in the console's fleet view and the console sends
``terminal.restart``. With no call running (state ``idle`` or ``offline``) the daemon
stops at once, cleanly (media closed, pins released, kiosk server shut down), and exits
with :data:`RESTART_EXIT_STATUS`; systemd (``Restart=always`` in
``systemd/bt-terminal.service``) starts it again two seconds later, and the kiosk page
reloads when it sees the new daemon's boot id. A citizen waiting or talking is never cut
off: the request is remembered and carried out when the terminal is idle again, after
the thanks screen. Both moments are logged at warning level, so the journal says why the
daemon went away.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.ports import State

log = logging.getLogger(__name__)

RESTART_EXIT_STATUS = 75
"""EX_TEMPFAIL: not a crash, "run me again"; systemd restarts on any non-zero status."""
NO_CALL: frozenset[State] = frozenset({"idle", "offline"})


class RestartGate:
    """Holds a restart request until no call runs, then calls ``restart`` once."""

    def __init__(self, restart: Callable[[str], None] | None = None) -> None:
        self._restart = restart
        self.pending: str | None = None
        self.done = False

    def request(self, reason: str, state: State) -> None:
        """The console asked for a restart; carried out now if no call runs."""
        if self.pending is None:
            why = reason or "no reason given"
            if state in NO_CALL:
                log.warning("restart requested by the console (%s)", why)
            else:
                log.warning("restart requested by the console (%s): after this call", why)
            self.pending = reason
        self.check(state)

    def check(self, state: State) -> None:
        """Carry out a pending request once the terminal is ``idle`` or ``offline``."""
        if self.pending is None or self.done or state not in NO_CALL:
            return
        self.done = True
        log.warning("restarting the terminal daemon now (console request)")
        if self._restart is not None:
            self._restart(self.pending)
