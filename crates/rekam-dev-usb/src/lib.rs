//! # rekam-dev-usb: USB image fingerprint sensors over libusb
//!
//! A real driver for [`rekam_hal::FingerprintScanner`]: the NEXT Biometrics NB-1010-U, a
//! small single-finger thermal sensor, reached through libusb with `rusb`. (rusb rather than
//! nusb: umockdev replays recorded USB conversations by intercepting libc calls, which nusb's
//! raw system calls bypass.)
//!
//! Layers, each tested on its own:
//! - [`transport`]: the [`UsbTransport`] seam (bulk, interrupt, control transfers) with the
//!   libusb implementation; [`mock`] scripts it for unit tests.
//! - [`nb1010`]: the sensor's protocol (finger detection, capture, image assembly) over any
//!   transport.
//! - [`table`]: the VID:PID table; [`bus`]: enumeration and (re)opening.
//! - [`resample`]: the sensor's native resolution to the station's 500 ppi (the NB-1010-U
//!   is not a 500 ppi sensor; the station's checks and matcher need 500 ppi).
//! - [`scanner`]: the station device, with hotplug-friendly reopening; [`hotplug`]: the bus
//!   as a stream of arrivals and departures (libusb hotplug callbacks, or polling).
//!
//! The `rekam-usbfp` binary (list, capture to PNG, raw command) is the technician's probe and
//! the program the umockdev replay test runs.
#![forbid(unsafe_code)]

pub mod bus;
pub mod error;
pub mod hotplug;
pub mod mock;
pub mod nb1010;
pub mod resample;
pub mod scanner;
pub mod table;
pub mod transport;

pub use error::{UsbError, UsbErrorKind};
pub use scanner::UsbFingerprintScanner;
pub use transport::UsbTransport;

use rekam_hal::{AnyDevice, DeviceId, DeviceSelector};

/// Opens the driver for a `usb:VID:PID[:SERIAL]` selector as device `id`. The sensor need not
/// be plugged in: the device then reports `Disconnected` until it is.
///
/// Fails with `NotFound` when the VID:PID is not a supported sensor (the message lists the
/// supported ones), and with `Other` when libusb cannot start.
pub fn open(id: DeviceId, selector: &DeviceSelector) -> Result<AnyDevice, UsbError> {
    let DeviceSelector::Usb { vid, pid, serial } = selector else {
        return Err(UsbError::new(
            UsbErrorKind::NotFound,
            format!("{selector} is not a usb: selector"),
        ));
    };
    let model = table::model(*vid, *pid).ok_or_else(|| {
        UsbError::new(
            UsbErrorKind::NotFound,
            format!(
                "no USB driver for {vid:04x}:{pid:04x}; supported: {}",
                table::supported_list()
            ),
        )
    })?;
    let context = rusb::Context::new().map_err(|e| UsbError::libusb("starting libusb", e))?;
    let connector = bus::RusbConnector::new(context, *vid, *pid, serial.clone(), nb1010::INTERFACE);
    Ok(AnyDevice::Fingerprint(Box::new(
        UsbFingerprintScanner::new(id, selector.clone(), model, connector),
    )))
}

/// Opens the driver for a sensor found on the bus by hotplug (not configured) as device `id`:
/// it follows that physical port, so a second unit of the same model is another device.
pub fn open_found(id: DeviceId, seen: &hotplug::Seen) -> Result<AnyDevice, UsbError> {
    let model = seen.model;
    let selector = DeviceSelector::Usb {
        vid: model.vid,
        pid: model.pid,
        serial: None,
    };
    let context = rusb::Context::new().map_err(|e| UsbError::libusb("starting libusb", e))?;
    let connector = bus::RusbConnector::new(context, model.vid, model.pid, None, nb1010::INTERFACE)
        .at_port(seen.port.clone());
    let mut scanner = UsbFingerprintScanner::new(id, selector, model, connector);
    if let Some(watcher) = hotplug::Watcher::global() {
        scanner = scanner.with_watcher(watcher);
    }
    Ok(AnyDevice::Fingerprint(Box::new(scanner)))
}

/// The station id of a sensor found on the bus: `usb:fingerprint:PORT`, stable for a given
/// physical socket, so a replug into the same socket is the same device.
///
/// ```
/// use rekam_dev_usb::{bus::Access, hotplug::seen_for_tests, found_id};
/// assert_eq!(found_id(&seen_for_tests(1, 7, Access::Ok)).unwrap().as_str(), "usb:fingerprint:1-7");
/// ```
pub fn found_id(seen: &hotplug::Seen) -> Result<DeviceId, rekam_hal::SelectorError> {
    DeviceId::new(format!("usb:fingerprint:{}", seen.port))
}
