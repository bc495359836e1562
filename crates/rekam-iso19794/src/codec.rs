//! Big-endian byte reader and writer shared by every record type.
//!
//! The reader never panics: every read checks the bytes left and returns a
//! [`DecodeError::Truncated`] naming the field and its absolute offset. A sub-reader covers
//! one length-prefixed block (a representation) and keeps absolute offsets, so an error deep in
//! a representation still says where it is in the whole record.

use crate::error::{DecodeError, DecodeResult, EncodeError, EncodeResult};

/// Reads big-endian fields from a byte slice, tracking the absolute offset.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over a whole record (offsets start at 0).
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self {
            buf,
            pos: 0,
            base: 0,
        }
    }

    /// Absolute offset of the next byte.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Bytes left.
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Takes `n` bytes as a slice.
    pub(crate) fn bytes(&mut self, n: usize, field: &'static str) -> DecodeResult<&'a [u8]> {
        let available = self.remaining();
        if n > available {
            return Err(DecodeError::Truncated {
                field,
                offset: self.offset(),
                needed: n,
                available,
            });
        }
        let start = self.pos;
        self.pos += n;
        self.buf
            .get(start..start + n)
            .ok_or(DecodeError::Truncated {
                field,
                offset: self.base + start,
                needed: n,
                available,
            })
    }

    /// Takes `N` bytes as an array.
    pub(crate) fn array<const N: usize>(&mut self, field: &'static str) -> DecodeResult<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.bytes(N, field)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, field: &'static str) -> DecodeResult<u8> {
        Ok(self.array::<1>(field)?[0])
    }

    pub(crate) fn u16(&mut self, field: &'static str) -> DecodeResult<u16> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    pub(crate) fn u24(&mut self, field: &'static str) -> DecodeResult<u32> {
        let [a, b, c] = self.array(field)?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    pub(crate) fn u32(&mut self, field: &'static str) -> DecodeResult<u32> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    /// A sub-reader over the next `n` bytes (absolute offsets kept); this reader skips them.
    pub(crate) fn sub(&mut self, n: usize, field: &'static str) -> DecodeResult<Reader<'a>> {
        let base = self.offset();
        let buf = self.bytes(n, field)?;
        Ok(Reader { buf, pos: 0, base })
    }

    /// The rest of the bytes.
    pub(crate) fn rest(&mut self) -> &'a [u8] {
        let start = self.pos.min(self.buf.len());
        self.pos = self.buf.len();
        self.buf.get(start..).unwrap_or(&[])
    }

    /// Fails with [`DecodeError::LengthMismatch`] when bytes are left over in a block whose
    /// length field (at `length_offset`) declared `declared` bytes.
    pub(crate) fn finish(
        &self,
        field: &'static str,
        length_offset: usize,
        declared: u64,
    ) -> DecodeResult<()> {
        if self.remaining() != 0 {
            return Err(DecodeError::LengthMismatch {
                field,
                offset: length_offset,
                declared,
                actual: declared - self.remaining() as u64,
            });
        }
        Ok(())
    }
}

/// Checks the format identifier and version (bytes 0..8) of a record.
pub(crate) fn read_magic(
    r: &mut Reader<'_>,
    format: &[u8; 4],
    version: &[u8; 4],
) -> DecodeResult<()> {
    let found: [u8; 4] = r.array("format identifier")?;
    if &found != format {
        return Err(DecodeError::BadFormatIdentifier {
            expected: *format,
            found,
        });
    }
    let found: [u8; 4] = r.array("version number")?;
    if &found != version {
        return Err(DecodeError::BadVersion {
            expected: *version,
            found,
        });
    }
    Ok(())
}

/// Reads the 4-byte record length at offset 8 and checks it against the input length.
pub(crate) fn read_record_length(r: &mut Reader<'_>, total: usize) -> DecodeResult<()> {
    let offset = r.offset();
    let declared = r.u32("record length")?;
    if u64::from(declared) != total as u64 {
        return Err(DecodeError::LengthMismatch {
            field: "record length",
            offset,
            declared: u64::from(declared),
            actual: total as u64,
        });
    }
    Ok(())
}

/// Reads a 4-byte representation length and returns a sub-reader over the rest of that
/// representation (the length counts its own four bytes).
pub(crate) fn read_representation<'a>(
    r: &mut Reader<'a>,
    min_len: u32,
) -> DecodeResult<Reader<'a>> {
    let offset = r.offset();
    let len = r.u32("representation length")?;
    if len < min_len {
        return Err(DecodeError::LengthMismatch {
            field: "representation length",
            offset,
            declared: u64::from(len),
            actual: u64::from(min_len),
        });
    }
    let body = (len - 4) as usize;
    if body > r.remaining() {
        return Err(DecodeError::LengthMismatch {
            field: "representation length",
            offset,
            declared: u64::from(len),
            actual: r.remaining() as u64 + 4,
        });
    }
    r.sub(body, "representation")
}

/// The number of representations a record's general header declares, and where it stands.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RepresentationCount {
    count: u16,
    offset: usize,
}

/// Starts writing a 2011-edition record: format identifier, version, the record length (a
/// placeholder: patch it with [`Writer::patch_total`] and the returned position), and the
/// number of representations, which must be at least one.
pub(crate) fn start_record(
    format: &[u8; 4],
    version: &[u8; 4],
    representations: usize,
) -> EncodeResult<(Writer, usize)> {
    if representations == 0 {
        return Err(EncodeError::Invalid {
            field: "number of representations",
            reason: "a record holds at least one representation",
        });
    }
    let mut w = Writer::new();
    w.bytes(format);
    w.bytes(version);
    let total = w.len_placeholder();
    w.u16(count(representations, "number of representations", 0xFFFF)?);
    Ok((w, total))
}

/// Reads the start of a 2011-edition record: format identifier, version, the record length
/// (which must equal the input length) and the number of representations (at least one).
/// The reader is left on the rest of the general header.
pub(crate) fn read_record_start<'a>(
    bytes: &'a [u8],
    format: &[u8; 4],
    version: &[u8; 4],
) -> DecodeResult<(Reader<'a>, RepresentationCount)> {
    let mut r = Reader::new(bytes);
    read_magic(&mut r, format, version)?;
    read_record_length(&mut r, bytes.len())?;
    let offset = r.offset();
    let count = r.u16("number of representations")?;
    if count == 0 {
        return Err(out_of_range(&r, 2, "number of representations", 0));
    }
    Ok((r, RepresentationCount { count, offset }))
}

/// Reads the declared representations with `read`, then checks that the record ends there
/// (its length field, at offset 8, says `total` bytes). Running out of bytes before the last
/// representation is a length mismatch on the count.
pub(crate) fn read_representations<'a, T>(
    r: &mut Reader<'a>,
    n: RepresentationCount,
    total: usize,
    mut read: impl FnMut(&mut Reader<'a>) -> DecodeResult<T>,
) -> DecodeResult<Vec<T>> {
    let mut out = Vec::with_capacity(usize::from(n.count).min(64));
    for _ in 0..n.count {
        if r.remaining() == 0 {
            return Err(DecodeError::LengthMismatch {
                field: "number of representations",
                offset: n.offset,
                declared: n.count.into(),
                actual: out.len() as u64,
            });
        }
        out.push(read(r)?);
    }
    r.finish("record length", 8, total as u64)?;
    Ok(out)
}

/// An out-of-range error for the field that was just read (`size` bytes long).
pub(crate) fn out_of_range(
    r: &Reader<'_>,
    size: usize,
    field: &'static str,
    value: u64,
) -> DecodeError {
    DecodeError::OutOfRange {
        field,
        offset: r.offset().saturating_sub(size),
        value,
    }
}

/// Appends big-endian fields to a byte vector.
#[derive(Debug, Default)]
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }

    pub(crate) fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn u24(&mut self, v: u32, field: &'static str) -> EncodeResult<()> {
        if v > 0x00FF_FFFF {
            return Err(EncodeError::TooLarge {
                field,
                value: u64::from(v),
                max: 0x00FF_FFFF,
            });
        }
        self.buf.extend_from_slice(&v.to_be_bytes()[1..]);
        Ok(())
    }

    pub(crate) fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(v);
    }

    /// Reserves a 4-byte length field; returns its position for [`Writer::patch_len`].
    pub(crate) fn len_placeholder(&mut self) -> usize {
        let at = self.buf.len();
        self.u32(0);
        at
    }

    /// Writes the length of everything from `at` to the end into the field at `at` (a
    /// representation length counts its own four bytes).
    pub(crate) fn patch_len(&mut self, at: usize, field: &'static str) -> EncodeResult<()> {
        self.patch(at, self.buf.len() - at, field)
    }

    /// Writes the length of the whole buffer into the field at `at` (the record length).
    pub(crate) fn patch_total(&mut self, at: usize) -> EncodeResult<()> {
        self.patch(at, self.buf.len(), "record length")
    }

    fn patch(&mut self, at: usize, len: usize, field: &'static str) -> EncodeResult<()> {
        let v = u32::try_from(len).map_err(|_| EncodeError::TooLarge {
            field,
            value: len as u64,
            max: u64::from(u32::MAX),
        })?;
        if let Some(slot) = self.buf.get_mut(at..at + 4) {
            slot.copy_from_slice(&v.to_be_bytes());
        }
        Ok(())
    }

    pub(crate) fn into_bytes(self) -> Vec<u8> {
        self.buf
    }
}

/// Converts a count to the width of its field, or fails naming the field.
pub(crate) fn count<T: TryFrom<usize>>(n: usize, field: &'static str, max: u64) -> EncodeResult<T> {
    T::try_from(n).map_err(|_| EncodeError::TooLarge {
        field,
        value: n as u64,
        max,
    })
}
