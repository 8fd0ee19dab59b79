"""The PC/SC watcher's logic with an injected ``scard``: readers plugged and unplugged,
unexpected library errors (real pcscd cannot unplug its vpcd reader; see test_pcsc_real)."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import pytest

from appliance.parts.cards.pcsc import PNP_READER, PcscCardReader
from tests.appliance.cards.test_atr import EID, atr
from tests.appliance.fakes import wait_for

SUCCESS, TIMEOUT, NO_SERVICE, NO_READERS, CANCELLED = 0, 0x8010000A, 0x8010001D, 0x8010002E, 2
PRESENT, EMPTY, CHANGED = 0x20, 0x10, 0x2


class FakeScard:
    """Readers and cards in memory; GetStatusChange wakes on any change like pcsc-lite."""

    def __init__(self) -> None:
        self.ns = SimpleNamespace(
            SCARD_S_SUCCESS=SUCCESS, SCARD_E_TIMEOUT=TIMEOUT, SCARD_E_NO_SERVICE=NO_SERVICE,
            SCARD_E_NO_READERS_AVAILABLE=NO_READERS, SCARD_E_CANCELLED=CANCELLED,
            SCARD_E_UNKNOWN_READER=0x80100009, SCARD_E_READER_UNAVAILABLE=0x80100017,
            SCARD_STATE_UNAWARE=0, SCARD_STATE_CHANGED=CHANGED, SCARD_STATE_PRESENT=PRESENT,
            SCARD_STATE_MUTE=0x200, SCARD_SCOPE_USER=0,
            SCardEstablishContext=self.establish, SCardReleaseContext=lambda ctx: SUCCESS,
            SCardListReaders=self.list, SCardGetStatusChange=self.wait,
            SCardCancel=self.cancel, SCardGetErrorMessage=lambda code: f"error {code:#x}",
        )  # fmt: skip
        self.readers: dict[str, list[int]] = {}  # name -> ATR ([] = empty)
        self.service = True
        self.explode = False
        self.changed = threading.Condition()

    def set(self, **kwargs: Any) -> None:
        with self.changed:
            for key, value in kwargs.items():
                setattr(self, key, value)
            self.changed.notify_all()

    def establish(self, scope: int) -> tuple[int, Any]:
        return (SUCCESS, object()) if self.service else (NO_SERVICE, None)

    def list(self, ctx: Any, groups: list[str]) -> tuple[int, list[str]]:
        if self.explode:
            raise RuntimeError("SWIG wrapper surprise")
        if not self.service:
            return NO_SERVICE, []
        return (SUCCESS, list(self.readers)) if self.readers else (NO_READERS, [])

    def _state(self, name: str) -> tuple[int, list[int]]:
        if name == PNP_READER:
            return len(self.readers) << 16, []
        found = self.readers.get(name)
        return ((PRESENT, found) if found else (EMPTY, [])) if found is not None else (8, [])

    def wait(self, ctx: Any, ms: int, request: list[tuple[str, int]]) -> tuple[int, list[Any]]:
        with self.changed:
            for _ in range(2):
                if not self.service:
                    return NO_SERVICE, []
                out, moved = [], False
                for name, known in request:
                    state, card = self._state(name)
                    moved |= state != known
                    out.append((name, state | (CHANGED if state != known else 0), card))
                if moved:
                    return SUCCESS, out
                if not self.changed.wait(ms / 1000):
                    return TIMEOUT, []
            return TIMEOUT, []

    def cancel(self, ctx: Any) -> int:
        self.set()
        return SUCCESS


@pytest.fixture
async def rig() -> Any:
    scard = FakeScard()
    changes: list[str | None] = []
    reader = PcscCardReader(changes.append, scard=scard.ns, backoff_max_s=0.2)
    task = asyncio.create_task(reader.run())
    yield scard, reader, changes
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_reader_unplugged_and_plugged_back(rig: Any) -> None:
    scard, reader, changes = rig
    await wait_for(lambda: reader.health() == "missing")
    scard.set(readers={"USB Reader 00 00": []})
    await wait_for(lambda: reader.health() == "ok")
    scard.set(readers={"USB Reader 00 00": list(atr(EID))})
    await wait_for(lambda: reader.health() == "eid")
    scard.set(readers={})  # pulled out with the card in it
    await wait_for(lambda: reader.health() == "missing")
    scard.set(readers={"USB Reader 00 01": []})  # back, under a new name
    await wait_for(lambda: reader.health() == "ok")
    assert changes == ["eid", None]


async def test_service_loss_and_library_errors_are_survived(rig: Any) -> None:
    scard, reader, _ = rig
    scard.set(readers={"R": []})
    await wait_for(lambda: reader.health() == "ok")
    scard.set(service=False)
    await wait_for(lambda: reader.health() == "missing")
    scard.set(service=True, explode=True)
    await asyncio.sleep(0.3)
    assert reader.health() == "missing"
    scard.set(explode=False)
    await wait_for(lambda: reader.health() == "ok")
