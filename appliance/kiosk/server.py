"""Serving the kiosk app from a background thread with werkzeug's threaded server.

The page holds one long-lived SSE request; werkzeug's threaded server gives it a
thread of its own, which is plenty for one local browser. The socket is bound when
the server is built, so the real port (config port 0 = any free one) is known before
the daemon runs. The host is always 127.0.0.1 (see ``appliance.config``).
"""

from __future__ import annotations

import logging
import threading

from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from appliance.config import KIOSK_HOST

log = logging.getLogger(__name__)


class KioskServer:
    """The kiosk's HTTP server; ``port`` is the bound port."""

    def __init__(self, app: Flask, port: int) -> None:
        self._server: BaseWSGIServer = make_server(KIOSK_HOST, port, app, threaded=True)
        self._server.daemon_threads = True  # type: ignore[attr-defined]
        self.port: int = self._server.server_port
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve in a background thread."""
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="kiosk-http", daemon=True
        )
        self._thread.start()
        log.info("kiosk page at http://%s:%d/", KIOSK_HOST, self.port)

    def stop(self) -> None:
        """Stop serving and close the socket (SSE streams must be ended first)."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
