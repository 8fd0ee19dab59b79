"""Debian's Chromium under the image's managed policy, without touching this machine's /etc.

Chromium reads managed policies only from /etc/chromium/policies/managed/ (Debian's build
has no command-line override: `--policy` exists only on Android test builds). Writing the
file there would leak into every other Chromium the test suite starts at the same time, and
a killed test would leave it behind. So each launch gets its own mount namespace
(`unshare --mount`) in which a temporary directory is bind-mounted over /etc/chromium: that
Chromium sees the policy, every other process sees the real /etc, and nothing needs
cleaning up when the process ends, however it ends. As root this needs nothing more; as
another user `unshare --map-root-user` gives the namespace (Debian allows unprivileged
user namespaces).

`LocalSite` is a tiny HTTP server on a loopback address that plays the kiosk origin (on
127.0.0.1) or the "other" origin (on 127.0.0.2) and records every request it gets.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
POLICY_FILE = ROOT / "image/layer/etc/chromium/policies/managed/buergerterminal-kiosk.json"
KIOSK_HOSTPORT = "127.0.0.1:8081"
CHROMIUM_BINARY = Path("/usr/lib/chromium/chromium")

# Policies that also switch off the DevTools protocol, which Playwright drives Chromium
# through: tests that click with Playwright run without them; the automation-free test
# runs the file unchanged and asserts that remote debugging is refused.
BLOCKS_AUTOMATION = ("DeveloperToolsAvailability", "RemoteDebuggingAllowed")


def load_policy() -> dict[str, Any]:
    """The image's kiosk policy as shipped."""
    policy: dict[str, Any] = json.loads(POLICY_FILE.read_text(encoding="utf-8"))
    return policy


def on_port(policy: dict[str, Any], port: int) -> dict[str, Any]:
    """The policy with the kiosk's 127.0.0.1:8081 moved to a test server's port."""
    text = json.dumps(policy).replace(KIOSK_HOSTPORT, f"127.0.0.1:{port}")
    moved: dict[str, Any] = json.loads(text)
    return moved


def policy_root(directory: Path, policy: dict[str, Any] | None) -> Path:
    """A stand-in for /etc/chromium holding `policy` (None: no policy at all)."""
    etc = directory / "etc-chromium"
    managed = etc / "policies" / "managed"
    managed.mkdir(parents=True)
    real = Path("/etc/chromium/master_preferences")
    if real.exists():
        shutil.copy(real, etc / real.name)
    if policy is not None:
        (managed / POLICY_FILE.name).write_text(json.dumps(policy), encoding="utf-8")
    return etc


def in_namespace(etc: Path) -> list[str]:
    """The command prefix that runs Debian's chromium with `etc` as its /etc/chromium."""
    unshare = shutil.which("unshare")
    assert unshare, "unshare missing: Debian's util-linux package (Makefile)"
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    script = f'mount --bind "{etc}" /etc/chromium && exec /usr/bin/chromium "$@"'
    return [unshare, *user, "--mount", "--propagation", "private", "sh", "-c", script, "chromium"]


def launcher(directory: Path, etc: Path) -> Path:
    """An executable for Playwright's executable_path that starts chromium in_namespace."""
    path = directory / "chromium-with-policy"
    quoted = " ".join(f"'{part}'" for part in in_namespace(etc))
    path.write_text(f'#!/bin/sh\nexec {quoted} "$@"\n', encoding="utf-8")
    path.chmod(0o755)
    return path


Page = Callable[["LocalSite"], tuple[int, dict[str, str], bytes]]


class LocalSite:
    """An HTTP server on `host` with fixed pages; keeps every request path and posted JSON."""

    def __init__(self, host: str, pages: dict[str, Page]) -> None:
        self.pages = pages
        self.requests: list[str] = []
        self.posted: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        site = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                site._record(self.path, None)
                page = site.pages.get(self.path.split("?")[0])
                status, headers, body = page(site) if page else (404, {}, b"")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                site._record(self.path, json.loads(self.rfile.read(length) or b"{}"))
                self.send_response(204)
                self.end_headers()

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.port = self.server.server_address[1]
        self.origin = f"http://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _record(self, path: str, posted: dict[str, Any] | None) -> None:
        with self.changed:
            self.requests.append(path)
            if posted is not None:
                self.posted.append(posted)
            self.changed.notify_all()

    def wait_for(self, check: Callable[[LocalSite], bool], timeout: float) -> bool:
        """Wait until check(self) holds or timeout seconds passed; whether it holds."""
        with self.changed:
            return self.changed.wait_for(lambda: check(self), timeout=timeout)

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


def html(text: str) -> Page:
    """A page answering `text` as HTML."""
    body = text.encode()
    return lambda _site: (200, {"Content-Type": "text/html; charset=utf-8"}, body)


def attachment() -> Page:
    """A page answering a small file as a download."""
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Disposition": "attachment; filename=form.pdf",
    }
    return lambda _site: (200, headers, b"%PDF-1.4\n" + b"x" * 2048)
