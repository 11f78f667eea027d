"""``volume`` on file-server look-alikes (round 12): a folder tree moved is not a wipe across the
shares, and a burst that recurs at the same hour every day is a schedule - while a wipe, a
thousand deletes in minutes and a burst at a new hour stay reported in full."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detectors.base import Signals
from detectors.batch import BatchBuilder
from detectors.volume import Volume
from schemas.event import Action, Event

START = datetime(2024, 3, 4, 9, 0, tzinfo=UTC)  # a Monday
SHARES = ("Finance", "HR", "Sales", "Legal", "Shared")


def delete(at: datetime, path: str, user: str = "alice") -> Event:
    return Event(
        time=at,
        tenant="acme",
        source_format="test",
        action=Action.DELETE,
        user=user,
        object=path,
        record_id=f"{user}-{at.timestamp()}-{path}",
    )


def habit(user: str = "alice", days: int = 14) -> list[Event]:
    """A few deletes a working day in the user's own folder (the usual file-server user)."""
    return [
        delete(START + timedelta(days=d, hours=h), f"D:\\Shares\\Finance\\{user}\\Drafts", user)
        for d in range(days)
        for h in (0, 3, 6)
    ]


def trained(events: list[Event] | None = None) -> tuple[Volume, BatchBuilder]:
    detector, builder = Volume(), BatchBuilder()
    learn(detector, builder, habit() if events is None else events)
    return detector, builder


def learn(detector: Volume, builder: BatchBuilder, events: list[Event]) -> Signals:
    batch = builder.build(events)
    signals = detector.score(batch, builder)
    detector.learn(batch, np.zeros(len(batch), dtype=np.bool_))
    return signals


def move(at: datetime, count: int, minutes: float, root: str) -> list[Event]:
    """``count`` files deleted in ``minutes`` from the subfolders of one project folder."""
    subfolders = ("Specs", "Drawings", "Reports", "Data")
    return [
        delete(
            at + timedelta(seconds=k * minutes * 60 / count),
            f"{root}\\{subfolders[k % 4]}\\{k // 4 % 9}",
        )
        for k in range(count)
    ]


def wipe(at: datetime, count: int, minutes: float) -> list[Event]:
    """``count`` files deleted in ``minutes`` across the shares."""
    return [
        delete(
            at + timedelta(seconds=k * minutes * 60 / count),
            f"D:\\Shares\\{SHARES[k % 5]}\\Archive{k % 7}",
        )
        for k in range(count)
    ]


DAY15 = START + timedelta(days=15, hours=2)
PROJECT = "D:\\Shares\\Engineering\\Projects\\Atlas"


def test_a_folder_tree_moved_is_one_finding_below_the_alert_bar() -> None:
    """400 deletes in 15 minutes, all in one project's tree: one signal, 30 points, naming the
    tree; the second bucket of the same move adds nothing."""
    detector, builder = trained()
    signals = learn(detector, builder, move(DAY15, 400, 15, PROJECT))
    assert signals.points.tolist() == [30.0]
    assert "all below D:\\Shares\\Engineering\\Projects\\Atlas" in signals.titles[0]
    assert "alice made 20 delete events within 10 minutes" in signals.titles[0]
    assert "counts 30 points" in signals.baseline[0]


def test_the_same_count_across_the_shares_is_a_wipe() -> None:
    detector, builder = trained()
    signals = learn(detector, builder, wipe(DAY15, 400, 15))
    assert len(signals) >= 4 and signals.points.min() >= 40.0
    assert not any("all below" in title for title in signals.titles)


def test_a_move_that_spreads_out_of_its_tree_counts_in_full_from_there() -> None:
    """The first 40 deletes in one tree (a move's shape), then 300 across the shares within
    the same ten minutes: the doublings after it spread are reported at full points."""
    detector, builder = trained()
    events = [*move(DAY15, 40, 2, PROJECT), *wipe(DAY15 + timedelta(minutes=2), 300, 6)]
    signals = learn(detector, builder, events)
    assert signals.points[0] == 30.0
    assert len(signals) >= 3 and signals.points[1:].min() >= 48.0


def test_a_thousand_deletes_in_one_tree_in_minutes_is_reported_in_full() -> None:
    detector, builder = trained()
    signals = learn(detector, builder, move(DAY15, 2600, 9, PROJECT))
    assert signals.points.max() >= 64.0  # 1,280 = 20 * 2**6 in one bucket: 40 + 6 * 8 ... 64+


def test_another_tree_an_hour_later_is_another_finding() -> None:
    detector, builder = trained()
    first = learn(detector, builder, move(DAY15, 200, 5, PROJECT))
    later = DAY15 + timedelta(hours=1)
    same = learn(detector, builder, move(later, 200, 5, PROJECT + "\\Specs"))
    other = learn(
        detector, builder, move(later + timedelta(hours=1), 200, 5, "D:\\Shares\\HR\\Staff\\Old")
    )
    assert len(first) == 1 and len(same) == 0 and len(other) == 1


def nightly(day: int, hour: float = 1.5, count: int = 300) -> list[Event]:
    at = START.replace(hour=0) + timedelta(days=day, hours=hour)
    return [
        delete(at + timedelta(seconds=k * 0.7), f"E:\\Host{k % 9}\\set{day:03d}", "svc_bkp")
        for k in range(count)  # each host's old backup set: no single tree
    ]


def test_a_nightly_job_is_reported_then_halved_then_routine() -> None:
    """A service account's first rotation night is new and large (high); the second night at
    the same hour counts half; from the third it is the account's schedule. A burst at another
    hour is news again."""
    detector, builder = trained(habit("svc_bkp", days=3))
    nights = [learn(detector, builder, nightly(day)) for day in range(3, 9)]
    assert nights[0].points.max() >= 40.0
    assert 0 < nights[1].points.max() <= 0.5 * nights[0].points.max()
    assert all(len(night) == 0 for night in nights[2:])
    noon = learn(detector, builder, nightly(9, hour=13.0))
    assert len(noon) >= 1 and noon.points.max() >= 30.0


def test_a_schedule_does_not_raise_the_bar_for_other_hours_or_sizes() -> None:
    """The nightly job's buckets are the schedule's, not the account's baseline: a wipe of
    2,000 files in the afternoon is several doublings above the bar; a night five times the
    schedule's size is reported in full, not as the routine."""
    detector, builder = trained(habit("svc_bkp", days=3))
    for day in range(3, 12):
        learn(detector, builder, nightly(day))
    afternoon = learn(detector, builder, nightly(12, hour=14.0, count=2000))
    assert len(afternoon) >= 3 and afternoon.points.max() >= 56.0
    huge = learn(detector, builder, nightly(14, count=1500))
    assert len(huge) >= 1 and huge.points.max() >= 40.0


def test_a_night_long_slow_wipe_is_not_a_schedule() -> None:
    """About 250 deletes an hour for six night hours, over midnight: every threshold crossing
    counts in full (one episode, not a burst recurring a day later)."""
    detector, builder = trained()
    night = START + timedelta(days=15, hours=13)  # 22:00 UTC
    events = wipe(night, 1500, 6 * 60)
    signals = learn(detector, builder, events)
    assert len(signals) >= 3 and signals.points.min() >= 40.0


@pytest.mark.parametrize("size", [1, 7, 500])
def test_batch_equals_one_by_one_across_trees_and_schedules(size: int) -> None:
    """Scoring in batches of any size flags the same rows with the same points, and ends in
    the same state (the open bucket's tree and the schedule carry across batches)."""
    stream = [
        *habit(),
        *move(DAY15, 120, 12, PROJECT),
        *wipe(DAY15 + timedelta(hours=3), 150, 10),
        *[
            e
            for day in range(16, 19)
            for e in move(START + timedelta(days=day, hours=2), 60, 4, PROJECT)
        ],
    ]
    stream.sort(key=lambda e: e.time)
    results = []
    for step in (len(stream), size):
        detector, builder = Volume(), BatchBuilder()
        builder.build(stream)  # the same ids either way
        found: dict[str, float] = {}
        for i in range(0, len(stream), step):
            part = stream[i : i + step]
            signals = learn(detector, builder, part)
            found.update(
                (part[row].record_id, float(points))
                for row, points in zip(signals.rows.tolist(), signals.points, strict=True)
            )
        results.append((found, detector.state()))
    (whole, whole_state), (parts, parts_state) = results
    assert whole == pytest.approx(parts) and whole
    for key, value in whole_state.items():
        np.testing.assert_allclose(value, parts_state[key], equal_nan=True, err_msg=key)


def test_a_snapshot_from_before_round_12_still_loads() -> None:
    detector, builder = trained()
    old = {
        name: value
        for name, value in detector.state().items()
        if name in ("keys", "mean", "active", "bucket", "current", "threshold")
    }
    restored = Volume()
    restored.load_state(old)
    assert set(restored.state()) == set(detector.state())
    signals = learn(restored, builder, wipe(DAY15, 400, 15))
    assert len(signals) >= 4 and signals.points.min() >= 40.0
    assert len(learn(restored, builder, move(DAY15 + timedelta(hours=3), 400, 15, PROJECT))) == 1


def test_only_pairs_with_a_recent_burst_keep_tree_and_schedule_state() -> None:
    """The tree and schedule columns are kept in a sparse table: none for ordinary habits, a
    row after a move, none again once the move is days old (as if never set)."""
    detector, builder = trained()
    assert len(detector.state()["marked"]) == 0
    learn(detector, builder, move(DAY15, 400, 15, PROJECT))
    assert len(detector.state()["marked"]) == 1
    learn(detector, builder, [delete(DAY15 + timedelta(days=9), PROJECT)])
    assert len(detector.state()["marked"]) == 0
