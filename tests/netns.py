"""A network namespace joined to this machine by a veth pair: a terminal's own network.

Tests that cut a terminal's network, or block its UDP, run the terminal (its daemon, and the
kiosk's Chromium) inside such a namespace and the console on this side of the pair. The link
is a real one for the kernel: a cut drops every packet both ways (nft in the namespace), so
TCP stalls and ICE checks go unanswered exactly as on a village DSL line that goes away;
``block_udp`` leaves only TCP, as on a guest network that allows web traffic alone.

Needs root (``ip netns``) and iproute2 plus nftables (Makefile APT_PACKAGES).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

IP = shutil.which("ip") or "/usr/sbin/ip"
NFT = shutil.which("nft") or "/usr/sbin/nft"
TC = shutil.which("tc") or "/usr/sbin/tc"
_numbers = itertools.count()


def _run(*args: str, stdin: str | None = None) -> None:
    done = subprocess.run(list(args), input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr.strip()}")


@dataclass(frozen=True)
class Netns:
    """A namespace ``name``; this side's address ``host_ip``, the namespace's ``inner_ip``."""

    name: str
    host_ip: str
    inner_ip: str

    def command(self, *argv: str) -> list[str]:
        """``argv`` to be run inside the namespace (for Popen)."""
        return [IP, "netns", "exec", self.name, *argv]

    def _ruleset(self, body: str) -> None:
        rules = f"flush ruleset\ntable inet bt_test {{\n{body}\n}}\n"
        _run(*self.command(NFT, "-f", "-"), stdin=rules)

    def _drop(self, match: str) -> None:
        """Drop outside packets (not loopback's) that ``match`` (nft), both ways."""
        chains = (("in", "input", "iifname"), ("out", "output", "oifname"))
        self._ruleset(
            "\n".join(
                f"  chain {name} {{ type filter hook {hook} priority 0; policy accept;"
                f' {dev} "lo" accept; {match} drop; }}'
                for name, hook, dev in chains
            )
        )

    def cut(self) -> None:
        """Drop every packet to and from the outside (loopback inside keeps working)."""
        self._drop("")

    def block_udp(self) -> None:
        """Drop every UDP packet to and from the outside; TCP passes."""
        self._drop("meta l4proto udp")

    def restore(self) -> None:
        """Let everything through again."""
        _run(*self.command(NFT, "flush", "ruleset"))

    def drop_answers(self, port: int, prefix: bytes) -> None:
        """Drop TCP segments from ``port`` outside whose payload starts with ``prefix``.

        ``b"HTTP/1.1 2"`` drops a server's success answers and nothing else: the request
        arrives and is acted on, the acknowledgements flow, the answer never comes, as when
        a mobile link goes away right after an upload. ``restore`` ends it.
        """
        match = f"tcp sport {port} @ih,0,{len(prefix) * 8} 0x{prefix.hex()}"
        self._ruleset(
            "  chain answers {\n    type filter hook input priority 0; policy accept;\n"
            f"    {match} drop\n  }}"
        )

    def throttle(self, rate: str) -> None:
        """Limit what leaves the namespace to ``rate`` (tc tbf, e.g. ``64kbit``): a poor uplink."""
        _run(*self.command(TC, "qdisc", "replace", "dev", self._veth(), "root", "tbf", "rate",
                           rate, "burst", "4kb", "latency", "5s"))  # fmt: skip

    def unthrottle(self) -> None:
        """Lift :meth:`throttle`."""
        _run(*self.command(TC, "qdisc", "del", "dev", self._veth(), "root"))

    def _veth(self) -> str:
        done = subprocess.run(self.command(IP, "-o", "link", "show", "type", "veth"),
                              capture_output=True, text=True, check=True)  # fmt: skip
        return done.stdout.split(":")[1].strip().split("@")[0]

    def wrapper(self, executable: str, directory: Path) -> Path:
        """A script that runs ``executable`` inside the namespace, as the same user.

        Playwright starts browsers by path; pointing ``executable_path`` at this script puts
        the browser in the namespace while Playwright still speaks to it over its pipe.
        """
        script = directory / f"{Path(executable).name}-in-{self.name}"
        script.write_text(f'#!/bin/sh\nexec {IP} netns exec {self.name} {executable} "$@"\n')
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        return script


def available() -> str | None:
    """Why namespaces cannot be made here, or None if they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in (IP, NFT):
        if not Path(tool).exists():
            return f"{tool} is missing (iproute2, nftables)"
    return None


@contextlib.contextmanager
def network_namespace() -> Iterator[Netns]:
    """Make a namespace with a veth pair to this side and loopback up; remove it after."""
    why = available()
    if why is not None:
        raise RuntimeError(why)
    number = next(_numbers)
    tag = f"{os.getpid() % 100000}{number}"
    name, outside, inside = f"bt{tag}", f"bto{tag}", f"bti{tag}"
    subnet = 16 + (os.getpid() + number) % 200
    host_ip, inner_ip = f"10.213.{subnet}.1", f"10.213.{subnet}.2"
    _run(IP, "netns", "add", name)
    try:
        _run(IP, "link", "add", outside, "type", "veth", "peer", "name", inside)
        _run(IP, "link", "set", inside, "netns", name)
        _run(IP, "addr", "add", f"{host_ip}/24", "dev", outside)
        _run(IP, "link", "set", outside, "up")
        ns = Netns(name, host_ip, inner_ip)
        _run(*ns.command(IP, "addr", "add", f"{inner_ip}/24", "dev", inside))
        _run(*ns.command(IP, "link", "set", inside, "up"))
        _run(*ns.command(IP, "link", "set", "lo", "up"))
        _run(*ns.command(IP, "route", "add", "default", "via", host_ip))
        yield ns
    finally:
        subprocess.run([IP, "link", "del", outside], capture_output=True, check=False)
        subprocess.run([IP, "netns", "del", name], capture_output=True, check=False)
