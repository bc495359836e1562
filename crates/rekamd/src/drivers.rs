//! The driver factory: from each configured selector to a device in the registry.
//!
//! Simulated devices (`sim:FAMILY`) share one [`SimWorld`] (card path, trays, supplies) and
//! come with a [`FaultHandle`] each, which the technician-only `InjectFault` call drives.
//! Real drivers (`usb:`, `serial:`, `pcsc:`, `ipp:`, `v4l2:`) are each opened by their own
//! module (`crate::usb`, `crate::serial`, ...), which names the key of a bad entry.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use rekam_hal::{AnyDevice, DeviceId, DeviceSelector};
use rekam_proto::v1::device::Capabilities;
use rekam_sim::{FaultHandle, SimWorld};
use rekam_station::registry::{Registry, Timeouts};

use crate::config::{Config, ConfigError};

/// The station's devices, built from the configuration.
#[derive(Debug)]
pub struct Devices {
    /// The registry holding every device.
    pub registry: Registry,
    /// Fault handles of the simulated devices.
    pub faults: Arc<HashMap<DeviceId, FaultHandle>>,
    /// Each device's capabilities, as the contract states them (discovered devices join).
    pub capabilities: Arc<CapabilityTable>,
    /// The simulated world, when any device is simulated.
    pub world: Option<SimWorld>,
    /// USB discovery: supported sensors nobody configured join and leave the registry.
    pub usb: Option<crate::usb::Discovery>,
}

/// Each device's capabilities, as the contract states them: the configured devices', and
/// those of devices discovery adds while the daemon runs (USB sensors plugged in).
#[derive(Debug, Default)]
pub struct CapabilityTable {
    map: RwLock<HashMap<DeviceId, Capabilities>>,
}

impl CapabilityTable {
    /// A table of these devices' capabilities.
    pub fn new(map: HashMap<DeviceId, Capabilities>) -> Self {
        CapabilityTable {
            map: RwLock::new(map),
        }
    }

    /// The capabilities of `id`, if known.
    pub fn get(&self, id: &DeviceId) -> Option<Capabilities> {
        self.map
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
    }

    /// Records the capabilities of a device that joins the registry.
    pub fn insert(&self, id: DeviceId, capabilities: Capabilities) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, capabilities);
    }

    /// Forgets a device that left the registry.
    pub fn remove(&self, id: &DeviceId) {
        self.map
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id);
    }
}

/// The simulated station's state file, in the state directory.
pub const SIM_STATE_FILE: &str = "sim-station.json";

/// Opens every configured device. The state directory must exist (the journal creates it).
pub fn build(config: &Config) -> Result<Devices, ConfigError> {
    let mut timeouts = Timeouts::default();
    let mut faults = HashMap::new();
    let mut capabilities = HashMap::new();
    let mut world: Option<SimWorld> = None;
    let mut sim_index: HashMap<rekam_hal::DeviceFamily, u32> = HashMap::new();
    let mut devices = Vec::new();
    for (i, dev) in config.devices.iter().enumerate() {
        match &dev.selector {
            DeviceSelector::Sim { family } => {
                if world.is_none() {
                    // The simulated hardware keeps its physical state beside the journal, so a
                    // restarted daemon finds the cards where it left them.
                    let file = config.state_dir.join(SIM_STATE_FILE);
                    // The simulated encoder sits where the workflow's arrangement says.
                    let mut sim = config.sim.clone();
                    sim.desk_encoder = config.workflow.issuance.arrangement
                        == rekam_station::config::Arrangement::DeskEncoder;
                    world = Some(SimWorld::persistent(sim, &file).map_err(|e| ConfigError {
                        origin: config.origin.clone(),
                        key: "sim".into(),
                        line: None,
                        message: format!("the simulated station's state: {e}"),
                    })?);
                }
                let Some(world) = world.as_ref() else {
                    continue;
                };
                let index = sim_index.entry(*family).or_default();
                let (device, handle) = rekam_sim::open(*family, *index, world);
                *index += 1;
                if device.info().id != dev.id {
                    return Err(ConfigError {
                        origin: config.origin.clone(),
                        key: format!("devices[{i}].id"),
                        line: None,
                        message: format!(
                            "simulated devices are named by family and order; this one is {}",
                            device.info().id
                        ),
                    });
                }
                if let Some(t) = dev.timeout {
                    timeouts = timeouts.with(*family, t);
                }
                faults.insert(dev.id.clone(), handle);
                capabilities.insert(dev.id.clone(), capabilities_of(&device));
                devices.push(device);
            }
            DeviceSelector::Usb { .. } => {
                let device = crate::usb::open(config, i, dev)?;
                if let Some(t) = dev.timeout {
                    timeouts = timeouts.with(device.family(), t);
                }
                capabilities.insert(dev.id.clone(), capabilities_of(&device));
                devices.push(device);
            }
            DeviceSelector::Pcsc { .. } => {
                let device = crate::pcsc::open(config, i, dev)?;
                if let Some(t) = dev.timeout {
                    timeouts = timeouts.with(device.family(), t);
                }
                capabilities.insert(dev.id.clone(), capabilities_of(&device));
                devices.push(device);
            }
            DeviceSelector::Ipp { .. } => {
                let (device, timeout) = crate::ipp::open(config, i, dev)?;
                timeouts = timeouts.with(device.family(), timeout);
                capabilities.insert(dev.id.clone(), capabilities_of(&device));
                devices.push(device);
            }
            DeviceSelector::Serial { .. } => {
                let (device, timeout) = crate::serial::open(config, i, dev)?;
                timeouts = timeouts.with(device.family(), timeout);
                capabilities.insert(dev.id.clone(), capabilities_of(&device));
                devices.push(device);
            }
            DeviceSelector::V4l2 { .. } => {
                let device = crate::v4l2::open(config, i, dev)?;
                if let Some(t) = dev.timeout {
                    timeouts = timeouts.with(device.family(), t);
                }
                capabilities.insert(dev.id.clone(), capabilities_of(&device));
                devices.push(device);
            }
        }
    }
    // Timeouts are known only once every entry is read: build the registry with them.
    let registry = Registry::new(timeouts);
    for device in devices {
        registry.add(device);
    }
    let capabilities = Arc::new(CapabilityTable::new(capabilities));
    let usb = crate::usb::discover(&registry, &capabilities, config);
    Ok(Devices {
        usb,
        registry,
        faults: Arc::new(faults),
        capabilities,
        world,
    })
}

/// A device's capabilities, as the contract states them.
pub(crate) fn capabilities_of(device: &AnyDevice) -> Capabilities {
    match device {
        AnyDevice::Fingerprint(d) => Capabilities::Fingerprint((&d.capabilities()).into()),
        AnyDevice::Face(d) => Capabilities::FaceCamera((&d.capabilities()).into()),
        AnyDevice::Iris(d) => Capabilities::IrisCamera((&d.capabilities()).into()),
        AnyDevice::Signature(d) => Capabilities::SignaturePad((&d.capabilities()).into()),
        AnyDevice::Encoder(d) => Capabilities::CardEncoder((&d.capabilities()).into()),
        AnyDevice::CardPrinter(d) => Capabilities::CardPrinter((&d.capabilities()).into()),
        AnyDevice::DocumentPrinter(d) => Capabilities::DocumentPrinter((&d.capabilities()).into()),
    }
}
