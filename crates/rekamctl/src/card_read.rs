//! `card read [--device ID]` (technician): dumps and checks the chip of the card in an
//! encoder. The daemon reads the chip (ReadCard, audited) and checks it; this prints what it
//! found: the chip's serial, capacity and life-cycle state, the files with their sizes and
//! hash checks, the DG1 fields, and passive authentication against the station's document
//! signer certificate.
//!
//! The daemon masks the NIK before sending it; nothing here ever holds it in full. The other
//! DG1 fields are personal data shown to the technician on purpose: they go to standard output
//! only, never to a log.

use rekam_proto::v1;
use serde::Serialize;

use crate::connect::Clients;
use crate::error::CtlError;
use crate::output::Ctx;
use crate::ui::{self, Cell, Paint, Style, Table};

/// One file, as `--json` shows it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FileView {
    /// File id, 4 hex digits.
    pub fid: String,
    /// `EF.COM`, `DG1`, ... .
    pub name: String,
    /// Bytes.
    pub size: u32,
    /// `MATCH`, `MISMATCH`, `NOT_LISTED`, `NOT_COVERED`, `UNCHECKED`.
    pub hash: String,
    /// What it holds.
    pub content: String,
}

/// What `card read` reports (`--json`).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CardReadView {
    /// The encoder.
    pub device_id: String,
    /// The chip's UID, hex.
    pub chip_serial: String,
    /// Capacity, bytes.
    pub capacity_bytes: u32,
    /// `BLANK`, `PERSONALISED`, `ACTIVATED`.
    pub life_cycle: String,
    /// `icao-open-v1`, `open-v0`, or empty.
    pub profile: String,
    /// The files.
    pub files: Vec<FileView>,
    /// DG1 fields (name, value), the NIK masked by the daemon.
    pub fields: Vec<(String, String)>,
    /// A signed security object is present.
    pub signed: bool,
    /// Passive authentication passed against the station's certificate.
    pub verified: bool,
    /// The signer certificate's subject.
    pub signer_subject: String,
    /// The signer is the station's configured one.
    pub signer_trusted: bool,
    /// Why it is not verified.
    pub security_problem: String,
    /// Decoding problems.
    pub problems: Vec<String>,
}

fn strip<'a>(name: &'a str, prefix: &str) -> &'a str {
    name.strip_prefix(prefix).unwrap_or(name)
}

impl From<&v1::ReadCardResponse> for CardReadView {
    fn from(r: &v1::ReadCardResponse) -> Self {
        let security = r.security.clone().unwrap_or_default();
        let life_cycle = v1::ChipLifeCycle::try_from(r.life_cycle)
            .map(|l| strip(l.as_str_name(), "CHIP_LIFE_CYCLE_").to_owned())
            .unwrap_or_else(|_| format!("UNKNOWN({})", r.life_cycle));
        CardReadView {
            device_id: r.device_id.clone(),
            chip_serial: r.chip_serial.clone(),
            capacity_bytes: r.capacity_bytes,
            life_cycle,
            profile: r.profile.clone(),
            files: r
                .files
                .iter()
                .map(|f| FileView {
                    fid: f.fid.clone(),
                    name: f.name.clone(),
                    size: f.size,
                    hash: v1::ChipHashCheck::try_from(f.hash)
                        .map(|h| strip(h.as_str_name(), "CHIP_HASH_CHECK_").to_owned())
                        .unwrap_or_else(|_| format!("UNKNOWN({})", f.hash)),
                    content: f.content.clone(),
                })
                .collect(),
            fields: r
                .fields
                .iter()
                .map(|f| (f.name.clone(), f.value.clone()))
                .collect(),
            signed: security.signed,
            verified: security.verified,
            signer_subject: security.signer_subject,
            signer_trusted: security.signer_trusted,
            security_problem: security.problem,
            problems: r.problems.clone(),
        }
    }
}

fn hash_paint(hash: &str) -> Paint {
    match hash {
        "MATCH" => Paint::Good,
        "NOT_COVERED" => Paint::Dim,
        _ => Paint::Bad,
    }
}

/// Writes the human form of `view`.
pub fn render(
    view: &CardReadView,
    out: &mut dyn std::io::Write,
    style: &Style,
) -> std::io::Result<()> {
    let bold = |s: &str| style.paint(Paint::Bold, s);
    writeln!(
        out,
        "{} {} on {}",
        bold("Chip"),
        ui::or_dash(&view.chip_serial),
        view.device_id
    )?;
    let life_paint = match view.life_cycle.as_str() {
        "ACTIVATED" => Paint::Good,
        "PERSONALISED" => Paint::Warn,
        _ => Paint::None,
    };
    writeln!(
        out,
        "  life cycle  {}",
        style.paint(life_paint, &view.life_cycle.to_lowercase())
    )?;
    writeln!(
        out,
        "  profile     {}",
        if view.profile.is_empty() {
            "none recognised".to_owned()
        } else {
            view.profile.clone()
        }
    )?;
    let used: u64 = view.files.iter().map(|f| u64::from(f.size)).sum();
    writeln!(
        out,
        "  capacity    {used} of {} bytes used",
        view.capacity_bytes
    )?;
    if !view.files.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", bold("Files"))?;
        let mut t = Table::new(&["FID", "NAME", "BYTES", "HASH", "CONTENT"]).indent(2);
        for f in &view.files {
            t.row(vec![
                f.fid.as_str().into(),
                f.name.as_str().into(),
                f.size.to_string().into(),
                Cell::painted(f.hash.to_lowercase().replace('_', " "), hash_paint(&f.hash)),
                f.content.as_str().into(),
            ]);
        }
        t.write(out, style)?;
    }
    if !view.fields.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", bold("DG1 (NIK masked)"))?;
        let mut t = Table::new(&["FIELD", "VALUE"]).indent(2);
        for (name, value) in &view.fields {
            t.row(vec![name.as_str().into(), value.as_str().into()]);
        }
        t.write(out, style)?;
    }
    writeln!(out)?;
    writeln!(out, "{}", bold("Passive authentication"))?;
    let verdict = if view.verified {
        style.paint(Paint::Good, "verified")
    } else if view.signed {
        style.paint(Paint::Bad, "NOT verified")
    } else {
        style.paint(Paint::Warn, "not signed")
    };
    writeln!(out, "  result      {verdict}")?;
    if !view.signer_subject.is_empty() {
        writeln!(
            out,
            "  signer      {}{}",
            view.signer_subject,
            if view.signer_trusted {
                " (the station's document signer)"
            } else {
                ""
            }
        )?;
    }
    if !view.security_problem.is_empty() {
        writeln!(out, "  problem     {}", view.security_problem)?;
    }
    for p in &view.problems {
        writeln!(out, "  {} {p}", style.paint(Paint::Bad, "!"))?;
    }
    Ok(())
}

/// `card read [--device ID]`.
pub async fn read(c: &Clients, device: Option<&str>, ctx: &mut Ctx<'_>) -> Result<(), CtlError> {
    let resp = c
        .unary(c.devices.clone().read_card(c.request(v1::ReadCardRequest {
            device_id: device.unwrap_or_default().to_owned(),
        })))
        .await?;
    let view = CardReadView::from(&resp);
    if ctx.json {
        ui::json_document(ctx.out, &view)?;
    } else {
        render(&view, ctx.out, &ctx.style)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn response() -> v1::ReadCardResponse {
        v1::ReadCardResponse {
            device_id: "pcsc:encoder:0".into(),
            chip_serial: "04A1B2C3".into(),
            capacity_bytes: 8192,
            life_cycle: v1::ChipLifeCycle::Activated.into(),
            profile: "icao-open-v1".into(),
            files: vec![
                v1::ChipFile {
                    fid: "0101".into(),
                    name: "DG1".into(),
                    size: 250,
                    hash: v1::ChipHashCheck::Match.into(),
                    content: "demographics: 19 fields".into(),
                },
                v1::ChipFile {
                    fid: "011D".into(),
                    name: "EF.SOD".into(),
                    size: 900,
                    hash: v1::ChipHashCheck::NotCovered.into(),
                    content: "document security object (CMS SignedData)".into(),
                },
            ],
            fields: vec![
                v1::ChipField {
                    name: "nik".into(),
                    value: "3508**********01".into(),
                },
                v1::ChipField {
                    name: "name".into(),
                    value: "BUDI SANTOSO".into(),
                },
            ],
            security: Some(v1::ChipSecurity {
                signed: true,
                verified: true,
                signer_subject: "CN=Rekam TEST-ONLY Document Signer".into(),
                signer_trusted: true,
                problem: String::new(),
            }),
            problems: vec![],
        }
    }

    #[test]
    fn the_human_form_lists_files_fields_and_the_verdict() {
        let view = CardReadView::from(&response());
        let mut out = Vec::new();
        render(&view, &mut out, &Style::plain()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("life cycle  activated"), "{text}");
        assert!(text.contains("0101  DG1     250    match"), "{text}");
        assert!(text.contains("nik    3508**********01"), "{text}");
        assert!(text.contains("result      verified"), "{text}");
        assert!(text.contains("1150 of 8192 bytes used"), "{text}");
    }

    #[test]
    fn the_json_form_names_states_without_prefixes() {
        let mut r = response();
        r.files[0].hash = v1::ChipHashCheck::Mismatch.into();
        r.security = Some(v1::ChipSecurity {
            signed: true,
            verified: false,
            problem: "file 0101: its hash does not match the security file".into(),
            ..Default::default()
        });
        let view = CardReadView::from(&r);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["life_cycle"], "ACTIVATED");
        assert_eq!(json["files"][0]["hash"], "MISMATCH");
        assert_eq!(json["verified"], false);
        let mut out = Vec::new();
        render(&view, &mut out, &Style::plain()).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("NOT verified"), "{text}");
        assert!(text.contains("mismatch"), "{text}");
    }
}
