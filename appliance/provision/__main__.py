"""``python -m appliance.provision``: the same as ``bt-firstboot``."""

import sys

from appliance.provision.cli import main

if __name__ == "__main__":
    sys.exit(main())
