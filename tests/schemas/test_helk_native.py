"""The compiled HELK line reader (schemas/native ``HelkReader`` and ``iso_time``, used by
``schemas/parsers/bulk.py``) against the same columnar path with it switched off.

Every test reads the same input twice through ``InputReader(columnar=True)`` (what ``vigil
detect`` uses): once as installed (HELK lines go to the compiled reader first) and once with the
compiled reader and time reader switched off (every line decoded by ``orjson``). The outcomes
must be the same: the same events (compared by ``repr``, which shows every field and the time's
zone) in the same order, the same dead letters (position, reason, raw preview) and the same
counters. The mutated-record tests also compare with the per-record parsers.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.parsers import bulk
from schemas.parsers.bulk import HelkTemplates
from schemas.readers import DeadLetter, InputReader, ReadStats
from tests.schemas.test_bulk_ingest import HOSTILE_LINES
from tests.shared_data import SHARED_DATA, shared_data

needs_native = pytest.mark.skipif(not bulk.NATIVE, reason="vigil_native is not installed")


def test_native_reader_in_use_when_required() -> None:
    """CI (``make test``) sets VIGIL_REQUIRE_NATIVE=1: the compiled HELK reader must be built,
    imported and used then, never silently replaced by the pure-Python path."""
    if os.environ.get("VIGIL_REQUIRE_NATIVE") != "1":
        pytest.skip("VIGIL_REQUIRE_NATIVE is not set")
    assert bulk.NATIVE, "vigil_native is not importable: run `make` (pip install ./schemas/native)"
    assert HelkTemplates().read(HOSTILE_LINES[0]) is not None
    reader = InputReader(tenant="t", sink=lambda letter: None, columnar=True)
    assert reader._native is not None


@contextmanager
def native(on: bool) -> Iterator[None]:
    saved = bulk._NativeReader, bulk._native_time
    if not on:
        bulk._NativeReader, bulk._native_time = None, None
    try:
        yield
    finally:
        bulk._NativeReader, bulk._native_time = saved


Outcome = tuple[list[str], list[DeadLetter], ReadStats]


def read(paths: list[str], on: bool, columnar: bool = True) -> Outcome:
    letters: list[DeadLetter] = []
    stats = ReadStats()
    with native(on):
        reader = InputReader(tenant="t", sink=letters.append, stats=stats, columnar=columnar)
        assert (reader._native is not None) == (on and columnar)
        events = [repr(event) for event in reader.read_paths(paths)]
    return events, letters, stats


def assert_same(paths: list[str], per_record: bool = False) -> Outcome:
    compiled = read(paths, True)
    python = read(paths, False)
    assert compiled[2] == python[2]
    assert compiled[1] == python[1]
    for n, (a, b) in enumerate(zip(compiled[0], python[0], strict=True)):
        assert a == b, f"event {n}:\nnative: {a}\npython: {b}"
    if per_record:
        assert read(paths, False, columnar=False) == python
    return compiled


def native_share(lines: list[bytes]) -> float:
    """The share of ``lines`` the compiled reader takes (with the keys every record is read
    for; the rest are decoded by orjson)."""
    templates = HelkTemplates()
    return sum(templates.read(line) is not None for line in lines) / max(len(lines), 1)


# -- real and generated files -----------------------------------------------------------------


def _windows_json_files() -> list[Path]:
    """Every Windows JSON capture in ../shared/data (Security-Datasets HELK zips, and the
    GoldenSAML scenario's Sentinel WindowsEvents)."""
    if not SHARED_DATA.is_dir():
        return []
    root = SHARED_DATA / "security-datasets"
    files = sorted((root / "atomic" / "windows").rglob("*.zip"))
    files += sorted(p for p in (root / "compound").rglob("*") if p.name == "WindowsEvents.Zip")
    return files


def _zip_lines(path: Path) -> list[bytes]:
    with zipfile.ZipFile(path) as archive:
        return [
            line
            for name in archive.namelist()
            for line in archive.read(name).split(b"\n")
            if line.strip()
        ]


@needs_native
@pytest.mark.parametrize("name", [p.name for p in _windows_json_files()] or ["none"])
def test_real_windows_files(name: str) -> None:
    shared_data()
    [path] = [p for p in _windows_json_files() if p.name == name]
    _, _, stats = assert_same([str(path)])
    assert stats.records_read > 0
    if stats.by_format.get("helk"):  # a HELK file: the compiled reader did take its lines
        assert native_share(_zip_lines(path)) > 0.5


@needs_native
def test_real_windows_files_together() -> None:
    """All of them in one reader: the caches carry over from file to file."""
    shared_data()
    events, _, stats = assert_same([str(p) for p in _windows_json_files()])
    assert stats.records_read > 170_000 and len(events) > 2_000


@needs_native
@pytest.mark.parametrize("gzip", [False, True])
def test_generated_windows_logs(tmp_path: Path, gzip: bool) -> None:
    from benchmarks.scenario import generate

    generate(tmp_path, seed=11, days=4, users=12, learning_days=2, gzip=gzip)
    windows = tmp_path / "logs" / "windows"
    events, _, _ = assert_same([str(windows)])
    assert len(events) > 2_000
    if not gzip:
        lines = [line for p in sorted(windows.iterdir()) for line in p.read_bytes().splitlines()]
        assert native_share(lines) > 0.99


@needs_native
def test_hostile_lines(tmp_path: Path) -> None:
    path = tmp_path / "helk.json"
    for index, order in enumerate((HOSTILE_LINES, HOSTILE_LINES[::-1], HOSTILE_LINES * 2)):
        path = tmp_path / f"helk-{index}.json"
        path.write_bytes(b"\n".join([HOSTILE_LINES[0], *order]) + b"\n")
        assert_same([str(path)], per_record=True)


# -- the compiled reader's contract, line by line -----------------------------------------------

BASE = {
    "@timestamp": "2024-05-06T09:00:00.123Z",
    "EventID": 4624,
    "Channel": "Security",
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "Hostname": "WKS1.corp.local",
    "RecordNumber": 1,
    "TargetUserName": "alice",
    "IpAddress": "10.0.0.7",
    "LogonType": "3",
    "tags": ["a", {"b": None}],
}


@needs_native
@pytest.mark.parametrize(
    "line",
    [
        b'{"EventID":4624,"EventID":4625}',  # a duplicate read key: orjson keeps the last
        b'{"EventID":4624.0}',
        b'{"EventID":true}',
        b'{"EventID":[4624]}',
        b'{"Hostname":"\\ud800"}',  # lone surrogates: invalid for orjson
        b'{"Junk":"\\udc00"}',
        b'{"Junk":"a\x01b"}',  # a raw control character
        b'{"Junk":"\xff"}',
        b'{"Junk":"\xed\xa0\x80"}',  # a surrogate in UTF-8
        b'{"Junk":1e400}',
        b'{"Junk":-1e400}',
        b'{"Junk":' + b"9" * 400 + b"}",  # an infinite float for orjson
        b'{"RecordNumber":18446744073709551616}',  # beyond 64 bits: a float for orjson
        b'{"Records":[]}',
        b'{"EventData":{"a":1}}',
        b"[]",
        b'"x"',
        b'{"a":1} {"b":2}',
        b'{"a":1}\x0b',
        b"\xef\xbb\xbf{}",
        b'{"a":01}',
        b'{"a":.5}',
        b'{"a":1.}',
        b'{"a":"\\x"}',
        b'{"a":[1,]}',
        b'{"a":1,}',
        b'{"a"}',
        b'{"Junk":' + b"[" * 200 + b"]" * 200 + b"}",  # deeper than serde_json's 128 levels
    ],
)
def test_refused_lines(line: bytes) -> None:
    """Lines the compiled reader must leave to orjson and Python (invalid for orjson, or a
    read key that is not text, a 64-bit integer or null, or appears twice)."""
    assert HelkTemplates().read(line) is None


@needs_native
def test_read_values() -> None:
    templates = HelkTemplates()
    line = (
        b'{"EventID":4624,"Channel":"Security","Hostname":"h\\u00e9\\ud83d\\ude00",'
        b'"Junk":[1.5e300,{"x":"\\ud83d\\ude00"}],"RecordNumber":18446744073709551615,'
        b'"EventRecordID":-9223372036854775808,"@timestamp":null,"x":1,"x":2}\r'
    )
    values = templates.read(line)
    assert values is not None
    assert values[:6] == (
        4624,
        bulk._ABSENT,
        bulk._ABSENT,
        "Security",
        "h\u00e9\U0001f600",
        bulk._ABSENT,
    )
    assert values[bulk._RECORD_NUMBER] == 18446744073709551615
    assert values[bulk._NUMBER_SLOTS[1]] == -9223372036854775808
    assert values[bulk._TIME_SLOTS[0]] is None


@needs_native
@pytest.mark.parametrize(
    "text",
    [
        "2024-05-06T00:18:10.466Z",
        "2024-05-06T00:18:10Z",
        "2024-05-06 00:18:10.4",
        "2024-05-06 00:18:10.123456",
        "2024-05-06T00:18:10.1234567Z",
        "2024-02-29T23:59:59Z",
        "2023-02-29T00:00:00Z",
        "2024-04-31T00:00:00Z",
        "2024-05-06T24:00:00Z",
        "2024-05-06T23:60:00Z",
        "2024-05-06T23:59:60Z",
        "1989-12-31T23:59:59Z",
        "1990-01-01T00:00:00Z",
        "2099-12-31T23:59:59.999999Z",
        "2100-01-01T00:00:00Z",
        "2024-05-06T00:18:10+02:00",
        "2024-05-06t00:18:10Z",
        " 2024-05-06T00:18:10Z",
        "2024-05-06T00:18:10.Z",
        "2024-05-06T00:18:10zz",
        "２０２４-05-06T00:18:10Z",  # non-ASCII digits
        "2024-5-06T00:18:10Z",
        "",
    ],
)
def test_iso_time(text: str) -> None:
    """``iso_time`` is ``parse_time`` where it answers, and answers the usual HELK forms."""
    from schemas.parsers.base import BadRecord, parse_time

    fast = bulk._native_time
    assert fast is not None
    got = fast(text)
    try:
        expected: Any = parse_time(text, field_name="t")
    except BadRecord:
        expected = None
    if got is not None:
        assert got == expected and got.tzinfo == expected.tzinfo and repr(got) == repr(expected)
    if text in ("2024-05-06T00:18:10.466Z", "2024-05-06 00:18:10.4", "2024-02-29T23:59:59Z"):
        assert got is not None


# -- mutated records (hypothesis) -------------------------------------------------------------

KEYS = [
    "EventID",
    "SourceName",
    "EventSourceName",
    "Channel",
    "Hostname",
    "Computer",
    "EventData",
    "Records",
    "RecordNumber",
    "EventRecordID",
    "EventOriginId",
    "UtcTime",
    "@timestamp",
    "TimeCreated",
    "EventTime",
    "TimeGenerated",
    "TargetUserName",
    "SubjectUserName",
    "IpAddress",
    "LogonType",
    "WorkstationName",
    "Status",
    "SubStatus",
    "winlog",
    "Junk",
]

_ints = st.one_of(
    st.integers(-(2**63), 2**64 - 1),
    st.sampled_from([0, -1, 4624, 4625, 4688, 1, 3, 2**63, 2**64, -(2**63) - 1, 10**30]),
).map(lambda v: str(v).encode())
_floats = st.sampled_from(
    [b"1.0", b"-0.0", b"-0", b"4624.0", b"1e5", b"1E400", b"-1e400", b"1e-400", b"2.5e-3",
     b"1.7976931348623157e308", b"1.7976931348623159e308", b"123456789012345678901234567890.5",
     b"9" * 330, b"0.1", b"NaN", b"Infinity", b"01", b"1.", b".5", b"+1", b"0x10"]
)  # fmt: skip
_texts = st.one_of(
    st.text(max_size=12).map(orjson.dumps),
    st.sampled_from(
        [
            b'"Security"',
            b'"security"',
            b'"Microsoft-Windows-Security-Auditing"',
            b'"Microsoft-Windows-Sysmon"',
            b'"WKS1.corp.local"',
            b'"2024-05-06T09:00:00.123Z"',
            b'"2024-05-06 09:00:00.5"',
            b'"2024-02-30T09:00:00Z"',
            b'"1601-01-01T00:00:00Z"',
            b'"4624"',
            b'" 4624 "',
            b'"-"',
            b'""',
            b'"\\u0041lice"',
            b'"caf\\u00e9"',
            b'"\\ud83d\\ude00"',
            b'"\\ud800"',
            b'"\\udc00\\ud800"',
            b'"\\ud800\\u0041"',
            b'"\\/\\b\\f\\n\\r\\t\\"\\\\"',
            b'"\\x41"',
            b'"\\u00"',
            '"caf\u00e9 \U0001f600"'.encode(),
            b'"a\x01b"',
            b'"a\x7fb"',
            b'"\xff"',
            b'"\xed\xa0\x80"',
            b'"\xc3"',
        ]
    ),
)
_scalars = st.one_of(_ints, _floats, _texts, st.sampled_from([b"true", b"false", b"null"]))
_values = st.one_of(
    _scalars,
    st.lists(_scalars, max_size=3).map(lambda v: b"[" + b",".join(v) + b"]"),
    st.dictionaries(st.sampled_from(KEYS), _scalars, max_size=3).map(
        lambda d: b"{" + b",".join(orjson.dumps(k) + b":" + v for k, v in d.items()) + b"}"
    ),
)
_key_texts = st.one_of(
    st.sampled_from(KEYS).map(orjson.dumps),
    st.sampled_from([b'"Event\\u0049D"', b'"Hostnam\\u0065"', b'"\\u0040timestamp"']),
)

Pairs = list[tuple[bytes, bytes]]


def _pairs(record: dict[str, Any]) -> Pairs:
    return [(orjson.dumps(k), orjson.dumps(v)) for k, v in record.items()]


def _line(pairs: Pairs) -> bytes:
    return b"{" + b",".join(k + b":" + v for k, v in pairs) + b"}"


@st.composite
def mutated(draw: Any) -> bytes:
    record = dict(BASE)
    record["RecordNumber"] = draw(st.integers(1, 50))
    record["EventID"] = draw(st.sampled_from([4624, 4625, 4634, 4688, 4672, 1, 3, 4103]))
    if record["EventID"] in (1, 3) and draw(st.booleans()):
        record["SourceName"] = "Microsoft-Windows-Sysmon"
        record["UtcTime"] = "2024-05-06 08:59:59.500"
    pairs = _pairs(record)
    for _ in range(draw(st.integers(0, 3))):
        op = draw(st.sampled_from(["set", "set", "drop", "dup", "escape_key"]))
        if op == "set":
            key = orjson.dumps(draw(st.sampled_from(KEYS)))
            value = draw(_values)
            pairs = [(k, v) for k, v in pairs if k != key] + [(key, value)]
        elif op == "drop" and pairs:
            del pairs[draw(st.integers(0, len(pairs) - 1))]
        elif op == "dup" and pairs:
            key, _ = pairs[draw(st.integers(0, len(pairs) - 1))]
            pairs.append((key, draw(_values)))
        else:
            pairs.append((draw(_key_texts), draw(_values)))
    line = _line(pairs)
    cut = draw(st.sampled_from(["none", "none", "none", "truncate", "byte", "space"]))
    if cut == "truncate":
        line = line[: draw(st.integers(0, len(line)))]
    elif cut == "byte":
        at = draw(st.integers(0, len(line)))
        byte = draw(st.sampled_from([b"\xff", b"\x00", b"\x01", b'"', b"\\", b",", b"}", b"\r"]))
        line = line[:at] + byte + line[at:]
    elif cut == "space":
        line = draw(st.sampled_from([b" ", b"\t", b"\r", b""])) + line + b" \r"
    return line


@needs_native
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(mutated(), min_size=1, max_size=8))
def test_mutated_records(tmp_path: Path, lines: list[bytes]) -> None:
    # The first line is a plain HELK record (the input is sniffed as HELK); the mutated lines
    # come twice, so the second time they meet the caches the first filled.
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join([orjson.dumps(BASE), *lines, *lines]) + b"\n")
    assert_same([str(path)], per_record=True)


@needs_native
@settings(max_examples=300, deadline=None)
@given(line=mutated())
def test_mutated_record_contract(line: bytes) -> None:
    """Line by line: when the compiled reader answers, orjson decodes the line to a dict that
    holds the same values under the read keys."""
    templates = HelkTemplates()
    values = templates.read(line)
    if values is None:
        return
    record = orjson.loads(line)
    assert isinstance(record, dict)
    for key, slot in zip(bulk._FIXED_KEYS, range(len(values)), strict=False):
        expected = record.get(key, bulk._ABSENT)
        assert values[slot] == expected and type(values[slot]) is type(expected), key


@needs_native
def test_emptied_caches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Caches emptied every few templates: templates recomputed all the time, the same events;
    and the count of templates kept stays within the bound."""
    from benchmarks.scenario import generate

    monkeypatch.setattr(bulk, "CACHE_LIMIT", 5)
    generate(tmp_path, seed=12, days=3, users=12, learning_days=1)
    windows = tmp_path / "logs" / "windows"
    assert len(assert_same([str(windows)])[0]) > 1_000
    templates = HelkTemplates()
    ctx_lines = [line for p in sorted(windows.iterdir()) for line in p.read_bytes().splitlines()]
    from schemas.parsers.base import ParseContext

    ctx = ParseContext(tenant="t")
    for line in ctx_lines:
        values = templates.read(line)
        assert values is not None
        templates.parse_values(values, line, ctx)
        kept = sum(len(keys.templates) for keys in templates.handler_keys.values())
        assert kept == templates.template_count <= 5


@needs_native
def test_long_values_under_read_keys(tmp_path: Path) -> None:
    """Values longer than the reader keeps (128 bytes) are made afresh each time: the same
    events, whichever line comes first."""
    lines = []
    for n, user in enumerate(["u" * 127, "u" * 128, "u" * 129, "é" * 100, "u" * 5000] * 2):
        lines.append(orjson.dumps({**BASE, "RecordNumber": n + 1, "TargetUserName": user}))
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    events, _, _ = assert_same([str(path)], per_record=True)
    assert len(events) == 10


# -- templates made from the compiled reader's values (HelkTemplates._template_values) ----------

_SLOT_VALUES = st.sampled_from(
    [_DROPPED := object(), None, "", "CORP\\svc_x", "LocalSystem", 5, -1]
)
_SERVICE_KEYS = ["UserID", "AccountType", "AccountName", "ServiceName", "ImagePath", "Message"]
_LOGON_KEYS = ["TargetUserName", "IpAddress", "LogonType", "WorkstationName", "Status"]


@st.composite
def _slot_records(draw: Any) -> bytes:
    """7045 System records (whose handler asks ``"UserID" in fields``: absent, null, text,
    integers) and 4624/4625 records with their read keys absent, null, empty or integers."""
    service = draw(st.booleans())
    record: dict[str, Any] = {
        "@timestamp": "2024-05-06T09:00:00.123Z",
        "RecordNumber": draw(st.integers(1, 10)),
        "Hostname": draw(st.sampled_from(["SRV1", "wks2.corp.local"])),
    }
    if service:
        record.update(EventID=7045, Channel="System", SourceName="Service Control Manager")
        keys = _SERVICE_KEYS
        if draw(st.booleans()):
            record["Message"] = "A service was installed.\nService Account:  LocalSystem\n"
    else:
        record.update(EventID=draw(st.sampled_from([4624, 4625])), Channel="Security")
        record["SourceName"] = "Microsoft-Windows-Security-Auditing"
        keys = _LOGON_KEYS
    for key in keys:
        value = draw(_SLOT_VALUES)
        if value is not _DROPPED:
            record[key] = value
    return orjson.dumps(record)


@needs_native
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(lines=st.lists(_slot_records(), min_size=2, max_size=12))
def test_templates_from_slot_values(tmp_path: Path, lines: list[bytes]) -> None:
    """A template missing for a line the compiled reader read is made from the reader's values
    (without decoding the line) once the handler's keys have slots: the same events and dead
    letters as the pure-Python and the per-record paths, whichever line comes first. Full
    records first, so that the handlers' keys have slots before the drawn lines come."""
    full = [
        orjson.dumps({**BASE, "WorkstationName": "W1", "Status": "0x0"}),
        orjson.dumps(
            {
                **BASE,
                "EventID": 7045,
                "Channel": "System",
                "SourceName": "Service Control Manager",
                **dict.fromkeys(_SERVICE_KEYS, "x"),
            }
        ),
    ]
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join([*full, *lines, *lines[::-1], *lines]) + b"\n")
    assert_same([str(path)], per_record=True)


@needs_native
def test_slot_values_path_is_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the generated scenario's Windows logs most new templates come from the values (a
    handler reading a key without a slot yet goes the decoding way), with the same events."""
    from benchmarks.scenario import generate

    made: list[bool] = []
    real = HelkTemplates._template_values

    def spy(self: HelkTemplates, *args: Any) -> Any:
        template = real(self, *args)
        made.append(template is not None)
        return template

    monkeypatch.setattr(HelkTemplates, "_template_values", spy)
    generate(tmp_path, seed=4, days=3, users=12, learning_days=1)
    assert len(assert_same([str(tmp_path / "logs" / "windows")])[0]) > 1_000
    assert sum(made) > 0.8 * len(made) > 100


@needs_native
@settings(max_examples=200, deadline=None)
@given(line=_slot_records())
def test_slot_tracer_reads_as_the_decoded_record(line: bytes) -> None:
    """``_SlotTracer`` answers ``get`` (with a default), ``in`` and ``[]`` as the decoded record
    does for every key with a slot, and notes them; any other key, or iterating, asks for the
    record."""
    templates = HelkTemplates()
    for key in [*_SERVICE_KEYS, *_LOGON_KEYS]:
        templates.slot_of[key] = templates.native.add_key(key)
    values = templates.read(line)
    assert values is not None
    record = orjson.loads(line)
    tracer = bulk._SlotTracer(values, templates.slot_of)
    for key in templates.slot_of:
        assert tracer.get(key, "default") == record.get(key, "default")
        assert tracer.get(key) == record.get(key)
        assert (key in tracer) == (key in record)
        if key in record:
            assert tracer[key] == record[key]
        else:
            with pytest.raises(KeyError):
                tracer[key]
    assert tracer.read == set(templates.slot_of)
    for ask in (lambda: tracer.get("Unread"), lambda: "Unread" in tracer, lambda: list(tracer)):
        with pytest.raises(bulk._NeedRecord):
            ask()


# -- answers the compiled reader gives itself (HelkReader.remember) ----------------------------

_LOGON = {key: value for key, value in BASE.items() if key != "tags"}
_ANSWERED_RECORDS = {
    "logon": _LOGON,
    "sysmon": {
        **_LOGON,
        "EventID": 1,
        "SourceName": "Microsoft-Windows-Sysmon",
        "Channel": "Microsoft-Windows-Sysmon/Operational",
        "UtcTime": "2024-05-06 08:59:59.500",
        "Image": "C:\\Windows\\System32\\cmd.exe",
        "User": "CORP\\alice",
    },
    "skipped": {**_LOGON, "EventID": 4103},  # no handler
    "nothing": {  # a 4663 read: its handler gives no event
        **_LOGON,
        "EventID": 4663,
        "ObjectType": "File",
        "AccessMask": "0x1",
        "SubjectUserName": "alice",
    },
}
_MISSING = object()
#: The values an answer depends on besides the keys that made it, each as a line would hold it.
_ANSWER_VARIANTS: dict[str, list[Any]] = {
    "RecordNumber": [7, "8", -5, 0, 2**63, 2**64 - 1, None, _MISSING, ""],
    "@timestamp": [
        "2024-05-06T10:00:00Z",
        "2024-05-06 10:00:00.25",
        "",
        None,
        _MISSING,
        1715000000,
        "2024-05-06T09:00:00+01:00",
        "2024-02-30T09:00:00Z",
        "2024-05-06T09:00:00.1234567Z",
        " 2024-05-06T09:00:00Z",
    ],
    "UtcTime": ["", 0, 7, None, _MISSING, "2024-05-06T09:00:00Z", "junk", "2023-02-29 00:00:00"],
    "EventData": [None, "x", 5],
    "EventRecordID": [9],
    "EventTime": ["2024-05-06 11:00:00"],
    "Hostname": ["wks1.CORP.local", _MISSING, None],
    "Channel": [_MISSING, None, "security"],
    "IpAddress": [_MISSING, None, "", "10.0.0.8"],
    "TargetUserName": [_MISSING, None, "", "ALICE"],
    "LogonType": [_MISSING, None, 3, "10"],
}


def _variant(record: dict[str, Any], key: str, value: Any) -> bytes:
    changed = {k: v for k, v in record.items() if k != key}
    if value is not _MISSING:
        changed[key] = value
    return orjson.dumps(changed)


def _count_answers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Per line the compiled reader read, whether it answered it: line by line (``read``'s
    ``_HIT`` tuples) or a run of lines in one call (``read_hits``, or ``read_hits_at`` over a
    block's bytes; the line it stops at, read, is handed back unanswered)."""
    answered: list[bool] = []
    real_read, real_hits = HelkTemplates.read, HelkTemplates.read_hits
    real_hits_at = HelkTemplates.read_hits_at

    def spy(self: HelkTemplates, line: bytes) -> Any:
        values = real_read(self, line)
        if values is not None:
            answered.append(values[0] is bulk._HIT)
        return values

    def spy_hits(self: HelkTemplates, *args: Any) -> Any:
        found = real_hits(self, *args)
        answered.extend([True] * found[2])
        if type(found[4]) is tuple:
            answered.append(False)
        return found

    def spy_hits_at(self: HelkTemplates, *args: Any) -> Any:  # a block's lines in place
        found = real_hits_at(self, *args)
        answered.extend([True] * found[3])
        if type(found[5]) is tuple:
            answered.append(False)
        return found

    monkeypatch.setattr(HelkTemplates, "read", spy)
    monkeypatch.setattr(HelkTemplates, "read_hits", spy_hits)
    monkeypatch.setattr(HelkTemplates, "read_hits_at", spy_hits_at)
    return answered


def _answered_lines() -> list[bytes]:
    """Per record: itself (Python parses it and tells the reader), the same with the next record
    numbers (answered by the reader), then every variant three times, another record number
    after the first (a new meta is told to the reader by the third)."""
    lines = []
    for record in _ANSWERED_RECORDS.values():
        lines += [orjson.dumps(record), *(_variant(record, "RecordNumber", n) for n in (2, 3))]
        for key, values in _ANSWER_VARIANTS.items():
            for value in values:
                changed = _variant(record, key, value)
                lines += [changed, _variant(record, "RecordNumber", 4), changed, changed]
    return lines


@needs_native
def test_answers_are_the_python_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines equal to one parsed before on the keys that decided it are answered by the compiled
    reader: the same events, dead letters and counters as the Python path and the per-record
    parser, for every variant of the values an answer also depends on (record numbers, times,
    Sysmon's UtcTime, EventData, hosts), after a skipped meta and a handler that gives nothing."""
    answered = _count_answers(monkeypatch)
    lines = _answered_lines()
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join(lines) + b"\n")
    events = assert_same([str(path)], per_record=True)[0]
    assert len(events) > 100
    assert 50 < sum(answered) < len(answered)


@needs_native
def test_answers_carry_their_reader_tenant() -> None:
    """An answer is an event of the tenant it was made for: another tenant's line is parsed by
    Python (and the reader's answers are then that tenant's)."""
    from schemas.parsers.base import ParseContext

    templates = HelkTemplates()
    python = HelkTemplates(native=False)
    first, second = (_variant(_LOGON, "RecordNumber", n) for n in (1, 2))
    for tenant in ("t", "u", "t"):
        ctx = ParseContext(tenant=tenant)
        # the meta, the handler's slots, then the template told to the reader
        for _ in range(3):
            values = templates.read(first)
            assert values is not None
            assert [e.tenant for e in templates.parse_values(values, first, ctx)] == [tenant]
        answer = templates.read(second)
        assert answer is not None and answer[0] is bulk._HIT
        got = templates.parse_values(answer, second, ctx)
        assert repr(got) == repr(python.parse(orjson.loads(second), ctx))
    assert templates.native.remembered() > 0
    templates.native.forget()
    assert templates.native.remembered() == 0
    assert templates.read(second)[0] is not bulk._HIT  # type: ignore[index]


#: Lines the block loop must pass over, stop at or dead-letter as the per-line loop does.
_ODD_LINES = [
    b"",
    b"  \t",
    b"\x0b\x0c \r",
    b"not json",
    b'{"EventID": 4624, "Channel": "Security"',
    b"[1, 2]",
    b'{"EventID": 4624, "EventData": {"TargetUserName": "bob"}}',
    b"x" * (1 << 20) + b"y",
]


@needs_native
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    picks=st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=120),
    block_bytes=st.sampled_from([1 << 10, 8 << 10, 1 << 22]),
)
def test_answered_runs_in_one_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, picks: list[int], block_bytes: int
) -> None:
    """The compiled reader answers a run of a block's lines in one call (``read_hits``, round
    22): on answered lines mixed with blank, whitespace-only, over-long, invalid and
    Python-only lines, cut into blocks of any size, the events, dead letters and counters are
    those of the pure-Python path, and most lines are answered within the runs."""
    import schemas.readers

    monkeypatch.setattr(schemas.readers, "LINE_BLOCK_BYTES", block_bytes)
    answerable = _answered_lines()
    lines = [
        _ODD_LINES[pick % len(_ODD_LINES)] if pick % 7 == 0 else answerable[pick % len(answerable)]
        for pick in picks
    ]
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join(answerable[:3] + lines) + b"\n")
    answered = _count_answers(monkeypatch)
    assert_same([str(path)])
    if len(lines) > 60:
        assert sum(answered) > 0


@needs_native
def test_run_answers_skip_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Once answers are remembered, a block's answered lines never reach Python one by one: the
    per-line ``read`` sees only the lines the reader stops at (round 22: ~1 us of Python a
    line less)."""
    lines = _answered_lines()
    path = tmp_path / "helk.json"
    path.write_bytes(b"\n".join(lines + lines) + b"\n")
    per_line: list[bytes] = []
    real_read = HelkTemplates.read

    def spy(self: HelkTemplates, line: bytes) -> Any:
        per_line.append(line)
        return real_read(self, line)

    monkeypatch.setattr(HelkTemplates, "read", spy)
    answered = _count_answers(monkeypatch)
    assert_same([str(path)])
    assert sum(answered) > len(lines) // 2
    assert len(per_line) < len(lines) // 4
