"""systemd integration: readiness, status line, watchdog, and structured journal logs.

The unit (systemd/bt-terminal.service) is ``Type=notify`` with ``WatchdogSec=30``:
systemd considers the terminal started only after ``READY=1`` (sent once the kiosk
server and the console link run), shows the call state in ``systemctl status``
(``STATUS=idle``, ``STATUS=queued (position 2)``, ...), and kills and restarts the
daemon when ``WATCHDOG=1`` stops arriving.

The watchdog must mean "the terminal works", not "the process exists", so pings come
from a task on the same event loop as everything else and only while that loop is
healthy. The rule (``Watchdog``):

- ping every half ``WATCHDOG_USEC`` (systemd's recommendation);
- a wake-up later than ``max_lag_s`` (default: half the interval) means the loop was
  blocked: no ping then, and none until ``RECOVER_WAKES`` (2) wake-ups in a row were
  on time. Since the gap between two pings is then at least
  half + half + 2 x half the interval, a loop blocked longer than half the watchdog
  interval always ends in a restart; it never depends on whether a ping slips in
  just before the deadline;
- no ping while the coordinator has been busy with one event longer than
  ``stuck_after_s`` (its queue is stuck: a hung await inside the state machine).

``systemd.daemon`` (systemd-python) and ``systemd.journal`` are imported only inside
the adapters; without ``NOTIFY_SOCKET`` (not started by systemd: tests, the demo) the
notifier is a no-op, and without ``JOURNAL_STREAM`` logs go to stderr.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from typing import Protocol

from appliance.ports import View

log = logging.getLogger(__name__)

RECOVER_WAKES = 2
STUCK_AFTER_S = 10.0
"""An event handled this long means the state machine hangs (handling takes milliseconds;
the slowest step, closing a peer connection, well under a second)."""


class Notifier(Protocol):
    """Sends sd_notify messages."""

    def notify(self, message: str) -> None:
        """Send one ``KEY=value`` message."""
        ...


class NullNotifier:
    """Not started by systemd: nothing to tell."""

    def notify(self, message: str) -> None:
        """Drop the message."""


class SystemdNotifier:
    """sd_notify through systemd-python (reads ``NOTIFY_SOCKET`` at each call)."""

    def __init__(self) -> None:
        # By name: the repository's systemd/ folder (unit files) would shadow the
        # package for mypy, which resolves it as a namespace package.
        self._daemon = importlib.import_module("systemd.daemon")

    def notify(self, message: str) -> None:
        """Send ``message``; a refused datagram is logged, never raised."""
        try:
            self._daemon.notify(message)
        except OSError as err:
            log.warning("sd_notify %r failed: %s", message, err)


def notifier_from_env(env: Mapping[str, str] | None = None) -> Notifier:
    """A :class:`SystemdNotifier` when ``NOTIFY_SOCKET`` is set, else a no-op."""
    environ = os.environ if env is None else env
    return SystemdNotifier() if environ.get("NOTIFY_SOCKET") else NullNotifier()


def watchdog_interval(env: Mapping[str, str] | None = None, pid: int | None = None) -> float | None:
    """``WATCHDOG_USEC`` in seconds if the watchdog is meant for this process, else None."""
    environ = os.environ if env is None else env
    usec = environ.get("WATCHDOG_USEC", "")
    owner = environ.get("WATCHDOG_PID", "")
    if not usec.isdigit() or int(usec) == 0:
        return None
    if owner and owner != str(os.getpid() if pid is None else pid):
        return None
    return int(usec) / 1_000_000


def status_text(view: View) -> str:
    """The one-line ``STATUS=`` shown by ``systemctl status``."""
    if view.state == "queued":
        return "queued" if view.position is None else f"queued (position {view.position})"
    if view.state == "in-call":
        return f"in call with {view.caseworker or 'a caseworker'}"
    if view.state == "ended":
        return f"call ended ({view.reason})" if view.reason else "call ended"
    if view.state == "offline":
        reason = view.reason or "console link down"
        if reason.startswith("cannot connect"):
            reason = "console unreachable"
        elif reason == "starting":
            reason = "connecting to the console"
        return f"offline: {reason}"
    return view.state


class Watchdog:
    """Pings ``WATCHDOG=1`` while the event loop and the coordinator are healthy."""

    def __init__(
        self,
        notifier: Notifier,
        interval_s: float,
        *,
        stalled_s: Callable[[], float] = lambda: 0.0,
        stuck_after_s: float = STUCK_AFTER_S,
        max_lag_s: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._notifier = notifier
        self.period_s = interval_s / 2
        self.max_lag_s = self.period_s if max_lag_s is None else max_lag_s
        self._stalled_s = stalled_s
        self._stuck_after_s = stuck_after_s
        self._clock = clock
        self._good_wakes = RECOVER_WAKES
        self.pings = 0
        self.withheld = 0

    def decide(self, lag_s: float) -> bool:
        """Whether to ping after a wake-up ``lag_s`` late (see the module docstring)."""
        if lag_s > self.max_lag_s:
            if self._good_wakes >= RECOVER_WAKES:
                log.error("event loop blocked for %.1f s: watchdog pings withheld", lag_s)
            self._good_wakes = 0
            return False
        stalled = self._stalled_s()
        if stalled > self._stuck_after_s:
            log.error("coordinator stuck on one event for %.0f s: watchdog pings withheld", stalled)
            self._good_wakes = 0
            return False
        if self._good_wakes < RECOVER_WAKES:
            self._good_wakes += 1
            return self._good_wakes >= RECOVER_WAKES
        return True

    async def run(self) -> None:
        """Ping until cancelled."""
        self._ping()
        while True:
            due = self._clock() + self.period_s
            await asyncio.sleep(self.period_s)
            if self.decide(self._clock() - due):
                self._ping()
            else:
                self.withheld += 1

    def _ping(self) -> None:
        self._notifier.notify("WATCHDOG=1")
        self.pings += 1


class SystemdService:
    """READY=1 once started, STATUS= on every change, the watchdog, STOPPING=1 at the end."""

    def __init__(self, notifier: Notifier, watchdog: Watchdog | None = None) -> None:
        self._notifier = notifier
        self.watchdog = watchdog
        self._status: str | None = None

    def show(self, view: View) -> None:
        """Coordinator observer: send ``STATUS=`` when the text changes."""
        text = status_text(view)
        if text != self._status:
            self._status = text
            self._notifier.notify(f"STATUS={text}")

    async def run(self, started: asyncio.Event) -> None:
        """Wait for ``started``, send READY=1, then keep the watchdog fed until cancelled."""
        await started.wait()
        self._notifier.notify("READY=1")
        log.info("ready (sd_notify READY=1)")
        if self.watchdog is not None:
            await self.watchdog.run()

    def stopping(self) -> None:
        """Tell systemd the stop is deliberate and under way."""
        self._notifier.notify("STOPPING=1")


class JournalFields(logging.Filter):
    """Adds the terminal's context (``BT_STATE``, ``BT_CALL_ID``) to every log record."""

    def __init__(self) -> None:
        super().__init__()
        self.context: Callable[[], Mapping[str, str | None]] = dict

    def filter(self, record: logging.LogRecord) -> bool:
        """Set missing fields from the context; never drops a record."""
        for key, value in self.context().items():
            if value is not None and not hasattr(record, key):
                setattr(record, key, value)
        return True


def configure_logging(
    level: str, env: Mapping[str, str] | None = None, *, journal_sender: object = None
) -> JournalFields:
    """Log to the journal (structured fields) under systemd, else to stderr."""
    environ = os.environ if env is None else env
    handler: logging.Handler
    if environ.get("JOURNAL_STREAM"):
        journal = importlib.import_module("systemd.journal")
        extra = {} if journal_sender is None else {"sender_function": journal_sender}
        handler = journal.JournalHandler(SYSLOG_IDENTIFIER="bt-terminal", **extra)
        handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    fields = JournalFields()
    handler.addFilter(fields)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    return fields


def systemd_service(
    *, stalled_s: Callable[[], float], env: Mapping[str, str] | None = None
) -> SystemdService:
    """The service integration from the environment systemd gives the daemon."""
    notifier = notifier_from_env(env)
    interval = watchdog_interval(env)
    watchdog = None if interval is None else Watchdog(notifier, interval, stalled_s=stalled_s)
    return SystemdService(notifier, watchdog)
