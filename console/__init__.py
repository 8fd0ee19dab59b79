"""The hosted caseworker console: signaling hub, queue, auth and enrollment (``bt-console``).

Importing this package does nothing: the app, the database and the server are built by
:func:`console.app.create_app` and :mod:`console.__main__` from a loaded configuration.
"""
