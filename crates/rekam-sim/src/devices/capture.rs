//! The capture devices: fingerprint scanner, face camera, iris camera and signature pad.

use rekam_hal::{
    CameraCapabilities, CaptureSink, Control, Device, DeviceFamily, DeviceInfo, DeviceStatus,
    EncodedImage, ErrorKind, EventSink, Eye, EyeImage, FaceCamera, FaceCapture, FaceCaptureRequest,
    Finger, FingerCapture, FingerCaptureRequest, FingerSegment, FingerprintCapabilities,
    FingerprintScanner, Guidance, GuidanceCode, ImageCodec, IrisCamera, IrisCapture,
    IrisCaptureRequest, RawImage, Result, SelfTestProgress, SelfTestReport, SignatureCapture,
    SignatureCaptureRequest, SignaturePad, SignaturePadCapabilities, SimSubject, SlapKind,
};

use crate::core::{internal, SimCore};
use crate::fault::{FaultHandle, FaultKind};
use crate::synth::{self, encode, face, finger, iris, signature};
use crate::world::SimWorld;

/// JPEG quality of face stills.
const FACE_JPEG_QUALITY: u8 = 88;

fn preview_fps(core: &SimCore) -> u32 {
    let ms = core.world.latency().preview_interval.as_millis();
    1000u128
        .checked_div(ms)
        .map_or(15, |fps| u32::try_from(fps).unwrap_or(15).max(1))
}

/// Implements the [`Device`] methods every capture device shares.
macro_rules! capture_device {
    ($ty:ty, $checks:expr) => {
        impl Device for $ty {
            fn info(&self) -> &DeviceInfo {
                &self.core.info
            }

            fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
                ctl.check().map_err(|e| self.core.tag(e))?;
                Ok(self.core.base_status())
            }

            fn self_test(
                &mut self,
                ctl: &Control,
                progress: &mut dyn FnMut(SelfTestProgress),
            ) -> Result<SelfTestReport> {
                let checks = $checks
                    .iter()
                    .map(|&(name, detail): &(&'static str, &str)| (name, true, detail.to_owned()))
                    .collect();
                self.core.run_self_test(ctl, progress, checks)
            }

            fn recover(&mut self, ctl: &Control) -> Result<()> {
                self.core.begin_recover(ctl)
            }

            fn set_event_sink(&mut self, sink: EventSink) {
                self.core.faults.set_sink(sink);
            }
        }
    };
}

// ---------------------------------------------------------------------------------------
// Fingerprint scanner

/// A simulated 500 ppi slap scanner that also takes single flat fingers, segments slaps and
/// streams previews.
///
/// A capture puts on the platen exactly the fingers of `req.expected` (all of the slap's
/// fingers when empty), as a resident with an excepted finger presents them; each segment
/// carries the finger's crop, bounding box, angle, a quality of 55-95 (a per-finger base from
/// the person with a small per-attempt jitter) and its `sim_identity`.
pub struct SimFingerprintScanner {
    core: SimCore,
}

impl std::fmt::Debug for SimFingerprintScanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimFingerprintScanner")
            .field("id", &self.core.info.id)
            .finish()
    }
}

impl SimFingerprintScanner {
    /// Scanner number `index` in `world`, with its fault handle.
    pub fn new(index: u32, world: &SimWorld) -> (Self, FaultHandle) {
        let (core, faults) = SimCore::new(
            DeviceFamily::FingerprintScanner,
            index,
            world,
            "Rekam Sim Slap Scanner 4-4-2",
        );
        (SimFingerprintScanner { core }, faults)
    }
}

/// The same finger on the other hand.
fn other_hand(f: Finger) -> Finger {
    Finger::from_iso_code((f.iso_code() + 4) % 10 + 1).unwrap_or(f)
}

/// The four-finger slap of the other hand than `slap` (a four-finger slap), and `fingers` as
/// that hand's, sorted.
fn other_hands_slap(slap: SlapKind, fingers: Vec<Finger>) -> (SlapKind, Vec<Finger>) {
    let layout = if slap == SlapKind::LeftFour {
        SlapKind::RightFour
    } else {
        SlapKind::LeftFour
    };
    let mut fingers: Vec<Finger> = fingers.into_iter().map(other_hand).collect();
    fingers.sort();
    (layout, fingers)
}

/// Labels `tips` as a scanner that trusts the request would: left to right in the image, the
/// fingers of `requested` in the order its layout puts them.
fn label_by_position(requested: SlapKind, tips: &mut [finger::RenderedTip]) {
    let mut labels = requested.fingers();
    labels.sort_by(|a, b| {
        let x = |f: &Finger| finger::slot(requested, *f).map_or(0.0, |s| s.cx);
        x(a).total_cmp(&x(b))
    });
    tips.sort_by_key(|t| t.bbox.x);
    // With a finger missing, the tips fill the slots from the index finger's side.
    let index_first = labels
        .first()
        .is_some_and(|f| matches!(f, Finger::RightIndex | Finger::LeftIndex));
    if !index_first {
        labels.reverse();
        tips.reverse();
    }
    for (tip, label) in tips.iter_mut().zip(labels) {
        tip.finger = label;
    }
    tips.sort_by_key(|t| t.bbox.x);
}

/// The finger a `PartialSlap` without a finger drops: the little finger (left thumb for the
/// thumbs), or the last finger present.
fn default_dropped(kind: SlapKind, present: &[Finger]) -> Option<Finger> {
    let little = match kind {
        SlapKind::LeftFour => Finger::LeftLittle,
        SlapKind::RightFour => Finger::RightLittle,
        SlapKind::Thumbs => Finger::LeftThumb,
        SlapKind::Single(f) => f,
    };
    if present.contains(&little) {
        Some(little)
    } else {
        present.last().copied()
    }
}

capture_device!(
    SimFingerprintScanner,
    [
        ("sensor responds", "sensor id 0x5153, firmware answered"),
        ("platen clean", "background uniform, no latent prints"),
        ("image calibration", "500 ppi, grey levels within range"),
    ]
);

impl FingerprintScanner for SimFingerprintScanner {
    fn capabilities(&self) -> FingerprintCapabilities {
        FingerprintCapabilities {
            slap: true,
            single_finger: true,
            ppi: finger::PPI,
            segmentation: true,
            preview: true,
        }
    }

    fn capture(
        &mut self,
        req: &FingerCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<FingerCapture> {
        self.core.begin(ctl)?;
        let slap_fingers = req.slap.fingers();
        let mut expected = if req.expected.is_empty() {
            slap_fingers.clone()
        } else {
            req.expected.clone()
        };
        expected.sort();
        expected.dedup();
        if let Some(bad) = expected.iter().find(|f| !slap_fingers.contains(f)) {
            return Err(self.core.err(
                ErrorKind::InvalidInput,
                format!("{bad} is not part of the {:?} capture", req.slap),
            ));
        }
        let attempt = self.core.next_attempt();
        let subject = self.core.subject(req.subject);
        let seed = self.core.impression_seed(attempt, subject);
        let faults = &self.core.faults;
        let mut guidance = Vec::new();
        let mut layout = req.slap;
        let mut present: Vec<Finger> = expected;
        if matches!(req.slap, SlapKind::LeftFour | SlapKind::RightFour)
            && faults.take(FaultKind::WrongHand).is_some()
        {
            (layout, present) = other_hands_slap(req.slap, present);
            guidance.push(Guidance::new(GuidanceCode::WrongHand));
        }
        // The other hand, unnoticed: rendered as it lies, labelled by position below.
        let same_hand_twice = layout == req.slap
            && matches!(req.slap, SlapKind::LeftFour | SlapKind::RightFour)
            && faults.take(FaultKind::SameHandTwice).is_some();
        if same_hand_twice {
            (layout, present) = other_hands_slap(req.slap, present);
        }
        if !matches!(req.slap, SlapKind::Single(_)) {
            let fallback = default_dropped(layout, &present);
            let taken = faults.take_if(FaultKind::PartialSlap, |f| match f.finger {
                Some(x) => present.contains(&x),
                None => fallback.is_some(),
            });
            if let Some(dropped) = taken.and_then(|f| f.finger.or(fallback)) {
                present.retain(|&f| f != dropped);
                guidance.push(Guidance::finger(GuidanceCode::PartialSlap, dropped));
            }
        }
        let owner = if matches!(req.slap, SlapKind::Single(_))
            && faults.take(FaultKind::Impostor).is_some()
        {
            synth::impostor_of(subject)
        } else {
            subject
        };
        let low = faults.take(FaultKind::LowQuality).is_some();
        if low {
            guidance.push(Guidance::new(GuidanceCode::PoorQuality));
        }
        let placed: Vec<finger::PlacedFinger> = present
            .iter()
            .map(|&f| finger::PlacedFinger {
                finger: f,
                identity: synth::finger_identity(owner, f),
            })
            .collect();
        let mut rendered = finger::render_slap(layout, &placed, seed, low);
        if same_hand_twice {
            label_by_position(req.slap, &mut rendered.tips);
        }
        let segments = rendered
            .tips
            .into_iter()
            .map(|tip| {
                let tip_seed = synth::hash64(&[&seed.to_le_bytes(), &[tip.finger.iso_code()]]);
                let quality = if low {
                    synth::poor_quality(tip_seed)
                } else {
                    synth::quality(tip.identity.0, tip_seed, 55, 95)
                };
                FingerSegment {
                    finger: tip.finger,
                    image: tip.crop,
                    bbox: tip.bbox,
                    angle_deg: tip.angle_deg,
                    quality: Some(quality),
                    sim_identity: Some(tip.identity),
                }
            })
            .collect();
        let image = rendered.image;
        stream_platen(&self.core, ctl, sink, &image)?;
        sink.guidance(&guidance);
        Ok(FingerCapture {
            slap: req.slap,
            image,
            segments: Some(segments),
            guidance,
        })
    }
}

/// Previews of a platen: the fingers press down (fading in) and settle (drifting a little).
fn stream_platen(
    core: &SimCore,
    ctl: &Control,
    sink: &mut dyn CaptureSink,
    image: &RawImage,
) -> Result<()> {
    core.stream_previews(ctl, sink, 0, |i, n| {
        let fade = 0.8 * (1.0 - (i + 1) as f32 / n as f32);
        let drift = ((n - 1 - i) * 4) as i32;
        let px = encode::fit(
            &image.data,
            image.width,
            image.height,
            1,
            encode::PREVIEW_WIDTH,
            encode::PREVIEW_HEIGHT,
            (drift, drift / 2),
            fade,
            [finger::BACKGROUND; 3],
        );
        let jpeg = encode::jpeg(
            &px,
            encode::PREVIEW_WIDTH,
            encode::PREVIEW_HEIGHT,
            1,
            encode::PREVIEW_QUALITY,
        )
        .map_err(|e| internal(core, e))?;
        Ok((encode::PREVIEW_WIDTH, encode::PREVIEW_HEIGHT, jpeg))
    })
}

// ---------------------------------------------------------------------------------------
// Face camera

/// A simulated 640x480 face camera with a 15 fps preview: the still is a JPEG portrait of the
/// request's person (quality 60-95).
pub struct SimFaceCamera {
    core: SimCore,
}

impl std::fmt::Debug for SimFaceCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimFaceCamera")
            .field("id", &self.core.info.id)
            .finish()
    }
}

impl SimFaceCamera {
    /// Camera number `index` in `world`, with its fault handle.
    pub fn new(index: u32, world: &SimWorld) -> (Self, FaultHandle) {
        let (core, faults) = SimCore::new(
            DeviceFamily::FaceCamera,
            index,
            world,
            "Rekam Sim Face Camera",
        );
        (SimFaceCamera { core }, faults)
    }
}

capture_device!(
    SimFaceCamera,
    [
        ("camera responds", "UVC probe answered"),
        ("exposure", "auto exposure settled"),
        ("focus", "contrast peak found"),
    ]
);

impl FaceCamera for SimFaceCamera {
    fn capabilities(&self) -> CameraCapabilities {
        CameraCapabilities {
            preview_fps: preview_fps(&self.core),
            width: face::WIDTH,
            height: face::HEIGHT,
            formats: vec!["MJPG".to_owned(), "YUYV".to_owned()],
        }
    }

    fn capture(
        &mut self,
        req: &FaceCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<FaceCapture> {
        self.core.begin(ctl)?;
        let attempt = self.core.next_attempt();
        let subject = self.core.subject(req.subject);
        let seed = self.core.impression_seed(attempt, subject);
        let low = self.core.faults.take(FaultKind::LowQuality).is_some();
        let identity = synth::face_identity(subject);
        let pixels = face::render(identity, seed, low);
        let core = &self.core;
        core.stream_previews(ctl, sink, req.max_preview_frames, |i, n| {
            let sway = ((n - 1 - i) * 3) as i32;
            let px = encode::fit(
                &pixels,
                face::WIDTH,
                face::HEIGHT,
                3,
                encode::PREVIEW_WIDTH,
                encode::PREVIEW_HEIGHT,
                (sway, 0),
                0.0,
                [0; 3],
            );
            let jpeg = encode::jpeg(
                &px,
                encode::PREVIEW_WIDTH,
                encode::PREVIEW_HEIGHT,
                3,
                encode::PREVIEW_QUALITY,
            )
            .map_err(|e| internal(core, e))?;
            Ok((encode::PREVIEW_WIDTH, encode::PREVIEW_HEIGHT, jpeg))
        })?;
        let bytes = encode::jpeg(&pixels, face::WIDTH, face::HEIGHT, 3, FACE_JPEG_QUALITY)
            .map_err(|e| internal(core, e))?;
        let (quality, guidance) = if low {
            (
                synth::poor_quality(seed),
                vec![Guidance::new(GuidanceCode::PoorQuality)],
            )
        } else {
            (synth::quality(identity.0, seed, 60, 95), Vec::new())
        };
        sink.guidance(&guidance);
        Ok(FaceCapture {
            image: EncodedImage {
                codec: ImageCodec::Jpeg,
                width: face::WIDTH,
                height: face::HEIGHT,
                bytes,
            },
            quality: Some(quality),
            guidance,
            sim_identity: Some(identity),
        })
    }
}

// ---------------------------------------------------------------------------------------
// Iris camera

/// A simulated binocular near-infrared iris camera: one 640x480 grey image per requested eye.
pub struct SimIrisCamera {
    core: SimCore,
}

impl std::fmt::Debug for SimIrisCamera {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimIrisCamera")
            .field("id", &self.core.info.id)
            .finish()
    }
}

impl SimIrisCamera {
    /// Camera number `index` in `world`, with its fault handle.
    pub fn new(index: u32, world: &SimWorld) -> (Self, FaultHandle) {
        let (core, faults) = SimCore::new(
            DeviceFamily::IrisCamera,
            index,
            world,
            "Rekam Sim Iris Camera",
        );
        (SimIrisCamera { core }, faults)
    }
}

capture_device!(
    SimIrisCamera,
    [
        ("camera responds", "sensor answered"),
        ("NIR illumination", "850 nm LEDs within range"),
        ("focus", "focus sweep converged"),
    ]
);

impl IrisCamera for SimIrisCamera {
    fn capabilities(&self) -> CameraCapabilities {
        CameraCapabilities {
            preview_fps: preview_fps(&self.core),
            width: iris::WIDTH,
            height: iris::HEIGHT,
            formats: vec!["GREY".to_owned()],
        }
    }

    fn capture(
        &mut self,
        req: &IrisCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<IrisCapture> {
        self.core.begin(ctl)?;
        let mut eyes: Vec<Eye> = if req.eyes.is_empty() {
            Eye::BOTH.to_vec()
        } else {
            req.eyes.clone()
        };
        eyes.sort();
        eyes.dedup();
        let attempt = self.core.next_attempt();
        let subject = self.core.subject(req.subject);
        let seed = self.core.impression_seed(attempt, subject);
        let low = self.core.faults.take(FaultKind::LowQuality).is_some();
        let images: Vec<(Eye, Vec<u8>)> = eyes
            .iter()
            .map(|&eye| {
                let eye_seed = synth::hash64(&[&seed.to_le_bytes(), format!("{eye:?}").as_bytes()]);
                (
                    eye,
                    iris::render(synth::eye_identity(subject, eye), eye_seed, low),
                )
            })
            .collect();
        let core = &self.core;
        core.stream_previews(ctl, sink, 0, |i, n| {
            // Both eyes side by side, each 160x120, coming into focus.
            let (w, h) = (encode::PREVIEW_WIDTH, encode::PREVIEW_HEIGHT);
            let mut frame = vec![90u8; (w * h) as usize];
            let fade = 0.6 * (1.0 - (i + 1) as f32 / n as f32);
            for (k, (_, px)) in images.iter().enumerate() {
                let small = encode::fit(
                    px,
                    iris::WIDTH,
                    iris::HEIGHT,
                    1,
                    w / 2,
                    h / 2,
                    (0, 0),
                    fade,
                    [90; 3],
                );
                let x0 = (k as u32 % 2) * (w / 2);
                let y0 = h / 4;
                for row in 0..h / 2 {
                    let dst = ((y0 + row) * w + x0) as usize;
                    let src = (row * (w / 2)) as usize;
                    frame[dst..dst + (w / 2) as usize]
                        .copy_from_slice(&small[src..src + (w / 2) as usize]);
                }
            }
            let jpeg = encode::jpeg(&frame, w, h, 1, encode::PREVIEW_QUALITY)
                .map_err(|e| internal(core, e))?;
            Ok((w, h, jpeg))
        })?;
        let mut guidance = Vec::new();
        if low {
            guidance.push(Guidance::new(GuidanceCode::PoorQuality));
        }
        let out = images
            .into_iter()
            .map(|(eye, px)| {
                let identity = synth::eye_identity(subject, eye);
                let eye_seed = synth::hash64(&[&seed.to_le_bytes(), format!("{eye:?}").as_bytes()]);
                let quality = if low {
                    synth::poor_quality(eye_seed)
                } else {
                    synth::quality(identity.0, eye_seed, 60, 95)
                };
                EyeImage {
                    eye,
                    image: RawImage {
                        width: iris::WIDTH,
                        height: iris::HEIGHT,
                        format: rekam_hal::PixelFormat::Gray8,
                        ppi: None,
                        data: px,
                    },
                    quality: Some(quality),
                    sim_identity: Some(identity),
                }
            })
            .collect();
        sink.guidance(&guidance);
        Ok(IrisCapture {
            eyes: out,
            guidance,
        })
    }
}

// ---------------------------------------------------------------------------------------
// Signature pad

/// A simulated 500x200 signature pad with 1024 pressure levels and no display. The capture
/// waits the capture latency (the signer signing) and returns the pen samples and the drawn
/// image; it streams no previews.
pub struct SimSignaturePad {
    core: SimCore,
}

impl std::fmt::Debug for SimSignaturePad {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimSignaturePad")
            .field("id", &self.core.info.id)
            .finish()
    }
}

impl SimSignaturePad {
    /// Pad number `index` in `world`, with its fault handle.
    pub fn new(index: u32, world: &SimWorld) -> (Self, FaultHandle) {
        let (core, faults) = SimCore::new(
            DeviceFamily::SignaturePad,
            index,
            world,
            "Rekam Sim Signature Pad",
        );
        (SimSignaturePad { core }, faults)
    }
}

capture_device!(
    SimSignaturePad,
    [
        ("pad responds", "serial link answered"),
        ("digitizer", "coordinates within range"),
        ("pressure sensor", "1024 levels"),
    ]
);

impl SignaturePad for SimSignaturePad {
    fn capabilities(&self) -> SignaturePadCapabilities {
        SignaturePadCapabilities {
            width: signature::WIDTH,
            height: signature::HEIGHT,
            pressure_levels: signature::PRESSURE_LEVELS,
            lcd: false,
        }
    }

    fn capture(
        &mut self,
        req: &SignatureCaptureRequest,
        ctl: &Control,
        sink: &mut dyn CaptureSink,
    ) -> Result<SignatureCapture> {
        self.core.begin(ctl)?;
        let attempt = self.core.next_attempt();
        let subject: SimSubject = self.core.subject(req.subject);
        let seed = self.core.impression_seed(attempt, subject);
        let low = self.core.faults.take(FaultKind::LowQuality).is_some();
        let person = synth::signature_seed(subject);
        let samples = signature::samples(person, seed);
        self.core.sleep(ctl, self.core.world.latency().capture)?;
        let image = signature::draw(&samples);
        let (quality, guidance) = if low {
            (
                synth::poor_quality(seed),
                vec![Guidance::new(GuidanceCode::PoorQuality)],
            )
        } else {
            (synth::quality(person, seed, 60, 95), Vec::new())
        };
        sink.guidance(&guidance);
        Ok(SignatureCapture {
            samples,
            image,
            quality: Some(quality),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_hand_swaps_hands_and_keeps_the_finger() {
        for f in Finger::ALL {
            let o = other_hand(f);
            assert_ne!(o.hand(), f.hand());
            assert_eq!(other_hand(o), f);
            assert_eq!(o.is_thumb(), f.is_thumb());
        }
        assert_eq!(other_hand(Finger::LeftLittle), Finger::RightLittle);
    }
}
