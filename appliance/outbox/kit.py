"""Capture a document now, keep it sealed on the kit, upload it when the link is there.

Staff of a mobile office (the terminal in a case, on LTE) take stills of documents at a
home visit, often without a usable connection. :meth:`Outbox.capture` takes a
full-resolution still, seals it for the console's public key (``protocol/kit_document.py``:
the kit cannot decrypt it afterwards) and writes it atomically into the outbox folder
(:mod:`appliance.outbox.store`). :meth:`Outbox.run` uploads the oldest first with
``PUT /api/v1/kit-documents/<id>`` and the terminal's Bearer credential, deletes a file only
after the console's 200/201, and retries after failures with a backoff (1 s doubling to
60 s) that the link coming back (:meth:`Outbox.wake`) cuts short. While a citizen waits for or is
in a call, uploads wait: the call needs the thin uplink more.

Nothing lost, nothing twice: the id is chosen at capture and the console stores each id
of a terminal once, so a kit switched off after the console stored a document but before
it deleted its copy uploads it again after restart and is told "already there" (200).
Half-written files of a capture cut short are removed at start. Refused documents (400,
413: the console can never take them) stay until they expire, retried once an hour, so
that a console fixed meanwhile still gets them; unsent documents expire after
``outbox_max_age_h`` (default 72 h), logged and counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

import aiohttp

from appliance.errors import TerminalError
from appliance.outbox import console_key
from appliance.outbox.console_key import ConsoleKey, ConsoleKeyError
from appliance.outbox.status import Status
from appliance.outbox.store import OutboxStore, Pending
from protocol.kit_document import Header, seal

log = logging.getLogger(__name__)

BACKOFF_MIN_S = 1.0
BACKOFF_MAX_S = 60.0
IDLE_CHECK_S = 60.0
"""With nothing failing, expiry and the key are looked at this often."""
KEY_REFRESH_S = 3600.0
"""How often a linked kit asks for the console's key again (a rotation reaches it)."""
REJECTED_RETRY_S = 3600.0
PAUSE_POLL_S = 5.0
"""While a citizen waits or talks, uploads wait (polled this often): on a thin LTE uplink an
upload would take the call's bandwidth."""
WARM_UP_S = 0.5
"""A camera started just for the still: time for exposure to settle before taking it."""
UPLOAD_BASE_S = 30.0
UPLOAD_RATE_BPS = 16 * 1024
"""An upload may take 30 s plus a second per 16 KiB (a poor LTE uplink of 128 kbit/s)."""


class OutboxError(TerminalError):
    """A capture that could not be done; ``code`` and ``status`` for the kiosk API."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class StillCamera(Protocol):
    """The camera's still capture (``appliance.parts.camera.Camera``)."""

    async def capture_still(self) -> Any:
        """A Still with ``jpeg``, ``width``, ``height``; raises TerminalError."""
        ...


CameraHeld = Callable[[], AbstractAsyncContextManager[bool]]
"""Holds the camera running for a still (the coordinator's); yields whether it was started."""


@contextlib.asynccontextmanager
async def camera_always_on() -> AsyncIterator[bool]:
    """For a camera that needs no starting (tests)."""
    yield False


class _Retry(Exception):
    """An upload round stops here and waits for the backoff."""


class Outbox:
    """Captures into and uploads from the kit's outbox; see the module docstring."""

    def __init__(
        self,
        *,
        store: OutboxStore,
        console_url: str,
        credential: str,
        camera: StillCamera | None,
        camera_held: CameraHeld = camera_always_on,
        max_age_s: float = 72 * 3600.0,
        clock: Callable[[], float] = time.time,
        warm_up_s: float = WARM_UP_S,
        backoff_max_s: float = BACKOFF_MAX_S,
        paused: Callable[[], bool] = lambda: False,
    ) -> None:
        self.store = store
        self._paused = paused
        self._url = console_url.rstrip("/") + "/api/v1/kit-documents/"
        self._console_url = console_url
        self._credential = credential
        self._camera = camera
        self._camera_held = camera_held
        self.max_age_s = max_age_s
        self._clock = clock
        self._warm_up_s = warm_up_s
        self._backoff_max_s = backoff_max_s
        self.key: ConsoleKey | None = None
        self._key_fetched = 0.0
        self._rejected: dict[str, float] = {}
        self._status = Status()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._capture_lock = asyncio.Lock()
        self._ready = asyncio.Event()

    # --- kiosk side (any thread) -------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether :meth:`run` has started (cleaned up and loaded the cached key)."""
        return self._ready.is_set()

    def status(self) -> dict[str, Any]:
        """Pending count, oldest age, last upload result (thread-safe)."""
        return self._status.as_json(self._clock())

    def capture_threadsafe(self, timeout_s: float = 20.0) -> dict[str, Any]:
        """:meth:`capture` from a kiosk thread; OutboxError if not running or it failed."""
        loop = self._loop
        if loop is None or not loop.is_running():
            raise OutboxError("not_running", "the outbox is not running", 503)
        future = asyncio.run_coroutine_threadsafe(self.capture(), loop)
        try:
            return future.result(timeout_s)
        except TimeoutError as err:
            future.cancel()
            raise OutboxError("timeout", "taking the still took too long", 504) from err

    # --- event loop side ---------------------------------------------------------------

    def wake(self) -> None:
        """The link came back (or a document was added): try uploading now."""
        if self._wake is not None:
            self._wake.set()

    async def capture(self) -> dict[str, Any]:
        """Take a still, seal it, store it; ``{"id", "pending"}``. OutboxError says why not."""
        await self._ready.wait()
        key = self.key
        if key is None:
            raise OutboxError("no_key", "the kit has not had the console's key yet: connect it "
                              "to the network once", 409)  # fmt: skip
        if self._camera is None:
            raise OutboxError("no_camera", "this terminal has no camera", 503)
        async with self._capture_lock:
            try:
                async with self._camera_held() as started:
                    if started and self._warm_up_s > 0:
                        await asyncio.sleep(self._warm_up_s)
                    still = await self._camera.capture_still()
            except TerminalError as err:
                log.warning("outbox: capture failed: %s", err)
                raise OutboxError("camera_failed", "the camera took no picture", 503) from err
            header = Header(id=uuid.uuid4().hex, captured_at=self._clock(), key_id=key.key_id,
                            width=still.width, height=still.height)  # fmt: skip
            sealed = await asyncio.to_thread(seal, header, still.jpeg, key.public_key)
            if len(sealed) > key.max_bytes:
                raise OutboxError("too_large", f"the picture is larger than the console takes "
                                  f"({len(sealed)} > {key.max_bytes} bytes)", 413)  # fmt: skip
            try:
                await asyncio.to_thread(self.store.save, header, sealed)
            except OSError as err:
                log.error("outbox: cannot store a document: %s", err)
                raise OutboxError(
                    "storage_failed", "the document could not be stored", 507
                ) from err
        log.info("outbox: captured %s (%d bytes sealed)", header.id, len(sealed))
        await self._recount()
        self.wake()
        return {"id": header.id, "pending": self._status.pending}

    async def run(self) -> None:
        """Clean up after a crash, then upload and expire until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        try:
            await asyncio.to_thread(self.store.prepare)
            await asyncio.to_thread(self.store.clean_leftovers)
        except OSError as err:
            log.error("outbox: folder %s unusable: %s", self.store.folder, err)
        self.key = await asyncio.to_thread(console_key.load_cached, self.store.folder)
        self._set(key_id=None if self.key is None else self.key.key_id)
        await self._recount()
        self._ready.set()
        delay = BACKOFF_MIN_S
        async with aiohttp.ClientSession() as session:
            while True:
                self._wake.clear()  # a wake during the round below makes the next one at once
                await self._expire()
                if self._paused():
                    await asyncio.sleep(PAUSE_POLL_S)
                    continue
                try:
                    await self._round(session)
                    delay, wait = BACKOFF_MIN_S, IDLE_CHECK_S
                except _Retry:
                    wait, delay = delay, min(delay * 2, self._backoff_max_s)
                if not self._wake.is_set():
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(wait):
                            await self._wake.wait()
                if self._wake.is_set():
                    delay = BACKOFF_MIN_S

    async def _round(self, session: aiohttp.ClientSession) -> None:
        """Refresh the key when due, then upload every pending document, oldest first."""
        now = self._clock()
        if self.key is None or now - self._key_fetched > KEY_REFRESH_S:
            await self._fetch_key(session)
        for item in await asyncio.to_thread(self.store.pending):
            rejected_at = self._rejected.get(item.id)
            if rejected_at is not None and self._clock() - rejected_at < REJECTED_RETRY_S:
                continue
            await self._upload(session, item)

    async def _fetch_key(self, session: aiohttp.ClientSession) -> None:
        try:
            key = await console_key.fetch(session, self._console_url, self._credential)
        except (aiohttp.ClientError, TimeoutError, ConsoleKeyError) as err:
            what = "no console key yet" if self.key is None else "console key not refreshed"
            log.info("outbox: %s (%s)", what, err)
            raise _Retry from err
        self._key_fetched = self._clock()
        if self.key != key:
            await asyncio.to_thread(console_key.save_cached, self.store.folder, key)
            log.info("outbox: console key %s", key.key_id)
            self.key = key
            self._set(key_id=key.key_id)

    async def _upload(self, session: aiohttp.ClientSession, item: Pending) -> None:
        try:
            sealed = await asyncio.to_thread(self.store.read, item.id)
        except OSError:
            return  # expired or deleted meanwhile
        headers = {
            "Authorization": f"Bearer {self._credential}",
            "Content-Type": "application/octet-stream",
        }
        timeout = aiohttp.ClientTimeout(total=UPLOAD_BASE_S + len(sealed) / UPLOAD_RATE_BPS,
                                        sock_connect=10.0)  # fmt: skip
        try:
            async with session.put(self._url + item.id, data=sealed, headers=headers,
                                   timeout=timeout) as resp:  # fmt: skip
                status = resp.status
                body: Any = await resp.json(content_type=None) if status < 300 else None
                detail = "" if status < 300 else await _error_code(resp)
        except (aiohttp.ClientError, TimeoutError, ValueError) as err:
            self._result("failed", f"{type(err).__name__}")
            log.info("outbox: upload of %s failed (%s): retrying later", item.id, err)
            raise _Retry from err
        if status in (200, 201):
            await asyncio.to_thread(self.store.delete, item.id)
            self._rejected.pop(item.id, None)
            self._set(uploaded=self._status.uploaded + 1)
            self._result("ok" if status == 201 else "duplicate", item.id)
            log.info("outbox: %s delivered (%s)", item.id, "stored" if status == 201 else "known")
            await self._recount()
            if isinstance(body, dict) and self.key and body.get("key_id") != self.key.key_id:
                self._key_fetched = 0.0  # the console has a newer key: fetch it next round
            return
        if status in (400, 404, 413, 415, 422):
            self._rejected[item.id] = self._clock()
            self._result("rejected", f"HTTP {status} {detail}".strip())
            log.error("outbox: the console refused %s (HTTP %d %s); kept until it expires",
                      item.id, status, detail)  # fmt: skip
            await self._recount()
            return
        self._result("failed", f"HTTP {status} {detail}".strip())
        log.warning("outbox: upload of %s answered HTTP %d %s", item.id, status, detail)
        raise _Retry

    async def _expire(self) -> None:
        try:
            gone = await asyncio.to_thread(self.store.expire, self._clock(), self.max_age_s)
        except OSError as err:
            log.error("outbox: expiry failed: %s", err)
            return
        if gone:
            hours = self.max_age_s / 3600
            log.warning("outbox: %d document(s) expired unsent after %g h and were deleted: %s",
                        len(gone), hours, ", ".join(gone))  # fmt: skip
            for document_id in gone:
                self._rejected.pop(document_id, None)
            await self._recount()
            self._set(expired=self._status.expired + len(gone))

    async def _recount(self) -> None:
        items = await asyncio.to_thread(self.store.pending)
        oldest = items[0].captured_at if items else None
        rejected = sum(1 for item in items if item.id in self._rejected)
        self._set(pending=len(items), oldest_captured_at=oldest, rejected=rejected)

    def _result(self, result: str, detail: str) -> None:
        self._set(last_result=result, last_detail=detail, last_at=self._clock())

    def _set(self, **changes: Any) -> None:
        fields = dict(self._status.__dict__)
        fields.update(changes)
        self._status = Status(**fields)


async def _error_code(resp: aiohttp.ClientResponse) -> str:
    try:
        body: Any = await resp.json(content_type=None)
        return str(body["error"]["code"])
    except (ValueError, KeyError, TypeError, aiohttp.ClientError):
        return ""
