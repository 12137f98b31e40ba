//! The compact binary encoding of stored values that are too numerous or too large for JSON:
//! accounts, tier-change chunks and tier-snapshot chunks (layouts in `accounts.rs`).
//!
//! Building blocks only: unsigned LEB128 varints, zigzag varints for signed numbers, strings as
//! varint byte length + UTF-8 bytes, `f64` as 8 little-endian bytes. Decoding never panics and
//! never trusts a length: a truncated or malformed value is a [`CodecError`] naming what could
//! not be read, which the store turns into `StoreError::Corrupt` with the tree and key.

use std::fmt;

/// What could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodecError(pub String);

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl CodecError {
    pub fn new(message: impl Into<String>) -> CodecError {
        CodecError(message.into())
    }
}

/// Appends encoded values to a byte vector.
#[derive(Debug, Default)]
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn with_capacity(capacity: usize) -> Writer {
        Writer {
            buf: Vec::with_capacity(capacity),
        }
    }

    pub fn len(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub fn varint(&mut self, mut v: u64) {
        while v >= 0x80 {
            self.buf.push((v as u8) | 0x80);
            v >>= 7;
        }
        self.buf.push(v as u8);
    }

    pub fn zigzag(&mut self, v: i64) {
        self.varint(((v << 1) ^ (v >> 63)) as u64);
    }

    pub fn f64(&mut self, v: f64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }

    pub fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.buf.extend_from_slice(s.as_bytes());
    }
}

/// Reads encoded values from a byte slice, front to back.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader { rest: bytes }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Fails unless every byte was read (trailing bytes mean a different layout).
    pub fn finish(&self) -> Result<(), CodecError> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(CodecError::new(format!(
                "{} unexpected bytes at the end",
                self.rest.len()
            )))
        }
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, CodecError> {
        let (&first, rest) = self.rest.split_first().ok_or_else(|| truncated(what))?;
        self.rest = rest;
        Ok(first)
    }

    pub fn varint(&mut self, what: &str) -> Result<u64, CodecError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.u8(what)?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(CodecError::new(format!("{what}: number too large")));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(CodecError::new(format!("{what}: number too large")))
    }

    /// A varint that must fit `T` (e.g. `u32`, `u16`, `usize`).
    pub fn varint_as<T: TryFrom<u64>>(&mut self, what: &str) -> Result<T, CodecError> {
        let v = self.varint(what)?;
        T::try_from(v).map_err(|_| CodecError::new(format!("{what}: {v} is out of range")))
    }

    pub fn zigzag(&mut self, what: &str) -> Result<i64, CodecError> {
        let v = self.varint(what)?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }

    pub fn f64(&mut self, what: &str) -> Result<f64, CodecError> {
        let bytes = self.take(8, what)?;
        let mut array = [0u8; 8];
        array.copy_from_slice(bytes);
        Ok(f64::from_le_bytes(array))
    }

    pub fn str(&mut self, what: &str) -> Result<&'a str, CodecError> {
        let len: usize = self.varint_as(what)?;
        let bytes = self.take(len, what)?;
        std::str::from_utf8(bytes).map_err(|_| CodecError::new(format!("{what}: not UTF-8")))
    }

    /// A count of items that each take at least `min_bytes`: refuses counts the remaining bytes
    /// cannot hold, so a corrupt count never makes a caller reserve absurd memory.
    pub fn count(&mut self, what: &str, min_bytes: usize) -> Result<usize, CodecError> {
        let n: usize = self.varint_as(what)?;
        if n.saturating_mul(min_bytes.max(1)) > self.rest.len() {
            return Err(CodecError::new(format!(
                "{what}: {n} items cannot fit in the {} bytes left",
                self.rest.len()
            )));
        }
        Ok(n)
    }

    fn take(&mut self, len: usize, what: &str) -> Result<&'a [u8], CodecError> {
        if len > self.rest.len() {
            return Err(truncated(what));
        }
        let (head, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(head)
    }
}

fn truncated(what: &str) -> CodecError {
    CodecError::new(format!("{what}: value is truncated"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_strings_round_trip_at_their_limits() {
        let mut w = Writer::default();
        let unsigned = [
            0,
            1,
            127,
            128,
            16_383,
            16_384,
            u64::from(u32::MAX),
            u64::MAX,
        ];
        let signed = [0, -1, 1, -64, 64, i64::MIN, i64::MAX];
        for v in unsigned {
            w.varint(v);
        }
        for v in signed {
            w.zigzag(v);
        }
        w.f64(-0.125);
        w.str("");
        w.str("华东星海精密有限公司");
        w.u8(7);
        let mut r = Reader::new(&w.buf);
        for v in unsigned {
            assert_eq!(r.varint("u").unwrap(), v);
        }
        for v in signed {
            assert_eq!(r.zigzag("i").unwrap(), v);
        }
        assert_eq!(r.f64("f").unwrap(), -0.125);
        assert_eq!(r.str("s").unwrap(), "");
        assert_eq!(r.str("s").unwrap(), "华东星海精密有限公司");
        assert_eq!(r.u8("b").unwrap(), 7);
        r.finish().unwrap();
    }

    #[test]
    fn malformed_input_is_an_error_naming_the_field_never_a_panic() {
        let mut w = Writer::default();
        w.str("abcdef");
        // Every truncation of a valid value fails cleanly.
        for cut in 0..w.buf.len() {
            let error = Reader::new(&w.buf[..cut]).str("name").unwrap_err();
            assert!(error.0.starts_with("name: "), "{error}");
        }
        // An over-long varint, a varint past 64 bits, a length past the end, bad UTF-8.
        assert!(Reader::new(&[0xff; 11]).varint("n").is_err());
        assert!(
            Reader::new(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02])
                .varint("n")
                .is_err()
        );
        assert!(Reader::new(&[0x05, b'a']).str("s").is_err());
        assert!(Reader::new(&[0x02, 0xc3, 0x28]).str("s").is_err());
        assert_eq!(Reader::new(&[0xff, 0x7f]).varint_as::<u16>("x"), Ok(16_383));
        assert!(Reader::new(&[0xff, 0x7f]).varint_as::<u8>("x").is_err());
        assert!(Reader::new(&[0x80, 0x80, 0x04])
            .varint_as::<u16>("x")
            .is_err());
        // A count larger than the bytes that remain is refused before anyone allocates.
        assert!(Reader::new(&[0xff, 0xff, 0xff, 0xff, 0x0f])
            .count("entries", 2)
            .is_err());
        let mut r = Reader::new(&[1, 2]);
        r.u8("a").unwrap();
        assert!(r.finish().is_err());
    }
}
