//! Unit tests: conventions, the compact card round trip, caps and errors.

use super::*;
use proptest::prelude::*;
use rekam_hal::{Finger, SimIdentity};
use rekam_sim::synth::finger::{impression, ImpressionParams, MasterPrint};

fn sim_image(id: u64, seed: u64) -> RawImage {
    let master = MasterPrint::cached(SimIdentity(id), Finger::RightIndex);
    impression(&master, &ImpressionParams::from_seed(seed))
}

fn template(points: &[(u16, u16, u8)]) -> Template {
    Template {
        minutiae: Redacted(
            points
                .iter()
                .map(|&(x, y, angle)| Minutia {
                    kind: MinutiaType::Other,
                    x,
                    y,
                    angle,
                    quality: Some(50),
                })
                .collect(),
        ),
    }
}

#[test]
fn nist_directions_turn_half_a_turn_into_iso() {
    // NIST 0° (east, y up) is the ISO direction 180° = 128/256; NIST 90° (up on the image) is
    // ISO 270° = 192, since both count counter-clockwise as seen on the image.
    assert_eq!(iso_angle(0), 128);
    assert_eq!(iso_angle(90), 192);
    assert_eq!(iso_angle(180), 0);
    assert_eq!(iso_angle(270), 64);
    assert_eq!(iso_angle(359), 127);
    for t in 0..360 {
        let back = nist_theta(iso_angle(t));
        let err = (back - t).rem_euclid(360).min((t - back).rem_euclid(360));
        assert!(err <= 1, "{t} -> {back}");
    }
}

#[test]
fn card_units_and_pixels_round_trip() {
    for u in 0..=300u16 {
        assert_eq!(card_units(card_px(u)), u);
    }
    for x0 in 0..2000u16 {
        assert!(card_units(x0 + MAX_CARD_SPAN_PX) - card_units(x0) <= 255);
    }
}

#[test]
fn compact_card_units_are_tenths_of_a_millimetre() {
    // 197 px at 197 px/cm is 1 cm = 100 units; 1/256 turn 64 (90°) is 1/64 turn 16.
    let mut pts = vec![(10u16, 20u16, 64u8), (207, 20, 0)];
    for i in 0..8 {
        pts.push((10 + i * 20, 120, 200));
    }
    let t = template(&pts);
    let bytes = t.to_compact_card().unwrap();
    assert_eq!(bytes.len(), 10 * CARD_MINUTIA_LEN);
    // The first minutia sets the origin along both axes (smallest x and y).
    assert_eq!(&bytes[..3], &[0, 0, 16]);
    assert_eq!(&bytes[3..6], &[100, 0, 0]);
    // 100 px down: (100*100+98)/197 = 51 units; angle 200/4 = 50.
    assert_eq!(&bytes[6..9], &[0, 51, 50]);
    let back = Template::from_compact_card(&bytes).unwrap();
    assert_eq!(back.minutiae()[1].x, 197);
    assert_eq!(back.minutiae()[1].angle, 0);
    assert_eq!(back.minutiae()[0].angle, 64);
    assert_eq!(back.to_compact_card().unwrap(), bytes);
}

#[test]
fn card_rejects_short_and_malformed_templates() {
    let t = template(&[(0, 0, 0); 9]);
    let bytes = t.to_compact_card().unwrap();
    assert_eq!(
        Template::from_compact_card(&bytes).unwrap_err().kind(),
        ErrorKind::PoorSample
    );
    assert_eq!(
        Template::from_compact_card(&[1, 2]).unwrap_err().kind(),
        ErrorKind::InvalidTemplate
    );
    // Type code 3 is reserved.
    let mut bad = template(&[(0, 0, 0); 10]).to_compact_card().unwrap();
    bad[2] = 0xC0;
    assert!(matches!(
        Template::from_compact_card(&bad),
        Err(MatchError::Decode(_))
    ));
}

#[test]
fn card_refuses_a_degenerate_template_before_any_comparison() {
    // A crafted chip: eleven minutiae on one point (BOZORTH3 takes seconds on it).
    let crafted = template(&[(100, 100, 0); 11]).to_compact_card().unwrap();
    let err = Template::from_compact_card(&crafted).unwrap_err();
    assert_eq!(err, MatchError::Degenerate { count: 11, max: 3 });
    assert_eq!(err.kind(), ErrorKind::InvalidTemplate);
    // Up to three may share a 0.1 mm cell; a fourth is refused.
    let spread = |crowd: u16| {
        let mut pts: Vec<(u16, u16, u8)> = (0..crowd).map(|_| (40, 40, 8)).collect();
        pts.extend((0..8).map(|i| (60 + i * 25, 90 + i * 11, 100)));
        template(&pts).to_compact_card().unwrap()
    };
    assert_eq!(Template::from_compact_card(&spread(3)).unwrap().len(), 11);
    assert_eq!(
        Template::from_compact_card(&spread(4)).unwrap_err(),
        MatchError::Degenerate { count: 4, max: 3 }
    );
}

#[test]
fn options_cap_by_count_and_bytes() {
    assert_eq!(ExtractOptions::default().cap().unwrap(), 50);
    let o = ExtractOptions {
        max_minutiae: 60,
        byte_budget: 120,
    };
    assert_eq!(o.cap().unwrap(), 40);
    let o = ExtractOptions {
        max_minutiae: 60,
        byte_budget: 29,
    };
    assert_eq!(o.cap().unwrap_err().kind(), ErrorKind::InvalidOptions);
}

#[test]
fn extraction_keeps_the_most_reliable_that_fit_the_card() {
    let img = sim_image(11, 1);
    let all = {
        let g = fprint_mindtct::GrayImage::new(&img.data, 500, 600, 500).unwrap();
        fprint_mindtct::detect_minutiae(g)
    };
    assert!(all.len() > 24, "{} minutiae", all.len());
    let opts = ExtractOptions {
        max_minutiae: 40,
        byte_budget: 72,
    };
    let t = extract(&img, &opts).unwrap();
    assert_eq!(t.len(), 24);
    let q: Vec<u8> = t.minutiae().iter().filter_map(|m| m.quality).collect();
    assert_eq!(q.len(), 24);
    assert!(q.windows(2).all(|w| w[0] >= w[1]), "most reliable first");
    let spread = |f: fn(&Minutia) -> u16| {
        let v: Vec<u16> = t.minutiae().iter().map(f).collect();
        v.iter().max().unwrap() - v.iter().min().unwrap()
    };
    assert!(spread(|m| m.x) <= MAX_CARD_SPAN_PX && spread(|m| m.y) <= MAX_CARD_SPAN_PX);
    let bytes = t.to_compact_card().unwrap();
    assert_eq!(bytes.len(), 72);
    // The card loses quality and precision but keeps the print: the card template matches the
    // extracted one about as well as the extracted one matches itself.
    let card = Template::from_compact_card(&bytes).unwrap();
    assert_eq!(card.to_compact_card().unwrap(), bytes);
    let own = compare(&t, &t);
    let via_card = compare(&card, &t);
    assert!(via_card.0 * 2 >= own.0, "{via_card:?} vs {own:?}");
    assert!(MatchThreshold::DEFAULT.accepts(via_card));
    // A different finger does not.
    let other = extract(&sim_image(12, 1), &opts).unwrap();
    assert!(!MatchThreshold::DEFAULT.accepts(compare(&card, &other)));
    // A prepared reference, reused over attempts and with one matcher, scores the same.
    let reference = card.prepare();
    assert_eq!(compare_prepared(&reference, &t.prepare()), via_card);
    assert_eq!(
        compare_prepared(&reference, &other.prepare()),
        compare(&card, &other)
    );
    let mut m = Matcher::new();
    for _ in 0..2 {
        assert_eq!(m.score(&t.prepare(), &reference), via_card.0);
        assert_eq!(
            m.score(&other.prepare(), &reference),
            compare(&card, &other).0
        );
    }
    assert_eq!(
        verify_prepared(&reference, &t.prepare(), MatchThreshold::DEFAULT),
        verify(&card, &t, MatchThreshold::DEFAULT)
    );
}

#[test]
fn images_at_other_resolutions_or_sizes_are_refused() {
    let mut img = sim_image(11, 2);
    img.ppi = Some(1000);
    let e = extract(&img, &ExtractOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidImage);
    let tiny = RawImage::gray(10, 10, Some(500), vec![128; 100]).unwrap();
    let e = extract(&tiny, &ExtractOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidImage);
    let blank = RawImage::gray(500, 600, Some(500), vec![242; 300_000]).unwrap();
    let e = extract(&blank, &ExtractOptions::default()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PoorSample);
}

#[test]
fn debug_hides_the_minutiae() {
    let t = template(&[(123, 456, 78); 10]);
    let s = format!("{t:?}");
    assert!(!s.contains("123") && !s.contains("456"), "{s}");
}

proptest! {
    #[test]
    fn card_bytes_round_trip(raw in proptest::collection::vec((0u8..=255, 0u8..=255, 0u8..=2, 0u8..64), 10..60)) {
        let bytes: Vec<u8> = raw.iter().flat_map(|&(x, y, k, a)| [x, y, k << 6 | a]).collect();
        let t = Template::from_compact_card(&bytes).unwrap();
        let again = t.to_compact_card().unwrap();
        // Coordinates come back relative to the smallest x and y.
        let x0 = raw.iter().map(|r| r.0).min().unwrap();
        let y0 = raw.iter().map(|r| r.1).min().unwrap();
        let expect: Vec<u8> = raw.iter().flat_map(|&(x, y, k, a)| [x - x0, y - y0, k << 6 | a]).collect();
        prop_assert_eq!(again, expect);
    }
}

/// MINDTCT on the print's region finds the minutiae it finds on the whole image. Not to the
/// pixel: its direction map is cleaned from the map's centre outward, and the region moves
/// the centre, so a minutia may move by a pixel and a weak one may come or go.
#[test]
fn the_region_yields_the_minutiae_of_the_whole_image() {
    let (mut found, mut near) = (0, 0);
    for i in 0..12u64 {
        let master = MasterPrint::cached(SimIdentity(0x7000 + i), Finger::RightIndex);
        let params = match i % 4 {
            0 => ImpressionParams::from_seed(i),
            1 => ImpressionParams::distorted(i, 2.0),
            2 => ImpressionParams::dry(i, 0.5),
            _ => ImpressionParams::wet(i, 0.5),
        };
        let img = impression(&master, &params);
        let (w, h) = (img.width as usize, img.height as usize);
        let region = Region::of(&img.data, w, h);
        // The print is about a third of the scan: the region must be well under the whole.
        assert!(
            region.width * region.height < w * h * 2 / 3,
            "impression {i}: region {region:?} of {w}x{h}"
        );
        let whole = Region::whole(w, h);
        let everywhere = minutiae_in(&img.data, w, h, whole).expect("the whole image");
        let inside = minutiae_in(&img.data, w, h, region).expect("the region");
        let diff = |a: u8, b: u8| a.wrapping_sub(b).min(b.wrapping_sub(a));
        let seen = |m: &Minutia| {
            everywhere.iter().any(|(_, n)| {
                n.x.abs_diff(m.x) <= 2 && n.y.abs_diff(m.y) <= 2 && diff(n.angle, m.angle) <= 8
            })
        };
        found += inside.len();
        near += inside.iter().filter(|(_, m)| seen(m)).count();
        assert!(
            inside.len().abs_diff(everywhere.len()) <= 3,
            "impression {i}: {} minutiae in the region, {} in the whole image",
            inside.len(),
            everywhere.len()
        );
    }
    assert!(found > 12 * 30, "{found} minutiae in 12 impressions");
    assert!(
        near * 100 >= found * 97,
        "{near} of {found} region minutiae are where the whole image has one"
    );
}
