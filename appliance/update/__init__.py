"""A/B updates of the terminal: RAUC with the Raspberry Pi firmware's tryboot.

``tryboot`` is RAUC's custom bootloader backend (``bt-tryboot``), ``confirm`` marks a
try-booted slot good or bad by the terminal's health, ``install`` fetches a signed bundle
over HTTPS and hands it to ``rauc install`` (``bt-update``). See ``README.md`` here.
"""
