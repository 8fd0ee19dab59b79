"""The document photo tool: a full-resolution still, uploaded to the console over HTTP(S).

A caseworker who needs to read a form or an ID card held to the camera cannot do it from a
640x480 video frame. On ``photo.request`` this in-call tool (an
:class:`appliance.ports.CallTool`) asks the camera for a still at its full resolution
(``capture_still``: the camera keeps streaming video meanwhile) and uploads the JPEG with
``POST {console_url}/api/v1/photos?call_id=..&request_id=..`` and the terminal's Bearer
credential. HTTP rather than the data channel or the signaling socket: a 12 MP JPEG is
3-6 MB, the signaling limit is 64 KiB, and an HTTP upload neither blocks signaling nor
competes with the call's media for the congestion window.

The console answers the caseworker with ``photo.ready``. Anything that goes wrong (no
camera, capture failed, upload refused or timed out after one retry) becomes
``photo.failed`` with a plain sentence, so the caseworker's page never waits in vain. Each
upload attempt has 15 s; when the call ends, work in flight for it is cancelled. The kiosk
shows a short notice ("Foto wird aufgenommen", "Foto gesendet") so the citizen knows to
hold the document still, and that it went through. A photo that reached the console is
also handed to ``on_photo`` (the daemon posts it to the coordinator as ``PhotoTaken``),
so the kiosk shows the citizen the picture the caseworker got; the coordinator keeps only
the call's last one, in memory, and drops it when the call ends.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Protocol

import aiohttp

from appliance.errors import PhotoUploadError, TerminalError
from appliance.ports import Signaling
from protocol.messages import PhotoFailed, PhotoRequest

log = logging.getLogger(__name__)

UPLOAD_TIMEOUT_S = 15.0
"""Per attempt: 6 MB over a 4 Mbit/s LTE uplink takes 12 s."""
UPLOAD_ATTEMPTS = 2
"""The first try and one retry, for transient failures only (network, timeout, 5xx)."""
RETRY_DELAY_S = 0.5

NOTICE_TAKING = "Foto wird aufgenommen"
NOTICE_SENT = "Foto gesendet"
NOTICE_FAILED = "Das Foto hat leider nicht geklappt"


class Still(Protocol):
    """A still picture as the camera returns it (``appliance.parts.camera.Still``)."""

    @property
    def jpeg(self) -> bytes:
        """The encoded JPEG."""
        ...

    @property
    def width(self) -> int:
        """Pixels across."""
        ...

    @property
    def height(self) -> int:
        """Pixels down."""
        ...


class StillCamera(Protocol):
    """The part of the camera interface this tool uses."""

    async def capture_still(self) -> Still:
        """Take one full-resolution JPEG without stopping the video."""
        ...


def photos_url(console_url: str) -> str:
    """``http(s)://host/base`` -> ``http(s)://host/base/api/v1/photos``."""
    return console_url.rstrip("/") + "/api/v1/photos"


class PhotoUploader:
    """Uploads one JPEG to the console with the terminal's credential; one retry."""

    def __init__(
        self,
        *,
        console_url: str,
        credential: str,
        timeout_s: float = UPLOAD_TIMEOUT_S,
        attempts: int = UPLOAD_ATTEMPTS,
        retry_delay_s: float = RETRY_DELAY_S,
    ) -> None:
        self._url = photos_url(console_url)
        self._credential = credential
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._attempts = max(1, attempts)
        self._retry_delay_s = retry_delay_s

    async def upload(self, call_id: str, request_id: str, jpeg: bytes) -> None:
        """POST the JPEG; raise :class:`PhotoUploadError` once every attempt failed."""
        for attempt in range(1, self._attempts + 1):
            try:
                await self._post(call_id, request_id, jpeg)
                return
            except PhotoUploadError as err:
                if not err.retry or attempt == self._attempts:
                    raise
                log.info("photo upload attempt %d failed (%s): retrying", attempt, err)
            await asyncio.sleep(self._retry_delay_s)

    async def _post(self, call_id: str, request_id: str, jpeg: bytes) -> None:
        headers = {"Authorization": f"Bearer {self._credential}", "Content-Type": "image/jpeg"}
        params = {"call_id": call_id, "request_id": request_id}
        try:
            async with (
                aiohttp.ClientSession(timeout=self._timeout) as session,
                session.post(self._url, params=params, data=jpeg, headers=headers) as resp,
            ):
                if resp.status in (200, 201):
                    return
                detail = await _error_text(resp)
                raise PhotoUploadError(
                    f"Die Zentrale hat das Foto abgelehnt (HTTP {resp.status}{detail}).",
                    retry=resp.status >= 500 or resp.status == 429,
                )
        except TimeoutError as err:
            raise PhotoUploadError(
                "Das Hochladen des Fotos hat zu lange gedauert.", retry=True
            ) from err
        except aiohttp.ClientError as err:
            raise PhotoUploadError(
                f"Die Zentrale war nicht erreichbar ({type(err).__name__}).", retry=True
            ) from err


async def _error_text(resp: aiohttp.ClientResponse) -> str:
    try:
        body: Any = await resp.json(content_type=None)
        return f": {body['error']['code']}"
    except (ValueError, KeyError, TypeError, aiohttp.ClientError):
        return ""


class PhotoTool:
    """Implements :class:`appliance.ports.CallTool` for ``photo.request``."""

    handles: tuple[type, ...] = (PhotoRequest,)

    def __init__(
        self,
        *,
        camera: StillCamera | None,
        uploader: PhotoUploader,
        signaling: Signaling,
        notify: Callable[[str], None] | None = None,
        on_photo: Callable[[str, Still], None] | None = None,
    ) -> None:
        self._camera = camera
        self._on_photo = on_photo
        self._uploader = uploader
        self._signaling = signaling
        self._notify = notify
        self._capture_lock = asyncio.Lock()
        self._inflight: dict[str, set[asyncio.Task[Any]]] = {}
        self.sent = 0  # photos uploaded, for tests and logs

    async def on_message(self, message: Any, call_id: str) -> None:
        """Take and upload the photo a ``photo.request`` asks for."""
        if not isinstance(message, PhotoRequest):
            return
        task = asyncio.current_task()
        assert task is not None
        tasks = self._inflight.setdefault(call_id, set())
        tasks.add(task)
        try:
            await self._take_and_send(call_id, message.request_id)
        finally:
            tasks.discard(task)
            if not tasks and self._inflight.get(call_id) is tasks:
                del self._inflight[call_id]

    async def on_call_end(self, call_id: str) -> None:
        """Cancel captures and uploads still running for the call."""
        for task in list(self._inflight.pop(call_id, ())):
            if task is not asyncio.current_task():
                task.cancel()

    @property
    def busy(self) -> bool:
        """Whether a photo is being taken or uploaded."""
        return bool(self._inflight)

    async def _take_and_send(self, call_id: str, request_id: str) -> None:
        self._show(NOTICE_TAKING)
        try:
            if self._camera is None:
                raise TerminalError("Das Terminal hat keine Kamera.")
            async with self._capture_lock:
                try:
                    still = await self._camera.capture_still()
                except TerminalError as err:
                    log.warning("photo capture failed: %s", err)
                    raise TerminalError("Die Kamera konnte kein Foto aufnehmen.") from err
            log.info("photo %s: %dx%d, %d bytes", request_id, still.width, still.height,
                     len(still.jpeg))  # fmt: skip
            await self._uploader.upload(call_id, request_id, still.jpeg)
        except TerminalError as err:
            log.warning("photo %s of call %s failed: %s", request_id, call_id, err)
            self._show(NOTICE_FAILED)
            failed = PhotoFailed(call_id=call_id, request_id=request_id, message=str(err))
            await self._signaling.send(failed)
            return
        self.sent += 1
        self._show(NOTICE_SENT)
        if self._on_photo is not None:
            self._on_photo(call_id, still)

    def _show(self, text: str) -> None:
        if self._notify is not None:
            self._notify(text)
