"""The pre-call link indicator's figures from the signaling pings (appliance/link_quality.py)."""

from __future__ import annotations

from appliance.link_quality import LinkMeter, judge


def test_judge_bounds() -> None:
    assert judge(40, 0.0) == "good"
    assert judge(149, 0.009) == "good"
    assert judge(150, 0.0) == "fair"
    assert judge(40, 0.02) == "fair"
    assert judge(400, 0.0) == "poor"
    assert judge(40, 0.05) == "poor"


def test_round_trips_and_late_pongs() -> None:
    meter = LinkMeter(late_s=2.0)
    assert meter.figures() is None
    for seq in range(1, 20):
        meter.sent(seq, seq * 10.0)
        meter.answered(seq, seq * 10.0 + 0.08)
    figures = meter.figures()
    assert figures is not None
    assert (figures.verdict, figures.rtt_ms, figures.loss_pct) == ("good", 80, 0.0)
    meter.sent(20, 300.0)
    meter.answered(20, 303.0)  # 3 s: a retransmitted segment, counted as lost
    figures = meter.figures()
    assert figures is not None and figures.loss_pct == 5.0 and figures.verdict == "poor"


def test_unanswered_pings_expire_as_lost() -> None:
    meter = LinkMeter(late_s=2.0)
    for seq in range(3):
        meter.sent(seq, 0.0)
    meter.expire(1.0)
    assert meter.figures() is None  # not late yet
    meter.expire(2.5)
    figures = meter.figures()
    assert figures is not None and figures.verdict == "poor" and figures.loss_pct == 100.0
    meter.answered(1, 2.6)  # already counted: ignored
    assert meter.figures() == figures


def test_window_forgets_old_pings() -> None:
    meter = LinkMeter(window=5)
    for seq in range(5):
        meter.sent(seq, 0.0)
        meter.answered(seq, 0.5)  # 500 ms: poor
    for seq in range(5, 10):
        meter.sent(seq, 1.0)
        meter.answered(seq, 1.03)
    figures = meter.figures()
    assert figures is not None and figures.verdict == "good" and figures.rtt_ms == 30


def test_a_new_socket_drops_outstanding_pings() -> None:
    meter = LinkMeter()
    meter.sent(1, 0.0)
    meter.reset()
    meter.expire(10.0)
    assert meter.figures() is None
