# Bürgerterminal: the two commands of the README, and the steps they need.
#   make demo   console + simulated terminal on this machine (TERMINAL_CONFIG=path: real parts)
#   make test   lint, type check and the whole test suite (installs what is missing)
# Both are idempotent on a fresh Debian 12 machine: apt packages are installed only when
# missing, the venv is rebuilt only when pyproject.toml changes.

PYTHON      ?= python3
VENV        ?= .venv
PY          := $(VENV)/bin/python
STAMP       := $(VENV)/.installed
APT_PACKAGES := python3-venv python3-dev chromium fonts-dejavu-core ca-certificates libsystemd-dev pkg-config gcc systemd
# printer: pycups builds against libcups2-dev; tests run their own cupsd with the PDF filters
APT_PACKAGES += gcc libcups2-dev cups cups-client cups-filters printer-driver-cups-pdf
# card reader: pyscard builds with swig against libpcsclite; tests run pcscd with vpcd; ATR list
APT_PACKAGES += swig libpcsclite-dev pcscd vsmartcard-vpcd pcsc-tools util-linux
# kiosk page tests: axe-core from npm (package.json; npm comes with nodejs)
APT_PACKAGES += nodejs
# console on PostgreSQL: tests start a private server (initdb as an unprivileged user)
APT_PACKAGES += postgresql
# TURN relay test: the tests start their own turnserver (use-auth-secret) on loopback
APT_PACKAGES += coturn
# network faults: tests put a terminal in a network namespace (ip netns, veth), cut it with nft,
# throttle it with tc (iproute2)
APT_PACKAGES += iproute2 nftables libnss3-tools
# several console instances: the tests start their own redis-server (no persistence, own port)
APT_PACKAGES += redis-server
# SD image (image/): arm64 root by mmdebstrap under qemu-user, disk by genimage, booted by
# qemu-system-aarch64 in tests/image/; RAUC signs and installs bundles
APT_PACKAGES += mmdebstrap arch-test qemu-user-static binfmt-support qemu-system-arm ipxe-qemu
APT_PACKAGES += genimage dosfstools mtools e2fsprogs fdisk rauc squashfs-tools openssl openssh-client nftables
SUDO        := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: demo test lint typecheck unit e2e bench image bundle image-qemu system-deps venv clean

demo: venv
	TERMINAL_CONFIG="$(TERMINAL_CONFIG)" $(PY) scripts/demo.py

test: venv lint typecheck
	$(PY) -m pytest -ra

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

unit: venv
	$(PY) -m pytest -ra -m "not e2e"

e2e: venv
	$(PY) -m pytest -ra -m e2e

# The Raspberry Pi OS image (needs Raspberry Pi's package archive; see image/README.md).
image: venv
	$(SUDO) $(PY) -m image.build --target rpi

# The same, plus a signed update bundle (BT_BUNDLE_KEY/BT_BUNDLE_CERT name the signing key).
bundle: venv
	$(SUDO) $(PY) -m image.build --target rpi --bundle

# The CI target: the same layer on Debian arm64, for QEMU (tests/image/ boots it).
image-qemu: venv
	$(SUDO) $(PY) -m image.build --target qemu --bundle

# Every benchmark, each printing "figure: <name> <value> <unit> (reference: ...)" lines
# (bench/README.md); tests/bench/ runs each with tiny parameters inside `make test`.
bench: venv
	$(PY) bench/call_setup.py
	$(PY) bench/camera_frames.py
	$(PY) bench/hub_routing.py
	$(PY) bench/idle_terminals.py
	$(PY) bench/call_rate.py
	$(PY) bench/glass_to_glass.py
	$(PY) bench/daemon_cpu.py
	$(PY) bench/bus_redis.py

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q --no-install-recommends $$missing; \
	fi

venv: system-deps $(STAMP) node_modules/.installed

node_modules/.installed: package.json package-lock.json
	@# Debian's own nodejs comes without npm (NodeSource's includes it): add it only if missing.
	@command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -q npm
	npm ci --no-audit --no-fund --silent
	touch $@

$(STAMP): pyproject.toml
	[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache test-artifacts
