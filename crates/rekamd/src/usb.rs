//! `usb:` devices in the driver factory, and USB hotplug discovery.
//!
//! - A configured `usb:VID:PID[:SERIAL]` selector opens `rekam-dev-usb`'s scanner for that
//!   model. The device is listed whether or not the sensor is plugged in (Disconnected,
//!   PermissionDenied or Ready, kept current by the hotplug watcher), and a replug resumes it.
//! - Discovery: a supported sensor that no configured selector names (by VID:PID) is added to
//!   the registry when it is plugged in, as `usb:fingerprint:PORT`, and removed when it is
//!   pulled out, within a second (libusb hotplug callbacks, or a 200 ms poll). Its
//!   capabilities join the daemon's [`CapabilityTable`] before it joins the registry, so
//!   `ListDevices` and `WatchDevices` show them as they do a configured sensor's.
//!
//! ```toml
//! [[devices]]
//! selector = "usb:298d:1010"      # NEXT Biometrics NB-1010-U
//! id = "fingerprint-desk"
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{mpsc, Arc};

use rekam_dev_usb::hotplug::{Seen, Subscription, UsbEvent, Watcher};
use rekam_hal::{AnyDevice, DeviceId, DeviceSelector};
use rekam_station::registry::Registry;

use crate::config::{Config, ConfigError, DeviceConfig};
use crate::drivers::{capabilities_of, CapabilityTable};

/// Opens configured device number `index` (a `usb:` selector).
pub fn open(config: &Config, index: usize, dev: &DeviceConfig) -> Result<AnyDevice, ConfigError> {
    rekam_dev_usb::open(dev.id.clone(), &dev.selector).map_err(|e| ConfigError {
        origin: config.origin.clone(),
        key: format!("devices[{index}].selector"),
        line: None,
        message: e.to_string(),
    })
}

/// How discovery opens a sensor it found (the real driver, or a test's).
pub type Opener = Box<dyn Fn(DeviceId, &Seen) -> Option<AnyDevice> + Send>;

/// USB discovery at work: sensors nobody configured come and go in the registry. Stops when
/// dropped.
pub struct Discovery {
    _subscription: Subscription,
}

impl fmt::Debug for Discovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Discovery").finish_non_exhaustive()
    }
}

/// Starts discovery on the real bus; `None` when libusb cannot start (logged).
pub fn discover(
    registry: &Registry,
    capabilities: &Arc<CapabilityTable>,
    config: &Config,
) -> Option<Discovery> {
    let watcher = Watcher::global()?;
    let configured = config.devices.iter().map(|d| d.selector.clone()).collect();
    let opener: Opener = Box::new(|id, seen| match rekam_dev_usb::open_found(id, seen) {
        Ok(device) => Some(device),
        Err(e) => {
            tracing::warn!(error = %e, port = %seen.port, "a USB sensor was found but not opened");
            None
        }
    });
    discover_with(
        &watcher,
        registry.clone(),
        capabilities.clone(),
        configured,
        opener,
    )
}

/// Discovery over any watcher and opener (the seam tests use).
pub fn discover_with(
    watcher: &Watcher,
    registry: Registry,
    capabilities: Arc<CapabilityTable>,
    configured: Vec<DeviceSelector>,
    opener: Opener,
) -> Option<Discovery> {
    let claimed = move |seen: &Seen| {
        configured.iter().any(|s| {
            matches!(s, DeviceSelector::Usb { vid, pid, .. }
                if (*vid, *pid) == (seen.model.vid, seen.model.pid))
        })
    };
    // The watcher's callback only forwards: adding a device subscribes the new scanner to the
    // same watcher, which must not happen on the watcher's own thread.
    let (tx, rx) = mpsc::channel::<UsbEvent>();
    let tx = std::sync::Mutex::new(tx);
    let subscription = watcher.subscribe(move |event| {
        if !claimed(event.seen()) {
            let _ = tx
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .send(event.clone());
        }
    });
    let spawned = std::thread::Builder::new()
        .name("usb-discovery".into())
        .spawn(move || {
            let mut found: BTreeMap<(u8, u8), DeviceId> = BTreeMap::new();
            // Ends when the subscription (and so the sender) is dropped.
            while let Ok(event) = rx.recv() {
                match event {
                    UsbEvent::Arrived(seen) => {
                        let Ok(id) = rekam_dev_usb::found_id(&seen) else {
                            continue;
                        };
                        if registry.snapshot(&id).is_ok() {
                            continue;
                        }
                        if let Some(device) = opener(id.clone(), &seen) {
                            tracing::info!(device = %id, model = seen.model.name, "USB sensor plugged in");
                            capabilities.insert(id.clone(), capabilities_of(&device));
                            registry.add(device);
                            found.insert((seen.bus, seen.address), id);
                        }
                    }
                    UsbEvent::Left(seen) => {
                        if let Some(id) = found.remove(&(seen.bus, seen.address)) {
                            tracing::info!(device = %id, "USB sensor pulled out");
                            // Capabilities first: whoever sees `Removed` finds them gone.
                            capabilities.remove(&id);
                            registry.remove(&id);
                        }
                    }
                    // The scanner follows its own access changes.
                    UsbEvent::AccessChanged(_) => {}
                }
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "USB discovery not started");
        return None;
    }
    Some(Discovery {
        _subscription: subscription,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rekam_dev_usb::bus::Access;
    use rekam_dev_usb::hotplug::{seen_for_tests, ScriptedBusList};
    use rekam_dev_usb::mock::ScriptedBus;
    use rekam_dev_usb::{table, UsbFingerprintScanner};
    use rekam_hal::DeviceState;
    use rekam_proto::v1::{self, device::Capabilities};
    use rekam_station::registry::{RegistryEvent, Timeouts};
    use std::time::Duration;

    fn opener(watcher: Watcher) -> Opener {
        Box::new(move |id, seen| {
            let (bus, handle) = ScriptedBus::new();
            handle.deny_access(seen.access == Access::Denied);
            let model = table::model(seen.model.vid, seen.model.pid)?;
            let selector = DeviceSelector::Usb {
                vid: model.vid,
                pid: model.pid,
                serial: None,
            };
            let scanner =
                UsbFingerprintScanner::new(id, selector, model, bus).with_watcher(watcher.clone());
            Some(AnyDevice::Fingerprint(Box::new(scanner)))
        })
    }

    async fn next(rx: &mut tokio::sync::broadcast::Receiver<RegistryEvent>) -> RegistryEvent {
        tokio::time::timeout(Duration::from_secs(1), rx.recv())
            .await
            .expect("a registry event within a second")
            .expect("open stream")
    }

    #[tokio::test]
    async fn unconfigured_sensors_appear_and_disappear_within_a_second() {
        let bus = ScriptedBusList::new();
        let watcher = Watcher::start(bus.clone()).unwrap();
        let registry = Registry::new(Timeouts::default());
        let mut rx = registry.subscribe();
        let caps = Arc::new(CapabilityTable::default());
        let _discovery = discover_with(
            &watcher,
            registry.clone(),
            caps.clone(),
            vec![],
            opener(watcher.clone()),
        )
        .unwrap();

        bus.set(vec![seen_for_tests(1, 7, Access::Ok)]);
        let id = DeviceId::new("usb:fingerprint:1-7").unwrap();
        assert_eq!(next(&mut rx).await, RegistryEvent::Added(id.clone()));
        // Its capabilities are known by the time it is listed.
        assert_eq!(
            caps.get(&id),
            Some(Capabilities::Fingerprint(v1::FingerprintCapabilities {
                slap: false,
                single_finger: true,
                ppi: 500,
                segmentation: false,
                preview: false,
            }))
        );
        // Its first status comes from the device thread.
        loop {
            if let RegistryEvent::Changed(_) = next(&mut rx).await {
                break;
            }
        }
        let snap = registry.snapshot(&id).unwrap();
        assert_eq!(snap.status.state, DeviceState::Ready);
        assert_eq!(snap.info.driver, "usb-nb1010");

        bus.set(vec![]);
        loop {
            match next(&mut rx).await {
                RegistryEvent::Removed(r) => {
                    assert_eq!(r, id);
                    break;
                }
                RegistryEvent::Changed(_) => {}
                other => panic!("unexpected {other:?}"),
            }
        }
        assert!(registry.list(None).is_empty());
        assert_eq!(
            caps.get(&id),
            None,
            "a pulled sensor's capabilities are forgotten"
        );

        // Plugged in where this user may not open it: listed as PermissionDenied.
        bus.set(vec![seen_for_tests(1, 8, Access::Denied)]);
        let id = DeviceId::new("usb:fingerprint:1-8").unwrap();
        assert_eq!(next(&mut rx).await, RegistryEvent::Added(id.clone()));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while registry.snapshot(&id).unwrap().status.state != DeviceState::PermissionDenied {
            assert!(
                tokio::time::Instant::now() < deadline,
                "PermissionDenied within a second"
            );
            let _ = next(&mut rx).await;
        }
    }

    #[tokio::test]
    async fn configured_models_are_not_discovered_twice() {
        let bus = ScriptedBusList::new();
        let watcher = Watcher::start(bus.clone()).unwrap();
        let registry = Registry::new(Timeouts::default());
        let configured = vec!["usb:298d:1010".parse::<DeviceSelector>().unwrap()];
        let _discovery = discover_with(
            &watcher,
            registry.clone(),
            Arc::new(CapabilityTable::default()),
            configured,
            opener(watcher.clone()),
        )
        .unwrap();
        bus.set(vec![seen_for_tests(1, 7, Access::Ok)]);
        bus.poke();
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(registry.list(None).is_empty());
    }
}
