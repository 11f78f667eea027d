"""Round 9's narrower state: ``lateral_rdp_fanout`` keeps a seen flag per shared (user, host)
pair and its marks in a table of the marked pairs only; the rare_* detectors' pair keys
(``CountTable``) are 32 bits while both ids are < 2**16.

``data/snapshot_main_3fd4266``: main's engine (3fd4266: the desktop fan-out's last time and
marks aligned with every shared pair, the rare_* keys int64) after the first half of
``test_shared_pairs``' scenario (seed 11, 10 days, 12 users; 4,096-event batches).
"""

from __future__ import annotations

from pathlib import Path

import msgspec
import numpy as np
import pytest

from detectors._pair_columns import wide_keys
from detectors._seconds import decode, floor_seconds
from detectors.base import CountTable, pair_keys
from detectors.engine import Engine
from detectors.failed_logons import PasswordSpray, wide_spray_keys
from detectors.lateral import LateralDesktopFanout
from detectors.login_chain import LoginChain
from detectors.novelty import NoveltyDetector
from schemas.event import Action, Event
from tests.detectors.streams import scenario_events

FIXTURE = Path(__file__).parent / "data" / "snapshot_main_3fd4266"


@pytest.fixture(scope="module")
def events() -> list[Event]:
    """The scenario as main 3fd4266 parsed it: its CloudTrail parser read no credential kind
    (round 11's ``access_key`` / ``session_key`` on calls) and no privileged role (round 12's
    ``AssumeRole`` into a watch-listed role), so the vocabularies and every table keyed by them
    are what main's snapshot holds."""
    return [as_main_parsed(e) for e in scenario_events()]


def as_main_parsed(e: Event) -> Event:
    if e.source_format != "cloudtrail":
        return e
    if e.auth_protocol in ("access_key", "session_key"):
        e = msgspec.structs.replace(e, auth_protocol="")
    if e.action is Action.AUTH_TICKET and e.privileged:
        e = msgspec.structs.replace(e, privileged=False)
    return e


def saved_arrays(directory: Path) -> dict[str, np.ndarray]:
    with np.load(directory / "state.npz", allow_pickle=False) as data:
        return {name: data[name] for name in data.files}


def desktop(engine: Engine) -> LateralDesktopFanout:
    found = next(d for d in engine.detectors if d.name == "lateral_rdp_fanout")
    assert isinstance(found, LateralDesktopFanout)
    return found


def test_main_desktop_fanout_snapshot_loads_every_value() -> None:
    saved = saved_arrays(FIXTURE)
    engine = Engine()
    assert engine.load(FIXTURE)
    detector = desktop(engine)
    # (main: the shared keys' owner saved them, the desktop fan-out only its columns)
    keys = wide_keys(saved["lateral_fanout_user/pairs_keys"])
    assert "lateral_rdp_fanout/pairs_keys" not in saved
    np.testing.assert_array_equal(detector.pairs_.keys, keys)
    last = saved["lateral_rdp_fanout/pairs_last"]
    seen = detector.pairs_.get("seen", keys)
    np.testing.assert_array_equal(seen, ~np.isnan(last))
    mark_last = saved["lateral_rdp_fanout/mark_last"]
    marked = ~np.isnan(mark_last)
    assert 0 < marked.sum() < len(marked)  # (the fixture has marks, and pairs without one)
    np.testing.assert_array_equal(detector.desk_marks_.keys, keys[marked])
    np.testing.assert_array_equal(detector.mark_last_, floor_seconds(mark_last[marked]))
    np.testing.assert_array_equal(
        detector.mark_value_, saved["lateral_rdp_fanout/mark_value"][marked]
    )
    np.testing.assert_array_equal(
        saved["lateral_rdp_fanout/mark_value"][~marked], np.full((~marked).sum(), -np.inf)
    )


def test_main_snapshot_runs_on_as_this_code_does(events: list[Event], tmp_path: Path) -> None:
    """Main's snapshot, resumed by this code, alerts on the second half exactly as this code
    alerts after learning the first half itself (so every narrowed table holds what main's
    held); and its own snapshot of that state round-trips array for array."""
    split = len(events) // 2
    own = Engine()
    for start in range(0, split, 4096):
        own.process(events[start : min(start + 4096, split)])
    resumed = Engine()
    assert resumed.load(FIXTURE)
    in_fixture = set(saved_arrays(FIXTURE))
    for a, b in zip(own.detectors, resumed.detectors, strict=True):
        for table, value in a.state().items():
            if f"{a.name}/{table}" not in in_fixture:
                continue  # a table added after main's snapshot starts empty on resume
            np.testing.assert_array_equal(value, b.state()[table], err_msg=f"{a.name}/{table}")
    resumed.save(tmp_path)
    again = Engine()
    assert again.load(tmp_path)
    expected = own.process(events[split:])
    assert [a.id for a in resumed.process(events[split:])] == [a.id for a in expected]
    assert [a.id for a in again.process(events[split:])] == [a.id for a in expected]
    assert desktop(own).desk_marks_.keys.size > 0


def test_rare_keys_narrow_on_load() -> None:
    engine = Engine()
    assert engine.load(FIXTURE)
    saved = saved_arrays(FIXTURE)
    # (rare_credential_kind is newer than the snapshot: it loads empty)
    rare = [
        d
        for d in engine.detectors
        if isinstance(d, NoveltyDetector) and f"{d.name}/pair_keys" in saved
    ]
    assert len(rare) >= 7
    for detector in rare:
        assert saved[f"{detector.name}/pair_keys"].dtype == np.int64
        assert detector.pairs_.stored.dtype == np.uint32
        np.testing.assert_array_equal(detector.pairs_.keys, saved[f"{detector.name}/pair_keys"])


def test_count_table_narrow_then_wide_matches_a_dict() -> None:
    """Random adds of small ids, then one id >= 2**16: every count and day read back is what
    a plain dict of the same adds holds, and the keys go int64 only at that id."""
    rng = np.random.default_rng(5)
    table = CountTable(("seen",), ("last",))
    counts: dict[int, int] = {}
    days: dict[int, int] = {}
    for step in range(40):
        big = step >= 30
        left = rng.integers(0, 70_000 if big else 300, 50)
        right = rng.integers(0, 70_000 if step == 35 else 300, 50)
        keys = pair_keys(left, right)
        day = rng.integers(19_000, 19_100, 50).astype(np.float64)
        table.add("seen", keys)
        table.add_days("last", keys, day)
        for k, d in zip(keys.tolist(), day.tolist(), strict=True):
            counts[k] = counts.get(k, 0) + 1
            days[k] = max(days.get(k, -(2**31)), int(d))
        if not big:
            assert table.stored.dtype == np.uint32
    assert table.stored.dtype == np.int64
    query = np.array([*sorted(counts), pair_keys(np.array([5]), np.array([70_001]))[0]])
    found = table.lookup(query)
    np.testing.assert_array_equal(found["seen"], [*(counts[k] for k in sorted(counts)), 0])
    np.testing.assert_array_equal(found["last"][:-1], [days[k] for k in sorted(counts)])
    assert np.isnan(found["last"][-1])
    np.testing.assert_array_equal(table.keys, sorted(counts))


def test_round11_tables_narrow_on_load() -> None:
    """Round 11: main's spray pair keys (int64) load in 32 bits and its dense sums of every
    channel load as a success column plus the failing sources' rows; login_chain's habit,
    console and pool keys load in 32 bits. Every value is where main kept it."""
    engine = Engine()
    assert engine.load(FIXTURE)
    saved = saved_arrays(FIXTURE)
    by_name = {d.name: d for d in engine.detectors}
    spray = by_name["password_spray"]
    assert isinstance(spray, PasswordSpray)
    assert saved["password_spray/pair_keys"].dtype == np.int64
    assert spray.pair_keys_.dtype == np.uint32 and len(spray.pair_keys_) > 0
    np.testing.assert_array_equal(
        wide_spray_keys(spray.pair_keys_), saved["password_spray/pair_keys"]
    )
    # (times in whole seconds, rounded down)
    np.testing.assert_array_equal(
        decode(spray.pair_last_), floor_seconds(saved["password_spray/pair_last"])
    )
    dense = saved["password_spray/sums"].reshape(-1, 3)
    sources = np.arange(len(dense), dtype=np.int64)
    # (each pair's share as of its time rounded down: less by at most 1 s / tau a pair)
    sums = spray._sums_of(sources)
    assert (sums <= dense).all() and (sums < dense).any()
    np.testing.assert_allclose(sums, dense, rtol=0, atol=len(spray.pair_last_) / spray.tau)
    assert 0 < len(spray.fail_ips_) < len(dense)  # (some sources fail, not all)
    chain = by_name["login_chain"]
    assert isinstance(chain, LoginChain)
    for name in ("habits", "console", "pools"):
        table = getattr(chain, f"{name}_")
        old = saved[f"login_chain/{name}_keys"]
        assert old.dtype == np.int64 and len(old) > 0
        assert table.keys.dtype == np.uint32
        np.testing.assert_array_equal(wide_keys(table.keys), old)
