//! BER-TLV as ISO/IEC 7816-4 §6 and ICAO Doc 9303 part 10 use it: tags of one to three
//! bytes, definite lengths of one to four bytes (`81`, `82`, `83`). Indefinite lengths are not
//! used on cards and are refused.
//!
//! Tags are kept as their encoded bytes read big-endian (`0x5F01`, `0x7F61`).
//!
//! ```
//! use rekam_apdu::tlv;
//! let mut out = Vec::new();
//! tlv::write(&mut out, 0x5F01, b"0107");
//! let (t, rest) = tlv::Tlv::parse(&out).unwrap();
//! assert_eq!((t.tag, t.value, rest.len()), (0x5F01, &b"0107"[..], 0));
//! ```

/// Why bytes are not a TLV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// The input ended inside a tag, length or value.
    #[error("truncated TLV")]
    Truncated,
    /// A tag longer than three bytes.
    #[error("tag longer than three bytes")]
    TagTooLong,
    /// An indefinite (`80`) or over-long length.
    #[error("unsupported length encoding")]
    BadLength,
}

/// One TLV, borrowing its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag bytes, big-endian.
    pub tag: u32,
    /// The value.
    pub value: &'a [u8],
}

impl<'a> Tlv<'a> {
    /// Parses one TLV from the front of `input`, returning it and the rest.
    pub fn parse(input: &'a [u8]) -> Result<(Tlv<'a>, &'a [u8]), TlvError> {
        let (&first, mut rest) = input.split_first().ok_or(TlvError::Truncated)?;
        let mut tag = u32::from(first);
        if first & 0x1F == 0x1F {
            let mut n = 0;
            loop {
                let (&b, r) = rest.split_first().ok_or(TlvError::Truncated)?;
                rest = r;
                tag = (tag << 8) | u32::from(b);
                n += 1;
                if n > 2 {
                    return Err(TlvError::TagTooLong);
                }
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let (&l0, r) = rest.split_first().ok_or(TlvError::Truncated)?;
        rest = r;
        let len = match l0 {
            0..=0x7F => usize::from(l0),
            0x81..=0x84 => {
                let n = usize::from(l0 & 0x7F);
                let (bytes, r) = rest.split_at_checked(n).ok_or(TlvError::Truncated)?;
                rest = r;
                bytes
                    .iter()
                    .fold(0usize, |acc, b| (acc << 8) | usize::from(*b))
            }
            _ => return Err(TlvError::BadLength),
        };
        let (value, rest) = rest.split_at_checked(len).ok_or(TlvError::Truncated)?;
        Ok((Tlv { tag, value }, rest))
    }

    /// True when the tag's constructed bit (b6 of the first byte) is set.
    pub fn is_constructed(&self) -> bool {
        let first = self
            .tag
            .to_be_bytes()
            .into_iter()
            .find(|b| *b != 0)
            .unwrap_or(0);
        first & 0x20 != 0
    }
}

/// Iterates the TLVs of `input` in order; stops after the first error.
pub fn iter(input: &[u8]) -> Iter<'_> {
    Iter { rest: input }
}

/// See [`iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Iter<'a> {
    type Item = Result<Tlv<'a>, TlvError>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match Tlv::parse(self.rest) {
            Ok((t, rest)) => {
                self.rest = rest;
                Some(Ok(t))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// The value of the first TLV tagged `tag` among the TLVs of `input` (not recursive).
pub fn find(input: &[u8], tag: u32) -> Result<Option<&[u8]>, TlvError> {
    for t in iter(input) {
        let t = t?;
        if t.tag == tag {
            return Ok(Some(t.value));
        }
    }
    Ok(None)
}

/// Parses `input` as exactly one TLV tagged `tag` and returns its value.
pub fn expect(input: &[u8], tag: u32) -> Result<Option<&[u8]>, TlvError> {
    let (t, rest) = Tlv::parse(input)?;
    if t.tag != tag || !rest.is_empty() {
        return Ok(None);
    }
    Ok(Some(t.value))
}

/// Appends the tag bytes (without leading zero bytes).
pub fn write_tag(out: &mut Vec<u8>, tag: u32) {
    let bytes = tag.to_be_bytes();
    let skip = bytes.iter().take(3).take_while(|b| **b == 0).count();
    out.extend_from_slice(&bytes[skip..]);
}

/// Appends a definite length in the shortest form.
pub fn write_len(out: &mut Vec<u8>, len: usize) {
    match len {
        0..=0x7F => out.push(len as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, len as u8]),
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        }
        0x1_0000..=0xFF_FFFF => {
            out.push(0x83);
            out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
        }
        _ => {
            out.push(0x84);
            out.extend_from_slice(&(len as u32).to_be_bytes());
        }
    }
}

/// Appends a whole TLV.
pub fn write(out: &mut Vec<u8>, tag: u32, value: &[u8]) {
    write_tag(out, tag);
    write_len(out, value.len());
    out.extend_from_slice(value);
}

/// A TLV as a new vector.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    write(&mut out, tag, value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn lengths_take_the_shortest_form() {
        assert_eq!(encode(0x80, &[1, 2]), [0x80, 2, 1, 2]);
        assert_eq!(&encode(0x5F2E, &[0; 200])[..4], &[0x5F, 0x2E, 0x81, 200]);
        assert_eq!(
            &encode(0x7F61, &[0; 300])[..5],
            &[0x7F, 0x61, 0x82, 1, 0x2C]
        );
        assert!(Tlv::parse(&[0x7F, 0x61, 1, 0]).unwrap().0.is_constructed());
        assert!(!Tlv::parse(&[0x80, 0]).unwrap().0.is_constructed());
    }

    #[test]
    fn malformed_input_is_refused() {
        assert_eq!(Tlv::parse(&[]), Err(TlvError::Truncated));
        assert_eq!(Tlv::parse(&[0x5F]), Err(TlvError::Truncated));
        assert_eq!(Tlv::parse(&[0x80, 3, 1]), Err(TlvError::Truncated));
        assert_eq!(Tlv::parse(&[0x80, 0x80]), Err(TlvError::BadLength));
        assert_eq!(
            Tlv::parse(&[0x1F, 0x81, 0x81, 0x01, 0]),
            Err(TlvError::TagTooLong)
        );
    }

    proptest! {
        #[test]
        fn write_then_parse(tag in prop_oneof![0u32..0x1F, 0x5F01u32..0x5F7F, 0x7F60u32..0x7F7F],
                            value in proptest::collection::vec(any::<u8>(), 0..70_000)) {
            let bytes = encode(tag, &value);
            let (t, rest) = Tlv::parse(&bytes).unwrap();
            prop_assert_eq!(t.tag, tag);
            prop_assert_eq!(t.value, &value[..]);
            prop_assert!(rest.is_empty());
        }

        #[test]
        fn parsing_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            for t in iter(&bytes) {
                if t.is_err() { break; }
            }
        }
    }
}
