//! How long simulated devices take: [`SimLatency`], with a realistic preset for demos and the
//! daemon's default configuration, a zero preset for tests, and a humane TOML form in
//! milliseconds.
//!
//! In configuration, `latency` is either a preset name or a table of `*_ms` keys; keys left out
//! take the preset's value (`preset`, default `"realistic"`):
//!
//! ```
//! use std::time::Duration;
//! use rekam_sim::{SimConfig, SimLatency};
//! let cfg: SimConfig = toml::from_str(r#"
//!     seed = 7
//!     latency = { preset = "zero", capture_ms = 1500, preview_interval_ms = 66 }
//! "#).unwrap();
//! assert_eq!(cfg.latency.capture, Duration::from_millis(1500));
//! assert_eq!(cfg.latency.feed, Duration::ZERO);
//! let cfg: SimConfig = toml::from_str(r#"latency = "realistic""#).unwrap();
//! assert_eq!(cfg.latency, SimLatency::realistic());
//! assert!(toml::from_str::<SimConfig>(r#"latency = { capture = 3 }"#).is_err());
//! ```

use std::fmt;
use std::time::Duration;

use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Latencies of the simulated devices. Every wait is a [`Control::sleep`](rekam_hal::Control::sleep),
/// so cancellation ends it at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimLatency {
    /// Time from the start of a capture to the still (previews stream meanwhile).
    pub capture: Duration,
    /// Time between preview frames (66 ms is 15 frames a second).
    pub preview_interval: Duration,
    /// Card printer: hopper to encoder.
    pub feed: Duration,
    /// Encoder: writing one KiB to the chip.
    pub write_per_kib: Duration,
    /// Encoder: reading one KiB from the chip.
    pub read_per_kib: Duration,
    /// Card printer: printing one card face.
    pub print: Duration,
    /// Card printer: ejecting or rejecting a card.
    pub eject: Duration,
    /// Document printer: one document.
    pub doc_print: Duration,
    /// One step of a self-test.
    pub self_test_step: Duration,
}

impl SimLatency {
    /// Timings close to real devices: a 1.5 s capture with previews at 15 fps, a 1.5 s feed,
    /// 150 ms per KiB written, an 8 s print, 200 ms per self-test step.
    pub fn realistic() -> Self {
        SimLatency {
            capture: Duration::from_millis(1500),
            preview_interval: Duration::from_millis(66),
            feed: Duration::from_millis(1500),
            write_per_kib: Duration::from_millis(150),
            read_per_kib: Duration::from_millis(40),
            print: Duration::from_millis(8000),
            eject: Duration::from_millis(1000),
            doc_print: Duration::from_millis(3000),
            self_test_step: Duration::from_millis(200),
        }
    }

    /// No waiting at all, for tests. Captures still stream three preview frames.
    pub fn zero() -> Self {
        SimLatency {
            capture: Duration::ZERO,
            preview_interval: Duration::ZERO,
            feed: Duration::ZERO,
            write_per_kib: Duration::ZERO,
            read_per_kib: Duration::ZERO,
            print: Duration::ZERO,
            eject: Duration::ZERO,
            doc_print: Duration::ZERO,
            self_test_step: Duration::ZERO,
        }
    }

    /// A preset by name: `realistic` or `zero`.
    pub fn preset(name: &str) -> Result<Self, LatencyError> {
        match name {
            "realistic" => Ok(Self::realistic()),
            "zero" => Ok(Self::zero()),
            other => Err(LatencyError::UnknownPreset(other.to_owned())),
        }
    }

    /// Time to move `bytes` at `per_kib`, rounded up to whole nanoseconds.
    pub fn for_bytes(per_kib: Duration, bytes: usize) -> Duration {
        let nanos = per_kib
            .as_nanos()
            .saturating_mul(bytes as u128)
            .div_ceil(1024);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }
}

impl Default for SimLatency {
    /// [`SimLatency::realistic`].
    fn default() -> Self {
        Self::realistic()
    }
}

/// Why a latency setting was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LatencyError {
    /// The preset name is not known.
    #[error("unknown latency preset {0:?} (expected \"realistic\" or \"zero\")")]
    UnknownPreset(String),
}

/// The TOML table form: every key optional, in milliseconds.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyTable {
    preset: Option<String>,
    capture_ms: Option<u64>,
    preview_interval_ms: Option<u64>,
    feed_ms: Option<u64>,
    write_per_kib_ms: Option<u64>,
    read_per_kib_ms: Option<u64>,
    print_ms: Option<u64>,
    eject_ms: Option<u64>,
    doc_print_ms: Option<u64>,
    self_test_step_ms: Option<u64>,
}

impl LatencyTable {
    fn resolve(self) -> Result<SimLatency, LatencyError> {
        let base = SimLatency::preset(self.preset.as_deref().unwrap_or("realistic"))?;
        let ms = |v: Option<u64>, d: Duration| v.map_or(d, Duration::from_millis);
        Ok(SimLatency {
            capture: ms(self.capture_ms, base.capture),
            preview_interval: ms(self.preview_interval_ms, base.preview_interval),
            feed: ms(self.feed_ms, base.feed),
            write_per_kib: ms(self.write_per_kib_ms, base.write_per_kib),
            read_per_kib: ms(self.read_per_kib_ms, base.read_per_kib),
            print: ms(self.print_ms, base.print),
            eject: ms(self.eject_ms, base.eject),
            doc_print: ms(self.doc_print_ms, base.doc_print),
            self_test_step: ms(self.self_test_step_ms, base.self_test_step),
        })
    }
}

impl<'de> Deserialize<'de> for SimLatency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct LatencyVisitor;

        impl<'de> Visitor<'de> for LatencyVisitor {
            type Value = SimLatency;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a latency preset (\"realistic\" or \"zero\") or a table of *_ms keys")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<SimLatency, E> {
                SimLatency::preset(v).map_err(E::custom)
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<SimLatency, A::Error> {
                let table = LatencyTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                table.resolve().map_err(de::Error::custom)
            }
        }

        deserializer.deserialize_any(LatencyVisitor)
    }
}

impl Serialize for SimLatency {
    /// Serialises as the table form with every `*_ms` key.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let mut s = serializer.serialize_struct("SimLatency", 9)?;
        s.serialize_field("capture_ms", &ms(self.capture))?;
        s.serialize_field("preview_interval_ms", &ms(self.preview_interval))?;
        s.serialize_field("feed_ms", &ms(self.feed))?;
        s.serialize_field("write_per_kib_ms", &ms(self.write_per_kib))?;
        s.serialize_field("read_per_kib_ms", &ms(self.read_per_kib))?;
        s.serialize_field("print_ms", &ms(self.print))?;
        s.serialize_field("eject_ms", &ms(self.eject))?;
        s.serialize_field("doc_print_ms", &ms(self.doc_print))?;
        s.serialize_field("self_test_step_ms", &ms(self.self_test_step))?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Wrap {
        latency: SimLatency,
    }

    #[test]
    fn presets_and_tables_parse() {
        let w: Wrap = toml::from_str(r#"latency = "zero""#).unwrap();
        assert_eq!(w.latency, SimLatency::zero());
        let w: Wrap = toml::from_str("latency = { capture_ms = 10 }").unwrap();
        assert_eq!(w.latency.capture, Duration::from_millis(10));
        assert_eq!(w.latency.print, SimLatency::realistic().print);
        let w: Wrap = toml::from_str("[latency]\npreset = \"zero\"\nprint_ms = 5").unwrap();
        assert_eq!(w.latency.print, Duration::from_millis(5));
        assert_eq!(w.latency.feed, Duration::ZERO);
    }

    #[test]
    fn bad_latency_is_named() {
        let err = toml::from_str::<Wrap>(r#"latency = "slow""#).unwrap_err();
        assert!(err.to_string().contains("unknown latency preset"), "{err}");
        let err = toml::from_str::<Wrap>("latency = { capture = 10 }").unwrap_err();
        assert!(err.to_string().contains("capture"), "{err}");
        let err = toml::from_str::<Wrap>("latency = 3").unwrap_err();
        assert!(err.to_string().contains("preset"), "{err}");
    }

    #[test]
    fn serialises_round_trip() {
        let text = toml::to_string(&Wrap2 {
            latency: SimLatency::realistic(),
        })
        .unwrap();
        assert!(text.contains("capture_ms = 1500"), "{text}");
        let back: Wrap = toml::from_str(&text).unwrap();
        assert_eq!(back.latency, SimLatency::realistic());
    }

    #[derive(Serialize)]
    struct Wrap2 {
        latency: SimLatency,
    }

    #[test]
    fn bytes_scale_per_kib() {
        let d = SimLatency::for_bytes(Duration::from_millis(150), 2048);
        assert_eq!(d, Duration::from_millis(300));
        assert_eq!(SimLatency::for_bytes(Duration::ZERO, 4096), Duration::ZERO);
    }
}
