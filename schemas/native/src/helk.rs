//! Flat HELK JSON lines (`schemas/parsers/bulk.py`): one pass over the line that checks it is
//! JSON `orjson` reads (an object, UTF-8, no lone surrogate, no infinite number, nothing after
//! it) and keeps only the values of the keys asked for, without building the whole record.
//!
//! The contract: `scan` gives `Some` only for a line `orjson.loads` reads as a dict in which
//! each asked key is absent or holds text, an integer within 64 bits (an int for `orjson` too)
//! or null, and appears once. Everything else (bool, float, array or object under an asked key,
//! a duplicate asked key, invalid JSON, JSON nested deeper than serde_json's 128 levels) is
//! `None`: the caller decodes the line with `orjson` and parses it in Python, so the events and
//! dead-letter reasons are Python's. Values of keys not asked for are checked, then dropped.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// A value under an asked key.
#[derive(Debug, PartialEq)]
pub enum Scalar<'a> {
    Str(Cow<'a, str>),
    Int(i64),
    UInt(u64),
    Null,
}

/// A hash of a key's length and first and last 8 bytes: O(1) per key where a byte-wise hash
/// was a third of the scan. The keys are short, ours, and compared in full on a hit.
#[derive(Default)]
pub struct KeyHash(u64);

impl Hasher for KeyHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let word = |at: &[u8]| -> u64 {
            let mut buf = [0u8; 8];
            buf[..at.len()].copy_from_slice(at);
            u64::from_le_bytes(buf)
        };
        let (head, tail) = if n >= 8 {
            (word(&bytes[..8]), word(&bytes[n - 8..]))
        } else {
            (word(bytes), 0)
        };
        let mixed = (self.0 ^ n as u64 ^ head.rotate_left(17) ^ tail.rotate_left(41))
            .wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = mixed ^ (mixed >> 29);
    }
}

pub type Slots = HashMap<Box<str>, usize, BuildHasherDefault<KeyHash>>;

/// The asked keys' values of `line` by slot, or None (see the module's contract).
pub fn scan<'a>(line: &'a [u8], slots: &Slots) -> Option<Vec<Option<Scalar<'a>>>> {
    let text = std::str::from_utf8(line).ok()?; // orjson rejects invalid UTF-8 too
    let mut de = serde_json::Deserializer::from_str(text);
    let values = de.deserialize_map(Record { slots }).ok()?;
    de.end().ok()?; // trailing whitespace only
    Some(values)
}

struct Record<'s> {
    slots: &'s Slots,
}

impl<'de> Visitor<'de> for Record<'_> {
    type Value = Vec<Option<Scalar<'de>>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: Vec<Option<Scalar<'de>>> = Vec::new();
        values.resize_with(self.slots.len(), || None);
        while let Some(key) = map.next_key_seed(Key)? {
            match self.slots.get(key.as_ref()) {
                Some(&slot) => {
                    let value = map.next_value_seed(Wanted)?;
                    if values[slot].replace(value).is_some() {
                        return Err(de::Error::custom("duplicate asked key"));
                    }
                }
                None => map.next_value_seed(Skip)?,
            }
        }
        Ok(values)
    }
}

/// An object key, borrowed from the line unless it holds escapes.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
}

/// The value of an asked key: text, a 64-bit integer or null; anything else is an error (the
/// line goes to Python). serde_json hands integers beyond 64 bits over as floats, as orjson
/// reads them.
struct Wanted;

impl<'de> DeserializeSeed<'de> for Wanted {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Wanted {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("text, an integer or null")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Scalar::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Scalar::UInt(v))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Scalar::Null)
    }
}

/// Any other value, read whole (serde_json decodes each string, so escapes and surrogate pairs
/// are checked as orjson checks them; an infinite number is an error) and dropped.
struct Skip;

impl<'de> DeserializeSeed<'de> for Skip {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skip {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        if v.is_finite() {
            Ok(())
        } else {
            Err(E::custom("infinite number"))
        }
    }
    fn visit_borrowed_str<E>(self, _: &'de str) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq.next_element_seed(Skip)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_key_seed(Key)?.is_some() {
            map.next_value_seed(Skip)?;
        }
        Ok(())
    }
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z]` as (year, month, day, hour, minute, second,
/// microsecond), when it is a real date and time in [1990, 2100): what `parse_time` gives for
/// it (no zone and `Z` are both UTC). Anything else (offsets, 7+ fraction digits, spaces
/// around it, other separators) is None: Python's.
pub fn iso_utc(text: &str) -> Option<(i32, u8, u8, u8, u8, u8, u32)> {
    let b = text.as_bytes();
    if b.len() < 19 {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<u32> {
        let mut n = 0u32;
        for &c in &b[range] {
            if !c.is_ascii_digit() {
                return None;
            }
            n = n * 10 + u32::from(c - b'0');
        }
        Some(n)
    };
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b'T' || b[10] == b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let mut rest = &b[19..];
    let mut micro = 0u32;
    if let Some((b'.', tail)) = rest.split_first() {
        let digits = tail.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 6 {
            return None;
        }
        for &c in &tail[..digits] {
            micro = micro * 10 + u32::from(c - b'0');
        }
        micro *= 10u32.pow(6 - digits as u32);
        rest = &tail[digits..];
    }
    if !(rest.is_empty() || rest == b"Z") {
        return None;
    }
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        1..=12 => 31,
        _ => return None,
    };
    if !(1990..2100).contains(&year) || day < 1 || day > days || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some((year as i32, month as u8, day as u8, hour as u8, minute as u8, second as u8, micro))
}

/// A remembered value of a key: what a line must hold there for a remembered answer to be its.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    Absent,
    Null,
    Int(i128),
    Str(Box<str>),
}

/// Values as one byte string, so that a remembered key is one allocation and one `memcmp`:
/// a tag per value, then an integer's 16 bytes or a text's length and bytes. Equal byte
/// strings are equal values as Python compares them (an integer is the same whether serde_json
/// read it as i64 or u64).
fn encode_int(out: &mut Vec<u8>, v: i128) {
    out.push(3);
    out.extend_from_slice(&v.to_le_bytes());
}

fn encode_str(out: &mut Vec<u8>, text: &str) {
    out.push(4);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
}

fn encode_value(out: &mut Vec<u8>, value: &Option<Scalar<'_>>) {
    match value {
        None => out.push(1),
        Some(Scalar::Null) => out.push(2),
        Some(Scalar::Int(v)) => encode_int(out, i128::from(*v)),
        Some(Scalar::UInt(v)) => encode_int(out, i128::from(*v)),
        Some(Scalar::Str(s)) => encode_str(out, s),
    }
}

pub fn encode_owned(values: &[Owned]) -> Box<[u8]> {
    let mut out = Vec::new();
    for value in values {
        match value {
            Owned::Absent => out.push(1),
            Owned::Null => out.push(2),
            Owned::Int(v) => encode_int(&mut out, *v),
            Owned::Str(s) => encode_str(&mut out, s),
        }
    }
    out.into_boxed_slice()
}

/// A hash of byte strings by 8-byte words (the keys are a few hundred bytes at most).
#[derive(Default)]
pub struct WordHash(u64);

impl Hasher for WordHash {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = self.0 ^ 0x2545_F491_4F6C_DD1D;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
            hash = (hash ^ word).wrapping_mul(0x9E37_79B9_7F4A_7C15);
            hash ^= hash >> 29;
        }
        let rest = chunks.remainder();
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        hash = (hash ^ u64::from_le_bytes(buf) ^ ((rest.len() as u64) << 59)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = hash ^ (hash >> 32);
    }
}

type ByKey<V> = HashMap<Box<[u8]>, V, BuildHasherDefault<WordHash>>;

/// The slots of the fixed keys an answer reads besides the meta keys (slots 0-5).
pub struct Layout {
    pub event_data: usize,
    pub record_number: usize,
    pub utc_time: usize,
    pub timestamp: usize,
}

struct Meta<T> {
    skip: bool,
    slots: Vec<usize>,
    prefix: String,
    sysmon: bool,
    templates: ByKey<T>,
}

/// Answers remembered from Python (`HelkTemplates.parse_values`), by the values that decided
/// them: a meta (event id, provider, channel, host: slots 0-5) that is skipped, or a template
/// per meta and handler-key values. Each answer is a function of those values only (the
/// handler is pure and its key set covers every key it read), so an answer never goes stale;
/// the table is emptied when it holds `MAX_KNOWN` answers, which bounds its memory.
pub struct Known<T> {
    metas: ByKey<Meta<T>>,
    count: usize,
    scratch: Vec<u8>,
}

impl<T> Default for Known<T> {
    fn default() -> Self {
        Known { metas: ByKey::default(), count: 0, scratch: Vec::new() }
    }
}

pub const MAX_KNOWN: usize = 65_536;

/// A remembered answer for a line.
pub enum Answer<'k, T> {
    Skip,
    /// The template, the line's time (`iso_utc`'s parts) and record id ("host:number").
    Event { template: &'k T, time: (i32, u8, u8, u8, u8, u8, u32), record_id: String },
}

impl<T> Known<T> {
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn clear(&mut self) {
        self.metas.clear();
        self.count = 0;
    }

    fn meta_entry(&mut self, meta: &[Owned]) -> &mut Meta<T> {
        if self.count >= MAX_KNOWN {
            self.clear();
        }
        let count = &mut self.count;
        self.metas.entry(encode_owned(meta)).or_insert_with(|| {
            *count += 1;
            Meta { skip: false, slots: Vec::new(), prefix: String::new(), sysmon: false, templates: ByKey::default() }
        })
    }

    pub fn remember_skip(&mut self, meta: &[Owned]) {
        let entry = self.meta_entry(meta);
        entry.skip = true;
    }

    pub fn remember(&mut self, meta: &[Owned], slots: Vec<usize>, prefix: String, sysmon: bool, key: &[Owned], template: T) {
        let entry = self.meta_entry(meta);
        let mut dropped = 0;
        if entry.skip || entry.slots != slots || entry.prefix != prefix || entry.sysmon != sysmon {
            // The handler's key set grew (its templates were keyed by the old one) or the
            // entry is new: start its templates afresh.
            dropped = entry.templates.len();
            entry.templates.clear();
            entry.skip = false;
            entry.slots = slots;
            entry.prefix = prefix;
            entry.sysmon = sysmon;
        }
        let added = usize::from(entry.templates.insert(encode_owned(key), template).is_none());
        self.count = self.count + added - dropped;
    }

    /// The remembered answer for a line's values (`scan`'s), if one is remembered and the
    /// line takes the usual path to it: no EventData; for an event also an integer record
    /// number and a time `iso_utc` reads (Sysmon's non-empty UtcTime, else a non-empty
    /// @timestamp). Anything else is None: Python parses the line.
    pub fn answer(&mut self, values: &[Option<Scalar<'_>>], layout: &Layout) -> Option<Answer<'_, T>> {
        if self.count == 0 || values.len() < 6 {
            return None;
        }
        let scratch = &mut self.scratch;
        scratch.clear();
        for value in &values[..6] {
            encode_value(scratch, value);
        }
        let meta = self.metas.get(scratch.as_slice())?;
        if values.get(layout.event_data)?.is_some() {
            return None; // an EventData object (or anything under that key): Python's
        }
        if meta.skip {
            return Some(Answer::Skip);
        }
        let number = match values.get(layout.record_number)? {
            Some(Scalar::Int(v)) => v.to_string(),
            Some(Scalar::UInt(v)) => v.to_string(),
            _ => return None,
        };
        let mut stamp: Option<&str> = None;
        if meta.sysmon {
            // Python reads UtcTime when it is truthy: non-empty text, a non-zero integer.
            match values.get(layout.utc_time)? {
                Some(Scalar::Str(s)) if !s.is_empty() => stamp = Some(s.as_ref()),
                None | Some(Scalar::Null) | Some(Scalar::Int(0)) | Some(Scalar::UInt(0)) => {}
                Some(Scalar::Str(_)) => {}
                _ => return None,
            }
        }
        let text = match stamp {
            Some(text) => text,
            None => match values.get(layout.timestamp)? {
                Some(Scalar::Str(s)) if !s.is_empty() => s.as_ref(),
                _ => return None,
            },
        };
        let time = iso_utc(text)?;
        scratch.clear();
        for &slot in &meta.slots {
            encode_value(scratch, values.get(slot)?);
        }
        let template = meta.templates.get(scratch.as_slice())?;
        let mut record_id = String::with_capacity(meta.prefix.len() + number.len());
        record_id.push_str(&meta.prefix);
        record_id.push_str(&number);
        Some(Answer::Event { template, time, record_id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slots(keys: &[&str]) -> Slots {
        keys.iter().enumerate().map(|(i, k)| (Box::from(*k), i)).collect()
    }

    #[test]
    fn reads_asked_keys_only() {
        let s = slots(&["a", "b", "c"]);
        let got = scan(br#"{"a":"x","z":[1,{"q":2.5}],"b":7,"c":null}"#, &s).unwrap();
        assert_eq!(got, vec![Some(Scalar::Str("x".into())), Some(Scalar::UInt(7)), Some(Scalar::Null)]);
    }

    #[test]
    fn refuses_what_python_must_read() {
        let s = slots(&["a"]);
        for line in [
            &br#"{"a":1.5}"#[..],
            br#"{"a":true}"#,
            br#"{"a":[1]}"#,
            br#"{"a":1,"a":2}"#,
            br#"{"b":1e400}"#,
            br#"{"b":"\ud800"}"#,
            br#"{"b":"\udc00x"}"#,
            b"{\"b\":\"\x01\"}",
            b"{\"b\":\"\xff\"}",
            br#"{"a":18446744073709551616}"#,
            br#"[1]"#,
            br#"{"a":1} x"#,
            b"{\"a\":1}\x0b",
        ] {
            assert!(scan(line, &s).is_none(), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn answers_only_what_was_remembered() {
        // slots: 0-5 meta, 6 EventData, 7 RecordNumber, 8 UtcTime, 9 @timestamp, 10 a handler key
        let keys = ["EventID", "SourceName", "EventSourceName", "Channel", "Hostname", "Computer", "EventData", "RecordNumber", "UtcTime", "@timestamp", "User"];
        let s = slots(&keys);
        let layout = Layout { event_data: 6, record_number: 7, utc_time: 8, timestamp: 9 };
        let meta = vec![Owned::Int(4624), Owned::Str("P".into()), Owned::Absent, Owned::Str("Security".into()), Owned::Str("H".into()), Owned::Absent];
        let mut known: Known<u32> = Known::default();
        let line = |extra: &str| format!(r#"{{"EventID":4624,"SourceName":"P","Channel":"Security","Hostname":"H","RecordNumber":5,"@timestamp":"2024-05-06T00:00:01Z"{extra}}}"#);
        let answer = |known: &mut Known<u32>, text: &str| -> Option<(u32, String)> {
            let values = scan(text.as_bytes(), &s).unwrap();
            match known.answer(&values, &layout)? {
                Answer::Skip => Some((0, String::new())),
                Answer::Event { template, record_id, .. } => Some((*template, record_id)),
            }
        };
        assert_eq!(answer(&mut known, &line(r#","User":"a""#)), None);
        known.remember(&meta, vec![10], "h:".into(), false, &[Owned::Str("a".into())], 7);
        assert_eq!(answer(&mut known, &line(r#","User":"a""#)), Some((7, "h:5".into())));
        assert_eq!(answer(&mut known, &line(r#","User":"b""#)), None);
        assert_eq!(answer(&mut known, &line("")), None); // User absent is not "a"
        assert_eq!(answer(&mut known, &line(r#","User":"a","EventData":null"#)), None);
        assert_eq!(answer(&mut known, &line(r#","User":"a","Computer":null"#)), None);
        let text = line(r#","User":"a""#).replace(r#""RecordNumber":5"#, r#""RecordNumber":"5""#);
        assert_eq!(answer(&mut known, &text), None);
        let text = line(r#","User":"a""#).replace("00:00:01Z", "00:00:01+00:00");
        assert_eq!(answer(&mut known, &text), None);
        known.remember(&meta, vec![10], "h:".into(), false, &[Owned::Null], 8);
        assert_eq!(answer(&mut known, &line(r#","User":null"#)), Some((8, "h:5".into())));
        assert_eq!(known.len(), 3);
        known.remember_skip(&meta);
        assert_eq!(answer(&mut known, &line(r#","User":"zzz""#)), Some((0, String::new())));
        known.clear();
        assert_eq!(answer(&mut known, &line(r#","User":"a""#)), None);
    }

    #[test]
    fn times() {
        assert_eq!(iso_utc("2024-05-06T00:18:10.466Z"), Some((2024, 5, 6, 0, 18, 10, 466_000)));
        assert_eq!(iso_utc("2024-02-29 23:59:59.1"), Some((2024, 2, 29, 23, 59, 59, 100_000)));
        assert_eq!(iso_utc("2023-02-29T00:00:00Z"), None);
        assert_eq!(iso_utc("2024-05-06T24:00:00Z"), None);
        assert_eq!(iso_utc("2024-05-06T00:00:00.1234567Z"), None);
        assert_eq!(iso_utc("2100-01-01T00:00:00Z"), None);
        assert_eq!(iso_utc("2024-05-06T00:00:00+01:00"), None);
    }
}

