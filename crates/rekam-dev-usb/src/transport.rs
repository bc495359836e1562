//! The transport seam: the USB transfers a sensor protocol needs, as a trait.
//!
//! Protocol code ([`crate::nb1010`]) talks only to [`UsbTransport`], so it runs unchanged over
//! libusb ([`RusbTransport`]) and over the scripted fake ([`crate::mock::ScriptedUsb`]) that
//! unit tests use. rusb gives no test seam of its own, hence this trait (as probe-rs's
//! `StLinkUsb`).

use std::time::Duration;

use crate::error::{UsbError, UsbErrorKind};

/// A control transfer's setup fields (USB 2.0 §9.3), without the data stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ControlSetup {
    /// bmRequestType (direction, type, recipient).
    pub request_type: u8,
    /// bRequest.
    pub request: u8,
    /// wValue.
    pub value: u16,
    /// wIndex.
    pub index: u16,
}

/// The transfers of one opened and claimed USB interface. Blocking; every call is bounded by
/// its `timeout`. A short write is reported as written bytes, not as an error: the protocol
/// layer decides.
pub trait UsbTransport: Send {
    /// Writes `data` to a bulk OUT endpoint; returns the bytes written.
    fn write_bulk(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;

    /// Reads from a bulk IN endpoint into `buf`; returns the bytes read.
    fn read_bulk(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;

    /// Reads from an interrupt IN endpoint into `buf`; returns the bytes read.
    fn read_interrupt(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;

    /// A control transfer with an OUT (or no) data stage; returns the bytes written.
    fn write_control(
        &mut self,
        setup: ControlSetup,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;

    /// A control transfer with an IN data stage; returns the bytes read.
    fn read_control(
        &mut self,
        setup: ControlSetup,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError>;
}

/// A claimed interface of a device opened through libusb.
///
/// Dropping it releases the interface and closes the device (cleanup on drop).
#[derive(Debug)]
pub struct RusbTransport {
    handle: rusb::DeviceHandle<rusb::Context>,
    interface: u8,
}

impl RusbTransport {
    /// Claims `interface` of an opened device. No kernel driver is detached: the sensors
    /// this crate drives have none on Linux.
    pub fn claim(
        handle: rusb::DeviceHandle<rusb::Context>,
        interface: u8,
    ) -> Result<Self, UsbError> {
        handle
            .claim_interface(interface)
            .map_err(|e| UsbError::libusb("claiming the sensor's interface", e))?;
        Ok(RusbTransport { handle, interface })
    }

    /// The libusb handle.
    pub fn handle(&self) -> &rusb::DeviceHandle<rusb::Context> {
        &self.handle
    }
}

impl Drop for RusbTransport {
    fn drop(&mut self) {
        // The device may be gone already: nothing to do about a failure here.
        let _ = self.handle.release_interface(self.interface);
    }
}

impl UsbTransport for RusbTransport {
    fn write_bulk(
        &mut self,
        endpoint: u8,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .write_bulk(endpoint, data, timeout)
            .map_err(|e| UsbError::libusb("bulk write", e))
    }

    fn read_bulk(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .read_bulk(endpoint, buf, timeout)
            .map_err(|e| UsbError::libusb("bulk read", e))
    }

    fn read_interrupt(
        &mut self,
        endpoint: u8,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .read_interrupt(endpoint, buf, timeout)
            .map_err(|e| UsbError::libusb("interrupt read", e))
    }

    fn write_control(
        &mut self,
        setup: ControlSetup,
        data: &[u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .write_control(
                setup.request_type,
                setup.request,
                setup.value,
                setup.index,
                data,
                timeout,
            )
            .map_err(|e| UsbError::libusb("control write", e))
    }

    fn read_control(
        &mut self,
        setup: ControlSetup,
        buf: &mut [u8],
        timeout: Duration,
    ) -> Result<usize, UsbError> {
        self.handle
            .read_control(
                setup.request_type,
                setup.request,
                setup.value,
                setup.index,
                buf,
                timeout,
            )
            .map_err(|e| UsbError::libusb("control read", e))
    }
}

/// Fails with `Timeout` when no time is left, else returns the smaller of `per_transfer` and
/// what is left (libusb reads a zero timeout as "wait forever": never pass it one).
pub(crate) fn bounded(per_transfer: Duration, left: Duration) -> Result<Duration, UsbError> {
    if left < Duration::from_millis(1) {
        return Err(UsbError::new(
            UsbErrorKind::Timeout,
            "the capture's deadline passed",
        ));
    }
    Ok(per_transfer.min(left))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_never_yields_a_zero_timeout() {
        assert_eq!(
            bounded(Duration::from_millis(500), Duration::from_secs(3)).ok(),
            Some(Duration::from_millis(500))
        );
        assert_eq!(
            bounded(Duration::from_millis(500), Duration::from_millis(20)).ok(),
            Some(Duration::from_millis(20))
        );
        assert_eq!(
            bounded(Duration::from_millis(500), Duration::ZERO)
                .unwrap_err()
                .kind(),
            UsbErrorKind::Timeout
        );
    }
}
