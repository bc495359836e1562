//! SFinGe-style synthetic fingerprints: determinism, singular points per class (Poincaré index
//! of the orientation field estimated from the master's pixels), ridge period, impressions of
//! one master agreeing after alignment (pixels and NIST MINDTCT minutiae) while different
//! fingers do not, slap tips inside their boxes, and the master cache.
#![allow(clippy::unwrap_used)]

use std::f32::consts::PI;
use std::sync::Arc;

use fprint_mindtct::{detect_minutiae, GrayImage};
use rekam_hal::{Finger, RawImage, SimIdentity, SimSubject, SlapKind};
use rekam_sim::synth::finger::{
    impression, render_slap, slot, Distortion, FingerPattern, ImpressionParams, MasterPrint,
    PatternClass, PlacedFinger, BACKGROUND,
};
use rekam_sim::synth::finger_identity;

/// The first identities (subject, finger) whose pattern has `class`.
fn of_class(class: PatternClass, n: usize) -> Vec<(SimIdentity, Finger)> {
    let mut out = Vec::new();
    for s in 0..20_000u64 {
        let f = Finger::ALL[(s % 10) as usize];
        let id = finger_identity(SimSubject(s), f);
        if FingerPattern::for_finger(id, f).class() == class {
            out.push((id, f));
            if out.len() == n {
                break;
            }
        }
    }
    assert_eq!(out.len(), n, "too few {class:?} patterns");
    out
}

fn pixel(img: &RawImage, x: f32, y: f32) -> Option<f32> {
    if x < 0.0 || y < 0.0 || x >= img.width as f32 - 1.0 || y >= img.height as f32 - 1.0 {
        return None;
    }
    // Bilinear.
    let (ix, iy) = (x as usize, y as usize);
    let (tx, ty) = (x - ix as f32, y - iy as f32);
    let w = img.width as usize;
    let p = |i: usize, j: usize| f32::from(img.data[j * w + i]);
    let top = p(ix, iy) + (p(ix + 1, iy) - p(ix, iy)) * tx;
    let bottom = p(ix, iy + 1) + (p(ix + 1, iy + 1) - p(ix, iy + 1)) * tx;
    Some(top + (bottom - top) * ty)
}

fn pearson(a: &[f32], b: &[f32]) -> f32 {
    let n = a.len() as f32;
    let (ma, mb) = (a.iter().sum::<f32>() / n, b.iter().sum::<f32>() / n);
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    sab / (saa * sbb).sqrt()
}

// ------------------------------------------------------------------------------------------
// Orientation field estimated from pixels, and its singular points.

/// Block orientation (of the ridges, radians mod π) on an 8-pixel grid, from smoothed
/// gradient moments; `None` outside the usable pad.
struct OrientationGrid {
    w: usize,
    h: usize,
    theta: Vec<Option<f32>>,
}

const B: usize = 8;

fn estimate_orientation(master: &MasterPrint) -> OrientationGrid {
    let img = master.render();
    let (iw, ih) = (img.width as usize, img.height as usize);
    let px = |x: usize, y: usize| f32::from(img.data[y * iw + x]);
    let (w, h) = (iw / B, ih / B);
    // Gradient moments per block (16x16 window around the block centre).
    let mut gxx = vec![0f32; w * h];
    let mut gxy = vec![0f32; w * h];
    for by in 0..h {
        for bx in 0..w {
            let (cx, cy) = (bx * B + B / 2, by * B + B / 2);
            let (mut a, mut c) = (0.0, 0.0);
            for y in cy.saturating_sub(8).max(1)..(cy + 8).min(ih - 1) {
                for x in cx.saturating_sub(8).max(1)..(cx + 8).min(iw - 1) {
                    let gx = px(x + 1, y) - px(x - 1, y);
                    let gy = px(x, y + 1) - px(x, y - 1);
                    a += gx * gx - gy * gy;
                    c += 2.0 * gx * gy;
                }
            }
            gxx[by * w + bx] = a;
            gxy[by * w + bx] = c;
        }
    }
    // Smooth the doubled-angle field over neighbouring blocks.
    let (ox, oy) = master.render_origin();
    let sil = master.silhouette();
    let mut theta = vec![None; w * h];
    for by in 0..h {
        for bx in 0..w {
            let (u, v) = ((bx * B + B / 2) as f32 - ox, (by * B + B / 2) as f32 - oy);
            if sil.level(u, v) > 0.82 {
                continue;
            }
            let (mut a, mut c) = (0.0, 0.0);
            for dy in -2i64..=2 {
                for dx in -2i64..=2 {
                    let (x, y) = (bx as i64 + dx, by as i64 + dy);
                    if x < 0 || y < 0 || x >= w as i64 || y >= h as i64 {
                        continue;
                    }
                    let k = (-((dx * dx + dy * dy) as f32) / (2.0 * 1.5 * 1.5)).exp();
                    a += k * gxx[y as usize * w + x as usize];
                    c += k * gxy[y as usize * w + x as usize];
                }
            }
            theta[by * w + bx] = Some((0.5 * c.atan2(a) + PI / 2.0).rem_euclid(PI));
        }
    }
    OrientationGrid { w, h, theta }
}

/// A singular point: pattern position and Poincaré index in half turns.
type Point = (f32, f32, i32);

/// Singular points from the Poincaré index of every 3x3 block ring: (cores, deltas) as
/// clusters of pattern positions with their summed index (in half turns).
fn singular_points(master: &MasterPrint) -> (Vec<Point>, Vec<Point>) {
    let g = estimate_orientation(master);
    let ring: [(i64, i64); 8] = [
        (-1, -1),
        (0, -1),
        (1, -1),
        (1, 0),
        (1, 1),
        (0, 1),
        (-1, 1),
        (-1, 0),
    ];
    let (ox, oy) = master.render_origin();
    let mut hits: Vec<(f32, f32, i32)> = Vec::new();
    for by in 1..g.h as i64 - 1 {
        for bx in 1..g.w as i64 - 1 {
            let angles: Option<Vec<f32>> = ring
                .iter()
                .map(|(dx, dy)| g.theta[((by + dy) as usize) * g.w + (bx + dx) as usize])
                .collect();
            let Some(angles) = angles else { continue };
            let mut total = 0.0;
            for i in 0..8 {
                let mut d = angles[(i + 1) % 8] - angles[i];
                if d > PI / 2.0 {
                    d -= PI;
                } else if d < -PI / 2.0 {
                    d += PI;
                }
                total += d;
            }
            // In half turns: +1 a core, -1 a delta.
            let index = (total / PI).round() as i32;
            if index != 0 {
                hits.push((
                    (bx as usize * B + B / 2) as f32 - ox + B as f32 / 2.0,
                    (by as usize * B + B / 2) as f32 - oy + B as f32 / 2.0,
                    index,
                ));
            }
        }
    }
    // Neighbouring rings see the same point: cluster hits of one sign within 20 px and keep
    // the strongest index of each cluster.
    let cluster = |sign: i32| {
        let mut out: Vec<(f32, f32, i32)> = Vec::new();
        for &(x, y, i) in hits.iter().filter(|h| h.2.signum() == sign) {
            match out.iter_mut().find(|c| (c.0 - x).hypot(c.1 - y) <= 20.0) {
                Some(c) => c.2 = if i.abs() > c.2.abs() { i } else { c.2 },
                None => out.push((x, y, i)),
            }
        }
        out
    };
    (cluster(1), cluster(-1))
}

#[test]
fn each_class_has_its_singular_points() {
    for class in PatternClass::ALL {
        for (id, f) in of_class(class, 3) {
            let m = MasterPrint::generate(id, f);
            assert_eq!(m.class(), class);
            let (cores, deltas) = singular_points(&m);
            println!("{class:?} {f}: cores {cores:?} deltas {deltas:?}");
            let core_index: i32 = cores.iter().map(|c| c.2).sum();
            let delta_index: i32 = deltas.iter().map(|d| d.2).sum();
            let (want_cores, want_deltas) = class.singular_points();
            assert_eq!(
                (core_index, delta_index),
                (want_cores as i32, -(want_deltas as i32)),
                "{class:?} {f}: cores {cores:?} deltas {deltas:?}"
            );
            if class == PatternClass::Whorl {
                // Two cores, or one ring around both (index +1).
                assert!((1..=2).contains(&cores.len()), "{cores:?}");
                assert_eq!(deltas.len(), 2, "{deltas:?}");
            } else {
                assert_eq!(cores.len(), want_cores, "{class:?}: {cores:?}");
                assert_eq!(deltas.len(), want_deltas, "{class:?}: {deltas:?}");
            }
            // Found where the model put them.
            let model: Vec<(f32, f32)> = m
                .pattern()
                .cores()
                .iter()
                .chain(m.pattern().deltas())
                .copied()
                .collect();
            for &(x, y, _) in cores.iter().chain(&deltas) {
                let d = model
                    .iter()
                    .map(|p| (p.0 - x).hypot(p.1 - y))
                    .fold(f32::INFINITY, f32::min);
                assert!(
                    d < 32.0,
                    "{class:?}: found ({x}, {y}) {d} px from the model"
                );
            }
        }
    }
}

#[test]
fn ridge_period_is_eight_to_eleven_pixels() {
    for s in 0..6u64 {
        let f = Finger::ALL[(s * 3 % 10) as usize];
        let m = MasterPrint::generate(finger_identity(SimSubject(s), f), f);
        let img = m.render();
        let (ox, oy) = m.render_origin();
        let sil = m.silhouette();
        let mut periods = Vec::new();
        for j in -8..=8 {
            for i in -6..=6 {
                let (u, v) = (i as f32 * 15.0, j as f32 * 18.0);
                if sil.level(u, v) > 0.7 {
                    continue;
                }
                let model = m.pattern().period_at(u, v);
                assert!((8.0..=11.0).contains(&model), "model period {model}");
                // Count ridge edges along the normal to the flow over 60 px.
                let t = m.pattern().orientation(u, v);
                let (nx, ny) = (-t.sin(), t.cos());
                let samples: Vec<f32> = (-30..30)
                    .filter_map(|k| pixel(&img, ox + u + nx * k as f32, oy + v + ny * k as f32))
                    .collect();
                if samples.len() < 60 {
                    continue;
                }
                let edges = samples
                    .windows(2)
                    .filter(|w| (w[0] < 128.0) != (w[1] < 128.0))
                    .count();
                if edges > 0 {
                    periods.push(2.0 * 60.0 / edges as f32);
                }
            }
        }
        periods.sort_by(f32::total_cmp);
        let median = periods[periods.len() / 2];
        println!(
            "subject {s}: median period {median:.2} over {}",
            periods.len()
        );
        assert!(
            (8.0..=11.0).contains(&median),
            "subject {s}: median {median}"
        );
        let inside = periods.iter().filter(|p| (7.0..=12.5).contains(*p)).count();
        assert!(
            inside * 10 >= periods.len() * 8,
            "subject {s}: {inside} of {} near the range",
            periods.len()
        );
    }
}

#[test]
fn masters_and_impressions_are_deterministic_and_identities_differ() {
    let id = finger_identity(SimSubject(31), Finger::LeftRing);
    let a = MasterPrint::generate(id, Finger::LeftRing);
    let b = MasterPrint::generate(id, Finger::LeftRing);
    assert_eq!(a.render(), b.render());
    let p = ImpressionParams::from_seed(77);
    assert_eq!(impression(&a, &p), impression(&b, &p));
    assert_ne!(
        impression(&a, &p).data,
        impression(&a, &ImpressionParams::from_seed(78)).data
    );
    // Another person's ring finger, and another finger of the same person, differ.
    for other in [
        finger_identity(SimSubject(32), Finger::LeftRing),
        finger_identity(SimSubject(31), Finger::LeftMiddle),
    ] {
        let c = MasterPrint::generate(other, Finger::LeftRing);
        let (ra, rc) = (a.render(), c.render());
        assert_eq!((ra.width, ra.height), (rc.width, rc.height));
        let fa: Vec<f32> = ra.data.iter().map(|&x| f32::from(x)).collect();
        let fc: Vec<f32> = rc.data.iter().map(|&x| f32::from(x)).collect();
        let r = pearson(&fa, &fc);
        // Both share the white surround, so only inside the pad counts.
        let (ox, oy) = a.render_origin();
        let mut ia = Vec::new();
        let mut ic = Vec::new();
        for y in 0..ra.height {
            for x in 0..ra.width {
                let (u, v) = (x as f32 - ox, y as f32 - oy);
                if a.silhouette().level(u, v) < 0.7 {
                    ia.push(fa[(y * ra.width + x) as usize]);
                    ic.push(fc[(y * ra.width + x) as usize]);
                }
            }
        }
        let inner = pearson(&ia, &ic);
        assert!(
            inner.abs() < 0.15,
            "pads correlate: {inner} (whole image {r})"
        );
    }
    // Slaps too.
    let placed: Vec<PlacedFinger> = SlapKind::Thumbs
        .fingers()
        .into_iter()
        .map(|finger| PlacedFinger {
            finger,
            identity: finger_identity(SimSubject(5), finger),
        })
        .collect();
    assert_eq!(
        render_slap(SlapKind::Thumbs, &placed, 4, false),
        render_slap(SlapKind::Thumbs, &placed, 4, false)
    );
}

/// Pixels of two flat impressions at the same master points (the central pad).
fn aligned_pixels(
    a: &RawImage,
    pa: &ImpressionParams,
    b: &RawImage,
    pb: &ImpressionParams,
) -> (Vec<f32>, Vec<f32>) {
    let mut va = Vec::new();
    let mut vb = Vec::new();
    for j in -60..=60 {
        for i in -45..=45 {
            let (u, v) = (i as f32 * 2.0, j as f32 * 2.0);
            if (u / 90.0).powi(2) + (v / 120.0).powi(2) > 1.0 {
                continue;
            }
            let (xa, ya) = pa.flat_position(u, v);
            let (xb, yb) = pb.flat_position(u, v);
            if let (Some(x), Some(y)) = (pixel(a, xa, ya), pixel(b, xb, yb)) {
                va.push(x);
                vb.push(y);
            }
        }
    }
    (va, vb)
}

#[test]
fn impressions_of_one_master_agree_after_alignment() {
    for s in 0..5u64 {
        let f = Finger::ALL[(s * 7 % 10) as usize];
        let m = MasterPrint::generate(finger_identity(SimSubject(100 + s), f), f);
        let other = MasterPrint::generate(finger_identity(SimSubject(200 + s), f), f);
        // Different placement, pressure, moisture and noise, no plastic distortion: the
        // pixels agree closely once the known placement is undone.
        let pa = ImpressionParams {
            distortion: Distortion::NONE,
            ..ImpressionParams::from_seed(s)
        };
        let pb = ImpressionParams {
            distortion: Distortion::NONE,
            ..ImpressionParams::from_seed(s + 50)
        };
        let (a, b) = (impression(&m, &pa), impression(&m, &pb));
        let (va, vb) = aligned_pixels(&a, &pa, &b, &pb);
        let same = pearson(&va, &vb);
        println!("subject {s}: same {same:.2}");
        assert!(same > 0.6, "subject {s}: same finger correlates {same}");
        let c = impression(&other, &pb);
        let (va, vc) = aligned_pixels(&a, &pa, &c, &pb);
        let diff = pearson(&va, &vc);
        assert!(
            diff.abs() < 0.2,
            "subject {s}: other finger correlates {diff}"
        );
        // With the usual plastic distortion the centre still agrees (the close-contact region
        // does not move).
        let (pa, pb) = (
            ImpressionParams::from_seed(s + 7),
            ImpressionParams::from_seed(s + 57),
        );
        let (a, b) = (impression(&m, &pa), impression(&m, &pb));
        let (va, vb) = aligned_pixels(&a, &pa, &b, &pb);
        let distorted = pearson(&va, &vb);
        println!("subject {s}: other {diff:.2}, distorted {distorted:.2}");
        assert!(
            distorted > 0.3 && distorted > diff.abs() + 0.15,
            "subject {s}: distorted impressions correlate {distorted}"
        );
    }
}

/// A minutia: platen position (top-left origin) and MINDTCT quality.
type Minutia = (f32, f32, i32);

/// MINDTCT minutiae of a flat image as platen points, best first.
fn minutiae(img: &RawImage) -> Vec<Minutia> {
    let g = GrayImage::new(
        &img.data,
        img.width as usize,
        img.height as usize,
        img.ppi.unwrap_or(500),
    )
    .unwrap();
    let mut m = detect_minutiae(g);
    m.sort_by_key(|m| -m.quality);
    m.into_iter()
        .map(|m| (m.x as f32, (img.height as i32 - m.y) as f32, m.quality))
        .collect()
}

/// The share of `a`'s minutiae (best `n`) that have one of `b`'s within 9 px once both are
/// taken back to master coordinates.
fn coincide(
    a: &[Minutia],
    pa: &ImpressionParams,
    b: &[Minutia],
    pb: &ImpressionParams,
    n: usize,
) -> f32 {
    let bm: Vec<(f32, f32)> = b.iter().map(|m| pb.master_position(m.0, m.1)).collect();
    let mut hit = 0;
    let mut total = 0;
    for m in a.iter().take(n) {
        let (u, v) = pa.master_position(m.0, m.1);
        // Only where the other impression shows the pad too.
        let (xb, yb) = pb.flat_position(u, v);
        if !(60.0..440.0).contains(&xb) || !(60.0..540.0).contains(&yb) {
            continue;
        }
        total += 1;
        if bm.iter().any(|p| (p.0 - u).hypot(p.1 - v) <= 9.0) {
            hit += 1;
        }
    }
    hit as f32 / total.max(1) as f32
}

#[test]
fn minutiae_are_plentiful_and_the_same_in_every_impression() {
    let mut fingers: Vec<(SimIdentity, Finger)> = (0..6u64)
        .map(|s| {
            let f = Finger::ALL[(s * 3 % 10) as usize];
            (finger_identity(SimSubject(300 + s), f), f)
        })
        .collect();
    fingers.extend(of_class(PatternClass::Arch, 1));
    fingers.extend(of_class(PatternClass::TentedArch, 1));
    let mut previous: Option<(Vec<Minutia>, ImpressionParams)> = None;
    for (k, &(id, f)) in fingers.iter().enumerate() {
        let m = MasterPrint::generate(id, f);
        let pa = ImpressionParams {
            distortion: Distortion::NONE,
            ..ImpressionParams::from_seed(k as u64)
        };
        let pb = ImpressionParams {
            distortion: Distortion::NONE,
            ..ImpressionParams::from_seed(k as u64 + 500)
        };
        let ma = minutiae(&impression(&m, &pa));
        let mb = minutiae(&impression(&m, &pb));
        for (name, list) in [("a", &ma), ("b", &mb)] {
            assert!(
                (20..=90).contains(&list.len()),
                "{:?} {f} impression {name}: {} minutiae",
                m.class(),
                list.len()
            );
        }
        let same = coincide(&ma, &pa, &mb, &pb, 30);
        println!(
            "{:?} {f}: {} and {} minutiae, {same:.2} coincide",
            m.class(),
            ma.len(),
            mb.len()
        );
        assert!(
            same >= 0.6,
            "{:?} {f}: only {same} of minutiae coincide",
            m.class()
        );
        // Another finger's minutiae, put through the same alignment, mostly do not.
        if let Some((prev, pp)) = &previous {
            let chance = coincide(&ma, &pa, prev, pp, 30);
            println!("  against another finger: {chance:.2}");
            assert!(
                chance <= 0.35,
                "{:?} {f}: {chance} coincide with another finger",
                m.class()
            );
            assert!(same >= chance + 0.3);
        }
        previous = Some((mb, pb));
    }
}

#[test]
fn slap_tips_lie_inside_their_boxes_at_natural_angles() {
    for subject in 0..3u64 {
        for kind in [SlapKind::RightFour, SlapKind::LeftFour, SlapKind::Thumbs] {
            let placed: Vec<PlacedFinger> = kind
                .fingers()
                .into_iter()
                .map(|finger| PlacedFinger {
                    finger,
                    identity: finger_identity(SimSubject(subject), finger),
                })
                .collect();
            let slap = render_slap(kind, &placed, subject * 11 + 1, false);
            assert_eq!(slap.tips.len(), placed.len());
            let w = slap.image.width;
            let inside = |x: u32, y: u32| {
                slap.tips.iter().any(|t| {
                    x >= t.bbox.x
                        && x < t.bbox.x + t.bbox.width
                        && y >= t.bbox.y
                        && y < t.bbox.y + t.bbox.height
                })
            };
            let mut outside = 0;
            for (i, &p) in slap.image.data.iter().enumerate() {
                let (x, y) = (i as u32 % w, i as u32 / w);
                if p < BACKGROUND - 40 && !inside(x, y) {
                    outside += 1;
                }
            }
            assert_eq!(outside, 0, "{kind:?}: dark pixels outside every box");
            for (a, t) in slap.tips.iter().enumerate() {
                // A fingertip's worth of ridges in each box.
                let dark = t.crop.data.iter().filter(|&&p| p < 120).count();
                assert!(dark > 10_000, "{kind:?} {}: {dark} dark pixels", t.finger);
                assert!(t.bbox.width > 150 && t.bbox.height > 200, "{:?}", t.bbox);
                let s = slot(kind, t.finger).unwrap();
                assert!((t.angle_deg - s.angle_deg).abs() < 6.0);
                let (cx, cy) = (
                    t.bbox.x as f32 + t.bbox.width as f32 / 2.0,
                    t.bbox.y as f32 + t.bbox.height as f32 / 2.0,
                );
                assert!((cx - s.cx).abs() < 45.0 && (cy - s.cy).abs() < 60.0);
                // Boxes of different fingers do not overlap much.
                for u in &slap.tips[a + 1..] {
                    let ox = (t.bbox.x + t.bbox.width).min(u.bbox.x + u.bbox.width) as i64
                        - t.bbox.x.max(u.bbox.x) as i64;
                    let oy = (t.bbox.y + t.bbox.height).min(u.bbox.y + u.bbox.height) as i64
                        - t.bbox.y.max(u.bbox.y) as i64;
                    assert!(
                        ox <= 0 || oy <= 0 || ox * oy < 2_000,
                        "{kind:?}: boxes overlap"
                    );
                }
            }
        }
    }
}

#[test]
fn moisture_and_pressure_change_ridge_thickness() {
    let m = MasterPrint::cached(
        finger_identity(SimSubject(9), Finger::RightMiddle),
        Finger::RightMiddle,
    );
    let base = ImpressionParams {
        noise: 0.0,
        blotches: 0.0,
        ..ImpressionParams::ideal()
    };
    let ink = |p: ImpressionParams| {
        let img = impression(&m, &p);
        // Ridge share inside the central pad.
        let mut dark = 0;
        let mut all = 0;
        for y in 200..380 {
            for x in 180..320 {
                all += 1;
                if img.data[y * 500 + x] < 140 {
                    dark += 1;
                }
            }
        }
        dark as f32 / all as f32
    };
    let dry = ink(ImpressionParams {
        moisture: 0.7,
        ..base
    });
    let normal = ink(base);
    let wet = ink(ImpressionParams {
        moisture: -0.7,
        ..base
    });
    let heavy = ink(ImpressionParams {
        pressure: 1.4,
        ..base
    });
    assert!(
        dry + 0.1 < normal && normal + 0.1 < wet,
        "{dry} {normal} {wet}"
    );
    assert!(heavy > normal + 0.03, "{heavy} {normal}");
    assert!((0.35..0.65).contains(&normal), "{normal}");
    // Partial contact leaves part of the pad empty; the low-quality preset is faint.
    let full = impression(&m, &base);
    let half = impression(
        &m,
        &ImpressionParams {
            partial: Some(rekam_sim::synth::finger::PartialContact {
                direction_deg: 0.0,
                keep: 0.5,
            }),
            ..base
        },
    );
    let count = |img: &RawImage| img.data.iter().filter(|&&p| p < 150).count();
    let (cf, ch) = (count(&full), count(&half));
    assert!(ch * 10 < cf * 7 && ch * 10 > cf * 3, "{ch} of {cf}");
    let low = impression(&m, &ImpressionParams::low_quality(1));
    assert!(
        count(&low) * 10 < cf,
        "low quality still dark: {}",
        count(&low)
    );
}

#[test]
fn the_master_cache_reuses_and_evicts() {
    let id = |k: u64| SimIdentity(0x000C_AC4E_0000 + k);
    let first = MasterPrint::cached(id(0), Finger::RightIndex);
    assert!(Arc::ptr_eq(
        &first,
        &MasterPrint::cached(id(0), Finger::RightIndex)
    ));
    // The same identity on another finger is another master.
    assert!(!Arc::ptr_eq(
        &first,
        &MasterPrint::cached(id(0), Finger::RightMiddle)
    ));
    for k in 1..=64 {
        MasterPrint::cached(id(k), Finger::RightIndex);
    }
    // 65 masters later the first is gone, and regrown alike.
    let again = MasterPrint::cached(id(0), Finger::RightIndex);
    assert!(!Arc::ptr_eq(&first, &again));
    assert_eq!(first.render(), again.render());
}
