//! `helk_hits_at`: `HelkReader.read_hits` over the lines of one read block as it came from the
//! file, found here, instead of over a list of one `bytes` object per line.
//!
//! `schemas/readers.py` (`_line_blocks`) reads plain inputs in 1 MiB blocks. Splitting a block
//! into a list of lines made a Python `bytes` (an allocation and a copy) for every line, ~0.5 us
//! a 1.1 KB HELK line, when the compiled reader answers most lines without Python seeing them.
//! Here the block stays one `bytes` object and the reader walks its lines in place (`memchr`
//! speed); Python slices out only the line it stops at. Same answers, same stops, same order as
//! `read_hits` on `block.split(b"\n")`'s lines: this is its loop with another source of lines.

use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::helk;
use crate::HelkReader;

/// `HelkReader.read_hits(lines, start, ...)` where `lines` would be the `remaining` lines of
/// `data` from byte `offset` on, each ending at the next `\n` (or at the end of `data`).
/// Returns (events, lines passed, the byte offset of the line it stopped at (past the last
/// line when it did not stop), lines answered, of which without an event, the stopped line's
/// `read` result or `absent` when it was not read), as `read_hits` does but for the second and
/// third items (its index of the stop is `start + lines passed`).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[allow(clippy::type_complexity)]
pub fn helk_hits_at<'py>(
    py: Python<'py>,
    reader: &Bound<'py, HelkReader>,
    data: &Bound<'py, PyBytes>,
    offset: usize,
    remaining: usize,
    max_bytes: usize,
    nothing: &Bound<'py, PyAny>,
    replace: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyList>, usize, usize, usize, usize, Bound<'py, PyAny>)> {
    let mut guard = reader.borrow_mut();
    let this: &mut HelkReader = &mut guard;
    let bytes = data.as_bytes();
    let events = PyList::empty(py);
    let (mut answered, mut skipped, mut passed) = (0usize, 0usize, 0usize);
    let mut at = offset.min(bytes.len());
    let kwargs = PyDict::new(py);
    while passed < remaining {
        let rest = &bytes[at.min(bytes.len())..];
        let len = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let line = &rest[..len];
        let next = at + len + 1;
        if line.iter().all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)) {
            passed += 1;
            at = next;
            continue;
        }
        if line.len() > max_bytes {
            break;
        }
        let Some(values) = helk::scan(line, &this.slots) else {
            return Ok((events, passed, at, answered, skipped, py.None().into_bound(py)));
        };
        let hit = match &this.layout {
            None => None,
            Some((_, layout)) => {
                match this.known.answer(&values, layout) {
                    None => None,
                    Some(helk::Answer::Skip) => Some(None),
                    Some(helk::Answer::Event { template, time, record_id }) => {
                        Some(Some((template.clone_ref(py), time, record_id)))
                    }
                }
            }
        };
        match hit {
            None => {
                let read = this.values_tuple(py, values)?.into_any();
                return Ok((events, passed, at, answered, skipped, read));
            }
            Some(None) => skipped += 1,
            Some(Some((template, time, record_id))) => {
                match crate::answered_event(py, template.bind(py), time, &record_id, nothing, replace, &kwargs)? {
                    Some(event) => events.append(event)?,
                    None => skipped += 1,
                }
            }
        }
        answered += 1;
        passed += 1;
        at = next;
    }
    let absent = this.absent.clone_ref(py).into_bound(py);
    Ok((events, passed, at, answered, skipped, absent))
}

/// `data.count(b"\n")`: the lines of a read block (`schemas/readers.py`'s `_Block`), counted
/// with `memchr` (~0.3 ms a MiB for `bytes.count`'s byte loop, ~2 % of a `vigil detect` run).
#[pyfunction]
pub fn count_lines(data: &Bound<'_, PyBytes>) -> usize {
    memchr::memchr_iter(b'\n', data.as_bytes()).count()
}
