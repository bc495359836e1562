//! Sealing and opening of event payloads and blobs, and the keyed lookup hash.
//!
//! Every ciphertext is ChaCha20-Poly1305 under the data key with a fresh random 96-bit nonce.
//! The associated data binds it to its place: an event to (stream id, seq, time, event kind),
//! a blob to (stream id, blob id, media type). A row moved to another place, or a plaintext
//! column beside it edited, fails authentication. All variable-length parts of the associated
//! data and of the lookup hash input are length-prefixed, so no two places encode alike.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::error::StoreError;
use crate::keys::{random_bytes, Keys};

/// Length of a nonce.
pub(crate) const NONCE_LEN: usize = 12;

/// Builds length-prefixed byte strings for associated data and hash inputs.
#[derive(Debug, Default)]
pub(crate) struct Canonical(Vec<u8>);

impl Canonical {
    pub(crate) fn new(domain: &str) -> Self {
        let mut c = Self(Vec::with_capacity(128));
        c.bytes(domain.as_bytes());
        c
    }

    pub(crate) fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(&(b.len() as u64).to_be_bytes());
        self.0.extend_from_slice(b);
        self
    }

    pub(crate) fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    pub(crate) fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }

    pub(crate) fn fixed(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }

    pub(crate) fn finish(&self) -> &[u8] {
        &self.0
    }
}

/// Associated data of an event ciphertext.
pub(crate) fn event_aad(stream: &str, seq: u64, at: i64, kind: &str) -> Canonical {
    let mut c = Canonical::new("rekam-store/v1/event");
    c.str(stream).u64(seq).i64(at).str(kind);
    c
}

/// Associated data of a blob ciphertext.
pub(crate) fn blob_aad(stream: &str, blob: &str, media_type: &str) -> Canonical {
    let mut c = Canonical::new("rekam-store/v1/blob");
    c.str(stream).str(blob).str(media_type);
    c
}

/// Associated data of the key-check canary.
pub(crate) fn key_check_aad() -> Canonical {
    Canonical::new("rekam-store/v1/key-check")
}

/// Encrypts `plaintext`; returns (nonce, ciphertext with tag).
pub(crate) fn seal(
    keys: &Keys,
    aad: &Canonical,
    plaintext: &[u8],
) -> Result<([u8; NONCE_LEN], Vec<u8>), StoreError> {
    let cipher = ChaCha20Poly1305::new(Key::from_slice(keys.data()));
    let mut nonce = [0u8; NONCE_LEN];
    random_bytes(&mut nonce)?;
    let ct = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: aad.finish(),
            },
        )
        // Encryption fails only for plaintexts beyond 256 GiB, which the size limits exclude.
        .map_err(|_| StoreError::InvalidInput {
            field: "payload",
            reason: "too large to encrypt",
        })?;
    Ok((nonce, ct))
}

/// Decrypts and authenticates; `None` when the ciphertext, nonce, key or place is wrong.
pub(crate) fn open(
    keys: &Keys,
    aad: &Canonical,
    nonce: &[u8],
    ciphertext: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    if nonce.len() != NONCE_LEN {
        return None;
    }
    let cipher = ChaCha20Poly1305::new(Key::from_slice(keys.data()));
    cipher
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ciphertext,
                aad: aad.finish(),
            },
        )
        .ok()
        .map(Zeroizing::new)
}

/// HMAC-SHA256 under the index key.
pub(crate) fn index_mac(keys: &Keys, input: &Canonical) -> [u8; 32] {
    // HMAC pads a key shorter than the hash's block (64 bytes) with zeros, so the padded block
    // is the same key; building from the block avoids a fallible constructor.
    let mut block = Zeroizing::new([0u8; 64]);
    block[..32].copy_from_slice(keys.index());
    let mut mac = <Hmac<Sha256> as hmac::digest::KeyInit>::new(
        hmac::digest::generic_array::GenericArray::from_slice(&block[..]),
    );
    mac.update(input.finish());
    mac.finalize().into_bytes().into()
}

/// The keyed hash under which a lookup value is stored.
pub(crate) fn lookup_tag(keys: &Keys, stream_kind: &str, lookup: &str) -> [u8; 32] {
    let mut c = Canonical::new("rekam-store/v1/lookup");
    c.str(stream_kind).str(lookup);
    index_mac(keys, &c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_round_trip_and_binding() {
        let keys = Keys::generate().unwrap();
        let aad = event_aad("ses_1", 1, 5, "opened");
        let (nonce, ct) = seal(&keys, &aad, b"secret").unwrap();
        assert_eq!(&*open(&keys, &aad, &nonce, &ct).unwrap(), b"secret");
        for other in [
            event_aad("ses_2", 1, 5, "opened"),
            event_aad("ses_1", 2, 5, "opened"),
            event_aad("ses_1", 1, 6, "opened"),
            event_aad("ses_1", 1, 5, "closed"),
        ] {
            assert!(open(&keys, &other, &nonce, &ct).is_none());
        }
        let other_keys = Keys::generate().unwrap();
        assert!(open(&other_keys, &aad, &nonce, &ct).is_none());
        let (nonce2, ct2) = seal(&keys, &aad, b"secret").unwrap();
        assert_ne!(nonce, nonce2, "nonces are fresh");
        assert_ne!(ct, ct2);
    }

    #[test]
    fn canonical_encoding_is_unambiguous() {
        let a = blob_aad("ab", "c", "d");
        let b = blob_aad("a", "bc", "d");
        assert_ne!(a.finish(), b.finish());
    }

    #[test]
    fn index_mac_is_standard_hmac_sha256() {
        let keys = Keys::from_bytes([1; 32], [7; 32]);
        let input = Canonical::new("x");
        let mut reference = <Hmac<Sha256> as Mac>::new_from_slice(&[7; 32]).unwrap();
        reference.update(input.finish());
        let expected: [u8; 32] = reference.finalize().into_bytes().into();
        assert_eq!(index_mac(&keys, &input), expected);
    }

    #[test]
    fn lookup_tags_depend_on_key_kind_and_value() {
        let k1 = Keys::generate().unwrap();
        let k2 = Keys::generate().unwrap();
        let t = lookup_tag(&k1, "session", "3507123456789001");
        assert_eq!(t, lookup_tag(&k1, "session", "3507123456789001"));
        assert_ne!(t, lookup_tag(&k1, "job", "3507123456789001"));
        assert_ne!(t, lookup_tag(&k1, "session", "3507123456789002"));
        assert_ne!(t, lookup_tag(&k2, "session", "3507123456789001"));
    }
}
