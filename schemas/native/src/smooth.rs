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

use pyo3::buffer::PyBuffer;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyByteArray;

/// Hours in a week: the profile's bins.
const BINS: i64 = 168;

fn floats(py: Python<'_>, values: &Bound<'_, PyAny>) -> PyResult<Vec<f64>> {
    PyBuffer::<f64>::get(values)?.to_vec(py)
}

fn ints(py: Python<'_>, values: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
    PyBuffer::<i64>::get(values)?.to_vec(py)
}

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
    let flat = floats(py, profile)?;
    let entity = ints(py, entity)?;
    let hour = ints(py, hour)?;
    let decay = floats(py, decay)?;
    let offsets = ints(py, offsets)?;
    let weights = floats(py, weights)?;
    let n = hour.len();
    if entity.len() != n || decay.len() != n || offsets.len() != weights.len() {
        return Err(PyValueError::new_err("smoothed_stored: lengths differ"));
    }
    let mut result = vec![0.0f64; n];
    for i in 0..n {
        let start = entity[i].checked_mul(BINS).ok_or_else(|| out_of_range("entity"))?;
        let mut sum = 0.0f64;
        for (&offset, &weight) in offsets.iter().zip(&weights) {
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
fn group_before(order: &[i64], start: &[i64], values: &[f64], result: &mut [f64]) {
    let n = order.len();
    let mut exclusive = vec![0.0f64; n];
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
    let keep = PyBuffer::<u8>::get(keep)?.to_vec(py)?;
    let growth = floats(py, growth)?;
    let cell = ints(py, cell)?;
    let column = ints(py, column)?;
    let backs = ints(py, backs)?;
    let whole_week = ints(py, whole_week)?;
    let weights = floats(py, weights)?;
    let (same_order, same_start) = (ints(py, &same.0)?, ints(py, &same.1)?);
    let (entity_order, entity_start) = (ints(py, &by_entity.0)?, ints(py, &by_entity.1)?);
    let decay_now = floats(py, decay_now)?;
    let stored_at_hour = floats(py, stored_at_hour)?;
    let total_stored = floats(py, total_stored)?;
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
    check_permutation(&entity_order, &entity_start, n)?;
    let any_whole_week = whole_week.iter().any(|&flag| flag != 0);
    if any_whole_week {
        check_permutation(&same_order, &same_start, n)?;
    }

    let w: Vec<f64> = keep.iter().zip(&growth).map(|(&k, &g)| if k != 0 { g } else { 0.0 }).collect();
    // grid = bincount(cell, weights=w, minlength=cells), plus the zero cell at the end.
    let mut grid = vec![0.0f64; cells_usize + 1];
    for (&c, &value) in cell.iter().zip(&w) {
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
                    grid[at] = grid[at - bins] + grid[at];
                }
            }
        }
    }
    let mut same_cell = vec![0.0f64; if any_whole_week { n } else { 0 }];
    if any_whole_week {
        group_before(&same_order, &same_start, &w, &mut same_cell);
    }
    let mut at_hour = vec![0.0f64; n];
    for i in 0..n {
        let mut recent = 0.0f64;
        for k in 0..weights.len() {
            let back = backs[k];
            let read = if column[i] - back >= 0 { (cell[i] - back) as usize } else { cells_usize };
            let mut value = grid[read];
            if whole_week[k] != 0 {
                value = value + same_cell[i];
            }
            recent += weights[k] * value;
        }
        at_hour[i] = stored_at_hour[i] + recent * decay_now[i];
    }
    let mut total = vec![0.0f64; n];
    group_before(&entity_order, &entity_start, &w, &mut total);
    for i in 0..n {
        total[i] = total_stored[i] + total[i] * decay_now[i];
    }
    Ok((float_bytes(py, &at_hour), float_bytes(py, &total)))
}
