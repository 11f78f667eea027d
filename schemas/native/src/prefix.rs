//! Running counts and sums within groups of equal keys, for `detectors/base.py`'s
//! `group_order` and `group_cumsum_before`: one call instead of the ~12 numpy calls (gather,
//! cast, the precision check's five, cumsum, two subtractions, scatter) each made, which the
//! detectors pay ~250 times a batch on arrays of a few hundred rows.
//!
//! The answers are numpy's bit for bit: the same stable order (`groups::stable_order`), the
//! same IEEE operations in the same order (numpy's `cumsum` adds left to right; Rust does not
//! fuse a multiply and an add unless asked). Where numpy's answer hangs on its own summation
//! order (the precision check, see `sums_before`) the kernel answers None and Python takes
//! numpy's path.

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::PyByteArray;

use crate::groups::{int64_bytes, read_keys, stable_order};

/// `base._EXACT_RANGE`: one running sum is exact enough while the values' total stays within
/// this factor of their smallest non-zero magnitude.
const EXACT_RANGE: f64 = 1e9;
/// Inputs up to this many values are decided here: a sum of n non-negative numbers in any
/// order is within (n - 1) * 2**-53 of the exact one relatively (1.2e-10 for 2**20), far
/// inside `UNDECIDED`.
const MAX_DECIDED: usize = 1 << 20;
/// A total within this relative distance of the threshold might compare either way under
/// numpy's pairwise summation: left to numpy.
const UNDECIDED: f64 = 1e-9;

/// Per sorted position, where its run of equal keys starts (as `groups::stable_groups`).
fn run_starts(keys: &[i64], order: &[i64]) -> Vec<usize> {
    let mut start = vec![0usize; order.len()];
    for j in 1..order.len() {
        let same = keys[order[j] as usize] == keys[order[j - 1] as usize];
        start[j] = if same { start[j - 1] } else { j };
    }
    start
}

/// `(prior, first)` of `base.group_order`: per position, how many earlier positions share its
/// key, and the first such position.
#[pyfunction]
pub fn group_positions<'py>(
    py: Python<'py>,
    keys: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyByteArray>, Bound<'py, PyByteArray>)> {
    let keys = read_keys(py, keys)?;
    let order = stable_order(&keys);
    let start = run_starts(&keys, &order);
    let mut prior = vec![0i64; keys.len()];
    let mut first = vec![0i64; keys.len()];
    for (j, &row) in order.iter().enumerate() {
        prior[row as usize] = (j - start[j]) as i64;
        first[row as usize] = order[start[j]];
    }
    Ok((int64_bytes(py, &prior), int64_bytes(py, &first)))
}

/// Would numpy's `_loses_precision` say a single running sum loses small values? None when
/// its pairwise sum could decide either way (too close to the threshold, not finite, or too
/// many values for the error bound).
fn loses_precision(values: &[f64]) -> Option<bool> {
    let mut total = 0.0f64;
    let mut smallest = f64::INFINITY;
    for &v in values {
        let magnitude = v.abs();
        total += magnitude;
        if magnitude > 0.0 && magnitude < smallest {
            smallest = magnitude;
        }
    }
    if !smallest.is_finite() {
        // No magnitude > 0 (or only NaN / inf ones): numpy's check is False only for the first.
        return if values.iter().all(|&v| v == 0.0) { Some(false) } else { None };
    }
    if !total.is_finite() || values.len() > MAX_DECIDED {
        return None;
    }
    let threshold = EXACT_RANGE * smallest;
    if !threshold.is_finite() || (total - threshold).abs() <= threshold * UNDECIDED {
        return None;
    }
    Some(total > threshold)
}

/// `base.group_cumsum_before(keys, values)` (`values` as contiguous `float64`): the sum of
/// `values` over earlier positions with the same key, or None where numpy's path must answer
/// (the values span too many orders of magnitude for one running sum, or the check is close).
#[pyfunction]
pub fn sums_before<'py>(
    py: Python<'py>,
    keys: &Bound<'py, PyAny>,
    values: &Bound<'py, PyAny>,
) -> PyResult<Option<Bound<'py, PyByteArray>>> {
    let keys = read_keys(py, keys)?;
    let values = PyBuffer::<f64>::get(values)?.to_vec(py)?;
    if keys.len() != values.len() {
        return Err(pyo3::exceptions::PyValueError::new_err("keys and values differ in length"));
    }
    let n = keys.len();
    let order = stable_order(&keys);
    let sorted: Vec<f64> = order.iter().map(|&i| values[i as usize]).collect();
    if n > 0 && loses_precision(&sorted) != Some(false) {
        return Ok(None);
    }
    let start = run_starts(&keys, &order);
    // numpy: inclusive = cumsum(sorted) (out[0] = a[0], out[i] = out[i-1] + a[i]);
    // exclusive = inclusive - sorted; result[order] = exclusive - exclusive[start].
    let mut exclusive = vec![0.0f64; n];
    let mut running = 0.0f64;
    for j in 0..n {
        running = if j == 0 { sorted[0] } else { running + sorted[j] };
        exclusive[j] = running - sorted[j];
    }
    let mut result = vec![0.0f64; n];
    for j in 0..n {
        result[order[j] as usize] = exclusive[j] - exclusive[start[j]];
    }
    // SAFETY: an f64 slice is valid as len * 8 initialised bytes.
    let bytes = unsafe { std::slice::from_raw_parts(result.as_ptr().cast::<u8>(), n * 8) };
    Ok(Some(PyByteArray::new(py, bytes)))
}
