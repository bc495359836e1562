//! Shared test support: simulated prints, degradations, the NIST samples.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rekam_hal::{Finger, PixelFormat, RawImage, SimSubject};
use rekam_sim::synth::{finger, finger_identity};

/// A simulated flat impression of `subject`'s `finger`.
pub fn flat(subject: u64, f: Finger, seed: u64) -> RawImage {
    finger::render_flat(finger_identity(SimSubject(subject), f), f, seed)
}

/// Gaussian blur with standard deviation `sigma` (pixels), edges clamped.
pub fn blur(img: &RawImage, sigma: f32) -> RawImage {
    if sigma <= 0.0 {
        return img.clone();
    }
    let r = (3.0 * sigma).ceil() as i64;
    let k: Vec<f32> = (-r..=r)
        .map(|i| (-(i * i) as f32 / (2.0 * sigma * sigma)).exp())
        .collect();
    let ks: f32 = k.iter().sum();
    let (w, h) = (img.width as i64, img.height as i64);
    let src: Vec<f32> = img.data.iter().map(|&p| f32::from(p)).collect();
    let mut tmp = vec![0f32; src.len()];
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for (j, kv) in k.iter().enumerate() {
                let xx = (x + j as i64 - r).clamp(0, w - 1);
                s += kv * src[(y * w + xx) as usize];
            }
            tmp[(y * w + x) as usize] = s / ks;
        }
    }
    let mut data = vec![0u8; src.len()];
    for y in 0..h {
        for x in 0..w {
            let mut s = 0.0;
            for (j, kv) in k.iter().enumerate() {
                let yy = (y + j as i64 - r).clamp(0, h - 1);
                s += kv * tmp[(yy * w + x) as usize];
            }
            data[(y * w + x) as usize] = (s / ks).round().clamp(0.0, 255.0) as u8;
        }
    }
    RawImage {
        data,
        ..img.clone()
    }
}

/// Adds zero-mean noise of standard deviation `std` grey levels (deterministic per `seed`).
pub fn noise(img: &RawImage, std: f32, seed: u64) -> RawImage {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32
    };
    let data = img
        .data
        .iter()
        .map(|&p| {
            // Irwin-Hall: the sum of 12 uniforms minus 6 is close to a unit normal.
            let n: f32 = (0..12).map(|_| uniform()).sum::<f32>() - 6.0;
            (f32::from(p) + std * n).round().clamp(0.0, 255.0) as u8
        })
        .collect();
    RawImage {
        data,
        ..img.clone()
    }
}

/// Scales the grey levels' distance from the image mean by `k` (0-1).
pub fn contrast(img: &RawImage, k: f32) -> RawImage {
    let mean = img.data.iter().map(|&p| f32::from(p)).sum::<f32>() / img.data.len() as f32;
    let data = img
        .data
        .iter()
        .map(|&p| (mean + (f32::from(p) - mean) * k).round().clamp(0.0, 255.0) as u8)
        .collect();
    RawImage {
        data,
        ..img.clone()
    }
}

/// Partial contact: the upper `frac` of the print (rows of its dark-pixel bounding box) is
/// replaced by the platen's grey.
pub fn partial(img: &RawImage, frac: f32) -> RawImage {
    let (w, h) = (img.width as usize, img.height as usize);
    // The platen's grey: the median of the border pixels.
    let mut border: Vec<u8> = img.data[..w].to_vec();
    border.extend_from_slice(&img.data[(h - 1) * w..]);
    border.extend((0..h).flat_map(|y| [img.data[y * w], img.data[y * w + w - 1]]));
    border.sort_unstable();
    let bg = border[border.len() / 2];
    let rows: Vec<usize> = (0..h)
        .filter(|&y| {
            img.data[y * w..(y + 1) * w]
                .iter()
                .any(|&p| u16::from(p) + 40 < u16::from(bg))
        })
        .collect();
    let (Some(&top), Some(&bottom)) = (rows.first(), rows.last()) else {
        return img.clone();
    };
    let cut = top + ((bottom - top) as f32 * frac).round() as usize;
    let mut data = img.data.clone();
    for p in &mut data[top * w..cut * w] {
        *p = bg;
    }
    RawImage {
        data,
        ..img.clone()
    }
}

/// A degradation with a strength.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Degradation {
    /// Gaussian blur, sigma in pixels.
    Blur(f32),
    /// Additive noise, standard deviation in grey levels.
    Noise(f32),
    /// Contrast kept, 0-1.
    Contrast(f32),
    /// Share of the print masked, 0-1.
    Partial(f32),
}

impl Degradation {
    /// Applies the degradation.
    pub fn apply(self, img: &RawImage, seed: u64) -> RawImage {
        match self {
            Degradation::Blur(s) => blur(img, s),
            Degradation::Noise(s) => noise(img, s, seed),
            Degradation::Contrast(k) => contrast(img, k),
            Degradation::Partial(f) => partial(img, f),
        }
    }
}

/// The sixteen degradations the quality tests and the NFIQ 2 comparison apply: four
/// strengths each of blur, noise, contrast loss and partial contact.
pub const STRENGTHS: [Degradation; 16] = [
    Degradation::Blur(1.0),
    Degradation::Blur(2.0),
    Degradation::Blur(3.0),
    Degradation::Blur(4.5),
    Degradation::Noise(15.0),
    Degradation::Noise(30.0),
    Degradation::Noise(50.0),
    Degradation::Noise(80.0),
    Degradation::Contrast(0.7),
    Degradation::Contrast(0.45),
    Degradation::Contrast(0.25),
    Degradation::Contrast(0.12),
    Degradation::Partial(0.2),
    Degradation::Partial(0.4),
    Degradation::Partial(0.6),
    Degradation::Partial(0.8),
];

/// The shared test data folder, `../../../shared/testdata` from the crate (panics loudly when
/// it is missing).
pub fn testdata() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata");
    assert!(
        p.is_dir(),
        "test data folder {} is missing: the NIST fingerprint samples live in \
         shared/testdata/fingerprints/nist-samples beside the repository",
        p.display()
    );
    p
}

/// The four NIST sample prints (name, image), decoded from JPEG as 500 ppi grey.
pub fn nist_samples() -> Vec<(String, RawImage)> {
    let dir = testdata().join("fingerprints/nist-samples");
    let mut out = Vec::new();
    for name in ["arch", "loop-right", "tented_arch", "whorl"] {
        let path = dir.join(format!("{name}.jpg"));
        let img = image::open(&path)
            .unwrap_or_else(|e| {
                panic!(
                    "NIST sample {} is missing or unreadable: {e}",
                    path.display()
                )
            })
            .to_luma8();
        out.push((
            name.to_owned(),
            RawImage {
                width: img.width(),
                height: img.height(),
                format: PixelFormat::Gray8,
                ppi: Some(500),
                data: img.into_raw(),
            },
        ));
    }
    out
}

/// Writes a grey image as PNG.
pub fn save_png(img: &RawImage, path: &std::path::Path) {
    image::GrayImage::from_raw(img.width, img.height, img.data.clone())
        .unwrap()
        .save(path)
        .unwrap();
}

/// The python of the oracle venv (`scripts/oracles` makes it on first use: NFIQ 2, BIQT-Iris,
/// the ISO 19794 reader). Fails, never skips, when it cannot be made.
pub fn oracle_python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap();
    let out = match Command::new("bash")
        .arg(root.join("scripts/oracles"))
        .current_dir(&root)
        .output()
    {
        Ok(out) => out,
        Err(e) => panic!(
            "cannot run scripts/oracles ({e}): install bash and python3-venv \
             (Debian: apt-get install python3-venv)"
        ),
    };
    assert!(
        out.status.success(),
        "scripts/oracles could not build the oracle venv (needs python3 with venv and pip, and \
         network access to PyPI; Debian: apt-get install python3-venv):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = root.join(String::from_utf8(out.stdout).unwrap().trim());
    assert!(
        path.exists(),
        "scripts/oracles printed {path:?}, which does not exist"
    );
    path
}

/// Runs the oracle script `tests/oracle/NAME` on `paths` (one per line on its standard
/// input) and returns its output lines, one per image; its standard error (timings) is echoed.
pub fn run_oracle(name: &str, paths: &[PathBuf]) -> Vec<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/oracle")
        .join(name);
    let mut child = Command::new(oracle_python())
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for p in paths {
        writeln!(stdin, "{}", p.display()).unwrap();
    }
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{name} failed: {err}");
    eprintln!("{}", err.trim());
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(lines.len(), paths.len(), "one {name} answer per image");
    lines
}

/// Average ranks (ties share the mean rank).
pub fn ranks(v: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[a].total_cmp(&v[b]));
    let mut r = vec![0.0; v.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && v[idx[j + 1]] == v[idx[i]] {
            j += 1;
        }
        for &k in &idx[i..=j] {
            r[k] = (i + j) as f64 / 2.0;
        }
        i = j + 1;
    }
    r
}

/// Spearman's rank correlation.
pub fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let (ma, mb) = (ra.iter().sum::<f64>() / n, rb.iter().sum::<f64>() / n);
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = ra.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = rb.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}
