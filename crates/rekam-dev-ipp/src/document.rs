//! A document printer reached over IPP, for pickup receipts and surat keterangan.
//!
//! The document goes in its own format when the printer takes it; a PNG goes as PWG Raster
//! (at the resolution the PNG records, else 300 dpi) to a printer that takes PWG Raster and
//! not PNG. The media asked for must be one the printer lists in `media-supported`.

use rekam_hal::{
    Control, Device, DeviceFamily, DeviceId, DeviceInfo, DeviceStatus, Document, DocumentPrinter,
    DocumentPrinterCapabilities, ErrorKind, ImageCodec, RawImage, Result, SelfTestProgress,
    SelfTestReport,
};

use crate::attrs::PrinterAttributes;
use crate::printer::{IppPrinter, IppStats, Pacing, Submission};
use crate::pwg;
use crate::transport::IppTransport;

/// An IPP document printer.
#[derive(Debug)]
pub struct IppDocumentPrinter<T: IppTransport> {
    printer: IppPrinter<T>,
}

impl<T: IppTransport> IppDocumentPrinter<T> {
    /// A document printer named `id` behind `transport` (no I/O).
    pub fn new(id: DeviceId, transport: T) -> Self {
        IppDocumentPrinter {
            printer: IppPrinter::new(DeviceFamily::DocumentPrinter, id, transport),
        }
    }

    /// Changes the retry and poll delays.
    pub fn with_pacing(mut self, pacing: Pacing) -> Self {
        self.printer = self.printer.with_pacing(pacing);
        self
    }

    /// The driver's counters.
    pub fn stats(&self) -> IppStats {
        self.printer.stats()
    }

    /// The shared IPP printer.
    pub fn printer(&self) -> &IppPrinter<T> {
        &self.printer
    }
}

/// Decodes an 8-bit grey or RGB PNG, keeping its resolution.
fn decode_png(bytes: &[u8]) -> Option<RawImage> {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().ok()?;
    let ppi = reader.info().pixel_dims.and_then(|d| {
        (d.unit == png::Unit::Meter).then(|| (f64::from(d.xppu) * 0.0254).round() as u16)
    });
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    buf.truncate(info.buffer_size());
    match (info.color_type, info.bit_depth) {
        (png::ColorType::Grayscale, png::BitDepth::Eight) => {
            RawImage::gray(info.width, info.height, ppi, buf)
        }
        (png::ColorType::Rgb, png::BitDepth::Eight) => {
            let mut img = RawImage::rgb(info.width, info.height, buf)?;
            img.ppi = ppi;
            Some(img)
        }
        _ => None,
    }
}

impl<T: IppTransport> Device for IppDocumentPrinter<T> {
    fn info(&self) -> &DeviceInfo {
        self.printer.info()
    }

    fn status(&mut self, ctl: &Control) -> Result<DeviceStatus> {
        self.printer.status(ctl)
    }

    fn self_test(
        &mut self,
        ctl: &Control,
        progress: &mut dyn FnMut(SelfTestProgress),
    ) -> Result<SelfTestReport> {
        self.printer
            .self_test(ctl, progress, &|a: &PrinterAttributes| {
                let ok = a.supports_format("image/png") || a.supports_format("image/pwg-raster");
                (ok, format!("formats: {}", a.formats.join(", ")))
            })
    }

    fn recover(&mut self, ctl: &Control) -> Result<()> {
        self.printer.recover(ctl)
    }
}

impl<T: IppTransport> DocumentPrinter for IppDocumentPrinter<T> {
    fn capabilities(&self) -> DocumentPrinterCapabilities {
        let Some(a) = self.printer.cached() else {
            return DocumentPrinterCapabilities {
                formats: Vec::new(),
                media: Vec::new(),
            };
        };
        let mut formats = a.formats.clone();
        if a.supports_format("image/pwg-raster") && !a.supports_format("image/png") {
            formats.push("image/png".to_owned());
        }
        DocumentPrinterCapabilities {
            formats,
            media: a.media.clone(),
        }
    }

    fn print(&mut self, doc: &Document, ctl: &Control) -> Result<String> {
        if doc.content.bytes.is_empty() {
            return Err(self
                .printer
                .err(ErrorKind::InvalidInput, "the document is empty"));
        }
        let attrs = self.printer.refresh(ctl)?;
        if !attrs.media.iter().any(|m| m == &doc.media) {
            return Err(self.printer.err(
                ErrorKind::InvalidInput,
                format!("media {:?} is not offered by the printer", doc.media),
            ));
        }
        if let Some(e) = self.printer.condition_error(&attrs) {
            return Err(e);
        }
        let media_type = doc.content.codec.media_type();
        let (format, data) = if attrs.supports_format(media_type) {
            (media_type, doc.content.bytes.clone())
        } else if doc.content.codec == ImageCodec::Png && attrs.supports_format("image/pwg-raster")
        {
            let img = decode_png(&doc.content.bytes).ok_or_else(|| {
                self.printer.err(
                    ErrorKind::InvalidInput,
                    "the PNG cannot be read (8-bit grey or RGB only)",
                )
            })?;
            let dpi = u32::from(img.ppi.unwrap_or(300));
            let bytes = pwg::encode(&img, dpi, &doc.media)
                .map_err(|e| self.printer.err(ErrorKind::InvalidInput, e.to_string()))?;
            ("image/pwg-raster", bytes)
        } else {
            return Err(self.printer.err(
                ErrorKind::InvalidInput,
                format!("document format {media_type} is not supported by the printer"),
            ));
        };
        let job = self.printer.print(
            Submission {
                job_name: &doc.name,
                format,
                media: Some(&doc.media),
                data: &data,
            },
            ctl,
        )?;
        Ok(job.to_string())
    }
}
