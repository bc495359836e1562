//! Finding sensors on the bus: enumeration against the VID:PID table, and the [`Connector`]
//! seam through which a scanner (re)opens its device.
//!
//! Enumeration reads descriptors that libusb caches from sysfs: no transfer reaches the
//! device, so listing is safe while a capture runs and under umockdev replay. A serial number
//! string (a control transfer) is read only when a selector names a serial and the device has
//! one.

use std::fmt;
use std::time::Duration;

use rusb::UsbContext;

use crate::error::{UsbError, UsbErrorKind};
use crate::table::{self, SensorModel};
use crate::transport::{RusbTransport, UsbTransport};

/// Whether this process may open an attached device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// It opens.
    Ok,
    /// The device node's permissions refuse it (the udev rule is missing).
    Denied,
    /// Opening failed otherwise (the message says how).
    Failed(UsbErrorKind),
}

/// A supported sensor found on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    /// Its model.
    pub model: &'static SensorModel,
    /// Bus number.
    pub bus: u8,
    /// Device address on the bus.
    pub address: u8,
    /// Whether it can be opened.
    pub access: Access,
}

impl Attached {
    /// The device node, as udev names it.
    pub fn node(&self) -> String {
        format!("/dev/bus/usb/{:03}/{:03}", self.bus, self.address)
    }
}

/// Every supported sensor attached now. Each is opened and closed once to learn its access.
pub fn list(context: &rusb::Context) -> Result<Vec<Attached>, UsbError> {
    let devices = context
        .devices()
        .map_err(|e| UsbError::libusb("listing USB devices", e))?;
    let mut found = Vec::new();
    for device in devices.iter() {
        let Ok(desc) = device.device_descriptor() else {
            continue;
        };
        let Some(model) = table::model(desc.vendor_id(), desc.product_id()) else {
            continue;
        };
        let access = match device.open() {
            Ok(_) => Access::Ok,
            Err(rusb::Error::Access) => Access::Denied,
            Err(e) => Access::Failed(UsbError::libusb("open", e).kind()),
        };
        found.push(Attached {
            model,
            bus: device.bus_number(),
            address: device.address(),
            access,
        });
    }
    Ok(found)
}

/// Where a device is, seen without opening it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    /// Not on the bus.
    Absent,
    /// On the bus at this bus number and address.
    Present {
        /// Bus number.
        bus: u8,
        /// Address.
        address: u8,
    },
}

/// How a scanner finds and opens its device: the real bus ([`RusbConnector`]) or a test
/// double.
pub trait Connector: Send {
    /// The transport an opened device gives.
    type Transport: UsbTransport;

    /// Looks for the device on the bus, without opening it.
    fn presence(&mut self) -> Result<Presence, UsbError>;

    /// Opens the device and claims its interface. `Disconnected` when it is not attached,
    /// `Access` when its permissions refuse this process.
    fn open(&mut self) -> Result<Self::Transport, UsbError>;
}

/// The libusb connector for one selector: `usb:VID:PID[:SERIAL]`.
pub struct RusbConnector {
    context: rusb::Context,
    vid: u16,
    pid: u16,
    serial: Option<String>,
    port: Option<String>,
    interface: u8,
}

impl fmt::Debug for RusbConnector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RusbConnector")
            .field("vid", &format_args!("{:04x}", self.vid))
            .field("pid", &format_args!("{:04x}", self.pid))
            .field("serial", &self.serial)
            .field("port", &self.port)
            .finish()
    }
}

impl RusbConnector {
    /// A connector for the device with this VID:PID (and serial number, when given), whose
    /// endpoints are on `interface`.
    pub fn new(
        context: rusb::Context,
        vid: u16,
        pid: u16,
        serial: Option<String>,
        interface: u8,
    ) -> Self {
        RusbConnector {
            context,
            vid,
            pid,
            serial,
            port: None,
            interface,
        }
    }

    /// Only the device in this physical port (`BUS-PORT[.PORT...]`, see
    /// [`crate::hotplug::Seen::port`]): for a sensor found by hotplug rather than configured.
    pub fn at_port(mut self, port: impl Into<String>) -> Self {
        self.port = Some(port.into());
        self
    }

    fn find(&self) -> Result<Option<rusb::Device<rusb::Context>>, UsbError> {
        let devices = self
            .context
            .devices()
            .map_err(|e| UsbError::libusb("listing USB devices", e))?;
        for device in devices.iter() {
            let Ok(desc) = device.device_descriptor() else {
                continue;
            };
            if desc.vendor_id() != self.vid || desc.product_id() != self.pid {
                continue;
            }
            if self
                .port
                .as_ref()
                .is_some_and(|p| *p != crate::hotplug::port_path(&device))
            {
                continue;
            }
            let Some(want) = &self.serial else {
                return Ok(Some(device));
            };
            // The serial number is a string descriptor: read it only when asked to match it.
            if desc.serial_number_string_index().is_none() {
                continue;
            }
            let Ok(handle) = device.open() else { continue };
            let serial = handle
                .read_languages(Duration::from_millis(500))
                .ok()
                .and_then(|langs| langs.first().copied())
                .and_then(|lang| {
                    handle
                        .read_serial_number_string(lang, &desc, Duration::from_millis(500))
                        .ok()
                });
            if serial.as_deref() == Some(want.as_str()) {
                return Ok(Some(device));
            }
        }
        Ok(None)
    }
}

impl Connector for RusbConnector {
    type Transport = RusbTransport;

    fn presence(&mut self) -> Result<Presence, UsbError> {
        Ok(match self.find()? {
            Some(d) => Presence::Present {
                bus: d.bus_number(),
                address: d.address(),
            },
            None => Presence::Absent,
        })
    }

    fn open(&mut self) -> Result<RusbTransport, UsbError> {
        let device = self.find()?.ok_or_else(|| {
            UsbError::new(UsbErrorKind::Disconnected, "the sensor is not plugged in")
        })?;
        let handle = device
            .open()
            .map_err(|e| UsbError::libusb("opening the sensor", e))?;
        RusbTransport::claim(handle, self.interface)
    }
}
