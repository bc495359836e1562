//! SFinGe-style synthetic fingerprints at 500 ppi: a master print per finger identity and
//! impressions of it on a flat or slap platen.
//!
//! The steps follow SFinGe (Cappelli, Maio and Maltoni, "Synthetic fingerprint-image
//! generation", ICPR 2000, and "SFinGe: an approach to synthetic fingerprint generation",
//! 2004); the code is our own:
//!
//! 1. **Class and singular points** ([`FingerPattern`]): the class (arch, tented arch, left
//!    loop, right loop, whorl) is drawn from the natural frequencies, with ulnar loops more
//!    common than radial ones on each hand; the class places the cores and deltas.
//! 2. **Orientation field**: Sherlock and Monro's zero-pole model over those singular points;
//!    plain arches use a hump-shaped flow without singular points ([`orientation`]).
//! 3. **Density map**: a ridge period of 8-11 px varying smoothly, longer above the cores and
//!    below the deltas ([`orientation`]).
//! 4. **Ridge pattern** ([`MasterPrint`]): iterative contextual filtering of a few random seeds
//!    with a quantised Gabor filter bank tuned to the local orientation and period, until the
//!    ridges fill the fingertip [`Silhouette`]. Minutiae arise from the growth and belong to
//!    the master ([`master`]).
//! 5. **Impressions** ([`impression`](impression::impression), [`ImpressionParams`]):
//!    displacement and rotation on the platen; Cappelli, Maio and Maltoni's plastic distortion
//!    (a close-contact region that does not move, an external region that follows a rigid
//!    motion, and a transitional region braked smoothly in between); pressure and skin moisture
//!    as a shift of the ridge-edge threshold (erosion and dilation of the ridges); contact
//!    shape and partial contact; patchy contact; sensor blur and noise. The platen renders
//!    as an optical scanner's does (white platen and valleys, ridges inked from a quarter of
//!    their profile with graded edges, skin grain), which is what makes NFIQ 2 grade the
//!    impressions as it grades real optical prints.
//!    Slaps ([`render_slap`]) put four fingertips at natural angles, or two thumbs, each an
//!    impression of its master.
//!
//! Everything is deterministic: the master from the finger's [`SimIdentity`] (and which finger
//! it is, for its size), the impression from a per-capture seed.

pub mod impression;
pub mod master;
pub mod orientation;

use std::fmt;

use rekam_hal::{Finger, Hand, RawImage, Rect, SimIdentity, SlapKind};

use super::hash64;
use super::SimRng;
use orientation::FlowModel;

pub use impression::{impression, Distortion, ImpressionParams, PartialContact};
pub use master::{MasterPrint, Silhouette};

/// Resolution of every fingerprint image.
pub const PPI: u16 = 500;
/// Slap platen width (3.2 in at 500 ppi).
pub const SLAP_WIDTH: u32 = 1600;
/// Slap platen height (2.0 in at 500 ppi).
pub const SLAP_HEIGHT: u32 = 1000;
/// Flat (single finger) image width (1.0 in).
pub const FLAT_WIDTH: u32 = 500;
/// Flat image height (1.2 in).
pub const FLAT_HEIGHT: u32 = 600;
/// Grey of the empty platen: white, as an optical scanner's platen saturates under total
/// internal reflection (sensor noise below white is what remains of it).
pub const BACKGROUND: u8 = 255;

/// The Henry class of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatternClass {
    /// Ridges enter and leave on the left of the image, recurving around the core.
    LeftLoop,
    /// Ridges enter and leave on the right.
    RightLoop,
    /// Circular ridges around the core, two deltas.
    Whorl,
    /// Ridges run from side to side, no core or delta.
    Arch,
    /// Ridges run from side to side over a sharp upthrust: a core right above a delta.
    TentedArch,
}

impl PatternClass {
    /// All classes.
    pub const ALL: [PatternClass; 5] = [
        PatternClass::LeftLoop,
        PatternClass::RightLoop,
        PatternClass::Whorl,
        PatternClass::Arch,
        PatternClass::TentedArch,
    ];

    /// How many cores and deltas the class has.
    pub fn singular_points(self) -> (usize, usize) {
        match self {
            PatternClass::LeftLoop | PatternClass::RightLoop | PatternClass::TentedArch => (1, 1),
            PatternClass::Whorl => (2, 2),
            PatternClass::Arch => (0, 0),
        }
    }
}

/// The parameters of one finger's ridge pattern: class, singular points, orientation field and
/// ridge period map, in pattern coordinates (pixels at 500 ppi, origin at the pad centre, v
/// pointing down the finger).
#[derive(Clone)]
pub struct FingerPattern {
    class: PatternClass,
    flow: FlowModel,
}

impl fmt::Debug for FingerPattern {
    // The parameters are synthetic biometric data: only the class is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FingerPattern")
            .field("class", &self.class)
            .finish_non_exhaustive()
    }
}

impl FingerPattern {
    /// The pattern of the finger with `identity`, sized as an index finger.
    pub fn new(identity: SimIdentity) -> Self {
        Self::for_finger(identity, Finger::RightIndex)
    }

    /// The pattern of `finger` with `identity`, sized for that finger.
    pub fn for_finger(identity: SimIdentity, finger: Finger) -> Self {
        let mut r = SimRng::new(identity.0 ^ 0xF1A6_E2B1_0000_0000);
        // Natural class frequencies (A 3.7 %, T 2.9 %, W 27.9 %, loops 65.5 %); a loop opens
        // toward the little finger (ulnar) four times in five. In the image a right hand's
        // little finger is on the right.
        let x = r.unit();
        let ulnar = match finger.hand() {
            Hand::Right => PatternClass::RightLoop,
            Hand::Left => PatternClass::LeftLoop,
        };
        let radial = match ulnar {
            PatternClass::RightLoop => PatternClass::LeftLoop,
            _ => PatternClass::RightLoop,
        };
        let class = if x < 0.037 {
            PatternClass::Arch
        } else if x < 0.066 {
            PatternClass::TentedArch
        } else if x < 0.345 {
            PatternClass::Whorl
        } else if x < 0.476 {
            radial
        } else {
            ulnar
        };
        let s = Silhouette::of(finger);
        let flow = FlowModel::new(&mut r, class, s.half_width, s.top);
        FingerPattern { class, flow }
    }

    /// The pattern class.
    pub fn class(&self) -> PatternClass {
        self.class
    }

    /// The typical ridge period in pixels (the local period varies around it).
    pub fn period(&self) -> f32 {
        self.flow.period(0.0, 0.0)
    }

    /// The core position in pattern coordinates (the upper core; the pad centre for an arch).
    pub fn core(&self) -> (f32, f32) {
        self.flow
            .cores()
            .iter()
            .copied()
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0.0, 0.0))
    }

    /// The cores (Poincaré index +½).
    pub fn cores(&self) -> &[(f32, f32)] {
        self.flow.cores()
    }

    /// The deltas (Poincaré index −½).
    pub fn deltas(&self) -> &[(f32, f32)] {
        self.flow.deltas()
    }

    /// The ridge direction at `(u, v)`, radians in `[0, π)` (from +u toward +v).
    pub fn orientation(&self, u: f32, v: f32) -> f32 {
        self.flow.orientation(u, v)
    }

    /// The local ridge period at `(u, v)`, pixels.
    pub fn period_at(&self, u: f32, v: f32) -> f32 {
        self.flow.period(u, v)
    }

    pub(crate) fn flow(&self) -> &FlowModel {
        &self.flow
    }
}

/// Where a fingertip sits on the platen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TipPlacement {
    /// Centre x in pixels.
    pub cx: f32,
    /// Centre y in pixels.
    pub cy: f32,
    /// Half width of the contact ellipse.
    pub half_width: f32,
    /// Half height of the contact ellipse.
    pub half_height: f32,
    /// Angle of the finger axis from vertical, degrees, clockwise positive.
    pub angle_deg: f32,
}

/// The platen size for a slap kind: 1600x1000 for slaps, 500x600 for a flat finger.
pub fn canvas_size(kind: SlapKind) -> (u32, u32) {
    match kind {
        SlapKind::Single(_) => (FLAT_WIDTH, FLAT_HEIGHT),
        _ => (SLAP_WIDTH, SLAP_HEIGHT),
    }
}

/// Where `finger` lies in a `kind` capture, as the image shows it (ink convention: a right
/// hand has the index on the left and the little finger, lower, on the right; the left hand
/// mirrors it; thumbs sit left thumb left). `None` if the slap does not cover the finger.
pub fn slot(kind: SlapKind, finger: Finger) -> Option<TipPlacement> {
    // Right hand: index, middle, ring, little.
    const RIGHT: [(f32, f32, f32, f32, f32); 4] = [
        (330.0, 430.0, 118.0, 170.0, -12.0),
        (640.0, 370.0, 122.0, 178.0, -4.0),
        (950.0, 420.0, 118.0, 170.0, 5.0),
        (1240.0, 570.0, 100.0, 145.0, 14.0),
    ];
    let tip = |(cx, cy, a, b, ang): (f32, f32, f32, f32, f32), mirror: bool| TipPlacement {
        cx: if mirror { SLAP_WIDTH as f32 - cx } else { cx },
        cy,
        half_width: a,
        half_height: b,
        angle_deg: if mirror { -ang } else { ang },
    };
    let four = |f: Finger| -> Option<usize> {
        match f {
            Finger::RightIndex | Finger::LeftIndex => Some(0),
            Finger::RightMiddle | Finger::LeftMiddle => Some(1),
            Finger::RightRing | Finger::LeftRing => Some(2),
            Finger::RightLittle | Finger::LeftLittle => Some(3),
            _ => None,
        }
    };
    if !kind.fingers().contains(&finger) {
        return None;
    }
    match kind {
        SlapKind::RightFour => four(finger).map(|i| tip(RIGHT[i], false)),
        SlapKind::LeftFour => four(finger).map(|i| tip(RIGHT[i], true)),
        SlapKind::Thumbs => Some(match finger {
            Finger::LeftThumb => tip((530.0, 520.0, 140.0, 195.0, 12.0), false),
            _ => tip((1070.0, 520.0, 140.0, 195.0, -12.0), false),
        }),
        SlapKind::Single(_) => Some(tip((250.0, 290.0, 125.0, 185.0, 0.0), false)),
    }
}

/// One finger to put on the platen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacedFinger {
    /// The finger (it decides the slot and the label).
    pub finger: Finger,
    /// Whose ridge pattern it carries.
    pub identity: SimIdentity,
}

/// A rendered fingertip.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedTip {
    /// The finger.
    pub finger: Finger,
    /// Its identity.
    pub identity: SimIdentity,
    /// Its bounding box on the platen.
    pub bbox: Rect,
    /// Its angle from vertical, degrees, clockwise positive.
    pub angle_deg: f32,
    /// The platen cut to `bbox`.
    pub crop: RawImage,
}

/// A rendered platen image with its fingertips.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedSlap {
    /// The platen, 500 ppi grey.
    pub image: RawImage,
    /// The fingertips, in the order given.
    pub tips: Vec<RenderedTip>,
}

/// Cuts `rect` out of a grey image.
pub fn crop(image: &RawImage, rect: Rect) -> RawImage {
    let mut data = Vec::with_capacity(rect.width as usize * rect.height as usize);
    for y in rect.y..rect.y + rect.height {
        let start = (y * image.width + rect.x) as usize;
        data.extend_from_slice(&image.data[start..start + rect.width as usize]);
    }
    RawImage {
        width: rect.width,
        height: rect.height,
        format: image.format,
        ppi: image.ppi,
        data,
    }
}

/// Renders `fingers` into a `kind` platen for the impression `seed`. Fingers the slap does
/// not cover are skipped. `low_quality` gives faint, noisy, blotchy prints.
///
/// Each fingertip is an impression ([`ImpressionParams::from_seed`], or
/// [`ImpressionParams::low_quality`]) of its cached [`MasterPrint`], laid in its [`slot`]; the
/// whole hand shifts and turns a little between attempts.
pub fn render_slap(
    kind: SlapKind,
    fingers: &[PlacedFinger],
    seed: u64,
    low_quality: bool,
) -> RenderedSlap {
    let (width, height) = canvas_size(kind);
    let mut buf = vec![BACKGROUND; width as usize * height as usize];
    let single = matches!(kind, SlapKind::Single(_));
    let mut r = SimRng::new(seed);
    // The whole hand moves a little between attempts (a flat finger moves by its own
    // impression parameters alone).
    let (shift, turn) = if single {
        ((0.0, 0.0), 0.0)
    } else {
        (
            (r.range(-15.0, 15.0), r.range(-12.0, 12.0)),
            r.range(-2.0, 2.0),
        )
    };
    let mut noise = 0f32;
    let mut tips = Vec::with_capacity(fingers.len());
    let on_platen: Vec<&PlacedFinger> = fingers
        .iter()
        .filter(|pf| slot(kind, pf.finger).is_some())
        .collect();
    let masters = MasterPrint::cached_all(
        &on_platen
            .iter()
            .map(|pf| (pf.identity, pf.finger))
            .collect::<Vec<_>>(),
    );
    for (pf, master) in on_platen.into_iter().zip(masters) {
        let Some(mut place) = slot(kind, pf.finger) else {
            continue;
        };
        place.cx += shift.0;
        place.cy += shift.1;
        place.angle_deg += turn;
        let tip_seed = hash64(&[&seed.to_le_bytes(), &[pf.finger.iso_code()]]);
        let mut params = if low_quality {
            ImpressionParams::low_quality(tip_seed)
        } else {
            ImpressionParams::from_seed(tip_seed)
        };
        if !single {
            // Fingers of one hand move together: a small motion of each tip on top.
            params.dx *= 0.4;
            params.dy *= 0.4;
            params.rotation_deg *= 0.3;
        }
        noise = noise.max(params.noise);
        let bbox = impression::draw(&mut buf, width, height, &master, &place, &params);
        tips.push((pf, bbox, place.angle_deg + params.rotation_deg));
    }
    impression::sensor_noise(&mut buf, noise, seed);
    let image = RawImage {
        width,
        height,
        format: rekam_hal::PixelFormat::Gray8,
        ppi: Some(PPI),
        data: buf,
    };
    let tips = tips
        .into_iter()
        .map(|(pf, bbox, angle_deg)| RenderedTip {
            finger: pf.finger,
            identity: pf.identity,
            bbox,
            angle_deg,
            crop: crop(&image, bbox),
        })
        .collect();
    RenderedSlap { image, tips }
}

/// Renders `identity` alone as a flat 500x600 impression (for tools and other crates' tests).
pub fn render_flat(identity: SimIdentity, finger: Finger, seed: u64) -> RawImage {
    render_slap(
        SlapKind::Single(finger),
        &[PlacedFinger { finger, identity }],
        seed,
        false,
    )
    .image
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::finger_identity;
    use rekam_hal::SimSubject;

    fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
        a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(x.abs_diff(*y)))
            .sum::<f64>()
            / a.len() as f64
    }

    #[test]
    fn slots_cover_exactly_the_slap_and_stay_on_the_platen() {
        for kind in [SlapKind::LeftFour, SlapKind::RightFour, SlapKind::Thumbs] {
            for f in Finger::ALL {
                let s = slot(kind, f);
                assert_eq!(s.is_some(), kind.fingers().contains(&f), "{kind:?} {f}");
                if let Some(s) = s {
                    let r = s.half_width.max(s.half_height) * 1.1 + 20.0;
                    assert!(s.cx - r > 0.0 && s.cx + r < SLAP_WIDTH as f32, "{f}");
                    assert!(s.cy - r > 0.0 && s.cy + r < SLAP_HEIGHT as f32, "{f}");
                }
            }
        }
        // The little finger sits lower than the middle finger.
        let little = slot(SlapKind::RightFour, Finger::RightLittle).unwrap();
        let middle = slot(SlapKind::RightFour, Finger::RightMiddle).unwrap();
        assert!(little.cy > middle.cy + 100.0);
        // The left hand mirrors the right.
        let li = slot(SlapKind::LeftFour, Finger::LeftIndex).unwrap();
        let ri = slot(SlapKind::RightFour, Finger::RightIndex).unwrap();
        assert!(li.cx > 1000.0 && ri.cx < 600.0);
    }

    #[test]
    fn same_identity_similar_other_identity_different() {
        let id = finger_identity(SimSubject(5), Finger::RightIndex);
        let other = finger_identity(SimSubject(6), Finger::RightIndex);
        let a = render_flat(id, Finger::RightIndex, 1);
        let a2 = render_flat(id, Finger::RightIndex, 1);
        assert_eq!(a, a2, "deterministic");
        let b = render_flat(id, Finger::RightIndex, 2);
        assert_ne!(a.data, b.data, "impressions differ");
        let c = render_flat(other, Finger::RightIndex, 1);
        assert_ne!(a.data, c.data);
        // Ridges are there: plenty of dark and light pixels inside the pad.
        let dark = a.data.iter().filter(|&&p| p < 120).count();
        let light = a.data.iter().filter(|&&p| p > 200).count();
        assert!(dark > 10_000 && light > 10_000, "dark {dark} light {light}");
        assert!(mean_abs_diff(&a.data, &c.data) > 10.0);
    }

    #[test]
    fn classes_vary_across_people() {
        let mut seen = std::collections::HashSet::new();
        let mut loops = [0u32; 2];
        for s in 0..1000 {
            let class = FingerPattern::for_finger(
                finger_identity(SimSubject(s), Finger::RightThumb),
                Finger::RightThumb,
            )
            .class();
            seen.insert(class);
            match class {
                PatternClass::RightLoop => loops[0] += 1,
                PatternClass::LeftLoop => loops[1] += 1,
                _ => {}
            }
        }
        assert_eq!(seen.len(), PatternClass::ALL.len());
        // On a right hand, ulnar loops open to the right (toward the little finger).
        assert!(loops[0] > 2 * loops[1], "{loops:?}");
    }

    #[test]
    fn low_quality_has_less_contrast() {
        let id = finger_identity(SimSubject(9), Finger::RightIndex);
        let fingers = [PlacedFinger {
            finger: Finger::RightIndex,
            identity: id,
        }];
        let good = render_slap(SlapKind::Single(Finger::RightIndex), &fingers, 3, false);
        let poor = render_slap(SlapKind::Single(Finger::RightIndex), &fingers, 3, true);
        let dark = |img: &RawImage| img.data.iter().filter(|&&p| p < 100).count();
        assert!(dark(&poor.image) * 5 < dark(&good.image));
    }
}
