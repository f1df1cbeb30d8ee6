//! JSON bytes as Python's `json.dumps` writes them, because Django's signed tokens and
//! `JsonResponse` bodies are built with it: `ensure_ascii` escaping (non-ASCII as
//! `\uXXXX`, surrogate pairs above the BMP) and either the default `", "`/`": "`
//! separators or the compact `","`/`":"` that `django.core.signing` uses.

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

/// A `serde_json` formatter reproducing `json.dumps(..., separators=...)`.
struct PyFormatter {
    compact: bool,
}

impl Formatter for PyFormatter {
    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if first {
            Ok(())
        } else if self.compact {
            w.write_all(b",")
        } else {
            w.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.begin_array_value(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.compact {
            w.write_all(b":")
        } else {
            w.write_all(b": ")
        }
    }

    fn write_string_fragment<W: ?Sized + io::Write>(&mut self, w: &mut W, fragment: &str) -> io::Result<()> {
        if fragment.is_ascii() {
            return w.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if c.is_ascii() {
                continue;
            }
            w.write_all(&fragment.as_bytes()[start..i])?;
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                write!(w, "\\u{unit:04x}")?;
            }
            start = i + c.len_utf8();
        }
        w.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(&mut self, w: &mut W, escape: CharEscape) -> io::Result<()> {
        // Python writes control characters as \u00XX (lower-case hex), like serde_json.
        serde_json::ser::CompactFormatter.write_char_escape(w, escape)
    }
}

/// `json.dumps(value)` with Python's default separators (`", "` and `": "`).
pub fn dumps<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    write(value, false)
}

/// `json.dumps(value, separators=(",", ":"))`.
pub fn dumps_compact<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    write(value, true)
}

fn write<T: Serialize + ?Sized>(value: &T, compact: bool) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(64);
    serialize_into(&mut out, value, compact)?;
    Ok(out)
}

fn serialize_into<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
    compact: bool,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, PyFormatter { compact });
    value.serialize(&mut ser)
}

/// The largest serialization buffer a thread keeps between calls of [`dumps_bytes`].
const KEPT_BUFFER: usize = 64 * 1024;

thread_local! {
    /// The buffer [`dumps_bytes`] serializes into, reused by the thread's next call.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// [`dumps`] as a response body: serialized into a buffer the thread reuses, then copied
/// into an allocation of exactly its length. A `Bytes` made from a `Vec` with spare
/// capacity allocates a second block to share it, so this is one allocation where
/// `Bytes::from(dumps(..))` takes two (or a reallocation).
pub(crate) fn dumps_bytes<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<bytes::Bytes> {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let result =
                serialize_into(&mut buffer, value, false).map(|()| bytes::Bytes::copy_from_slice(&buffer));
            if buffer.capacity() > KEPT_BUFFER {
                *buffer = Vec::new();
            }
            result
        }
        // A `Serialize` implementation that itself builds a `JsonResponse`.
        Err(_) => dumps(value).map(bytes::Bytes::from),
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn matches_python() {
        let v = json!({"a": [1, 2], "b": "é😀\n"});
        assert_eq!(
            String::from_utf8(super::dumps(&v).unwrap()).unwrap(),
            r#"{"a": [1, 2], "b": "\u00e9\ud83d\ude00\n"}"#
        );
        assert_eq!(
            String::from_utf8(super::dumps_compact(&v).unwrap()).unwrap(),
            r#"{"a":[1,2],"b":"\u00e9\ud83d\ude00\n"}"#
        );
        assert_eq!(super::dumps_bytes(&v).unwrap(), super::dumps(&v).unwrap());
    }

    #[test]
    fn reused_buffer_starts_empty_and_nested_calls_work() {
        struct Nested;
        impl serde::Serialize for Nested {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                // Serializing while the thread's buffer is in use.
                let inner = super::dumps_bytes(&json!({"x": 1})).unwrap();
                s.serialize_str(std::str::from_utf8(&inner).unwrap())
            }
        }
        assert_eq!(super::dumps_bytes(&json!([1, 2, 3])).unwrap(), "[1, 2, 3]");
        assert_eq!(super::dumps_bytes(&json!(1)).unwrap(), "1");
        assert_eq!(super::dumps_bytes(&Nested).unwrap(), r#""{\"x\": 1}""#);
        let big = "a".repeat(super::KEPT_BUFFER + 1);
        assert_eq!(super::dumps_bytes(&big).unwrap().len(), big.len() + 2);
        assert_eq!(super::dumps_bytes(&json!(null)).unwrap(), "null");
    }
}
