//! Resampling a sensor's image to the station's 500 ppi.
//!
//! Everything downstream of a scanner expects 500 ppi finger images (ISO/IEC 19794-4 records
//! at 500 ppi, the NFIQ 2-style quality measures, MINDTCT and BOZORTH3 in `rekam-match`, which
//! refuses anything off by more than 2 %), as enrolment-grade (FBI Appendix F / PIV)
//! scanners deliver. A sensor with another native resolution, such as the NB-1010-U, is
//! therefore resampled here, in the driver, before the image leaves it: ridge spacing and
//! minutiae distances then have the physical scale the checks and the matcher assume. The
//! result is marked 500 ppi; the model name in the device listing still says the native
//! resolution.
//!
//! Interpolation is the `image` crate's Catmull-Rom cubic (a well-kept implementation; no
//! need to write a filter by hand): it keeps ridge contrast better than bilinear and does
//! not ring as much as Lanczos on the sensor's hard edges.

use image::imageops::FilterType;
use image::GrayImage;

/// The station's finger image resolution.
pub const STATION_PPI: u16 = 500;

/// The size a `width` x `height` image at `ppi` has at 500 ppi (rounded to whole pixels).
///
/// ```
/// assert_eq!(rekam_dev_usb::resample::size_at_500(256, 180, 385), (332, 234));
/// assert_eq!(rekam_dev_usb::resample::size_at_500(400, 500, 500), (400, 500));
/// ```
pub fn size_at_500(width: u32, height: u32, ppi: u16) -> (u32, u32) {
    let scale = |n: u32| {
        ((u64::from(n) * u64::from(STATION_PPI) + u64::from(ppi) / 2) / u64::from(ppi.max(1)))
            as u32
    };
    (scale(width), scale(height))
}

/// Resamples 8-bit grey `pixels` (`width` x `height`, row-major) taken at `ppi` to 500 ppi.
/// Returns the new width, height and pixels; an image already at 500 ppi is returned as it
/// is. `None` when `pixels` is not `width` x `height`.
pub fn to_500_ppi(
    width: u32,
    height: u32,
    ppi: u16,
    pixels: Vec<u8>,
) -> Option<(u32, u32, Vec<u8>)> {
    if pixels.len() != width as usize * height as usize || ppi == 0 {
        return None;
    }
    if ppi == STATION_PPI {
        return Some((width, height, pixels));
    }
    let (w, h) = size_at_500(width, height, ppi);
    let src = GrayImage::from_raw(width, height, pixels)?;
    let out = image::imageops::resize(&src, w, h, FilterType::CatmullRom);
    Some((w, h, out.into_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Columns where a row crosses from light to dark.
    fn falling_edges(row: &[u8]) -> Vec<usize> {
        row.windows(2)
            .enumerate()
            .filter(|(_, w)| w[0] >= 128 && w[1] < 128)
            .map(|(i, _)| i + 1)
            .collect()
    }

    #[test]
    fn ridges_keep_their_physical_spacing() {
        // Vertical ridges every 7 native pixels at 385 ppi: 7 / 385 in = 0.462 mm, the
        // ridge period of an adult finger. At 500 ppi that is 9.09 pixels.
        let (w, h) = (256u32, 180u32);
        let pixels: Vec<u8> = (0..h)
            .flat_map(|_| (0..w).map(|x| if x % 7 < 3 { 40 } else { 220 }))
            .collect();
        let (ow, oh, out) = to_500_ppi(w, h, 385, pixels).unwrap();
        assert_eq!((ow, oh), (332, 234));
        assert_eq!(out.len(), (ow * oh) as usize);
        let row = &out[(oh / 2 * ow) as usize..((oh / 2 + 1) * ow) as usize];
        let edges = falling_edges(row);
        assert!(edges.len() >= 30, "ridges survive: {edges:?}");
        let period = (edges[edges.len() - 1] - edges[0]) as f64 / (edges.len() - 1) as f64;
        assert!(
            (period - 7.0 * 500.0 / 385.0).abs() < 0.05,
            "ridge period {period:.3} px at 500 ppi"
        );
        // Contrast is kept: ridges stay dark and valleys light.
        assert!(row.iter().any(|&p| p < 60) && row.iter().any(|&p| p > 200));
    }

    #[test]
    fn a_square_inch_fifth_becomes_a_hundred_pixels() {
        // A dark square 77 native pixels (0.2 in at 385 ppi) a side is 100 pixels at 500 ppi.
        let (w, h) = (256u32, 180u32);
        let pixels: Vec<u8> = (0..h)
            .flat_map(|y| {
                (0..w).map(move |x| {
                    if (50..127).contains(&x) && (40..117).contains(&y) {
                        0
                    } else {
                        255
                    }
                })
            })
            .collect();
        let (ow, _, out) = to_500_ppi(w, h, 385, pixels).unwrap();
        let dark_in_row = |y: u32| {
            out[(y * ow) as usize..((y + 1) * ow) as usize]
                .iter()
                .filter(|&&p| p < 128)
                .count()
        };
        let side = dark_in_row(100);
        assert!((99..=101).contains(&side), "side {side} px");
    }

    #[test]
    fn images_at_500_ppi_and_bad_buffers() {
        let px = vec![7u8; 12];
        assert_eq!(to_500_ppi(4, 3, 500, px.clone()), Some((4, 3, px.clone())));
        assert_eq!(to_500_ppi(4, 4, 385, px.clone()), None);
        assert_eq!(to_500_ppi(4, 3, 0, px), None);
    }
}
