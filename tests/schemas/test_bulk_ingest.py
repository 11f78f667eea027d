"""The columnar ingestion path (``InputReader(columnar=True)``, what ``vigil detect`` uses) gives
exactly what the per-record parsers give: the same events in the same order, the same dead
letters with the same reasons, the same counters. Differential, on the bundled samples, a
generated scenario, every real file in ../shared/data and hand-made hostile lines."""

from __future__ import annotations

import heapq
import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schemas.event import Action, Event
from schemas.parsers import PARSERS, BadRecord, ParseContext
from schemas.parsers.bulk import HelkTemplates
from schemas.readers import REORDER_WINDOW, DeadLetter, InputReader, ReadStats
from tests.shared_data import real_log_files, shared_data

REPO = Path(__file__).resolve().parents[2]


def read(paths: list[str], columnar: bool) -> tuple[list[Event], list[DeadLetter], ReadStats]:
    letters: list[DeadLetter] = []
    stats = ReadStats()
    reader = InputReader(tenant="t", sink=letters.append, stats=stats, columnar=columnar)
    return list(reader.read_paths(paths)), letters, stats


def assert_same(paths: list[str]) -> int:
    events, letters, stats = read(paths, columnar=False)
    fast_events, fast_letters, fast_stats = read(paths, columnar=True)
    assert fast_events == events
    assert fast_letters == letters
    assert fast_stats == stats
    return len(events)


def test_bundled_samples() -> None:
    assert assert_same([str(REPO / "benchmarks" / "samples")]) > 20_000


@pytest.mark.parametrize("gzip", [False, True])
def test_generated_scenario(tmp_path: Path, gzip: bool) -> None:
    from benchmarks.scenario import generate

    generate(tmp_path, seed=3, days=5, users=15, learning_days=2, gzip=gzip)
    assert assert_same([str(tmp_path / "logs")]) > 3_000


@pytest.mark.parametrize("name", [p.name for p in real_log_files()] or ["none"])
def test_real_files(name: str) -> None:
    shared_data()
    [path] = [p for p in real_log_files() if p.name == name]
    assert_same([str(path)])


def test_real_files_together() -> None:
    assert assert_same([str(shared_data())]) > 5_000


def _helk(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "@timestamp": "2024-05-06T09:00:00.123Z",
        "EventID": 4624,
        "Channel": "Security",
        "SourceName": "Microsoft-Windows-Security-Auditing",
        "Hostname": "WKS1.corp.local",
        "RecordNumber": 1,
        "TargetUserName": "alice",
        "IpAddress": "10.0.0.7",
        "LogonType": "3",
        "Junk": {"nested": [1, 2, 3]},
    }
    record.update(fields)
    return {k: v for k, v in record.items() if v is not _DROP}


_DROP = object()

HOSTILE_LINES: list[bytes] = [
    orjson.dumps(_helk()),
    orjson.dumps(_helk(RecordNumber=2, TargetUserName="bob")),
    orjson.dumps(_helk(RecordNumber=3)),  # same template as the first
    orjson.dumps(_helk(RecordNumber=_DROP)),  # hashed whole: needs the full record
    orjson.dumps(_helk(RecordNumber=" ")),
    orjson.dumps(_helk(RecordNumber=5, EventID="46x24")),
    orjson.dumps(_helk(RecordNumber=6, EventID=True)),
    orjson.dumps(_helk(RecordNumber=7, EventID=70000)),
    orjson.dumps(_helk(RecordNumber=8, TargetUserName=["a"])),
    orjson.dumps(_helk(RecordNumber=9, TargetUserName=True)),  # "True" as text, not 1
    orjson.dumps(_helk(RecordNumber=10, TargetUserName=1)),
    orjson.dumps(_helk(RecordNumber=11, TargetUserName=1.0)),
    orjson.dumps(_helk(RecordNumber=12, LogonType=3)),
    orjson.dumps(_helk(RecordNumber=13, LogonType="3")),
    orjson.dumps(_helk(RecordNumber=14, **{"@timestamp": "yesterday"})),
    orjson.dumps(_helk(RecordNumber=15, **{"@timestamp": "1601-01-01T00:00:00Z"})),
    orjson.dumps(_helk(RecordNumber=16, **{"@timestamp": _DROP})),
    orjson.dumps(_helk(RecordNumber=17, **{"@timestamp": "", "EventTime": "2024-05-06 10:00:00"})),
    orjson.dumps(_helk(RecordNumber=18, **{"@timestamp": 1715000000})),
    orjson.dumps(_helk(RecordNumber=19, EventID=4625, Status="0xC000006D", SubStatus="0xc000006a")),
    orjson.dumps(_helk(RecordNumber=20, EventID=1, SourceName="Microsoft-Windows-Sysmon")),
    orjson.dumps(
        _helk(RecordNumber=21, EventID=1, SourceName="Microsoft-Windows-Sysmon", UtcTime="bad")
    ),
    orjson.dumps(
        _helk(
            RecordNumber=22,
            EventID=1,
            SourceName="Microsoft-Windows-Sysmon",
            UtcTime="2024-05-06 08:59:59.500",
        )
    ),
    orjson.dumps(_helk(RecordNumber=23, EventID=10, SourceName="Microsoft-Windows-Sysmon")),
    orjson.dumps(_helk(RecordNumber=24, EventID=4688, SubjectUserName="-")),
    orjson.dumps(_helk(RecordNumber=25, EventID=4688, SubjectUserName="WKS1$")),
    orjson.dumps(_helk(RecordNumber=26, EventID=4688, SubjectUserName="carol")),
    orjson.dumps(
        _helk(
            RecordNumber=27,
            EventID=7045,
            Channel="System",
            SourceName="Service Control Manager",
            UserID="S-1-5-18",
            AccountType="User",
            AccountName="dave",
            Message="A service was installed.\r\nService Account: LocalSystem\r\n",
        )
    ),
    orjson.dumps(_helk(RecordNumber=28, TargetUserName="caf\u00e9")),  # non-ASCII
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":29,'
    b'"@timestamp":"2024-05-06T09:00:00Z","TargetUserName":"\\u0061lice"}',
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":30,'
    b'"@timestamp":"2024-05-06T09:00:00Z","Junk":"\xff"}',  # invalid UTF-8 in an unread field
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":31,'
    b'"@timestamp":"2024-05-06T09:00:00Z","Junk":123456789012345678901234567890}',
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":32,'
    b'"@timestamp":"2024-05-06T09:00:00Z","IpAddress":123456789012345678901234567890}',
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":9223372036854775808,'
    b'"@timestamp":"2024-05-06T09:00:00Z"}',
    b'{"EventID":4624,"EventID":4625,"Channel":"Security","Hostname":"h","RecordNumber":34,'
    b'"@timestamp":"2024-05-06T09:00:00Z"}',
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":35,'
    b'"@timestamp":"2024-05-06T09:00:00Z","Junk":1e400}',
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":36,'
    b'"@timestamp":"2024-05-06T09:00:00Z","Junk":NaN}',
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":37,'
    b'"@timestamp":"2024-05-06T09:00:00Z"} trailing',
    b'{"Records":[' + orjson.dumps(_helk(RecordNumber=38)) + b"]}",
    b"[" + orjson.dumps(_helk(RecordNumber=39)) + b"]",
    b"42",
    b'{"EventID":4624,"Channel":"Security","Hostname":"h","RecordNumber":40,'
    b'"@timestamp":"2024-05-06T09:00:00Z","Junk":' + b"[" * 3000 + b"]" * 3000 + b"}",
    b"",
    b"   ",
    orjson.dumps(_helk(RecordNumber=41, Hostname={"name": "x"})),
    orjson.dumps(_helk(RecordNumber=42, Computer="SRV9", Hostname=_DROP)),
    orjson.dumps(_helk(RecordNumber=43, winlog="x")),
    orjson.dumps(_helk(RecordNumber=True)),  # read as "True", not as an integer
    orjson.dumps(_helk(RecordNumber=0)),
    orjson.dumps(_helk(RecordNumber=" 44 ")),
    orjson.dumps(_helk(RecordNumber=None, EventRecordID=45)),
    orjson.dumps(_helk(RecordNumber=46, **{"@timestamp": " 2024-05-06T09:00:00Z "})),
    orjson.dumps(_helk(RecordNumber=47, **{"@timestamp": None, "TimeCreated": "2024-05-06"})),
]


def test_hostile_helk_lines(tmp_path: Path) -> None:
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join(HOSTILE_LINES) + b"\n")
    events, letters, _ = read([str(path)], columnar=False)
    assert len(events) > 20 and len(letters) > 10  # the lines do exercise both outcomes
    assert_same([str(path)])


def test_hostile_lines_in_every_order(tmp_path: Path) -> None:
    # Templates are cached across inputs: a line first seen good, then bad, and the reverse.
    for index, order in enumerate((HOSTILE_LINES, HOSTILE_LINES[::-1], HOSTILE_LINES[1::2])):
        path = tmp_path / f"helk-{index}.json"
        path.write_bytes(b"\n".join([HOSTILE_LINES[0], *order]) + b"\n")
        assert_same([str(path)])


def test_templates_match_the_parser_record_by_record() -> None:
    """HelkTemplates.parse is a drop-in for HelkParser.parse, on every record and whatever came
    before it (the caches are filled by earlier records)."""
    parser = PARSERS["helk"]
    fast = HelkTemplates()
    ctx = ParseContext(tenant="t")
    records = []
    for line in HOSTILE_LINES * 2:
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(record, dict):
            records.append(record)
    assert len(records) > 40

    def outcome(parse: Any, record: dict[str, Any]) -> Any:
        try:
            return parse(record, ctx)
        except BadRecord as exc:
            return str(exc)

    for record in records:
        assert outcome(fast.parse, record) == outcome(parser.parse, record)


def test_a_key_read_only_sometimes_still_keys_the_template() -> None:
    """4688 reads TargetUserName only when SubjectUserName is empty: once seen, it is part of
    the key, so a later record differing only there gets its own event."""
    parser = PARSERS["helk"]
    fast = HelkTemplates()
    ctx = ParseContext(tenant="t")
    first = _helk(EventID=4688, SubjectUserName="-", TargetUserName="alice")
    second = _helk(EventID=4688, SubjectUserName="-", TargetUserName="bob", RecordNumber=2)
    third = _helk(EventID=4688, SubjectUserName="carol", TargetUserName="x", RecordNumber=3)
    for record in (third, first, second, third):
        assert fast.parse(record, ctx) == parser.parse(record, ctx)
    assert fast.parse(second, ctx)[0].user == "bob"


def test_null_and_absent_are_told_apart() -> None:
    parser = PARSERS["helk"]
    fast = HelkTemplates()
    ctx = ParseContext(tenant="t")
    service = {
        "EventID": 7045,
        "Channel": "System",
        "SourceName": "Service Control Manager",
        "AccountType": "User",
        "AccountName": "dave",
        "Message": "Service Account: LocalSystem\n",
    }
    for user_id in (_DROP, None, "S-1-5-18", _DROP):
        record = _helk(**service, UserID=user_id)
        assert fast.parse(record, ctx) == parser.parse(record, ctx)


# -- ordering ----------------------------------------------------------------------------------


def _heap_ordered(events: list[Event], window: int) -> list[Event]:
    """The re-ordering as it was (a heap of the window's size), the reference."""
    heap: list[tuple[datetime, int, Event]] = []
    counter = itertools.count()
    out = []
    for event in events:
        heapq.heappush(heap, (event.time, next(counter), event))
        if len(heap) > window:
            out.append(heapq.heappop(heap)[2])
    while heap:
        out.append(heapq.heappop(heap)[2])
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=40), max_size=60), st.integers(1, 8))
def test_ordering_matches_the_heap(offsets: list[int], window: int) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    events = [
        Event(
            time=start + timedelta(seconds=offset),
            tenant="t",
            source_format="x",
            action=Action.LOGON,
            record_id=str(n),
        )
        for n, offset in enumerate(offsets)
    ]
    reader = InputReader(tenant="t", sink=lambda letter: None)
    import schemas.readers as readers

    saved = readers.REORDER_WINDOW
    readers.REORDER_WINDOW = window
    try:
        got = list(reader._ordered(iter(events)))
    finally:
        readers.REORDER_WINDOW = saved
    assert got == _heap_ordered(events, window)
    assert REORDER_WINDOW == saved


# -- block reading -----------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r\n", b"xyz12", b"", b"\n\n"]), max_size=40),
    st.integers(1, 9),
    st.integers(1, 12),
)
def test_block_lines_match_readline(pieces: list[bytes], block: int, limit: int) -> None:
    """Small blocks and a small record limit, so that lines straddle blocks and over-long lines
    (cut at limit + 1 bytes, their rest skipped) start, end and straddle everywhere."""
    import io

    import schemas.readers as readers

    data = b"".join(pieces)
    saved = readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES
    readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES = limit, block
    try:
        expected = list(readers._lines(io.BytesIO(data)))
        got = list(readers._block_lines(io.BytesIO(data)))
    finally:
        readers.MAX_RECORD_BYTES, readers.LINE_BLOCK_BYTES = saved
    assert got == expected


def test_over_long_and_unterminated_lines(tmp_path: Path) -> None:
    from schemas.readers import MAX_RECORD_BYTES

    good = orjson.dumps(_helk())
    long_line = b'{"x":"' + b"a" * (MAX_RECORD_BYTES + 10) + b'"}'
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join([good, long_line, good, b"", long_line, good]))  # no final \n
    events, letters, _ = read([str(path)], columnar=False)
    assert len(events) == 3 and [d.reason for d in letters] == ["record larger than 1 MiB"] * 2
    assert_same([str(path)])


def test_emptied_caches_change_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With caches emptied every few entries, templates are recomputed all the time: the same
    events as the per-record parser still."""
    import schemas.parsers.bulk as bulk

    monkeypatch.setattr(bulk, "CACHE_LIMIT", 3)
    assert assert_same([str(REPO / "benchmarks" / "samples" / "demo" / "logs")]) > 20_000
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join(HOSTILE_LINES * 3) + b"\n")
    assert_same([str(path)])


# -- JSON lines parsed a block at a time (InputReader._parse_json_block) --------------------------


@pytest.mark.parametrize("block", [64, 700, 5_000, 1 << 20])
@pytest.mark.parametrize(
    "lead",
    [
        [],
        [b"", b"[1]", b"   ", b"not json", b"42"],  # sniffed only after some lines
        [b'{"a": 1}', b"[]"],  # JSON nobody knows first (the sniffer reads on)
    ],
)
def test_json_blocks_match_record_by_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block: int, lead: list[bytes]
) -> None:
    """Once an input's parser is known, the rest of each block is parsed in one loop; small
    blocks put the switch, hostile lines, blank lines and over-long lines at every place a
    block can start or end. The same events, dead letters (positions, reasons) and counters as
    record by record, and the block loop is what read them."""
    import schemas.readers as readers

    monkeypatch.setattr(readers, "LINE_BLOCK_BYTES", block)
    monkeypatch.setattr(readers, "MAX_RECORD_BYTES", 2_000)
    long_line = b'{"x":"' + b"a" * 2_500 + b'"}'
    lines = [*lead, *HOSTILE_LINES[:-3], long_line, *HOSTILE_LINES, b"", long_line]
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    blocks: list[int] = []
    real = readers.InputReader._parse_json_block

    def counted(self: readers.InputReader, *args: Any) -> tuple[list[Event], int]:
        events, parsed = real(self, *args)
        blocks.append(parsed)
        return events, parsed

    monkeypatch.setattr(readers.InputReader, "_parse_json_block", counted)
    assert assert_same([str(path)]) > 20
    assert len(blocks) >= (2 if block < 5_000 else 1) and sum(blocks) > 20


def test_json_blocks_of_other_formats(tmp_path: Path) -> None:
    """JSON lines of a parser without a compiled reader (CloudTrail records, one per line, and
    a ``{"Records": [...]}`` line) take the block loop with orjson: the same as record by
    record."""
    record = {
        "eventVersion": "1.08",
        "eventTime": "2024-05-06T09:00:00Z",
        "eventSource": "signin.amazonaws.com",
        "eventName": "ConsoleLogin",
        "sourceIPAddress": "198.51.100.7",
        "userIdentity": {
            "type": "IAMUser",
            "userName": "alice",
            "arn": "arn:aws:iam::1:user/alice",
        },
        "responseElements": {"ConsoleLogin": "Success"},
    }
    lines = [orjson.dumps({**record, "eventID": str(i)}) for i in range(30)]
    lines[10] = b'{"Records": [' + lines[10] + b"," + lines[11] + b"]}"
    lines[20] = b"{broken"
    path = tmp_path / "trail.json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert assert_same([str(path)]) >= 29


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=5_000))
def test_looks_binary_counts_control_bytes(head: bytes) -> None:
    """The control-byte count (bytes.translate) is the per-byte rule it replaced."""
    from schemas.readers import _looks_binary

    sample = head[:4096]
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    nuls = sample.count(b"\x00") > len(sample) // 100 + 1
    expected = bool(head) and (nuls or control > len(sample) // 20)
    assert _looks_binary(head) == expected


@settings(max_examples=500, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(0, 30), max_size=25),  # times in minutes, ties, any order
        max_size=7,
    )
)
def test_merge_matches_heapq_merge(inputs: list[list[int]]) -> None:
    """The run-aware merge of read_paths yields what heapq.merge yields, also for inputs that
    are not in order (a window too small to re-order them) and with ties across inputs."""
    from schemas.readers import _keyed_seq, _merge_keyed

    start = datetime(2024, 5, 6, tzinfo=UTC)
    streams = [
        [
            Event(
                time=start + timedelta(minutes=m),
                tenant="t",
                source_format="x",
                action=Action.LOGON,
                record_id=f"{index}-{n}",
            )
            for n, m in enumerate(minutes)
        ]
        for index, minutes in enumerate(inputs)
    ]
    expected = [
        item[3] for item in heapq.merge(*(_keyed_seq(i, iter(s)) for i, s in enumerate(streams)))
    ]
    got = [
        item[3] for item in _merge_keyed([_keyed_seq(i, iter(s)) for i, s in enumerate(streams)])
    ]
    assert [e.record_id for e in got] == [e.record_id for e in expected]
