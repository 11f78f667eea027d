//! `vigil_native`: compiled fast paths for `schemas/parsers/syslog.py` (RFC 3164 sshd and sudo
//! lines) and `schemas/parsers/bulk.py` (flat HELK JSON lines).
//!
//! Python builds the Events; this module only reads the line (see `sshd.rs` and `helk.rs` for
//! the contracts).

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDateTime, PyDict, PyInt, PyList, PyString, PyTuple, PyTzInfo};
use pyo3::intern;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

mod groups;
mod prefix;
mod helk;
mod sshd;
mod batch;
mod smooth;
mod lines;

/// Interned Python strings for the values that repeat on every line.
fn text<'py>(py: Python<'py>, value: &str) -> Bound<'py, PyString> {
    match value {
        "" => intern!(py, "").clone(),
        "password" => intern!(py, "password").clone(),
        "publickey" => intern!(py, "publickey").clone(),
        "keyboard-interactive" => intern!(py, "keyboard-interactive").clone(),
        "bad_password" => intern!(py, "bad_password").clone(),
        "invalid_user" => intern!(py, "invalid_user").clone(),
        "bad_key" => intern!(py, "bad_key").clone(),
        "auth_failed" => intern!(py, "auth_failed").clone(),
        "not_allowed" => intern!(py, "not_allowed").clone(),
        "closed_preauth" => intern!(py, "closed_preauth").clone(),
        "root" => intern!(py, "root").clone(),
        other => PyString::new(py, other),
    }
}

fn leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// `_rfc3164_time`'s first branch: the stamp in the year of the line before when it is in that
/// line's month, if `datetime(...)` accepts it and it lies in [MIN_TIME, MAX_TIME) (1990-2099,
/// UTC). Anything else (another month, an impossible date) is Python's, which may raise.
fn same_month_time<'py>(
    py: Python<'py>,
    year_month: Option<&Bound<'py, PyAny>>,
    [mon, day, hh, mi, ss]: [u8; 5],
) -> PyResult<Option<Bound<'py, PyDateTime>>> {
    let Some(Ok((year, month))) = year_month.map(|v| v.extract::<(i32, u8)>()) else {
        return Ok(None);
    };
    let days = match mon {
        2 if leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if month != mon || !(1990..=2099).contains(&year) || day < 1 || day > days || hh > 23 || mi > 59 || ss > 59 {
        return Ok(None);
    }
    let utc = PyTzInfo::utc(py)?;
    Ok(Some(PyDateTime::new(py, year, mon, day, hh, mi, ss, 0, Some(&utc))?))
}

/// `sshd_line(line, year_month) -> tuple | None`: for an RFC 3164 line of sshd (or of a
/// program without a handler there: kind 0) that `SyslogParser` reads exactly so, `(stamp_key, time, month, day, hour, minute, second, dst_host, kind,
/// user, src_ip, src_host, auth_protocol, reason, count, port)` (port: the source port of
/// kinds 2 and 6, else ""); `time` is the line's UTC datetime
/// when its month is the one of `year_month` (`ctx.state`'s last `(year, month)`), else None
/// (Python infers the year); kind 0 is a line without an event, 1-4 accepted, failed, invalid
/// user, not allowed, 6 a connection closed before authentication, and 5 a sudo command: `(..., kind=5, user, target_user, object, "",
/// reason, 1)` (`SyslogParser`'s `_sudo`). None: parse the line in Python.
#[pyfunction]
#[pyo3(signature = (line, year_month=None, /))]
fn sshd_line<'py>(
    py: Python<'py>,
    line: &Bound<'py, PyString>,
    year_month: Option<&Bound<'py, PyAny>>,
) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let Ok(line) = line.to_str() else {
        return Ok(None); // lone surrogates: Python's
    };
    let Some(hit) = sshd::parse(line) else {
        return Ok(None);
    };
    let [mon, day, hh, mi, ss] = hit.stamp;
    let key = ((((mon as u64 * 100 + day as u64) * 100 + hh as u64) * 100 + mi as u64) * 100) + ss as u64;
    let time = match same_month_time(py, year_month, hit.stamp)? {
        Some(t) => t.into_any(),
        None => py.None().into_bound(py),
    };
    let kind: u8 = match hit.kind {
        sshd::Kind::Skip => 0,
        sshd::Kind::Accepted => 1,
        sshd::Kind::Failed => 2,
        sshd::Kind::InvalidUser => 3,
        sshd::Kind::NotAllowed => 4,
        sshd::Kind::Sudo => 5,
        sshd::Kind::ClosedPreauth => 6,
    };
    // sudo.command carries target_user and object where sshd's events carry the peer
    let (slot_a, slot_b) = if kind == 5 {
        (&hit.target_user, &hit.object)
    } else {
        (&hit.src_ip, &hit.src_host)
    };
    let items: [Bound<'py, PyAny>; 16] = [
        key.into_pyobject(py)?.into_any(),
        time,
        mon.into_pyobject(py)?.into_any(),
        day.into_pyobject(py)?.into_any(),
        hh.into_pyobject(py)?.into_any(),
        mi.into_pyobject(py)?.into_any(),
        ss.into_pyobject(py)?.into_any(),
        PyString::new(py, &hit.dst_host).into_any(),
        kind.into_pyobject(py)?.into_any(),
        text(py, &hit.user).into_any(),
        text(py, slot_a).into_any(),
        text(py, slot_b).into_any(),
        text(py, &hit.auth_protocol).into_any(),
        text(py, &hit.reason).into_any(),
        hit.count.into_pyobject(py)?.into_any(),
        PyString::new(py, &hit.port).into_any(),
    ];
    Ok(Some(PyTuple::new(py, items)?))
}

/// `HelkReader(absent)`: reads the values of the keys it was given (`add_key`) from flat HELK
/// JSON lines; `read(line)` is a tuple by slot (`absent` where the key is missing), or None
/// when the line must be decoded and parsed in Python (`helk.rs` has the contract).
#[pyclass(module = "vigil_native")]
struct HelkReader {
    slots: helk::Slots,
    /// Per slot: whether its text values repeat (hosts, users, providers), so are kept.
    interned: Vec<bool>,
    /// Text values already made, by content: no new string per line for values that repeat,
    /// and Python hashes each one once (the meta and template keys are tuples of them).
    strings: HashMap<Box<str>, Py<PyString>, BuildHasherDefault<helk::KeyHash>>,
    absent: Py<PyAny>,
    /// Python's answers for lines it has parsed (`remember`, `remember_skip`): a line equal to
    /// one of them on the keys that decided it is answered here (`Hit`), without a tuple.
    known: helk::Known<Py<PyAny>>,
    /// `set_layout`'s marker of a hit and slots of the fixed keys; None: no hits.
    layout: Option<(Py<PyAny>, helk::Layout)>,
}

/// Strings kept by a `HelkReader` before it forgets them all, and the longest kept: together
/// they bound its memory (~10 MB) on endless variety or huge values under a read key.
const MAX_STRINGS: usize = 65_536;
const MAX_STRING_BYTES: usize = 128;

#[pymethods]
impl HelkReader {
    #[new]
    fn new(absent: Py<PyAny>) -> Self {
        HelkReader {
            slots: helk::Slots::default(),
            interned: Vec::new(),
            strings: HashMap::default(),
            absent,
            known: helk::Known::default(),
            layout: None,
        }
    }

    /// Turns hits on: `hit` starts a hit's tuple; the slots of EventData, RecordNumber,
    /// UtcTime and @timestamp (`schemas/parsers/bulk.py` has the fixed keys).
    fn set_layout(&mut self, hit: Py<PyAny>, event_data: usize, record_number: usize, utc_time: usize, timestamp: usize) {
        self.layout = Some((hit, helk::Layout { event_data, record_number, utc_time, timestamp }));
    }

    /// Remembers that lines with these meta values (the first six slots) and no EventData
    /// give nothing (`HelkTemplates.parse_values`' `_SKIP`). False when a value is not one the
    /// reader gives (then nothing is kept).
    fn remember_skip(&mut self, meta: &Bound<'_, PyTuple>) -> bool {
        let Some(meta) = self.owned_all(meta) else {
            return false;
        };
        self.known.remember_skip(&meta);
        true
    }

    /// Remembers `template` for lines with these meta values whose values in `slots` (the
    /// handler's keys, by slot) are `key`; `prefix` starts the record id, `sysmon` says
    /// UtcTime is read first. False when a value is not one the reader gives.
    fn remember(
        &mut self,
        meta: &Bound<'_, PyTuple>,
        slots: Vec<usize>,
        prefix: String,
        sysmon: bool,
        key: &Bound<'_, PyTuple>,
        template: Py<PyAny>,
    ) -> bool {
        let (Some(meta), Some(key)) = (self.owned_all(meta), self.owned_all(key)) else {
            return false;
        };
        if key.len() != slots.len() || slots.iter().any(|&slot| slot >= self.slots.len()) {
            return false;
        }
        self.known.remember(&meta, slots, prefix, sysmon, &key, template);
        true
    }

    /// Forgets every remembered answer.
    fn forget(&mut self) {
        self.known.clear();
    }

    /// How many answers are remembered (metas and templates).
    fn remembered(&self) -> usize {
        self.known.len()
    }

    /// The slot of `key` in `read`'s tuples, a new one (the next number) if it is new;
    /// `intern`: its text values repeat (not so times and record numbers).
    #[pyo3(signature = (key, intern=true))]
    fn add_key(&mut self, key: &str, intern: bool) -> usize {
        let next = self.slots.len();
        let slot = *self.slots.entry(Box::from(key)).or_insert(next);
        if slot == next {
            self.interned.push(intern);
        }
        slot
    }

    /// The lines of `lines` from `start` on that the reader answers itself, as one call: each
    /// is what `read` followed by `HelkTemplates.parse_values` on its `_HIT` tuple gives (an
    /// event `replace(template, time=..., record_id=...)`, or none for a skipped meta and a
    /// template `nothing`), and a blank line (`bytes.strip()` empty) is passed over as the
    /// caller's loop passes it. Stops at the first other line: one longer than `max_bytes`
    /// (not read), or one without a remembered answer (read: its `read` result is handed back,
    /// so that the caller does not scan it twice). Returns (events, the index stopped at, lines
    /// answered, of which without an event, the stopped line's `read` result or `absent` when
    /// it was not read or there is none).
    #[allow(clippy::too_many_arguments)]
    fn read_hits<'py>(
        &mut self,
        py: Python<'py>,
        lines: &Bound<'py, PyList>,
        start: usize,
        max_bytes: usize,
        nothing: &Bound<'py, PyAny>,
        replace: &Bound<'py, PyAny>,
    ) -> PyResult<(Bound<'py, PyList>, usize, usize, usize, Bound<'py, PyAny>)> {
        let events = PyList::empty(py);
        let (mut answered, mut skipped) = (0usize, 0usize);
        let total = lines.len();
        let mut index = start;
        let kwargs = PyDict::new(py);
        while index < total {
            let item = lines.get_item(index)?;
            let line = item.cast::<PyBytes>()?.as_bytes();
            if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)) {
                index += 1;
                continue;
            }
            if line.len() > max_bytes {
                break;
            }
            let Some(values) = helk::scan(line, &self.slots) else {
                return Ok((events, index, answered, skipped, py.None().into_bound(py)));
            };
            let Some((_, layout)) = &self.layout else {
                let read = self.values_tuple(py, values)?.into_any();
                return Ok((events, index, answered, skipped, read));
            };
            match self.known.answer(&values, layout) {
                Some(helk::Answer::Skip) => skipped += 1,
                Some(helk::Answer::Event { template, time, record_id }) => {
                    match answered_event(py, template.bind(py), time, &record_id, nothing, replace, &kwargs)? {
                        Some(event) => events.append(event)?,
                        None => skipped += 1,
                    }
                }
                None => {
                    let read = self.values_tuple(py, values)?.into_any();
                    return Ok((events, index, answered, skipped, read));
                }
            }
            answered += 1;
            index += 1;
        }
        Ok((events, index, answered, skipped, self.absent.clone_ref(py).into_bound(py)))
    }

    fn read<'py>(&mut self, py: Python<'py>, line: &[u8]) -> PyResult<Option<Bound<'py, PyTuple>>> {
        let Some(values) = helk::scan(line, &self.slots) else {
            return Ok(None);
        };
        if let Some((marker, layout)) = &self.layout {
            match self.known.answer(&values, layout) {
                Some(helk::Answer::Skip) => {
                    let none = py.None();
                    let items = [marker.clone_ref(py), none.clone_ref(py), none.clone_ref(py), none];
                    return Ok(Some(PyTuple::new(py, items)?));
                }
                Some(helk::Answer::Event { template, time, record_id }) => {
                    let when = utc_datetime(py, time)?;
                    let items: [Bound<'py, PyAny>; 4] = [
                        marker.clone_ref(py).into_bound(py),
                        template.clone_ref(py).into_bound(py),
                        when.into_any(),
                        PyString::new(py, &record_id).into_any(),
                    ];
                    return Ok(Some(PyTuple::new(py, items)?));
                }
                None => {}
            }
        }
        self.values_tuple(py, values).map(Some)
    }
}

impl HelkReader {
    /// A line's values as `read`'s tuple by slot (`absent` for a missing key).
    fn values_tuple<'py>(&mut self, py: Python<'py>, values: Vec<Option<helk::Scalar<'_>>>) -> PyResult<Bound<'py, PyTuple>> {
        let mut items: Vec<Bound<'py, PyAny>> = Vec::with_capacity(values.len());
        for (slot, value) in values.into_iter().enumerate() {
            items.push(match value {
                None => self.absent.clone_ref(py).into_bound(py),
                Some(helk::Scalar::Str(s)) if self.interned[slot] && s.len() <= MAX_STRING_BYTES => {
                    if let Some(known) = self.strings.get(s.as_ref()) {
                        known.clone_ref(py).into_bound(py).into_any()
                    } else {
                        if self.strings.len() >= MAX_STRINGS {
                            self.strings.clear();
                        }
                        let made = PyString::new(py, &s);
                        self.strings.insert(Box::from(s.as_ref()), made.clone().unbind());
                        made.into_any()
                    }
                }
                Some(helk::Scalar::Str(s)) => PyString::new(py, &s).into_any(),
                Some(helk::Scalar::Int(v)) => v.into_pyobject(py)?.into_any(),
                Some(helk::Scalar::UInt(v)) => v.into_pyobject(py)?.into_any(),
                Some(helk::Scalar::Null) => py.None().into_bound(py),
            });
        }
        PyTuple::new(py, items)
    }

    /// The values of a Python tuple as the reader gives them (text, an int within 64 bits,
    /// None, `absent`), or None when one is anything else.
    fn owned_all(&self, items: &Bound<'_, PyTuple>) -> Option<Vec<helk::Owned>> {
        items.iter().map(|item| self.owned(&item)).collect()
    }

    fn owned(&self, item: &Bound<'_, PyAny>) -> Option<helk::Owned> {
        if item.is(&self.absent) {
            Some(helk::Owned::Absent)
        } else if item.is_none() {
            Some(helk::Owned::Null)
        } else if item.is_exact_instance_of::<PyString>() {
            Some(helk::Owned::Str(item.extract::<String>().ok()?.into_boxed_str()))
        } else if item.is_exact_instance_of::<PyInt>() {
            if let Ok(v) = item.extract::<i64>() {
                Some(helk::Owned::Int(i128::from(v)))
            } else {
                Some(helk::Owned::Int(i128::from(item.extract::<u64>().ok()?)))
            }
        } else {
            None
        }
    }
}

/// `iso_time(text)`: `parse_time(text)` for the ISO forms HELK exports write
/// (`2024-05-06T00:18:10.466Z`, Sysmon's `2024-05-06 00:18:10.466`) as an aware UTC datetime;
/// None for anything else (Python parses it, and raises what it raises).
#[pyfunction]
fn iso_time<'py>(py: Python<'py>, text: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyDateTime>>> {
    let Ok(text) = text.to_str() else {
        return Ok(None);
    };
    let Some((year, month, day, hour, minute, second, micro)) = helk::iso_utc(text) else {
        return Ok(None);
    };
    Ok(Some(utc_datetime(py, (year, month, day, hour, minute, second, micro))?))
}

/// An answered line's time (`helk::iso_utc`'s parts) as an aware UTC datetime.
fn utc_datetime(py: Python<'_>, time: (i32, u8, u8, u8, u8, u8, u32)) -> PyResult<Bound<'_, PyDateTime>> {
    let (year, month, day, hour, minute, second, micro) = time;
    let utc = PyTzInfo::utc(py)?;
    PyDateTime::new(py, year, month, day, hour, minute, second, micro, Some(&utc))
}

/// The event of a line the reader answered (`HelkReader.read_hits`, `lines::helk_hits_at`):
/// `replace(template, time=..., record_id=...)`, or None for the template `nothing` (a line
/// read as no event). `kwargs`: a dict the caller keeps across lines (its two items are set
/// here).
pub(crate) fn answered_event<'py>(
    py: Python<'py>,
    template: &Bound<'py, PyAny>,
    time: (i32, u8, u8, u8, u8, u8, u32),
    record_id: &str,
    nothing: &Bound<'py, PyAny>,
    replace: &Bound<'py, PyAny>,
    kwargs: &Bound<'py, PyDict>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if template.is(nothing) {
        return Ok(None);
    }
    kwargs.set_item(intern!(py, "time"), utc_datetime(py, time)?)?;
    kwargs.set_item(intern!(py, "record_id"), PyString::new(py, record_id))?;
    replace.call((template,), Some(kwargs)).map(Some)
}

#[pymodule]
fn vigil_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sshd_line, m)?)?;
    m.add_function(wrap_pyfunction!(iso_time, m)?)?;
    m.add_class::<HelkReader>()?;
    m.add_function(wrap_pyfunction!(lines::helk_hits_at, m)?)?;
    m.add_function(wrap_pyfunction!(lines::count_lines, m)?)?;
    m.add_function(wrap_pyfunction!(groups::stable_argsort, m)?)?;
    m.add_function(wrap_pyfunction!(groups::stable_groups, m)?)?;
    m.add_function(wrap_pyfunction!(groups::unique_inverse, m)?)?;
    m.add_function(wrap_pyfunction!(prefix::group_positions, m)?)?;
    m.add_function(wrap_pyfunction!(prefix::sums_before, m)?)?;
    m.add_function(wrap_pyfunction!(smooth::smoothed_stored, m)?)?;
    m.add_function(wrap_pyfunction!(smooth::smoothed_grid, m)?)?;
    m.add_function(wrap_pyfunction!(batch::lookup_ids, m)?)?;
    m.add_function(wrap_pyfunction!(batch::event_basics, m)?)?;
    Ok(())
}
