"""Offline capture with store and forward for the mobile office kit.

``store`` keeps sealed documents on the card, ``console_key`` the console's public key,
``kit`` captures and uploads (:class:`appliance.outbox.kit.Outbox`).
"""
