"""The video ladder's controller: fast down, slow up, no bouncing (appliance/media/quality.py)."""

from __future__ import annotations

import itertools

import pytest

from appliance.media.adaptive import Counters, LinkSampler, figures_of
from appliance.media.quality import LADDER, LinkSample, QualityController, verdict

BAD = LinkSample(loss=0.15, rtt_s=0.5)
SEVERE = LinkSample(loss=0.5, rtt_s=0.7)
GOOD = LinkSample(loss=0.0, rtt_s=0.05)
FAIR = LinkSample(loss=0.05, rtt_s=0.2)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def run(controller: QualityController, clock: Clock, sample: LinkSample, seconds: int) -> list[str]:
    """Feed one sample a second; the names of the rungs changed to."""
    changes = []
    for _ in range(seconds):
        clock.now += 1.0
        rung = controller.observe(sample)
        if rung is not None:
            changes.append(rung.name)
    return changes


def test_verdicts() -> None:
    assert verdict(BAD) == "bad"
    assert verdict(LinkSample(rtt_s=0.7)) == "bad"
    assert verdict(SEVERE) == "severe"
    assert verdict(LinkSample(rtt_s=1.2)) == "severe"
    assert verdict(GOOD) == "good"
    assert verdict(LinkSample(loss=0.03, rtt_s=0.2)) == "good"  # a mobile line's usual loss
    assert verdict(FAIR) == "fair"
    assert verdict(LinkSample()) == "fair"  # no report yet
    # the estimate is shown, not judged: it lags far behind a recovered link
    assert verdict(LinkSample(loss=0.0, rtt_s=0.05, remb_bps=100_000)) == "good"
    assert [r.video_bps for r in LADDER] == [None, 150_000, 60_000, 0]


def test_a_severe_sample_jumps_two_rungs_at_once() -> None:
    clock = Clock()
    controller = QualityController(clock=clock, settle_s=4)
    clock.now += 5
    assert controller.observe(SEVERE) is LADDER[2]
    assert run(controller, clock, SEVERE, 3) == []  # settling: old loss still in the reports
    assert run(controller, clock, SEVERE, 1) == ["audio_only"]  # clamped at the lowest


def test_steps_down_one_rung_at_a_time_to_audio_only() -> None:
    clock = Clock()
    controller = QualityController(clock=clock, down_after_s=2, settle_s=3)
    assert run(controller, clock, BAD, 2) == []  # two seconds: not yet
    changes = run(controller, clock, BAD, 12)
    assert changes == ["reduced", "low", "audio_only"]
    assert controller.rung.name == "audio_only" and not controller.rung.video
    assert run(controller, clock, BAD, 10) == []  # nothing below audio only


def test_a_single_bad_second_changes_nothing() -> None:
    clock = Clock()
    controller = QualityController(clock=clock)
    for _ in range(10):
        assert run(controller, clock, BAD, 1) == []
        assert run(controller, clock, GOOD, 1) == []
    assert controller.level == 0


def test_fair_holds_the_rung_either_way() -> None:
    clock = Clock()
    controller = QualityController(clock=clock)
    run(controller, clock, BAD, 5)
    assert controller.rung.name == "reduced"
    assert run(controller, clock, FAIR, 60) == []


def test_steps_back_up_after_a_good_spell() -> None:
    clock = Clock()
    controller = QualityController(clock=clock, up_after_s=5)
    run(controller, clock, BAD, 20)
    assert controller.rung.name == "audio_only"
    assert run(controller, clock, GOOD, 5) == []
    assert run(controller, clock, GOOD, 1) == ["low"]
    assert run(controller, clock, GOOD, 6) == ["reduced"]  # 5 s from the next good second
    assert run(controller, clock, GOOD, 15) == []  # the uncapped full rung: three times as long
    assert run(controller, clock, GOOD, 1) == ["full"]


def test_a_failed_step_up_doubles_the_wait() -> None:
    clock = Clock()
    controller = QualityController(
        clock=clock, up_after_s=5, down_after_s=2, settle_s=3, max_up_after_s=40, full_factor=1
    )
    run(controller, clock, BAD, 5)
    assert controller.rung.name == "reduced"
    assert run(controller, clock, GOOD, 5) == []  # 5 s after the first good second
    assert run(controller, clock, GOOD, 1) == ["full"]
    assert run(controller, clock, BAD, 3) == ["reduced"]  # the link could not carry it
    assert run(controller, clock, GOOD, 10) == []  # now it waits 10 s
    assert run(controller, clock, GOOD, 1) == ["full"]
    assert run(controller, clock, BAD, 3) == ["reduced"]
    assert run(controller, clock, GOOD, 20) == []  # then 20 s
    assert run(controller, clock, GOOD, 1) == ["full"]
    # that step up held for its wait: the next time the short wait applies again
    assert run(controller, clock, GOOD, 25) == []
    assert run(controller, clock, BAD, 3) == ["reduced"]
    assert run(controller, clock, GOOD, 6) == ["full"]


def test_a_line_that_carries_reduced_but_not_full_tries_full_ever_more_rarely() -> None:
    clock = Clock()
    controller = QualityController(clock=clock, up_after_s=5, down_after_s=2, settle_s=3)
    run(controller, clock, BAD, 5)
    assert controller.rung.name == "reduced"
    tries = []
    for _ in range(200):  # 200 s: good on reduced, a flood (severe) whenever it tries full
        clock.now += 1.0
        sample = SEVERE if controller.level == 0 else GOOD
        if controller.observe(sample) is LADDER[0]:
            tries.append(clock.now)
    gaps = [round(b - a) for a, b in itertools.pairwise(tries)]
    # each try: 3 s on full until the flood is judged (settling), two rungs down to low, 6 s
    # there, then 30, 60 and at most 60 s on reduced (the first wait was 15 s)
    assert gaps == [40, 70, 70], gaps
    assert tries[0] - 100 == 5 + 1 + 15  # 5 s bad, then 15 s from the first good second


def test_lowest_keeps_video() -> None:
    clock = Clock()
    controller = QualityController(clock=clock, lowest=2)
    run(controller, clock, BAD, 30)
    assert controller.rung.name == "low"


def test_an_empty_ladder_is_refused() -> None:
    with pytest.raises(ValueError):
        QualityController(clock=Clock(), ladder=())


def test_sampler_counts_loss_over_its_window_and_forgets_old_rembs() -> None:
    clock = Clock()
    sampler = LinkSampler(clock, window_s=4)
    assert sampler.sample(Counters(0, 0)).loss is None
    sampler.remb(300_000)
    for second in range(1, 9):
        clock.now += 1
        sample = sampler.sample(Counters(second * 5, second * 95, 0.2))
    assert sample.loss == pytest.approx(0.05)
    assert sample.remb_bps is None  # 8 s old
    sampler.remb(250_000)
    clock.now += 1
    sample = sampler.sample(Counters(40, 9 * 95 + 100, 0.2))  # no new loss
    assert sample.loss is not None and sample.loss < 0.05
    assert sample.remb_bps == 250_000
    assert figures_of(sample).remb_kbps == 250
    assert figures_of(sample).rtt_ms == 200


def test_sampler_sees_a_poor_second_at_full_video_and_waits_for_enough_packets_when_low() -> None:
    clock = Clock()
    sampler = LinkSampler(clock, window_s=3)
    lost = received = 0
    for _ in range(3):  # full video: 150 packets a second, none lost
        clock.now += 1
        received += 150
        sampler.sample(Counters(lost, received, 0.05))
    clock.now += 1  # the link turns poor: half of the next second's packets are lost
    lost, received = lost + 75, received + 75
    sample = sampler.sample(Counters(lost, received, 0.05))
    assert sample.loss == pytest.approx(0.5)  # the last second alone, not diluted by 3 s
    assert verdict(sample) == "severe"
    for _ in range(4):  # a low rung: 12 packets a second, 2 of them lost
        clock.now += 1
        lost, received = lost + 2, received + 10
        sample = sampler.sample(Counters(lost, received, 0.05))
    assert sample.loss == pytest.approx(6 / 36)  # 3 s of it: one second is too few packets


def test_the_videos_reports_decide_while_it_flows_not_the_sounds_late_ones() -> None:
    clock = Clock()
    sampler = LinkSampler(clock, window_s=3)
    video, audio = Counters(0, 0, 0.2), Counters(0, 0, 0.2)
    sampler.sample(video, audio)
    for second in range(1, 5):  # a low rung that fits: 10 video packets a second, none lost
        clock.now += 1
        video = Counters(0, second * 10, 0.2)
        if second == 2:  # the sound's report, late, with the loss of a flood before the step
            audio = Counters(75, 170, 0.9)
        sample = sampler.sample(video, audio)
        assert sample.loss == 0.0 and sample.rtt_s == 0.2, second
    for _ in range(3):  # audio only: the video sends nothing, the sound's reports are all
        clock.now += 1
        sample = sampler.sample(video, audio)
    sample = sampler.sample(video, Counters(80, 420, 0.3))
    assert sample.loss == pytest.approx(5 / 255) and sample.rtt_s == 0.3
    clock.now += 1
    assert sampler.sample(video, None).rtt_s == 0.2  # too few packets: the latest round trip


def test_a_change_of_rung_restarts_the_count() -> None:
    clock = Clock()
    sampler = LinkSampler(clock, window_s=5)
    sampler.sample(Counters(0, 0))
    clock.now += 1
    assert sampler.sample(Counters(60, 60)).loss == pytest.approx(0.5)  # the flood
    sampler.restart()  # stepped down
    assert sampler.sample(Counters(60, 60)).loss is None  # nothing sent on the new rung yet
    for second in range(1, 4):
        clock.now += 1
        sample = sampler.sample(Counters(60 + (second == 3), 60 + 10 * second))
    assert sample.loss == pytest.approx(1 / 31)  # the new rung's own packets only
