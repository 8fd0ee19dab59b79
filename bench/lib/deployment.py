"""The console as a bench deploys it: one instance, or several sharing a database and Redis.

One instance is ``bt-console serve`` with the in-process bus; several are the same processes
on one data directory (one session secret, so a caseworker signed in at one instance is
signed in at all, as behind a load balancer) with one ``redis_url``: the holder of the lease
owns the calls, the others forward to it (``console/bus/``). Each instance is pinned to its
own core where the machine has one. The database is PostgreSQL by default, what
``docs/deploy.md`` prescribes for several instances: SQLite allows one writer at a time
across processes, so two instances would queue on its file lock (idle_terminals.py saw
"database is locked" with one), and a figure on it would measure the lock, not the bus.
The servers (PostgreSQL's private cluster, redis-server) are the tests' own
(tests/postgres.py, tests/redis_server.py), started and stopped by the bench.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.lib.floods import bench_env
from tests.console.cluster import wait_owner
from tests.e2e.harness import Console
from tests.postgres import running_postgres
from tests.redis_server import RedisServer, running_redis

DATABASES = ("postgresql", "sqlite")


@dataclass
class Deployment:
    """Running console instances; ``owner`` holds the calls (with one instance, that one)."""

    consoles: list[Console]
    owner: Console
    redis: RedisServer | None

    @property
    def others(self) -> list[Console]:
        """The instances that forward their sockets' messages to the owner."""
        return [c for c in self.consoles if c is not self.owner]


@contextlib.contextmanager
def databases(kind: str, workdir: Path) -> Iterator[Callable[[str], str]]:
    """Yield a maker of fresh, empty databases by name (their SQLAlchemy URLs)."""
    if kind == "sqlite":
        yield lambda name: f"sqlite+aiosqlite:///{(workdir / f'{name}.db').resolve()}"
        return
    if kind != "postgresql":
        raise ValueError(f"database {kind!r}: one of {', '.join(DATABASES)}")
    with running_postgres() as server:
        yield server.create_database


def client_cpus(console_cpus: list[int]) -> set[int]:
    """The cores left for the bench's clients: all but the consoles', or all if none is left."""
    available = os.sched_getaffinity(0)
    return (available - set(console_cpus)) or available


@contextlib.contextmanager
def deployed(
    workdir: Path, database_url: str, instances: int, cpus: list[int], heartbeat_s: float = 15.0
) -> Iterator[Deployment]:
    """``instances`` consoles on ``database_url`` (migrated and seeded already), instance
    ``n`` on core ``cpus[n % len(cpus)]``; Redis is started when there are several."""
    data = workdir / "console"
    data.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(running_redis(workdir / "redis")) if instances > 1 else None
        env = {**bench_env(), "BT_CONSOLE_DATABASE_URL": database_url}
        if redis is not None:
            env["BT_CONSOLE_REDIS_URL"] = redis.url
        consoles = [
            Console(data, heartbeat_s=heartbeat_s, cpus=str(cpus[n % len(cpus)]),
                    extra_env=env, log_name=f"console-{n}.log")
            for n in range(instances)
        ]  # fmt: skip
        stack.enter_context(serving(consoles, client_cpus(cpus)))
        owner = wait_owner(consoles) if redis is not None else consoles[0]
        yield Deployment(consoles, owner, redis)


@contextlib.contextmanager
def serving(consoles: list[Console], clients: set[int]) -> Iterator[None]:
    """Start the consoles one after another (the first creates the shared secrets) and run
    this process, the bench's clients, on the cores ``clients``; stop them all afterwards."""
    before = os.sched_getaffinity(0)
    try:
        for console in consoles:
            console.start()
        os.sched_setaffinity(0, clients)
        yield
    finally:
        os.sched_setaffinity(0, before)
        for console in consoles:
            console.stop()
