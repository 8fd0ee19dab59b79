"""The photo store (budget, expiry, requests) and the JPEG checks, without a server."""

from __future__ import annotations

import itertools

import pytest

from console.jpeg import NotJpegError, jpeg_size
from console.photos import MAX_PENDING, PhotoStore
from tests.console.jpegs import real_jpeg, segment, tiny_jpeg


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def store(budget: int = 1000, grace: float = 600.0) -> tuple[PhotoStore, Clock]:
    clock = Clock()
    ids = (f"p{n}" for n in itertools.count(1))
    return PhotoStore(
        budget_bytes=budget, grace_s=grace, clock=clock, new_id=lambda: next(ids)
    ), clock


def test_jpeg_size_of_a_real_jpeg() -> None:
    size = jpeg_size(real_jpeg(333, 211))
    assert (size.width, size.height) == (333, 211)


def test_jpeg_size_of_a_minimal_jpeg_with_fill_bytes() -> None:
    data = tiny_jpeg(4056, 3040)
    assert (jpeg_size(data).width, jpeg_size(data).height) == (4056, 3040)
    padded = data[:2] + b"\xff\xff" + data[2:]  # fill bytes before a marker are legal
    assert jpeg_size(padded).width == 4056


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"", "start"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "start"),
        (tiny_jpeg(10, 10)[:-2], "end"),
        (b"\xff\xd8" + segment(0xE0, b"JFIF") + segment(0xDA, b"\x00" * 6) + b"\xff\xd9", "SOF"),
        (
            b"\xff\xd8" + segment(0xC0, b"\x08\x00\x00\x00\x10\x01\x01\x11\x00") + b"\xff\xd9",
            "zero",
        ),
        (b"\xff\xd8\xff\xe0\x40\x00abc\xff\xd9", "past the end"),
        (b"\xff\xd8\x00\x00\xff\xd9", "marker"),
    ],
)
def test_not_a_jpeg(data: bytes, why: str) -> None:
    with pytest.raises(NotJpegError, match=why):
        jpeg_size(data)


def test_a_photo_is_visible_only_to_its_municipality() -> None:
    photos, _ = store()
    photo = photos.add(1, "call", b"x" * 10, 4, 3)
    assert photos.get(photo.photo_id, 1) == photo
    assert photos.get(photo.photo_id, 2) is None
    assert photos.get("nope", 1) is None


def test_photos_are_deleted_after_call_end_plus_grace() -> None:
    photos, clock = store(grace=600)
    first = photos.add(1, "call", b"x" * 10, 4, 3)
    other = photos.add(1, "other", b"y" * 10, 4, 3)
    clock.now += 3600  # a long call: nothing expires while it runs
    assert photos.get(first.photo_id, 1) is not None
    photos.call_ended("call")
    clock.now += 599
    assert photos.get(first.photo_id, 1) is not None
    clock.now += 1
    assert photos.get(first.photo_id, 1) is None
    assert photos.get(other.photo_id, 1) is not None
    assert photos.used_bytes(1) == 10
    photos.call_ended("other")
    clock.now += 600
    assert photos.purge() == 1
    assert len(photos) == 0
    assert photos.used_bytes(1) == 0


def test_budget_evicts_finished_calls_first_then_the_oldest() -> None:
    photos, _ = store(budget=100)
    old_live = photos.add(1, "live", b"a" * 40, 1, 1)
    ended = photos.add(1, "done", b"b" * 40, 1, 1)
    photos.call_ended("done")
    other_town = photos.add(2, "elsewhere", b"c" * 90, 1, 1)
    newest = photos.add(1, "live", b"d" * 40, 1, 1)  # 120 > 100: the finished call's goes
    assert photos.get(ended.photo_id, 1) is None
    assert photos.get(old_live.photo_id, 1) is not None
    assert photos.used_bytes(1) == 80
    photos.add(1, "live", b"e" * 40, 1, 1)  # then the oldest of the live call
    assert photos.get(old_live.photo_id, 1) is None
    assert photos.get(newest.photo_id, 1) is not None
    assert photos.used_bytes(1) == 80
    assert photos.get(other_town.photo_id, 2) is not None  # budgets are per municipality
    with pytest.raises(ValueError, match="budget"):
        photos.add(1, "live", b"f" * 101, 1, 1)


def test_outstanding_requests_are_settled_once_and_bounded() -> None:
    photos, _ = store()
    photos.expect("call", "r1")
    assert photos.outstanding("call", "r1")
    assert not photos.outstanding("other", "r1")
    assert photos.settle("call", "r1")
    assert not photos.settle("call", "r1")
    for n in range(MAX_PENDING + 2):
        photos.expect("call", f"q{n}")
    assert not photos.outstanding("call", "q0")
    assert photos.outstanding("call", f"q{MAX_PENDING + 1}")
    photos.call_ended("call")
    assert not photos.outstanding("call", f"q{MAX_PENDING + 1}")


def test_saved_mark_follows_the_photo_and_goes_with_it() -> None:
    photos, clock = store(budget=1000)
    photo = photos.add(1, "call-a", b"x" * 100, 10, 10, terminal_id="t-1")
    assert photo.terminal_id == "t-1"
    assert photos.saved_as(photo.photo_id) is None
    photos.mark_saved(photo.photo_id, "doc-1")
    assert photos.saved_as(photo.photo_id) == "doc-1"
    photos.mark_saved("never-was", "doc-2")  # unknown photos are not remembered
    assert photos.saved_as("never-was") is None
    photos.call_ended("call-a")
    clock.now += 600
    photos.purge()
    assert photos.get(photo.photo_id, 1) is None and photos.saved_as(photo.photo_id) is None
