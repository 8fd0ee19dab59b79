"""Hardware parts, one module (or package) each, real and fake side by side.

Each part is chosen by config and reports a health string (``ok``, ``missing``,
``failed``) that the kiosk's /healthz and the console's fleet view show.
"""
