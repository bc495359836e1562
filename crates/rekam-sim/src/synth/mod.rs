//! Synthetic biometrics, deterministic per simulated person.
//!
//! Everything a simulated person "is" derives from a keyed hash of their [`SimSubject`]:
//! [`finger_identity`], [`eye_identity`] and [`face_identity`] name the trait behind a sample,
//! and the pattern parameters (ridge flow, iris texture, skin tone, signature strokes) come from
//! that identity. Each capture is a new *impression*: a seed from the station, device and
//! attempt shifts, rotates and adds noise, so two captures differ in pixels while the identity
//! stays.
//!
//! Modules: [`finger`] (ridge patterns, slaps), [`face`], [`iris`], [`signature`], and
//! [`encode`] (JPEG and downscaling for stills and previews).

pub mod encode;
pub mod face;
pub mod finger;
pub mod iris;
pub mod signature;

mod math;

use rekam_hal::{Eye, Finger, SimIdentity, SimSubject};
use sha2::{Digest, Sha256};

/// Why a synthetic image could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// The JPEG encoder failed.
    #[error("JPEG encoding failed")]
    Jpeg(#[from] image::ImageError),
    /// A pixel buffer does not match its dimensions.
    #[error("pixel buffer of {len} bytes does not fit {width}x{height}x{channels}")]
    BadBuffer {
        /// Buffer length.
        len: usize,
        /// Width.
        width: u32,
        /// Height.
        height: u32,
        /// Bytes per pixel.
        channels: u32,
    },
}

/// A 64-bit hash of length-prefixed parts (SHA-256, domain-separated, first 8 bytes).
pub fn hash64(parts: &[&[u8]]) -> u64 {
    let mut h = Sha256::new();
    h.update(b"rekam-sim/v1");
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_le_bytes(b)
}

/// The identity of `subject`'s `finger`.
///
/// ```
/// use rekam_hal::{Finger, SimSubject};
/// use rekam_sim::synth::finger_identity;
/// let a = SimSubject(1);
/// assert_eq!(finger_identity(a, Finger::RightIndex), finger_identity(a, Finger::RightIndex));
/// assert_ne!(finger_identity(a, Finger::RightIndex), finger_identity(a, Finger::LeftIndex));
/// assert_ne!(finger_identity(a, Finger::RightIndex), finger_identity(SimSubject(2), Finger::RightIndex));
/// ```
pub fn finger_identity(subject: SimSubject, finger: Finger) -> SimIdentity {
    SimIdentity(hash64(&[
        b"finger",
        &subject.0.to_le_bytes(),
        &[finger.iso_code()],
    ]))
}

/// The identity of `subject`'s `eye`.
pub fn eye_identity(subject: SimSubject, eye: Eye) -> SimIdentity {
    let code: u8 = match eye {
        Eye::Right => 1,
        Eye::Left => 2,
    };
    SimIdentity(hash64(&[b"eye", &subject.0.to_le_bytes(), &[code]]))
}

/// The identity of `subject`'s face.
pub fn face_identity(subject: SimSubject) -> SimIdentity {
    SimIdentity(hash64(&[b"face", &subject.0.to_le_bytes()]))
}

/// The seed of `subject`'s signature.
pub fn signature_seed(subject: SimSubject) -> u64 {
    hash64(&[b"signature", &subject.0.to_le_bytes()])
}

/// The other (fixed) person an `Impostor` fault puts in front of the scanner.
pub fn impostor_of(subject: SimSubject) -> SimSubject {
    SimSubject(hash64(&[b"impostor", &subject.0.to_le_bytes()]))
}

/// The person in front of a device when a request names none.
pub fn default_subject(station_seed: u64) -> SimSubject {
    SimSubject(hash64(&[b"default-subject", &station_seed.to_le_bytes()]))
}

/// A small, fast, deterministic generator (SplitMix64). Not for cryptography.
#[derive(Debug, Clone)]
pub struct SimRng(u64);

impl SimRng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        SimRng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }

    /// Uniform in `[lo, hi)`.
    pub fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    /// Uniform integer in `lo..=hi`.
    pub fn int(&mut self, lo: u32, hi: u32) -> u32 {
        let span = u64::from(hi.saturating_sub(lo)) + 1;
        lo + (self.next_u64() % span) as u32
    }

    /// Uniform in `[-1, 1)`, cheap, for pixel noise.
    pub fn noise(&mut self) -> f32 {
        ((self.next_u64() >> 41) as f32 / (1u64 << 22) as f32) - 1.0
    }
}

/// Cheap per-pixel noise in `[-1, 1)`: four 16-bit draws per generator step.
#[derive(Debug, Clone)]
pub struct PixelNoise {
    rng: SimRng,
    bits: u64,
    left: u8,
}

impl PixelNoise {
    /// Noise from a seed.
    pub fn new(seed: u64) -> Self {
        PixelNoise {
            rng: SimRng::new(seed),
            bits: 0,
            left: 0,
        }
    }

    /// The next value.
    #[inline]
    pub fn sample(&mut self) -> f32 {
        if self.left == 0 {
            self.bits = self.rng.next_u64();
            self.left = 4;
        }
        let v = (self.bits & 0xFFFF) as f32;
        self.bits >>= 16;
        self.left -= 1;
        v * (1.0 / 32768.0) - 1.0
    }
}

/// A quality score in `lo..=hi` for an identity (the base) with a small per-impression jitter.
pub fn quality(identity_seed: u64, impression_seed: u64, lo: u8, hi: u8) -> u8 {
    let base = SimRng::new(identity_seed ^ 0x51_7A11).int(u32::from(lo), u32::from(hi));
    let jitter = SimRng::new(impression_seed).int(0, 8) as i64 - 4;
    (i64::from(base) + jitter).clamp(i64::from(lo), i64::from(hi)) as u8
}

/// A poor quality score, 5-25, for `LowQuality`.
pub fn poor_quality(impression_seed: u64) -> u8 {
    SimRng::new(impression_seed ^ 0xBAD).int(5, 25) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_distinct_across_people_fingers_and_eyes() {
        let mut seen = std::collections::HashSet::new();
        for s in 0..50u64 {
            for f in Finger::ALL {
                assert!(seen.insert(finger_identity(SimSubject(s), f)));
            }
            for e in Eye::BOTH {
                assert!(seen.insert(eye_identity(SimSubject(s), e)));
            }
            assert!(seen.insert(face_identity(SimSubject(s))));
        }
    }

    #[test]
    fn rng_ranges_hold() {
        let mut r = SimRng::new(42);
        for _ in 0..10_000 {
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            let n = r.noise();
            assert!((-1.0..1.0).contains(&n));
            let i = r.int(55, 95);
            assert!((55..=95).contains(&i));
        }
        assert_ne!(SimRng::new(1).next_u64(), SimRng::new(2).next_u64());
        let mut p = PixelNoise::new(7);
        let values: Vec<f32> = (0..10_000).map(|_| p.sample()).collect();
        assert!(values.iter().all(|v| (-1.0..1.0).contains(v)));
        let mean = values.iter().sum::<f32>() / values.len() as f32;
        assert!(mean.abs() < 0.05, "mean {mean}");
    }

    #[test]
    fn quality_is_per_identity_with_jitter_in_range() {
        for i in 0..200u64 {
            let q = quality(i, i * 7, 55, 95);
            assert!((55..=95).contains(&q));
            let p = poor_quality(i);
            assert!((5..=25).contains(&p));
        }
        assert_eq!(quality(3, 9, 55, 95), quality(3, 9, 55, 95));
    }
}
