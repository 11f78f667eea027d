"""Round 25 (parse25): the compiled HELK reader walks a read block's lines in place
(``vigil_native.helk_hits_at``, schemas/native/src/lines.rs; ``readers._Block``), instead of
over a list of one ``bytes`` object per line (``read_hits``).

Three ways must give the same events (by ``repr``), dead letters and counters: the block walked
in place, the list of lines (``helk_hits_at`` switched off, as on a build without it) and the
pure-Python path; on blank, whitespace-only, CR-ended, over-long, invalid and Python-only lines
among answered ones, blocks of any size (lines straddling blocks, an over-long line cut and its
rest skipped) and inputs without a final newline.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas.readers as readers
from schemas.parsers import bulk
from schemas.readers import DeadLetter, InputReader, ReadStats
from tests.schemas.test_helk_native import _ODD_LINES, _answered_lines, needs_native

Outcome = tuple[list[str], list[DeadLetter], ReadStats]


def _read(paths: list[str], monkeypatch: pytest.MonkeyPatch, way: str) -> Outcome:
    """``way``: "in place" (as built), "list" (``helk_hits_at`` off) or "python" (no compiled
    HELK reader at all)."""
    letters: list[DeadLetter] = []
    stats = ReadStats()
    with monkeypatch.context() as patch:
        if way != "in place":
            patch.setattr(bulk, "_native_hits_at", None)
        if way == "python":
            patch.setattr(bulk, "_NativeReader", None)
            patch.setattr(bulk, "_native_time", None)
        reader = InputReader(tenant="t", sink=letters.append, stats=stats, columnar=True)
        assert (reader._native is not None) == (way != "python")
        if reader._native is not None:
            assert (reader._native.hits_at is not None) == (way == "in place")
        events = [repr(event) for event in reader.read_paths(paths)]
    return events, letters, stats


def _assert_three_ways(path: Path, monkeypatch: pytest.MonkeyPatch) -> Outcome:
    in_place = _read([str(path)], monkeypatch, "in place")
    for way in ("list", "python"):
        other = _read([str(path)], monkeypatch, way)
        assert in_place[2] == other[2], way
        assert in_place[1] == other[1], way
        assert in_place[0] == other[0], way
    return in_place


@needs_native
def test_in_place_walk_is_used() -> None:
    """As built, the columnar reader hands HELK blocks to ``helk_hits_at`` (this fails on a
    build without it: the round's cut would silently not run)."""
    reader = InputReader(tenant="t", sink=lambda letter: None, columnar=True)
    assert reader._native is not None and reader._native.hits_at is not None


@needs_native
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=90),
    block_bytes=st.sampled_from([200, 1 << 10, 3000, 8 << 10, 1 << 22]),
    ending=st.sampled_from([b"\n", b"", b"\r\n", b"\n\n"]),
    crlf=st.booleans(),
)
def test_blocks_walked_in_place(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    picks: list[int],
    block_bytes: int,
    ending: bytes,
    crlf: bool,
) -> None:
    monkeypatch.setattr(readers, "LINE_BLOCK_BYTES", block_bytes)
    answerable = _answered_lines()
    lines = [
        _ODD_LINES[pick % len(_ODD_LINES)] if pick % 7 == 0 else answerable[pick % len(answerable)]
        for pick in picks
    ]
    separator = b"\r\n" if crlf else b"\n"
    path = tmp_path / "helk.json"
    path.write_bytes(separator.join(answerable[:3] + lines) + ending)
    _assert_three_ways(path, monkeypatch)


@needs_native
@pytest.mark.parametrize("block_bytes", [64, 700, 1 << 20])
def test_repeated_lines_answered_in_place(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int
) -> None:
    """A second pass over the same lines is answered by the reader within the blocks: few
    lines reach the per-line path, and the outcome is the other ways'."""
    monkeypatch.setattr(readers, "LINE_BLOCK_BYTES", block_bytes)
    lines = _answered_lines()
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join(lines + lines) + b"\n")
    per_line: list[bytes] = []
    real_read = bulk.HelkTemplates.read

    def spy(self: bulk.HelkTemplates, line: bytes) -> Any:
        per_line.append(line)
        return real_read(self, line)

    monkeypatch.setattr(bulk.HelkTemplates, "read", spy)
    events = _read([str(path)], monkeypatch, "in place")[0]
    assert len(per_line) < len(lines) // 4
    assert len(events) > 100
    assert _assert_three_ways(path, monkeypatch)[0] == events


@needs_native
@settings(max_examples=200, deadline=None)
@given(
    pieces=st.lists(
        st.sampled_from([b"a", b"bc", b"\n", b"\r\n", b"xyz12", b"", b"\n\n", b"{}"]), max_size=40
    ),
    block=st.integers(1, 9),
    limit=st.integers(1, 12),
)
def test_blocks_hold_the_lines(pieces: list[bytes], block: int, limit: int) -> None:
    """``_line_blocks``' blocks: their lines are ``_lines``' (readline's), and each block's
    ``line_count`` lines are what its bytes hold up to its last newline (what the compiled walk
    reads), the over-long ones cut at the same length."""
    data = b"".join(pieces)
    saved = readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES
    readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES = limit, block
    try:
        expected = [line for _, line in readers._lines(io.BytesIO(data))]
        blocks = list(readers._line_blocks(io.BytesIO(data)))
        got = [line for one in blocks for line in one.lines()]
        walked = []
        for one in blocks:
            offset = 0
            for _ in range(one.line_count):
                end = one.data.find(b"\n", offset)
                end = len(one.data) if end < 0 else end
                walked.append(one.data[offset:end][: limit + 1])
                offset = end + 1
    finally:
        readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES = saved
    assert got == expected
    assert walked == expected
