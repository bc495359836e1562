//! `card preview`: writes a card face as PNG, 1016 x 648 at 300 dpi, as the card printer
//! receives it.
//!
//! - `--job ID`: the daemon renders the job's card from its record, photo and signature
//!   (RenderCard; the daemon audits the read), and rekamctl writes the PNG it sends.
//! - `--record FILE`: a card record file (JSON, the fields of SIAK's card record as in
//!   `rekam_card::CardRecord`), checked and rendered here without the daemon, with the photo
//!   of `--photo` (JPEG or PNG) when given.
//!
//! The PNG holds the full NIK and the photo: it is written only where `--output` says, and
//! nothing of it is printed on the terminal.

use std::path::Path;

use rekam_card::render::{encode_png, render_front, CardLayout, PhotoSource};
use rekam_card::CardRecord;
use rekam_hal::{EncodedImage, ImageCodec};
use rekam_proto::v1;
use serde::Serialize;

use crate::cli::PreviewArgs;
use crate::connect::Clients;
use crate::error::CtlError;
use crate::output::Ctx;
use crate::ui;

/// What `card preview` reports.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PreviewView {
    /// Where the PNG went.
    pub path: String,
    /// Width in dots.
    pub width: u32,
    /// Height in dots.
    pub height: u32,
    /// `job` (rendered by the daemon) or `record` (rendered here).
    pub source: &'static str,
}

fn failed(message: String, code: &str) -> CtlError {
    CtlError::Failed {
        message,
        code: code.to_owned(),
    }
}

fn report(view: &PreviewView, ctx: &mut Ctx<'_>) -> Result<(), CtlError> {
    if ctx.json {
        ui::json_document(ctx.out, view)?;
    } else {
        writeln!(
            ctx.out,
            "wrote {} ({} x {} dots, 300 dpi, rendered from the {})",
            view.path, view.width, view.height, view.source
        )?;
    }
    Ok(())
}

fn write_png(path: &Path, png: &[u8]) -> Result<(), CtlError> {
    std::fs::write(path, png)
        .map_err(|e| failed(format!("cannot write {}: {e}", path.display()), "OUTPUT"))
}

/// `card preview --job ID -o FILE`: the daemon renders, rekamctl writes.
pub async fn preview_job(
    c: &Clients,
    args: &PreviewArgs,
    job: &str,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let resp = c
        .unary(
            c.issuance
                .clone()
                .render_card(c.request(v1::RenderCardRequest {
                    job_id: job.to_owned(),
                })),
        )
        .await?;
    write_png(&args.output, &resp.png)?;
    report(
        &PreviewView {
            path: args.output.display().to_string(),
            width: resp.width,
            height: resp.height,
            source: "job",
        },
        ctx,
    )
}

fn codec_of(bytes: &[u8]) -> Option<ImageCodec> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(ImageCodec::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(ImageCodec::Png)
    } else {
        None
    }
}

/// `card preview --record FILE [--photo IMG] -o FILE`: rendered here, no daemon.
pub fn preview_record(
    args: &PreviewArgs,
    record: &Path,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let text = std::fs::read_to_string(record).map_err(|e| {
        failed(
            format!("cannot read {}: {e}", record.display()),
            "INVALID_ARGUMENT",
        )
    })?;
    // Errors name the field, never its value (the record holds personal data).
    let record: CardRecord = serde_json::from_str(&text).map_err(|e| {
        failed(
            format!(
                "{} is not a card record (line {}, column {})",
                record.display(),
                e.line(),
                e.column()
            ),
            "INVALID_ARGUMENT",
        )
    })?;
    record.validate().map_err(|e| {
        failed(
            format!("the card record is refused: {e}"),
            "INVALID_ARGUMENT",
        )
    })?;
    let photo = match &args.photo {
        None => None,
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| {
                failed(
                    format!("cannot read {}: {e}", path.display()),
                    "INVALID_ARGUMENT",
                )
            })?;
            let codec = codec_of(&bytes).ok_or_else(|| {
                failed(
                    format!("{} is neither JPEG nor PNG", path.display()),
                    "INVALID_ARGUMENT",
                )
            })?;
            Some(EncodedImage {
                codec,
                width: 0,
                height: 0,
                bytes,
            })
        }
    };
    let card = render_front(
        &record,
        photo.as_ref().map(PhotoSource::Encoded),
        None,
        &CardLayout::default(),
    )
    .map_err(|e| {
        failed(
            format!("the card cannot be rendered: {e}"),
            "INVALID_ARGUMENT",
        )
    })?;
    let png = encode_png(&card.image).map_err(|e| failed(e.to_string(), "INTERNAL"))?;
    write_png(&args.output, &png)?;
    report(
        &PreviewView {
            path: args.output.display().to_string(),
            width: card.image.width,
            height: card.image.height,
            source: "record",
        },
        ctx,
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::ui::Style;
    use rekam_card::{BloodType, Citizenship, MaritalStatus, Nik, Religion, Sex, ValidUntil};

    fn record() -> CardRecord {
        let date = |y, m, d| {
            time::Date::from_calendar_date(y, time::Month::try_from(m).unwrap(), d).unwrap()
        };
        CardRecord {
            nik: Nik::parse("3508011203990001").unwrap(),
            name: "BUDI SANTOSO".into(),
            place_of_birth: "LUMAJANG".into(),
            date_of_birth: date(1999, 3, 12),
            sex: Sex::Male,
            blood_type: BloodType::O,
            address: "JL. RAYA SENDURO NO. 12".into(),
            rt_rw: "002/005".into(),
            village: "SENDURO".into(),
            district: "SENDURO".into(),
            regency: "LUMAJANG".into(),
            province: "JAWA TIMUR".into(),
            religion: Religion::Islam,
            marital_status: MaritalStatus::BelumKawin,
            occupation: "PELAJAR/MAHASISWA".into(),
            citizenship: Citizenship::Wni,
            valid_until: ValidUntil::Lifetime,
            prr: true,
            place_of_issue: "LUMAJANG".into(),
            date_of_issue: date(2026, 11, 21),
        }
    }

    fn run(args: &PreviewArgs, record: &Path) -> (Result<(), CtlError>, String) {
        let mut out = Vec::new();
        let mut ctx = Ctx {
            out: &mut out,
            json: true,
            style: Style {
                color: false,
                offset: time::UtcOffset::UTC,
            },
            progress: false,
        };
        let r = preview_record(args, record, &mut ctx);
        (r, String::from_utf8(out).unwrap())
    }

    #[test]
    fn a_record_file_renders_to_a_png_card_face() {
        let dir = tempfile::tempdir().unwrap();
        let record_path = dir.path().join("record.json");
        std::fs::write(&record_path, serde_json::to_vec(&record()).unwrap()).unwrap();
        let output = dir.path().join("card.png");
        let args = PreviewArgs {
            job: None,
            record: Some(record_path.clone()),
            photo: None,
            output: output.clone(),
        };
        let (r, out) = run(&args, &record_path);
        r.unwrap();
        let view: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (view["width"].as_u64(), view["height"].as_u64()),
            (Some(1016), Some(648))
        );
        assert_eq!(view["source"], "record");
        let png = std::fs::read(&output).unwrap();
        assert_eq!(codec_of(&png), Some(ImageCodec::Png));
        // IHDR: width and height, big-endian, at bytes 16..24.
        assert_eq!(&png[16..24], &[0, 0, 3, 248, 0, 0, 2, 136]);
        // The output never echoes the record.
        assert!(!out.contains("3508011203990001") && !out.contains("BUDI"));
    }

    #[test]
    fn a_bad_record_or_photo_is_refused_without_echoing_it() {
        let dir = tempfile::tempdir().unwrap();
        let record_path = dir.path().join("record.json");
        let mut bad = serde_json::to_value(record()).unwrap();
        bad["nik"] = serde_json::Value::String("3508011203990009X".into());
        std::fs::write(&record_path, serde_json::to_vec(&bad).unwrap()).unwrap();
        let args = PreviewArgs {
            job: None,
            record: Some(record_path.clone()),
            photo: None,
            output: dir.path().join("card.png"),
        };
        let e = run(&args, &record_path).0.unwrap_err();
        assert!(!e.to_string().contains("3508011203990009X"), "{e}");
        assert!(!dir.path().join("card.png").exists());

        std::fs::write(&record_path, serde_json::to_vec(&record()).unwrap()).unwrap();
        let photo = dir.path().join("photo.gif");
        std::fs::write(&photo, b"GIF89a").unwrap();
        let args = PreviewArgs {
            photo: Some(photo),
            ..args
        };
        let e = run(&args, &record_path).0.unwrap_err();
        assert!(e.to_string().contains("neither JPEG nor PNG"), "{e}");
    }
}
