//! Grouping kernels for `detectors/_sort.py`: the stable order of integer keys and, per sorted
//! position, where its run of equal keys starts, in one call instead of the ~8 numpy passes
//! (min, max, shift, argsort, gather, compare, where, accumulate) each grouping helper made.
//!
//! The answers are numpy's by construction: a stable order is unique (by key, ties by
//! position), so any stable sort gives `np.argsort(keys, kind="stable")`; runs and uniques
//! follow from it. Arrays cross as native-endian `int64` bytes (`np.frombuffer` on the Python
//! side), so no numpy crate is needed.

use pyo3::buffer::PyBuffer;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyTuple};

/// Counting sort when the keys' span is at most this many buckets per key (plus a floor):
/// one pass to count, one to place. Wider spans take an LSD radix sort.
const BUCKETS_PER_KEY: u64 = 4;
const MIN_BUCKETS: u64 = 4096;
/// Below this many keys a comparison sort (stable) beats the radix passes' bucket arrays.
const MIN_RADIX_KEYS: usize = 256;
/// Bits per LSD radix pass (2,048 buckets: fits the L1 cache).
const RADIX_BITS: u32 = 11;

/// The keys as offsets from their minimum (`u64`, the same order as the signed keys), with
/// the bits that are the same in every key squeezed out, and the largest offset.
///
/// Pair keys (`left << 32 | right`, `detectors/base.py: pair_keys`) of small ids span ~2**38
/// with ~20 bits that vary: squeezed, the radix sort makes 2 passes over them instead of 4.
/// A bit that is the same in every key never tells two keys apart, so dropping it (keeping the
/// others in their order) keeps the order of every pair of keys, and so the stable order.
fn offsets(keys: &[i64]) -> (Vec<u64>, u64) {
    const SIGN: u64 = 1 << 63; // flipped, the keys compare as unsigned as they did signed
    let first = keys.first().map_or(0, |&k| k as u64 ^ SIGN);
    let varying = keys.iter().fold(0u64, |acc, &k| acc | ((k as u64 ^ SIGN) ^ first));
    let width = 64 - varying.leading_zeros();
    let mut shifted: Vec<u64> = if varying.count_ones() + 2 <= width {
        // Runs of varying bits, lowest first: (where the run is, its mask, where it goes).
        let mut runs: Vec<(u32, u64, u32)> = Vec::new();
        let (mut rest, mut bit, mut packed) = (varying, 0u32, 0u32);
        while rest != 0 {
            let skip = rest.trailing_zeros();
            bit += skip;
            rest >>= skip;
            let length = rest.trailing_ones(); // < 64: a squeezed key drops at least 2 bits
            runs.push((bit, (1u64 << length) - 1, packed));
            packed += length;
            bit += length;
            rest >>= length;
        }
        match runs[..] {
            // One or two runs (ids, pair keys of two ids) unrolled: the loop over runs cost
            // as much as a radix pass.
            [(at, mask, _)] => keys.iter().map(|&k| ((k as u64 ^ SIGN) >> at) & mask).collect(),
            [(at0, mask0, _), (at1, mask1, to1)] => keys
                .iter()
                .map(|&k| {
                    let key = k as u64 ^ SIGN;
                    ((key >> at0) & mask0) | (((key >> at1) & mask1) << to1)
                })
                .collect(),
            _ => keys
                .iter()
                .map(|&k| {
                    let key = k as u64 ^ SIGN;
                    runs.iter().fold(0u64, |acc, &(at, mask, to)| acc | (((key >> at) & mask) << to))
                })
                .collect(),
        }
    } else {
        keys.iter().map(|&k| k as u64 ^ SIGN).collect()
    };
    let low = shifted.iter().copied().min().unwrap_or(0);
    for key in shifted.iter_mut() {
        *key -= low;
    }
    let span = shifted.iter().copied().max().unwrap_or(0);
    (shifted, span)
}

/// `np.argsort(keys, kind="stable")`.
pub(crate) fn stable_order(keys: &[i64]) -> Vec<i64> {
    let n = keys.len();
    let (shifted, span) = offsets(keys);
    if span < (n as u64).saturating_mul(BUCKETS_PER_KEY).max(MIN_BUCKETS) {
        let mut start = vec![0usize; span as usize + 2];
        for &k in &shifted {
            start[k as usize + 1] += 1;
        }
        for b in 1..start.len() {
            start[b] += start[b - 1];
        }
        let mut order = vec![0i64; n];
        for (i, &k) in shifted.iter().enumerate() {
            let slot = &mut start[k as usize];
            order[*slot] = i as i64;
            *slot += 1;
        }
        return order;
    }
    if n < MIN_RADIX_KEYS {
        let mut order: Vec<i64> = (0..n as i64).collect();
        order.sort_by_key(|&i| keys[i as usize]); // (stable)
        return order;
    }
    // LSD radix: each pass is stable, so ties keep their positions.
    let bits = 64 - span.leading_zeros();
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut spare = vec![0u32; n];
    let mask = (1u64 << RADIX_BITS) - 1;
    let mut shift = 0;
    while shift < bits {
        let mut start = vec![0usize; (1 << RADIX_BITS) + 1];
        for &i in &order {
            start[((shifted[i as usize] >> shift) & mask) as usize + 1] += 1;
        }
        for b in 1..start.len() {
            start[b] += start[b - 1];
        }
        for &i in &order {
            let slot = &mut start[((shifted[i as usize] >> shift) & mask) as usize];
            spare[*slot] = i;
            *slot += 1;
        }
        std::mem::swap(&mut order, &mut spare);
        shift += RADIX_BITS;
    }
    order.into_iter().map(i64::from).collect()
}

pub(crate) fn int64_bytes<'py>(py: Python<'py>, values: &[i64]) -> Bound<'py, PyByteArray> {
    // SAFETY: an i64 slice is valid as len * 8 initialised bytes (u8 has no alignment needs).
    let bytes = unsafe { std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values)) };
    PyByteArray::new(py, bytes)
}

pub(crate) fn read_keys(py: Python<'_>, keys: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
    let buffer = PyBuffer::<i64>::get(keys)?;
    buffer.to_vec(py)
}

/// `np.argsort(keys, kind="stable")` of 1-D `int64` keys.
#[pyfunction]
pub fn stable_argsort<'py>(py: Python<'py>, keys: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyByteArray>> {
    let keys = read_keys(py, keys)?;
    Ok(int64_bytes(py, &stable_order(&keys)))
}

/// `(order, start)` of 1-D `int64` keys: `order` is `np.argsort(keys, kind="stable")`, and
/// `start[j]` the sorted position where the run of `keys[order[j]]` begins.
#[pyfunction]
pub fn stable_groups<'py>(
    py: Python<'py>,
    keys: &Bound<'py, PyAny>,
) -> PyResult<(Bound<'py, PyByteArray>, Bound<'py, PyByteArray>)> {
    let keys = read_keys(py, keys)?;
    let order = stable_order(&keys);
    let mut start = vec![0i64; order.len()];
    for j in 1..order.len() {
        let same = keys[order[j] as usize] == keys[order[j - 1] as usize];
        start[j] = if same { start[j - 1] } else { j as i64 };
    }
    Ok((int64_bytes(py, &order), int64_bytes(py, &start)))
}

/// `np.unique(keys, return_index=True, return_inverse=True, return_counts=True)` of 1-D
/// `int64` keys, as `(unique, first, inverse, counts)`.
#[pyfunction]
pub fn unique_inverse<'py>(py: Python<'py>, keys: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyTuple>> {
    let keys = read_keys(py, keys)?;
    let order = stable_order(&keys);
    let mut unique: Vec<i64> = Vec::new();
    let mut first: Vec<i64> = Vec::new();
    let mut counts: Vec<i64> = Vec::new();
    let mut inverse = vec![0i64; keys.len()];
    for &i in &order {
        let key = keys[i as usize];
        if unique.last() != Some(&key) {
            unique.push(key);
            first.push(i); // (the stable order meets a key's first occurrence first)
            counts.push(0);
        }
        let last = counts.len() - 1;
        counts[last] += 1;
        inverse[i as usize] = last as i64;
    }
    PyTuple::new(
        py,
        [
            int64_bytes(py, &unique),
            int64_bytes(py, &first),
            int64_bytes(py, &inverse),
            int64_bytes(py, &counts),
        ],
    )
}
