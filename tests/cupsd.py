"""A private CUPS scheduler for tests: real cupsd, real PDF filters, a ``file:`` printer.

Each :class:`PrivateCups` runs ``cupsd -f`` with its own cupsd.conf and cups-files.conf on a
free 127.0.0.1 port, with spool, cache, state and log directories in a temporary directory,
and adds one printer ``pdf`` built from Debian's printer-driver-cups-pdf PPD.

Why a ``file:`` device (``FileDevice Yes``) and not the cups-pdf backend: cups-pdf reads its
output directory only from /etc/cups/cups-pdf.conf (compiled in), so pointing it at a test
directory means writing to /etc. With ``file:`` the job still runs CUPS's whole filter chain
(pdftopdf, then pdftops/ghostscript as the PPD asks) and the output file holds the
PostScript a printer would get; only the last hop to a device differs.

The temporary directory is created world-traversable (0755) outside pytest's tmp_path
(0700): cupsd runs its filters as user ``lp``, which must reach the spool files.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CUPSD = "/usr/sbin/cupsd"
PPD = Path("/usr/share/ppd/cups-pdf/CUPS-PDF_opt.ppd")
PRINTER = "pdf"


def require_cups() -> None:
    """Fail with a clear message when the CUPS packages are missing (never skip)."""
    missing = [
        what
        for what, path in [
            ("cupsd (Debian package cups-daemon)", Path(CUPSD)),
            ("lpadmin (cups-client)", Path("/usr/sbin/lpadmin")),
            ("pdftopdf (cups-filters)", Path("/usr/lib/cups/filter/pdftopdf")),
            ("the CUPS-PDF PPD (printer-driver-cups-pdf)", PPD),
        ]
        if not path.exists()
    ]
    if missing:
        raise AssertionError("CUPS tests need: " + ", ".join(missing) + " (make system-deps)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrivateCups:
    """A running private cupsd; ``server`` is what CUPS_SERVER / cups_server take."""

    root: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def server(self) -> str:
        """``127.0.0.1:PORT``."""
        return f"127.0.0.1:{self.port}"

    @property
    def output(self) -> Path:
        """The file the ``pdf`` printer writes each job to."""
        return self.root / "out" / "print.ps"

    @property
    def error_log(self) -> Path:
        """cupsd's error log (for failure messages)."""
        return self.root / "log" / "error_log"

    def admin(self, *args: str) -> None:
        """Run a CUPS admin tool (lpadmin, cupsdisable, cupsenable) against this server."""
        env = {**os.environ, "CUPS_SERVER": self.server, "LC_ALL": "C"}
        done = subprocess.run(list(args), env=env, capture_output=True, timeout=30, check=False)
        assert done.returncode == 0, f"{args} failed: {done.stderr.decode(errors='replace')}"

    def log_tail(self) -> str:
        """The last lines of the error log."""
        with contextlib.suppress(OSError):
            return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-30:])
        return ""


def _write_config(root: Path, port: int) -> None:
    for sub in ("spool/tmp", "cache", "state", "log", "out", "ppd"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "out").chmod(0o777)
    (root / "cupsd.conf").write_text(
        f"Listen 127.0.0.1:{port}\n"
        "LogLevel info\n"
        "PreserveJobHistory Yes\n"
        "MaxJobs 100\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Location /admin>\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
    lines = [
        "FileDevice Yes",
        f"ServerRoot {root}",
        f"RequestRoot {root}/spool",
        f"CacheDir {root}/cache",
        f"StateDir {root}/state",
        f"TempDir {root}/spool/tmp",
        f"ErrorLog {root}/log/error_log",
        f"AccessLog {root}/log/access_log",
        f"PageLog {root}/log/page_log",
    ]
    if os.geteuid() == 0:
        lines.append("SystemGroup root")
    else:  # an unprivileged cupsd runs everything as the calling user (as CUPS's own tests do)
        user = pwd.getpwuid(os.geteuid()).pw_name
        group = grp.getgrgid(os.getegid()).gr_name
        lines += [f"User {user}", f"Group {group}", f"SystemGroup {group}"]
    (root / "cups-files.conf").write_text("\n".join(lines) + "\n")


def _wait_listening(port: int, process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def private_cups(timeout_s: float = 15.0) -> Iterator[PrivateCups]:
    """Start cupsd with a ``pdf`` printer; stop it and delete its files afterwards."""
    require_cups()
    root = Path(tempfile.mkdtemp(prefix="bt-cups-"))
    root.chmod(0o755)
    process: subprocess.Popen[bytes] | None = None
    try:
        for _attempt in range(3):  # the free port may be taken between probe and bind
            port = _free_port()
            _write_config(root, port)
            process = subprocess.Popen(
                [CUPSD, "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            if _wait_listening(port, process, timeout_s):
                break
            process.kill()
            process.wait(5)
        else:
            err = b"" if process is None or process.stderr is None else process.stderr.read()
            raise AssertionError(f"cupsd did not start: {err.decode(errors='replace')}")
        cups = PrivateCups(root, port, process)
        cups.admin(
            "lpadmin",
            "-p",
            PRINTER,
            "-v",
            f"file://{cups.output}",
            "-P",
            str(PPD),
            "-E",
        )
        yield cups
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        shutil.rmtree(root, ignore_errors=True)


def make_pdf(text: str = "Antrag auf Wohngeld") -> bytes:
    """A small valid one-page PDF with a correct xref table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        None,  # content stream, below
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    content = f"BT /F1 24 Tf 72 760 Td ({text}) Tj ET".encode("latin-1")
    objects[3] = b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + (body or b"") + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def make_damaged_pdf() -> bytes:
    """Header, xref pointer and EOF marker in place (passes a cheap check), garbage inside."""
    return (
        b"%PDF-1.4\n" + b"this is not a PDF object \x00\x01\x02\n" * 40 + b"startxref\n9\n%%EOF\n"
    )
