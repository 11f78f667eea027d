//! `vigil_native`: a compiled fast path for `schemas/parsers/syslog.py` (RFC 3164 sshd lines).
//!
//! Python builds the Events; this module only reads the line (see `sshd.rs` for the contract).

use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use pyo3::intern;

mod sshd;

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
        other => PyString::new(py, other),
    }
}

/// `sshd_line(line) -> tuple | None`: for an RFC 3164 sshd line `SyslogParser` reads exactly
/// so, `(stamp_key, month, day, hour, minute, second, dst_host, kind, user, src_ip, src_host,
/// auth_protocol, reason, count)`; kind 0 is a line without an event, 1-4 accepted, failed,
/// invalid user, not allowed. None: parse the line in Python.
#[pyfunction]
fn sshd_line<'py>(py: Python<'py>, line: &Bound<'py, PyString>) -> PyResult<Option<Bound<'py, PyTuple>>> {
    let Ok(line) = line.to_str() else {
        return Ok(None); // lone surrogates: Python's
    };
    let Some(hit) = sshd::parse(line) else {
        return Ok(None);
    };
    let [mon, day, hh, mi, ss] = hit.stamp;
    let key = ((((mon as u64 * 100 + day as u64) * 100 + hh as u64) * 100 + mi as u64) * 100) + ss as u64;
    let kind: u8 = match hit.kind {
        sshd::Kind::Skip => 0,
        sshd::Kind::Accepted => 1,
        sshd::Kind::Failed => 2,
        sshd::Kind::InvalidUser => 3,
        sshd::Kind::NotAllowed => 4,
    };
    let items: [Bound<'py, PyAny>; 14] = [
        key.into_pyobject(py)?.into_any(),
        mon.into_pyobject(py)?.into_any(),
        day.into_pyobject(py)?.into_any(),
        hh.into_pyobject(py)?.into_any(),
        mi.into_pyobject(py)?.into_any(),
        ss.into_pyobject(py)?.into_any(),
        PyString::new(py, &hit.dst_host).into_any(),
        kind.into_pyobject(py)?.into_any(),
        text(py, &hit.user).into_any(),
        text(py, &hit.src_ip).into_any(),
        text(py, &hit.src_host).into_any(),
        text(py, &hit.auth_protocol).into_any(),
        text(py, hit.reason).into_any(),
        hit.count.into_pyobject(py)?.into_any(),
    ];
    Ok(Some(PyTuple::new(py, items)?))
}

#[pymodule]
fn vigil_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sshd_line, m)?)?;
    Ok(())
}
