"""A real PostgreSQL server for the tests: Debian's ``postgresql`` package, a private cluster.

:func:`running_postgres` runs ``initdb`` into a fresh temporary directory and starts
``postgres`` in the foreground on a unix socket in that directory only (no TCP port, so no
port race and no clash with a system cluster), with durability switched off (``fsync``,
``synchronous_commit`` and ``full_page_writes``: a test database need not survive a power
cut, and commits get several times faster). PostgreSQL refuses to run as root, so when the
tests run as root (CI) the server runs as Debian's ``postgres`` system user (made by the
package), or ``nobody`` where that user is missing; a developer's own user runs it directly.

The cluster has a superuser ``bt_admin`` and a login role ``bt_console`` without special
rights, which owns every test database, as the console's role does in ``docs/deploy.md``:
what the console does on PostgreSQL it does without superuser powers. :meth:`Postgres.
create_database` copies a migrated template (``CREATE DATABASE ... TEMPLATE``, a file copy
that takes some 30 ms instead of Alembic's ~1 s), and :meth:`Postgres.drop_database` drops
it even while a test's engine still holds connections (``WITH (FORCE)``, PostgreSQL 13+).
:meth:`Postgres.stop` and :meth:`Postgres.start` take the server down and up again on the
same data, as an operator's restart or a failover does (only on a server of the test's own).

The cluster uses the ``C.UTF-8`` collation: names sort by code point as on SQLite, so the
same expectations hold on both backends (docs/deploy.md says how ordering follows the
collation a real database is created with).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUPERUSER = "bt_admin"
CONSOLE_ROLE = "bt_console"
PORT = 5432
"""Only names the socket file (``.s.PGSQL.5432``) in the private socket directory."""


def postgres_bin() -> Path:
    """The newest installed server's bin directory; fails with a clear message if none is."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/postgres"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if not found:
        raise AssertionError("PostgreSQL tests need Debian's postgresql package (make system-deps)")
    return found[-1].parent


class _Server:
    """The postgres process: started, stopped, started again on the same data."""

    def __init__(self, args: list[str], env: dict[str, str], cwd: Path, log: Path,
                 as_user: dict[str, Any]) -> None:  # fmt: skip
        self._args, self._env, self._cwd, self._log, self._as_user = args, env, cwd, log, as_user
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        with self._log.open("ab") as log_file:
            self.proc = subprocess.Popen(self._args, stdout=log_file, stderr=subprocess.STDOUT,
                                         env=self._env, cwd=self._cwd, **self._as_user)  # fmt: skip
        return self.proc

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(2)  # SIGINT: "fast shutdown", clients are disconnected
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


@dataclass(frozen=True)
class Postgres:
    """A running private cluster; databases are made and dropped through ``psql``."""

    bin: Path
    root: Path
    socket_dir: Path
    log: Path
    server: _Server = field(repr=False, compare=False)

    def stop(self) -> None:
        """Fast shutdown: every client connection is closed, the data stays."""
        self.server.stop()

    def start(self) -> None:
        """Start again on the same data; return once it accepts connections."""
        _wait_until_ready(self.server.start(), self)

    def url(self, database: str, user: str = CONSOLE_ROLE) -> str:
        """The SQLAlchemy URL (asyncpg over the unix socket) of one database."""
        return f"postgresql+asyncpg://{user}@/{database}?host={self.socket_dir}&port={PORT}"

    def psql(self, sql: str, database: str = "postgres", user: str = SUPERUSER) -> str:
        """Run SQL as the superuser (or ``user``); return what psql printed (tuples only)."""
        args = [
            str(self.bin / "psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
            "-h", str(self.socket_dir), "-p", str(PORT), "-U", user, "-d", database, "-c", sql,
        ]  # fmt: skip
        done = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            raise AssertionError(f"psql {sql!r} failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database owned by the console role (a copy of ``template``); its URL."""
        copy = f" TEMPLATE {template}" if template else ""
        self.psql(f"CREATE DATABASE {name} OWNER {CONSOLE_ROLE}{copy}")
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, closing whatever connections still use it."""
        self.psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def log_tail(self) -> str:
        """The last lines of the server's log (for failure messages)."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        return ""


def _server_user() -> pwd.struct_passwd | None:
    """Whom the server runs as: None (ourselves) unless we are root, which postgres refuses."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(name)
    raise AssertionError("no unprivileged user (postgres or nobody) to run PostgreSQL as")


@contextlib.contextmanager
def running_postgres() -> Iterator[Postgres]:
    """initdb, start, wait until it accepts connections, yield; stop and delete it after."""
    bin_dir = postgres_bin()
    user = _server_user()
    # In /tmp rather than $TMPDIR: the server's user must reach it (a TMPDIR under /root
    # would not do), and a unix socket's path has at most 107 bytes.
    root = Path(tempfile.mkdtemp(prefix="bt-pg-", dir="/tmp" if Path("/tmp").is_dir() else None))
    data, sockets, log = root / "data", root / "run", root / "postgres.log"
    sockets.mkdir()
    if user is not None:
        os.chown(root, user.pw_uid, user.pw_gid)
        os.chown(sockets, user.pw_uid, user.pw_gid)
    root.chmod(0o755)  # root (the tests) must reach the socket; the data dir stays 0700
    as_user: dict[str, Any] = {}
    if user is not None:
        as_user = {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C.UTF-8", "TZ": "UTC"}
    initdb_args = [
        str(bin_dir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth=trust",
        "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions",
    ]  # fmt: skip
    initdb = subprocess.run(
        initdb_args, capture_output=True, text=True, env=env, cwd=root, timeout=120,
        check=False, **as_user,
    )  # fmt: skip
    if initdb.returncode != 0:
        shutil.rmtree(root, ignore_errors=True)
        raise AssertionError(f"initdb failed: {initdb.stderr.strip()}")
    args = [
        str(bin_dir / "postgres"), "-D", str(data), "-k", str(sockets), "-p", str(PORT),
        "-c", "listen_addresses=", "-c", "fsync=off", "-c", "synchronous_commit=off",
        "-c", "full_page_writes=off", "-c", "max_connections=200", "-c", "TimeZone=UTC",
    ]  # fmt: skip
    log.touch()
    if user is not None:
        os.chown(log, user.pw_uid, user.pw_gid)
    process = _Server(args, env, root, log, as_user)
    server = Postgres(bin=bin_dir, root=root, socket_dir=sockets, log=log, server=process)
    try:
        server.start()
        server.psql(f"CREATE ROLE {CONSOLE_ROLE} LOGIN")
        yield server
    finally:
        process.stop()
        shutil.rmtree(root, ignore_errors=True)


def _wait_until_ready(proc: subprocess.Popen[bytes], server: Postgres, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    ready = [str(server.bin / "pg_isready"), "-q", "-h", str(server.socket_dir), "-p", str(PORT)]
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"postgres exited with {proc.returncode}: {server.log_tail()}")
        if subprocess.run(ready, timeout=10, check=False).returncode == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"postgres did not accept connections within {timeout} s")
