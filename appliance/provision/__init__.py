"""First boot: import ``buergerterminal.toml`` from the SD card's FAT partition into /data.

Municipal IT staff configure a terminal by putting one file on the card (``bt-firstboot``
reads it at boot). It is validated completely before anything is written, the enrollment
code is traded for the terminal's credential, the settings land in /data/config through a
staging directory swapped in by rename (``imported.json`` is the commit point), and the code
is removed from the card. See appliance/provision/README.md.
"""
