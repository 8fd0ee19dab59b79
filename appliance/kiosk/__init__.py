"""The local kiosk UI: a Flask app on 127.0.0.1 that Chromium shows full-screen.

``create_kiosk_app(bridge)`` builds the app, ``KioskBridge`` connects it to the
coordinator, ``KioskServer`` serves it from a background thread.
"""

from appliance.kiosk.app import create_kiosk_app
from appliance.kiosk.bridge import KioskBridge
from appliance.kiosk.server import KioskServer

__all__ = ["KioskBridge", "KioskServer", "create_kiosk_app"]
