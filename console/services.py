"""The console's collaborators, bundled once by the app factory and read by the routes.

Routes fetch them with :func:`services` from the running app instead of importing module
globals, so a test builds an app with its own store, hub, clock and cheap password hasher.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from quart import current_app

from console.audit import AuditLog
from console.auth import Passwords
from console.bus import Bus
from console.callbacks import CallbackDesk
from console.client_address import TrustedProxies
from console.config import ConsoleConfig
from console.enroll import Enroller
from console.floods import FloodGuard
from console.hub import Hub
from console.i18n import Translations
from console.inbox import Inbox
from console.kit_inbox import KitInbox
from console.presence import Presence
from console.store import Store
from console.store.hours import HoursStore
from console.store.tokens import TokenStore
from console.throttle import Throttle
from protocol.codec import Decoder, caseworker_decoder, terminal_decoder
from protocol.messages import CaseworkerToConsole, TerminalToConsole

EXTENSION_KEY = "bt_console"


@dataclass
class Services:
    """Everything a request handler may need."""

    config: ConsoleConfig
    store: Store
    hub: Hub
    passwords: Passwords
    enroller: Enroller
    presence: Presence
    login_throttle: Throttle
    enroll_throttle: Throttle
    callbacks: CallbackDesk
    hours: HoursStore
    tokens: TokenStore
    audit: AuditLog
    i18n: Translations
    inbox: Inbox
    """The encrypted case inbox of document photos (console/inbox.py)."""
    bus: Bus
    """How sockets reach the hub: in-process, or the owning instance over Redis (console/bus/)."""
    floods: FloodGuard
    """Per-address limits on new connections and messages (console/floods.py)."""
    proxies: TrustedProxies
    """Whose X-Forwarded-For names the client (console/client_address.py)."""
    terminal_decoder: Decoder[TerminalToConsole] = field(default_factory=terminal_decoder)
    caseworker_decoder: Decoder[CaseworkerToConsole] = field(default_factory=caseworker_decoder)
    directory_changed: DirectoryChanged = field(default_factory=lambda: DirectoryChanged())
    """Set after any change to offices, queues, memberships or terminals' offices: the hub
    reloads its routing directory (console/directory.py), on the calls' owner too."""
    draining: bool = False
    """Set when shutdown begins; /healthz then reports "down"."""
    kit_inbox: KitInbox | None = None
    """Documents mobile office kits captured offline, into the inbox (console/kit_inbox.py)."""


class DirectoryChanged(asyncio.Event):
    """An event whose ``set`` also tells the instance owning the calls (console/bus/), so a
    change made through any instance is routed by at once, not at the next reload (60 s)."""

    def __init__(self) -> None:
        super().__init__()
        self.also: Callable[[], None] = lambda: None

    def set(self) -> None:
        """Set here, and tell the owner."""
        super().set()
        self.also()


def services() -> Services:
    """The services of the app handling the current request or websocket."""
    found = current_app.extensions[EXTENSION_KEY]
    assert isinstance(found, Services)
    return found
