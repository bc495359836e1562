//! Prints what building the enrolment package's ISO/IEC 19794 records costs at finalization:
//! per item and for one complete enrolment (10 fingers, 2 irises, the face), with the images
//! as lossless JPEG 2000 (the station's choice) and as PNG, on one thread and split over two.
//! Each row is the mean of several rounds, in wall clock and this process's CPU time (so a
//! busy machine shows through). The samples are the simulator's: 500x600 grey flat prints at
//! 500 ppi, 640x480 grey NIR irises, and the face camera's 640x480 JPEG (quality 88).
//!
//! `cargo run --release -p rekam-station --example records_table`

use nix::time::{clock_gettime, ClockId};
use std::time::Instant;

use rekam_hal::{Eye, Finger, SimSubject};
use rekam_sim::synth::{self, encode, face, iris};
use rekam_station::enrolment::ItemKey;
use rekam_station::station::records::{record_with, ImageFormat};
use time::OffsetDateTime;

/// User plus system CPU time of this process so far, in seconds (CLOCK_PROCESS_CPUTIME_ID).
fn cpu_seconds() -> f64 {
    clock_gettime(ClockId::CLOCK_PROCESS_CPUTIME_ID)
        .map_or(0.0, |t| std::time::Duration::from(t).as_secs_f64())
}

fn png(pixels: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let encoded = image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut out),
        pixels,
        width,
        height,
        image::ExtendedColorType::L8,
    );
    if let Err(e) = encoded {
        eprintln!("PNG encoding failed: {e}");
        std::process::exit(1);
    }
    out
}

/// One kept sample: its item, media type and bytes.
type Sample = (ItemKey, &'static str, Vec<u8>);

fn samples() -> Vec<Sample> {
    let subject = SimSubject(7);
    let mut out: Vec<Sample> = Finger::ALL
        .iter()
        .map(|&f| {
            let img = synth::finger::render_flat(synth::finger_identity(subject, f), f, 1);
            (
                ItemKey::Finger(f),
                "image/png",
                png(&img.data, img.width, img.height),
            )
        })
        .collect();
    for eye in [Eye::Right, Eye::Left] {
        let px = iris::render(synth::eye_identity(subject, eye), 1, false);
        out.push((
            ItemKey::Iris(eye),
            "image/png",
            png(&px, iris::WIDTH, iris::HEIGHT),
        ));
    }
    let rgb = face::render(synth::face_identity(subject), 1, false);
    match encode::jpeg(&rgb, face::WIDTH, face::HEIGHT, 3, 88) {
        Ok(jpeg) => out.push((ItemKey::Face, "image/jpeg", jpeg)),
        Err(e) => {
            eprintln!("JPEG encoding failed: {e}");
            std::process::exit(1);
        }
    }
    out
}

/// Builds one record; returns its size.
fn build(sample: &Sample, format: ImageFormat, at: OffsetDateTime) -> usize {
    match record_with(sample.0, sample.1, &sample.2, 70, at, format) {
        Ok(Some(r)) => r.bytes.len(),
        Ok(None) => 0,
        Err(e) => {
            eprintln!("record failed: {e}");
            std::process::exit(1);
        }
    }
}

fn main() {
    let at = OffsetDateTime::UNIX_EPOCH;
    let samples = samples();
    let rounds = 5;
    println!("| records | format | record bytes | wall ms | CPU ms |");
    println!("|---|---|---|---|---|");
    for format in [ImageFormat::Jpeg2000Lossless, ImageFormat::Png] {
        let name = match format {
            ImageFormat::Jpeg2000Lossless => "JPEG 2000 lossless",
            ImageFormat::Png => "PNG",
        };
        // Per kind: one finger, one iris, the face.
        for (label, pick) in [
            ("one finger 500x600", 0usize),
            ("one iris 640x480", 10),
            ("the face 640x480 RGB", 12),
        ] {
            let (t, c) = (Instant::now(), cpu_seconds());
            let mut size = 0;
            for _ in 0..rounds {
                size = build(&samples[pick], format, at);
            }
            let wall = t.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
            let cpu = (cpu_seconds() - c) * 1000.0 / f64::from(rounds);
            println!("| {label} | {name} | {size} | {wall:.1} | {cpu:.1} |");
        }
        // The whole enrolment, in finalization order on one thread (as the station does it).
        let (t, c) = (Instant::now(), cpu_seconds());
        let mut size = 0;
        for _ in 0..rounds {
            size = samples.iter().map(|s| build(s, format, at)).sum::<usize>();
        }
        let wall = t.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
        let cpu = (cpu_seconds() - c) * 1000.0 / f64::from(rounds);
        println!(
            "| 10 fingers + 2 irises + face, 1 thread | {name} | {size} | {wall:.1} | {cpu:.1} |"
        );
        // The same split over two threads.
        let (t, c) = (Instant::now(), cpu_seconds());
        for _ in 0..rounds {
            std::thread::scope(|s| {
                let (a, b) = samples.split_at(samples.len() / 2);
                let h = s.spawn(|| a.iter().map(|x| build(x, format, at)).sum::<usize>());
                let mine = b.iter().map(|x| build(x, format, at)).sum::<usize>();
                size = mine + h.join().unwrap_or(0);
            });
        }
        let wall = t.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds);
        let cpu = (cpu_seconds() - c) * 1000.0 / f64::from(rounds);
        println!(
            "| 10 fingers + 2 irises + face, 2 threads | {name} | {size} | {wall:.1} | {cpu:.1} |"
        );
    }
}
