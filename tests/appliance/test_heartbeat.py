"""The link's ping schedule and loss verdict with a fake clock (appliance/heartbeat.py)."""

from __future__ import annotations

from appliance.heartbeat import Heartbeat


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make(clock: Clock, in_call: list[bool]) -> Heartbeat:
    return Heartbeat(idle_s=15.0, call_s=2.0, in_call=lambda: in_call[0], clock=clock)


def test_idle_pings_every_heartbeat_and_gives_up_after_two() -> None:
    clock, in_call = Clock(), [False]
    beat = make(clock, in_call)
    assert beat.interval() == 15.0 and beat.tick() == 0.5
    clock.now += 14.9
    assert not beat.ping_due()
    clock.now += 0.1
    assert beat.ping_due() and not beat.ping_due()
    clock.now += 15.0
    assert not beat.lost()  # 30 s without pong is the limit
    clock.now += 0.1
    assert beat.lost()


def test_in_call_the_loss_is_noticed_within_seconds() -> None:
    clock, in_call = Clock(), [False]
    beat = make(clock, in_call)
    clock.now += 14.0  # 14 s since the last (slow) pong: entering a call is not a loss
    in_call[0] = True
    assert not beat.lost()  # asked first, before anything else noticed the call
    assert beat.interval() == 2.0
    assert beat.ping_due()  # the first fast ping goes at once
    clock.now += 1.0
    beat.pong()
    clock.now += 1.0
    assert beat.ping_due()
    # the network goes: no pong any more; looked at every tick (0.5 s)
    cut = clock.now
    while not beat.lost():
        clock.now += beat.tick()
        beat.ping_due()
    noticed = clock.now - cut
    assert 3.0 <= noticed <= 3.5  # 4 s after the last pong, which came 1 s before the cut
    assert noticed < 10.0


def test_call_rate_never_slower_than_idle() -> None:
    clock = Clock()
    beat = Heartbeat(idle_s=1.0, call_s=5.0, in_call=lambda: True, clock=clock)
    assert beat.interval() == 1.0
    old = Heartbeat(idle_s=15.0, call_s=None, in_call=lambda: True, clock=clock)
    assert old.interval() == 15.0  # a console without call_heartbeat_s: as before


def test_a_congested_link_is_given_longer_while_media_reports_arrive() -> None:
    now = [0.0]
    alive = [True]
    beat = Heartbeat(idle_s=15.0, call_s=2.0, in_call=lambda: True, clock=lambda: now[0],
                     media_alive=lambda: alive[0], congested_s=12.0)  # fmt: skip
    beat.interval()
    now[0] = 4.5
    assert not beat.lost()  # pongs stuck in a full buffer, but RTCP still arrives
    now[0] = 12.5
    assert beat.lost()  # not even congestion lasts that long
    beat.pong()
    now[0] = 17.0
    alive[0] = False  # the reports stopped too: a cut
    assert beat.lost()
