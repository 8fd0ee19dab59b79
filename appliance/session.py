"""What the terminal holds about the citizen in front of it, and how it is wiped.

A terminal in a town hall is used by one stranger after another. Everything a citizen
leaves behind (the language they chose, chat lines, the photo of their document, their
print job's status, the name and phone number of a callback request) lives in one
:class:`Session`, in memory only, and :meth:`Session.wipe` forgets all of it at once: at
the idle timeout, after the thanks screen and after ``callback-sent``. Keeping it in one
place makes "nothing is left for the next citizen" a one-line assertion
(:attr:`Session.empty`) instead of a hunt through the coordinator's fields.

Only the coordinator writes a session; this module is plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from appliance.ports import CallbackStatus, CallQualityView, ChatLine, PhotoPreview, PrintView

MAX_CHAT_LINES = 200
"""Older lines are dropped: an hour of chat is far less, and memory stays bounded."""


@dataclass
class CallbackForm:
    """A callback request on its way to the console; name and phone go once it is accepted."""

    request_id: str
    name: str
    phone: str
    language: str | None
    reason: str


@dataclass
class Session:
    """The per-citizen state; see the module docstring."""

    language: str | None = None
    queue_id: int | None = None
    """The service the citizen chose (only offered when the office has several)."""
    chat: list[ChatLine] = field(default_factory=list)
    photo: PhotoPreview | None = None
    photos_shown: int = 0
    print_status: PrintView | None = None
    callback: CallbackStatus | None = None
    callback_form: CallbackForm | None = None
    call_quality: CallQualityView | None = None
    """The video level of the current call when it is below full (the link is poor)."""

    @property
    def empty(self) -> bool:
        """True when nothing of a citizen is held."""
        return self == Session()

    def add_chat(self, line: ChatLine) -> None:
        """Append a chat line, dropping the oldest beyond :data:`MAX_CHAT_LINES`."""
        self.chat.append(line)
        del self.chat[:-MAX_CHAT_LINES]

    def end_call(self) -> None:
        """Forget what belonged to the call (chat, photo, print status); keep the language."""
        self.chat = []
        self.photo = None
        self.photos_shown = 0
        self.print_status = None
        self.call_quality = None

    def wipe(self) -> None:
        """Forget everything (next citizen)."""
        self.end_call()
        self.language = None
        self.queue_id = None
        self.callback = None
        self.callback_form = None
