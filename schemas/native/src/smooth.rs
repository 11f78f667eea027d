//! `rare_time_of_week`'s smoothed hour-of-week lookups (`detectors/time_profile.py`,
//! `smoothed_stored` and `_SmoothedIndex.evaluate` on its hour grid) in one call each.
//!
//! Round 25 profile (the throughput scenario, cProfile): the detector's per-batch time was
//! ~14 rounds of `evaluate` (the held-back fixed point) and ~3 index set-ups, each a loop over
//! the smoothing kernel's 23 offsets of 2-4 numpy calls on a few thousand rows: ~60 % of the
//! detector in numpy's per-call overhead. Here each is one pass.
//!
//! The answers are numpy's bit for bit: every float is the result of the same IEEE operations
//! in the same order as the numpy path (`bincount` adds weights in row order, `cumsum` and
//! `add.accumulate` add left to right, `recent += weight * value` term by term in the kernel's
//! order; Rust does not fuse a multiply and an add unless asked). Nothing transcendental is
//! computed here (`exp`/`log` stay numpy's).

use pyo3::buffer::{Element, PyBuffer};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyByteArray;

/// Hours in a week: the profile's bins.
const BINS: i64 = 168;

fn float_bytes<'py>(py: Python<'py>, values: &[f64]) -> Bound<'py, PyByteArray> {
    // SAFETY: an f64 slice is valid as len * 8 initialised bytes (u8 has no alignment needs).
    let bytes = unsafe {
        std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
    };
    PyByteArray::new(py, bytes)
}

fn out_of_range(what: &str) -> PyErr {
    PyValueError::new_err(format!("smoothed lookup: {what} out of range"))
}

/// `time_profile.smoothed_stored`: per row, the sum over the kernel of
/// `weight * profile[entity, (hour - offset) mod 168] * decay`, term by term in the kernel's
/// order (`profile` is the C-ordered `entities x 168` block, flat).
#[pyfunction]
pub fn smoothed_stored<'py>(
    py: Python<'py>,
    profile: &Bound<'py, PyAny>,
    entity: &Bound<'py, PyAny>,
    hour: &Bound<'py, PyAny>,
    decay: &Bound<'py, PyAny>,
    offsets: &Bound<'py, PyAny>,
    weights: &Bound<'py, PyAny>,
) -> PyResult<Bound<'py, PyByteArray>> {
    let float_buffers = [profile, decay, weights].map(PyBuffer::<f64>::get);
    let float_buffers: Vec<PyBuffer<f64>> = float_buffers.into_iter().collect::<PyResult<_>>()?;
    let int_buffers = [entity, hour, offsets].map(PyBuffer::<i64>::get);
    let int_buffers: Vec<PyBuffer<i64>> = int_buffers.into_iter().collect::<PyResult<_>>()?;
    let (flat, decay, weights) =
        (borrow(&float_buffers[0])?, borrow(&float_buffers[1])?, borrow(&float_buffers[2])?);
    let (entity, hour, offsets) =
        (borrow(&int_buffers[0])?, borrow(&int_buffers[1])?, borrow(&int_buffers[2])?);
    let n = hour.len();
    if entity.len() != n || decay.len() != n || offsets.len() != weights.len() {
        return Err(PyValueError::new_err("smoothed_stored: lengths differ"));
    }
    let mut result = vec![0.0f64; n];
    for i in 0..n {
        let start = entity[i].checked_mul(BINS).ok_or_else(|| out_of_range("entity"))?;
        let mut sum = 0.0f64;
        for (&offset, &weight) in offsets.iter().zip(weights) {
            let at = start + (hour[i] - offset).rem_euclid(BINS);
            let value = *usize::try_from(at)
                .ok()
                .and_then(|at| flat.get(at))
                .ok_or_else(|| out_of_range("profile row"))?;
            // numpy: result += weight * flat[...] * decay, i.e. (weight * value) * decay
            sum += weight * value * decay[i];
        }
        result[i] = sum;
    }
    Ok(float_bytes(py, &result))
}

/// `_GroupPrefix.before`: with `order` the stable order of the keys and `start` where each
/// sorted position's run begins, numpy's `inclusive = cumsum(values[order])`,
/// `exclusive = inclusive - sorted`, `result[order] = exclusive - exclusive[start]`.
fn group_before(order: &[i64], start: &[i64], values: &[f64], exclusive: &mut [f64], result: &mut [f64]) {
    let n = order.len();
    let mut running = 0.0f64;
    for j in 0..n {
        let value = values[order[j] as usize];
        running = if j == 0 { value } else { running + value };
        exclusive[j] = running - value;
    }
    for j in 0..n {
        result[order[j] as usize] = exclusive[j] - exclusive[start[j] as usize];
    }
}

fn check_permutation(order: &[i64], start: &[i64], n: usize) -> PyResult<()> {
    let fits = |&v: &i64| v >= 0 && (v as usize) < n;
    let valid = order.len() == n && start.len() == n && order.iter().all(fits) && start.iter().all(fits);
    if valid { Ok(()) } else { Err(out_of_range("group order")) }
}

/// `_SmoothedIndex.evaluate(keep)` on the hour grid: `(at_hour, total)`.
///
/// `w = where(keep, growth, 0)`; the grid is `bincount(cell, w, cells)` (summed along the
/// weekly lattice when `columns > 168`); per offset `k` a row reads grid cell
/// `cell - backs[k]` (or 0 when its column is before the batch) plus, for a whole-week offset,
/// the same cell's earlier rows (`same_*`: the cell's stable order and run starts);
/// `recent += weights[k] * value`. Then `at_hour = stored_at_hour + recent * decay_now` and
/// `total = total_stored + before(entity) * decay_now` (`entity_*`: the entity's order).
#[pyfunction]
#[allow(clippy::too_many_arguments)]
pub fn smoothed_grid<'py>(
    py: Python<'py>,
    keep: &Bound<'py, PyAny>,
    growth: &Bound<'py, PyAny>,
    cell: &Bound<'py, PyAny>,
    column: &Bound<'py, PyAny>,
    shape: (i64, i64),
    backs: &Bound<'py, PyAny>,
    whole_week: &Bound<'py, PyAny>,
    weights: &Bound<'py, PyAny>,
    same: (Bound<'py, PyAny>, Bound<'py, PyAny>),
    by_entity: (Bound<'py, PyAny>, Bound<'py, PyAny>),
    decay_now: &Bound<'py, PyAny>,
    stored_at_hour: &Bound<'py, PyAny>,
    total_stored: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyByteArray>, Bound<'py, PyByteArray>)> {
    // Inputs are read in place (no copies: with ~15 copies of 8k rows a call, glibc gave the
    // freed memory back to the system and faulted it in again on every call, ~6x the work).
    let buffers = (PyBuffer::<u8>::get(keep)?, PyBuffer::<f64>::get(growth)?);
    let (keep, growth) = (borrow(&buffers.0)?, borrow(&buffers.1)?);
    let int_buffers = [cell, column, backs, whole_week, &same.0, &same.1, &by_entity.0, &by_entity.1]
        .map(PyBuffer::<i64>::get);
    let int_buffers: Vec<PyBuffer<i64>> = int_buffers.into_iter().collect::<PyResult<_>>()?;
    let [cell, column, backs, whole_week, same_order, same_start, entity_order, entity_start] =
        [0, 1, 2, 3, 4, 5, 6, 7].map(|at| borrow(&int_buffers[at]));
    let (cell, column, backs, whole_week) = (cell?, column?, backs?, whole_week?);
    let (same_order, same_start, entity_order, entity_start) =
        (same_order?, same_start?, entity_order?, entity_start?);
    let float_buffers = [weights, decay_now, stored_at_hour, total_stored].map(PyBuffer::<f64>::get);
    let float_buffers: Vec<PyBuffer<f64>> = float_buffers.into_iter().collect::<PyResult<_>>()?;
    let [weights, decay_now, stored_at_hour, total_stored] =
        [0, 1, 2, 3].map(|at| borrow(&float_buffers[at]));
    let (weights, decay_now, stored_at_hour, total_stored) =
        (weights?, decay_now?, stored_at_hour?, total_stored?);
    let n = keep.len();
    let (entities, columns) = shape;
    let lengths_ok = [growth.len(), cell.len(), column.len(), decay_now.len()]
        .iter()
        .chain(&[stored_at_hour.len(), total_stored.len()])
        .all(|&len| len == n)
        && backs.len() == weights.len()
        && whole_week.len() == weights.len();
    if !lengths_ok || entities < 0 || columns <= 0 {
        return Err(PyValueError::new_err("smoothed_grid: lengths or shape differ"));
    }
    let cells = entities.checked_mul(columns).ok_or_else(|| out_of_range("grid"))?;
    let cells_usize = usize::try_from(cells).map_err(|_| out_of_range("grid"))?;
    if cell.iter().any(|&c| c < 0 || c >= cells) || column.iter().any(|&c| c < 0 || c >= columns) {
        return Err(out_of_range("grid cell"));
    }
    if backs.iter().any(|&b| b <= 0) {
        return Err(out_of_range("offset"));
    }
    check_permutation(entity_order, entity_start, n)?;
    check_permutation(same_order, same_start, n)?;
    let any_whole_week = whole_week.iter().any(|&flag| flag != 0);

    SCRATCH.with_borrow_mut(|scratch| {
        // One reused block: w, grid (+ the zero cell), same-cell sums, a prefix-sum buffer, and
        // the two answers.
        scratch.clear();
        scratch.resize(5 * n + cells_usize + 1, 0.0);
        let (w, rest) = scratch.split_at_mut(n);
        let (grid, rest) = rest.split_at_mut(cells_usize + 1);
        let (same_cell, rest) = rest.split_at_mut(n);
        let (exclusive, rest) = rest.split_at_mut(n);
        let (at_hour, total) = rest.split_at_mut(n);
        for i in 0..n {
            w[i] = if keep[i] != 0 { growth[i] } else { 0.0 };
        }
        // grid = bincount(cell, weights=w, minlength=cells)
        for (&c, &value) in cell.iter().zip(w.iter()) {
            grid[c as usize] += value;
        }
        if columns > BINS {
            // cumsum over the weekly lattice: (entity, week, hour) along the weeks.
            let (weeks, bins) = ((columns / BINS) as usize, BINS as usize);
            for e in 0..entities as usize {
                let base = e * columns as usize;
                for week in 1..weeks {
                    for h in 0..bins {
                        let at = base + week * bins + h;
                        grid[at] += grid[at - bins]; // (IEEE addition commutes: numpy's bits)
                    }
                }
            }
        }
        if any_whole_week {
            group_before(same_order, same_start, w, exclusive, same_cell);
        }
        // Offset by offset over every row, as numpy does: each row still adds its terms in
        // the kernel's order, and the rows' sums are independent (no chain of dependent adds).
        at_hour.fill(0.0);
        for k in 0..weights.len() {
            let (back, weight) = (backs[k], weights[k]);
            let same_week = if whole_week[k] != 0 { &same_cell[..] } else { &[][..] };
            let (cell, column, at_hour) = (&cell[..n], &column[..n], &mut at_hour[..n]);
            let reads = cell.iter().zip(column).map(|(&here, &place)| {
                // (a column >= back reads a cell of the same entity, >= 0: checked above)
                if place >= back { (here - back) as usize } else { cells_usize }
            });
            if same_week.is_empty() {
                for (sum, read) in at_hour.iter_mut().zip(reads) {
                    *sum += weight * grid[read];
                }
            } else {
                for ((sum, read), &same) in at_hour.iter_mut().zip(reads).zip(&same_week[..n]) {
                    *sum += weight * (grid[read] + same);
                }
            }
        }
        for i in 0..n {
            at_hour[i] = stored_at_hour[i] + at_hour[i] * decay_now[i];
        }
        group_before(entity_order, entity_start, w, exclusive, total);
        for i in 0..n {
            total[i] = total_stored[i] + total[i] * decay_now[i];
        }
        Ok((float_bytes(py, at_hour), float_bytes(py, total)))
    })
}

thread_local! {
    /// `smoothed_grid`'s working memory, kept between calls (see there).
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A C-contiguous buffer's items, read in place.
fn borrow<T: Element>(buffer: &PyBuffer<T>) -> PyResult<&[T]> {
    let items = buffer
        .as_slice_ptr()
        .ok_or_else(|| PyValueError::new_err("smoothed lookup: an array is not contiguous"))?;
    // SAFETY: `items` is the buffer's C-contiguous memory of `T` (PyBuffer checked the format),
    // kept alive and pinned by `buffer` for the borrow; the caller holds the GIL and runs no
    // Python code while reading, so nothing writes it meanwhile.
    Ok(unsafe { &*items.as_ptr() })
}
