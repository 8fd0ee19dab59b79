"""The link shaper delivers the delay, loss and rate it is told (tests/link_shaper.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.link_probe import echoes, throughput_kbit
from tests.link_shaper import Shape, ShapedLink, available, shaped_namespace

pytestmark = pytest.mark.skipif(available() is not None, reason=str(available()))


@pytest.fixture(scope="module")
def link() -> Iterator[ShapedLink]:
    with shaped_namespace() as shaped:
        yield shaped


def test_clean_link_is_fast_and_lossless(link: ShapedLink) -> None:
    link.clear()
    result = echoes(link.netns, count=40)
    assert result.loss == 0
    assert result.median_ms < 20


def test_delay_each_way_adds_up_to_the_round_trip(link: ShapedLink) -> None:
    link.shape(Shape(delay_ms=100))
    result = echoes(link.netns, count=30)
    assert result.loss == 0
    assert 195 <= result.median_ms <= 230, result.median_ms
    assert min(result.rtts_ms) >= 199


def test_random_loss_is_near_the_configured_fraction(link: ShapedLink) -> None:
    link.shape(Shape(loss=0.1))
    result = echoes(link.netns, count=400, interval_s=0.005)
    # each way 10 %: an echo survives with 0.9 * 0.9 = 81 %
    assert 0.12 <= result.loss <= 0.26, result.loss


def test_rate_limit_caps_throughput_and_queues(link: ShapedLink) -> None:
    link.shape(Shape(rate_kbit=300, queue_ms=300))
    got = throughput_kbit(link.netns, seconds=3, offered_kbit=1200)
    assert 260 <= got <= 320, got


def test_restore_after_shaping(link: ShapedLink) -> None:
    link.shape(Shape(delay_ms=100, loss=0.03, rate_kbit=300))
    link.clear()
    result = echoes(link.netns, count=20)
    assert result.loss == 0 and result.median_ms < 20


def test_cut_drops_everything_and_restore_heals(link: ShapedLink) -> None:
    link.clear()
    link.netns.cut()
    try:
        assert echoes(link.netns, count=10).loss == 1
    finally:
        link.netns.restore()
    assert echoes(link.netns, count=10).loss == 0


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(ValueError):
        Shape(loss=1.5)
    with pytest.raises(ValueError):
        Shape(rate_kbit=0)
