"""Round 26 (parse26): a read block's lines counted by ``vigil_native.count_lines`` (memchr)
instead of ``bytes.count``, and an input sniffed from its first block's lines one at a time
(``readers._Block.iter_lines``) instead of splitting the whole block into a list.

The same lines, counts, events, dead letters and counters as before, with the compiled pieces
and without them (``_count_lines_py``; the pure-Python reader).
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import schemas.readers as readers
from schemas.parsers import bulk
from schemas.readers import DeadLetter, InputReader, ReadStats
from tests.schemas.test_helk_native import _ODD_LINES, _answered_lines, needs_native

_PIECES = [b"a", b"bc", b"\n", b"\r\n", b"xyz12", b"", b"\n\n", b"{}", b"\xff\n"]


@needs_native
@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=3000) | st.lists(st.sampled_from(_PIECES), max_size=60).map(b"".join)
)
def test_count_lines_is_bytes_count(data: bytes) -> None:
    """The compiled count is ``bytes.count(b"\\n")`` (fails on main: no ``count_lines``)."""
    from vigil_native import count_lines

    assert count_lines(data) == data.count(b"\n") == readers._count_lines_py(data)


@needs_native
def test_blocks_counted_by_the_compiled_count() -> None:
    """As built, ``_line_blocks`` counts with ``vigil_native.count_lines``."""
    from vigil_native import count_lines

    assert readers._count_lines is count_lines


@settings(max_examples=300, deadline=None)
@given(
    pieces=st.lists(st.sampled_from(_PIECES), max_size=40),
    block=st.integers(1, 9),
    limit=st.integers(1, 12),
)
def test_iter_lines_is_lines(pieces: list[bytes], block: int, limit: int) -> None:
    """``_Block.iter_lines`` yields ``_Block.lines()``' lines (over-long ones cut alike), in
    blocks of any size, with and without a final newline."""
    data = b"".join(pieces)
    saved = readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES
    readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES = limit, block
    try:
        blocks = list(readers._line_blocks(io.BytesIO(data)))
        assert [list(one.iter_lines()) for one in blocks] == [one.lines() for one in blocks]
        expected = [line for _, line in readers._lines(io.BytesIO(data))]
        got = [line for one in blocks for line in one.iter_lines()]
    finally:
        readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES = saved
    assert got == expected


Outcome = tuple[list[str], list[DeadLetter], ReadStats]


def _read(path: Path, monkeypatch: pytest.MonkeyPatch, way: str) -> Outcome:
    """``way``: "built" (as built), "python count" (``bytes.count``) or "python" (neither the
    compiled count nor the compiled HELK reader)."""
    letters: list[DeadLetter] = []
    stats = ReadStats()
    with monkeypatch.context() as patch:
        if way != "built":
            patch.setattr(readers, "_count_lines", readers._count_lines_py)
        if way == "python":
            patch.setattr(bulk, "_NativeReader", None)
            patch.setattr(bulk, "_native_time", None)
            patch.setattr(bulk, "_native_hits_at", None)
        reader = InputReader(tenant="t", sink=letters.append, stats=stats, columnar=True)
        events = [repr(event) for event in reader.read_paths([str(path)])]
    return events, letters, stats


#: JSON lines no parser is sniffed from (they stay pending until a HELK line decides it).
_UNSNIFFED = [b"{}", b'{"a": 1}', b"", b"   ", b'{"x": "y"}']


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    head=st.lists(st.sampled_from(_UNSNIFFED), max_size=8),
    picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=60),
    block_bytes=st.sampled_from([64, 700, 3000, 1 << 20]),
    ending=st.sampled_from([b"\n", b""]),
)
def test_sniffing_line_by_line_reads_the_same(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    head: list[bytes],
    picks: list[int],
    block_bytes: int,
    ending: bytes,
) -> None:
    """Inputs whose parser is sniffed after 0-8 undecided lines (straddling small blocks), then
    HELK lines answered, odd and Python-only: the same events, dead letters and counters with
    and without the compiled pieces."""
    monkeypatch.setattr(readers, "LINE_BLOCK_BYTES", block_bytes)
    answerable = _answered_lines()
    lines = [
        _ODD_LINES[pick % len(_ODD_LINES)] if pick % 7 == 0 else answerable[pick % len(answerable)]
        for pick in picks
    ]
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join([*head, answerable[0], *lines]) + ending)
    built = _read(path, monkeypatch, "built")
    for way in ("python count", "python"):
        other = _read(path, monkeypatch, way)
        assert built[2] == other[2], way
        assert built[1] == other[1], way
        assert built[0] == other[0], way


@needs_native
def test_sniffing_splits_no_block(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With the compiled reader a HELK input's blocks are never split into lists: sniffing
    takes the first lines one at a time (fails on main, which split the first block)."""
    monkeypatch.setattr(readers, "LINE_BLOCK_BYTES", 4096)
    lines = _answered_lines()
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join([b"{}", *lines, *lines]) + b"\n")
    splits: list[int] = []
    real_lines = readers._Block.lines

    def spy(self: readers._Block) -> list[bytes]:
        splits.append(self.line_count)
        return real_lines(self)

    monkeypatch.setattr(readers._Block, "lines", spy)
    events = _read(path, monkeypatch, "built")[0]
    assert len(events) > 100
    assert splits == []
