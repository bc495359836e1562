//! Blocks shared by the 2011-generation records (ISO/IEC 19794-1:2011 framework): capture date
//! and time, capture device identifiers, quality blocks, certification blocks, and the
//! [`Redacted`] wrapper that keeps biometric data out of `Debug` output.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::codec::{out_of_range, Reader, Writer};
use crate::error::{DecodeResult, EncodeError, EncodeResult};

/// Biometric data (image bytes, minutiae, landmark points, pen samples) whose `Debug` output is
/// only its length, so a record can be logged or asserted on without leaking the biometric.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Redacted<T>(pub T);

impl<T> fmt::Debug for Redacted<Vec<T>> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{} redacted>", self.0.len())
    }
}

impl<T> std::ops::Deref for Redacted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> From<T> for Redacted<T> {
    fn from(v: T) -> Self {
        Self(v)
    }
}

/// Capture date and time (ISO/IEC 19794-1:2011, 9 bytes: year 2, month, day, hour, minute,
/// second 1 each, millisecond 2). UTC by the standard. A record with no capture time writes
/// all 0xFF (`Option::None` in the structs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CaptureDateTime {
    /// Year, e.g. 2024.
    pub year: u16,
    /// Month 1..=12.
    pub month: u8,
    /// Day 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=59.
    pub second: u8,
    /// Millisecond 0..=999.
    pub millisecond: u16,
}

impl CaptureDateTime {
    fn check(&self) -> Option<(&'static str, u64)> {
        let bad = |c: bool, f: &'static str, v: u64| (!c).then_some((f, v));
        bad(
            (1..=12).contains(&self.month),
            "capture month",
            self.month.into(),
        )
        .or_else(|| bad((1..=31).contains(&self.day), "capture day", self.day.into()))
        .or_else(|| bad(self.hour <= 23, "capture hour", self.hour.into()))
        .or_else(|| bad(self.minute <= 59, "capture minute", self.minute.into()))
        .or_else(|| bad(self.second <= 59, "capture second", self.second.into()))
        .or_else(|| {
            bad(
                self.millisecond <= 999,
                "capture millisecond",
                self.millisecond.into(),
            )
        })
        .or_else(|| bad(self.year != 0xFFFF, "capture year", self.year.into()))
    }
}

pub(crate) fn write_datetime(w: &mut Writer, dt: &Option<CaptureDateTime>) -> EncodeResult<()> {
    match dt {
        None => w.bytes(&[0xFF; 9]),
        Some(dt) => {
            if let Some((field, _)) = dt.check() {
                return Err(EncodeError::Invalid {
                    field,
                    reason: "not a valid date or time",
                });
            }
            w.u16(dt.year);
            w.bytes(&[dt.month, dt.day, dt.hour, dt.minute, dt.second]);
            w.u16(dt.millisecond);
        }
    }
    Ok(())
}

pub(crate) fn read_datetime(r: &mut Reader<'_>) -> DecodeResult<Option<CaptureDateTime>> {
    let start = r.offset();
    let raw: [u8; 9] = r.array("capture date and time")?;
    if raw == [0xFF; 9] {
        return Ok(None);
    }
    let dt = CaptureDateTime {
        year: u16::from_be_bytes([raw[0], raw[1]]),
        month: raw[2],
        day: raw[3],
        hour: raw[4],
        minute: raw[5],
        second: raw[6],
        millisecond: u16::from_be_bytes([raw[7], raw[8]]),
    };
    if let Some((field, value)) = dt.check() {
        return Err(crate::DecodeError::OutOfRange {
            field,
            offset: start,
            value,
        });
    }
    Ok(Some(dt))
}

/// Capture device identifiers (technology 1 byte, vendor 2 bytes, device type 2 bytes). Zero
/// means "unspecified" in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct CaptureDevice {
    /// Capture device technology identifier (modality-specific table; 0 = unknown).
    pub technology: u8,
    /// Capture device vendor identifier (IBIA-registered organisation; 0 = unreported).
    pub vendor: u16,
    /// Capture device type identifier (vendor-assigned; 0 = unreported).
    pub device_type: u16,
}

pub(crate) fn write_device(w: &mut Writer, d: &CaptureDevice) {
    w.u8(d.technology);
    w.u16(d.vendor);
    w.u16(d.device_type);
}

pub(crate) fn read_device(r: &mut Reader<'_>, max_technology: u8) -> DecodeResult<CaptureDevice> {
    let technology = r.u8("capture device technology identifier")?;
    if technology > max_technology {
        return Err(out_of_range(
            r,
            1,
            "capture device technology identifier",
            technology.into(),
        ));
    }
    Ok(CaptureDevice {
        technology,
        vendor: r.u16("capture device vendor identifier")?,
        device_type: r.u16("capture device type identifier")?,
    })
}

/// A quality block (5 bytes): score 0..=100 or 255 (failed to compute), the quality
/// algorithm's vendor (IBIA organisation) and the algorithm identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct QualityBlock {
    /// 0..=100, or 255 when the algorithm failed.
    pub score: u8,
    /// Quality algorithm vendor identifier.
    pub algorithm_vendor: u16,
    /// Quality algorithm identifier.
    pub algorithm: u16,
}

/// Quality score meaning "the algorithm failed to compute a score".
pub const QUALITY_FAILED: u8 = 255;

pub(crate) fn write_quality(w: &mut Writer, q: &[QualityBlock]) -> EncodeResult<()> {
    w.u8(crate::codec::count(
        q.len(),
        "number of quality blocks",
        255,
    )?);
    for b in q {
        if b.score > 100 && b.score != QUALITY_FAILED {
            return Err(EncodeError::Invalid {
                field: "quality score",
                reason: "must be 0..=100 or 255",
            });
        }
        w.u8(b.score);
        w.u16(b.algorithm_vendor);
        w.u16(b.algorithm);
    }
    Ok(())
}

pub(crate) fn read_quality(r: &mut Reader<'_>) -> DecodeResult<Vec<QualityBlock>> {
    let n = r.u8("number of quality blocks")?;
    let mut out = Vec::with_capacity(n.into());
    for _ in 0..n {
        let score = r.u8("quality score")?;
        if score > 100 && score != QUALITY_FAILED {
            return Err(out_of_range(r, 1, "quality score", score.into()));
        }
        out.push(QualityBlock {
            score,
            algorithm_vendor: r.u16("quality algorithm vendor identifier")?,
            algorithm: r.u16("quality algorithm identifier")?,
        });
    }
    Ok(out)
}

/// A certification block (3 bytes): certification authority (2) and scheme (1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CertificationBlock {
    /// Certification authority identifier.
    pub authority: u16,
    /// Certification scheme identifier.
    pub scheme: u8,
}

pub(crate) fn write_certifications(w: &mut Writer, c: &[CertificationBlock]) -> EncodeResult<()> {
    w.u8(crate::codec::count(
        c.len(),
        "number of certification blocks",
        255,
    )?);
    for b in c {
        w.u16(b.authority);
        w.u8(b.scheme);
    }
    Ok(())
}

pub(crate) fn read_certifications(r: &mut Reader<'_>) -> DecodeResult<Vec<CertificationBlock>> {
    let n = r.u8("number of certification blocks")?;
    let mut out = Vec::with_capacity(n.into());
    for _ in 0..n {
        out.push(CertificationBlock {
            authority: r.u16("certification authority identifier")?,
            scheme: r.u8("certification scheme identifier")?,
        });
    }
    Ok(out)
}

/// Reads a one-byte flag that must be 0 or 1.
pub(crate) fn read_flag(r: &mut Reader<'_>, field: &'static str) -> DecodeResult<bool> {
    match r.u8(field)? {
        0 => Ok(false),
        1 => Ok(true),
        v => Err(out_of_range(r, 1, field, v.into())),
    }
}
