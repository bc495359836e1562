//! Lossless round trips through OpenJPEG, each checked pixel for pixel against our own decoder
//! and against the independent pure-Rust decoder `hayro-jpeg2000`; container layout; typed errors
//! on bad input; no panic on arbitrary bytes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers parse our own output

use proptest::prelude::*;
use rekam_hal::{Finger, PixelFormat, RawImage, SimSubject};
use rekam_jp2::{
    decode, decode_raw_image, encode_lossless, encode_lossless_with, encode_raw_image,
    to_encoded_image, Container, EncodeOptions, ErrorKind, Jp2Error,
};

/// SplitMix64: deterministic test noise.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

fn noise(w: u32, h: u32, ch: u8, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed);
    (0..w as usize * h as usize * usize::from(ch))
        .map(|_| r.next() as u8)
        .collect()
}

fn gradient(w: u32, h: u32, ch: u8) -> Vec<u8> {
    let mut v = Vec::new();
    for y in 0..h {
        for x in 0..w {
            for c in 0..u32::from(ch) {
                let t = (x * 255 / w.max(2).saturating_sub(1).max(1) + y * 97 / h.max(1) + c * 60)
                    % 256;
                v.push(t as u8);
            }
        }
    }
    v
}

/// Concentric ridges with a loop-like core, varying contrast and noise: the spectrum of a
/// 500 ppi fingerprint (ridge period about 9 px) without needing the simulator.
fn ridges(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut r = Rng(seed);
    let (cx, cy) = (w as f32 * 0.5, h as f32 * 0.45);
    let mut v = Vec::with_capacity(w as usize * h as usize);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 - cx, (y as f32 - cy) * 1.3);
            let d = (dx * dx + dy * dy).sqrt() + 6.0 * (dx.atan2(dy) * 2.0).sin();
            let ridge = (d * std::f32::consts::TAU / 9.0).cos();
            let n = (r.next() % 41) as f32 - 20.0;
            v.push((128.0 + 90.0 * ridge + n).clamp(0.0, 255.0) as u8);
        }
    }
    v
}

/// Decodes with hayro-jpeg2000 (independent implementation): width, height, channels, pixels.
fn hayro(bytes: &[u8]) -> (u32, u32, u8, Vec<u8>) {
    use hayro_jpeg2000::{DecodeSettings, DecoderContext, Image};
    let settings = DecodeSettings {
        strict: true,
        ..DecodeSettings::default()
    };
    let image = Image::new(bytes, &settings).expect("hayro parses our output");
    let (w, h) = (image.width(), image.height());
    let ch = image.color_space().num_channels();
    assert!(!image.has_alpha());
    let mut ctx = DecoderContext::default();
    let decoded = image.decode(&mut ctx).expect("hayro decodes our output");
    (w, h, ch, decoded.data_u8())
}

fn check_round_trip(name: &str, pixels: &[u8], w: u32, h: u32, ch: u8) {
    for container in [Container::Jp2, Container::J2k] {
        let opts = EncodeOptions {
            container,
            ..EncodeOptions::default()
        };
        let bytes = encode_lossless_with(pixels, w, h, ch, &opts)
            .unwrap_or_else(|e| panic!("{name} {container:?}: {e}"));
        assert_eq!(Container::sniff(&bytes), Some(container), "{name}");
        let ours = decode(&bytes).unwrap_or_else(|e| panic!("{name} {container:?}: {e}"));
        assert_eq!(
            (ours.width, ours.height, ours.channels, ours.container),
            (w, h, ch, container),
            "{name}"
        );
        assert!(
            ours.pixels == pixels,
            "{name} {container:?}: OpenJPEG round trip differs"
        );
        let (hw, hh, hch, hpx) = hayro(&bytes);
        assert_eq!((hw, hh, hch), (w, h, ch), "{name} {container:?} (hayro)");
        let diff = hpx.iter().zip(pixels).filter(|(a, b)| a != b).count();
        assert_eq!(
            diff, 0,
            "{name} {container:?}: hayro sees {diff} different samples"
        );
    }
}

#[test]
fn fingerprint_like_grey_is_lossless() {
    check_round_trip("ridges 500x600", &ridges(500, 600, 1), 500, 600, 1);
}

#[test]
fn simulated_fingerprint_and_slap_are_lossless() {
    let flat = rekam_sim::synth::finger::render_flat(
        rekam_sim::synth::finger_identity(SimSubject(7), Finger::RightIndex),
        Finger::RightIndex,
        3,
    );
    assert_eq!(flat.format, PixelFormat::Gray8);
    check_round_trip("flat", &flat.data, flat.width, flat.height, 1);
    check_round_trip("slap-size ridges", &ridges(1600, 1000, 2), 1600, 1000, 1);
}

#[test]
fn simulated_face_rgb_is_lossless() {
    use rekam_sim::synth::face;
    let px = face::render(rekam_sim::synth::face_identity(SimSubject(3)), 9, false);
    check_round_trip("face", &px, face::WIDTH, face::HEIGHT, 3);
}

#[test]
fn gradients_and_noise_grey_and_rgb_are_lossless() {
    for (w, h) in [(1, 1), (3, 7), (7, 3), (64, 64), (65, 33), (640, 480)] {
        for ch in [1u8, 3] {
            check_round_trip(
                &format!("gradient {w}x{h}x{ch}"),
                &gradient(w, h, ch),
                w,
                h,
                ch,
            );
            check_round_trip(
                &format!("noise {w}x{h}x{ch}"),
                &noise(w, h, ch, u64::from(w * h)),
                w,
                h,
                ch,
            );
        }
    }
    check_round_trip(
        "noise 1600x1000 rgb",
        &noise(1600, 1000, 3, 5),
        1600,
        1000,
        3,
    );
}

#[test]
fn extremes_are_lossless() {
    for v in [0u8, 255] {
        check_round_trip("flat", &vec![v; 31 * 17], 31, 17, 1);
        check_round_trip("flat rgb", &vec![v; 31 * 17 * 3], 31, 17, 3);
    }
    let checker: Vec<u8> = (0..40 * 40)
        .map(|i| if (i % 40 + i / 40) % 2 == 0 { 0 } else { 255 })
        .collect();
    check_round_trip("checker", &checker, 40, 40, 1);
}

#[test]
fn more_threads_give_the_same_pixels() {
    let px = ridges(300, 200, 4);
    let opts = EncodeOptions {
        threads: 2,
        ..EncodeOptions::default()
    };
    let bytes = encode_lossless_with(&px, 300, 200, 1, &opts).unwrap();
    assert_eq!(decode(&bytes).unwrap().pixels, px);
}

/// Box types at the top level of a JP2 file, and the enumerated colour space in `colr`.
fn jp2_boxes(bytes: &[u8]) -> (Vec<[u8; 4]>, Option<u32>) {
    let mut boxes = Vec::new();
    let mut colour = None;
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind: [u8; 4] = bytes[at + 4..at + 8].try_into().unwrap();
        boxes.push(kind);
        if &kind == b"jp2h" {
            // Sub-boxes: ihdr then colr.
            let mut sub = at + 8;
            while sub + 8 <= at + len {
                let slen = u32::from_be_bytes(bytes[sub..sub + 4].try_into().unwrap()) as usize;
                if &bytes[sub + 4..sub + 8] == b"colr" && bytes[sub + 8] == 1 {
                    colour = Some(u32::from_be_bytes(
                        bytes[sub + 11..sub + 15].try_into().unwrap(),
                    ));
                }
                sub += slen;
            }
        }
        if len == 0 {
            break;
        }
        at += len;
    }
    assert_eq!(at, bytes.len(), "boxes cover the file exactly");
    (boxes, colour)
}

#[test]
fn jp2_container_has_the_mandatory_boxes_and_colour_space() {
    let grey = encode_lossless(&gradient(20, 10, 1), 20, 10, 1).unwrap();
    let (boxes, colour) = jp2_boxes(&grey);
    assert_eq!(boxes, vec![*b"jP  ", *b"ftyp", *b"jp2h", *b"jp2c"]);
    assert_eq!(colour, Some(17), "greyscale enumerated colour space");
    let rgb = encode_lossless(&gradient(20, 10, 3), 20, 10, 3).unwrap();
    assert_eq!(jp2_boxes(&rgb).1, Some(16), "sRGB enumerated colour space");
    // The J2K codestream is the jp2c payload: same codestream, no boxes.
    let j2k = encode_lossless_with(
        &gradient(20, 10, 1),
        20,
        10,
        1,
        &EncodeOptions {
            container: Container::J2k,
            ..EncodeOptions::default()
        },
    )
    .unwrap();
    assert!(j2k.starts_with(&[0xFF, 0x4F, 0xFF, 0x51]));
    assert!(j2k.ends_with(&[0xFF, 0xD9]), "EOC marker");
    assert!(grey.ends_with(&j2k), "the JP2 wraps the same codestream");
}

#[test]
fn it_compresses_and_is_deterministic() {
    let px = ridges(500, 600, 9);
    let a = encode_lossless(&px, 500, 600, 1).unwrap();
    let b = encode_lossless(&px, 500, 600, 1).unwrap();
    assert_eq!(a, b);
    // Ridges carry +-20 grey levels of uniform noise (over 5 bits of entropy per pixel): lossless
    // coding cannot go far below that, but must beat the raw 8 bits.
    assert!(a.len() < px.len() * 7 / 8, "{} bytes", a.len());
    let smooth = encode_lossless(&gradient(500, 600, 1), 500, 600, 1).unwrap();
    assert!(
        smooth.len() < a.len() / 4,
        "{} vs {}",
        smooth.len(),
        a.len()
    );
}

#[test]
fn raw_image_helpers_round_trip() {
    let img = RawImage::gray(33, 21, Some(500), ridges(33, 21, 3)).unwrap();
    let enc = to_encoded_image(&img).unwrap();
    assert_eq!(enc.codec, rekam_hal::ImageCodec::Jpeg2000);
    assert_eq!((enc.width, enc.height), (33, 21));
    assert_eq!(enc.bytes, encode_raw_image(&img).unwrap());
    let back = decode_raw_image(&enc.bytes).unwrap();
    assert_eq!(back.data, img.data);
    assert_eq!(back.format, PixelFormat::Gray8);
    let rgb = RawImage::rgb(5, 4, gradient(5, 4, 3)).unwrap();
    let back = decode_raw_image(&encode_raw_image(&rgb).unwrap()).unwrap();
    assert_eq!(back, rgb);
}

#[test]
fn bad_input_gives_typed_errors() {
    let e = encode_lossless(&[1, 2, 3], 2, 2, 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(matches!(
        e,
        Jp2Error::BufferSize {
            len: 3,
            width: 2,
            height: 2,
            channels: 1
        }
    ));
    assert!(matches!(
        encode_lossless(&[0; 16], 2, 2, 4),
        Err(Jp2Error::Channels { channels: 4 })
    ));
    assert!(matches!(
        encode_lossless(&[], 5, 0, 1),
        Err(Jp2Error::Empty { .. })
    ));

    assert_eq!(decode(&[]).unwrap_err(), Jp2Error::NotJpeg2000);
    assert_eq!(
        decode(b"\x89PNG\r\n\x1a\n").unwrap_err().kind(),
        ErrorKind::Corrupt
    );

    let good = encode_lossless(&ridges(64, 48, 1), 64, 48, 1).unwrap();
    for cut in [12, 40, 90, good.len() / 2, good.len() - 3] {
        let e = decode(&good[..cut]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Corrupt, "cut at {cut}: {e}");
    }
    let j2k = encode_lossless_with(
        &ridges(64, 48, 1),
        64,
        48,
        1,
        &EncodeOptions {
            container: Container::J2k,
            ..EncodeOptions::default()
        },
    )
    .unwrap();
    assert_eq!(decode(&j2k[..20]).unwrap_err().kind(), ErrorKind::Corrupt);
}

#[test]
fn other_bit_depths_are_refused_as_unsupported() {
    // A hand-made codestream main header (SOC, SIZ) for a 16-bit image: refused from the
    // header, before any tile is decoded.
    let mut cs = vec![0xFF, 0x4F, 0xFF, 0x51, 0x00, 0x29, 0x00, 0x00];
    for v in [8u32, 8, 0, 0, 8, 8, 0, 0] {
        cs.extend_from_slice(&v.to_be_bytes());
    }
    cs.extend_from_slice(&[0x00, 0x01, 0x0F, 0x01, 0x01]); // Csiz 1, Ssiz 16-bit unsigned
                                                           // COD: LRCP, 1 layer, no MCT, 0 levels, 64x64 blocks, 5/3 reversible.
    cs.extend_from_slice(&[
        0xFF, 0x52, 0x00, 0x0C, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x04, 0x04, 0x00, 0x01,
    ]);
    // QCD: no quantisation, 2 guard bits, one band.
    cs.extend_from_slice(&[0xFF, 0x5C, 0x00, 0x04, 0x40, 0x80]);
    // SOT (tile 0, to the end), SOD, EOC.
    cs.extend_from_slice(&[0xFF, 0x90, 0x00, 0x0A, 0x00, 0x00, 0, 0, 0, 0, 0x00, 0x01]);
    cs.extend_from_slice(&[0xFF, 0x93, 0xFF, 0xD9]);
    let e = decode(&cs).unwrap_err();
    assert_eq!(
        e,
        Jp2Error::Unsupported {
            reason: "only 8-bit samples are supported"
        }
    );
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    // The same header with 8-bit samples passes the header checks (and decodes to something
    // or fails as corrupt, having no tile data).
    let ssiz = cs.iter().position(|&b| b == 0x0F).unwrap();
    cs[ssiz] = 0x07;
    if let Err(e) = decode(&cs) {
        assert_eq!(e.kind(), ErrorKind::Corrupt, "{e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn small_random_images_round_trip(w in 1u32..40, h in 1u32..40, rgb in any::<bool>(), seed in any::<u64>()) {
        let ch = if rgb { 3 } else { 1 };
        let px = noise(w, h, ch, seed);
        let bytes = encode_lossless(&px, w, h, ch).unwrap();
        let back = decode(&bytes).unwrap();
        prop_assert_eq!(back.pixels, px);
    }

    #[test]
    fn arbitrary_bytes_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..300), j2k in any::<bool>()) {
        let mut bytes = if j2k {
            vec![0xFF, 0x4F, 0xFF, 0x51]
        } else {
            vec![0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]
        };
        bytes.extend_from_slice(&tail);
        let _ = decode(&bytes);
    }

    #[test]
    fn corrupted_files_never_panic(at in 0usize..2000, xor in 1u8..=255) {
        let good = encode_lossless(&ridges(40, 30, 5), 40, 30, 1).unwrap();
        let mut bad = good.clone();
        let i = at % bad.len();
        bad[i] ^= xor;
        if let Ok(d) = decode(&bad) {
            prop_assert_eq!(d.pixels.len(), d.width as usize * d.height as usize * usize::from(d.channels));
        }
    }
}
