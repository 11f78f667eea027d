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

