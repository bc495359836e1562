//! The device registry: every device is owned by one actor thread and reached through a
//! cloneable [`Registry`]; a [`Lease`] gives one caller at a time the right to drive a device.
//!
//! - Calls are blocking on the device thread and async for the caller. Each call gets a
//!   [`Control`] with the family's timeout and a fresh cancellation token; dropping the future
//!   (a gRPC client went away) cancels the token, and the actor then calls
//!   [`Device::recover`](rekam_hal::Device::recover) so the next caller finds the device usable.
//! - A second caller asking for a leased device gets [`RegistryError::Busy`] at once, naming the
//!   holder: never a hang.
//! - Status is a watched value per device; changes (hotplug, supplies, faults) go out on one
//!   broadcast stream of [`RegistryEvent`]s. Subscribe before listing to miss nothing.
//! - Devices come and go at run time ([`Registry::add`], [`Registry::remove`]: a USB sensor
//!   plugged in or pulled out). A removed device finishes its pending work on its own thread
//!   and stays with its lease holder until the lease is dropped, but is silent from then on:
//!   no `Changed` event names a device that is no longer listed.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use rekam_hal::{
    AnyDevice, CancelToken, Control, DeviceError, DeviceEvent, DeviceFamily, DeviceId, DeviceInfo,
    DeviceState, DeviceStatus, ErrorKind, EventSink,
};
use tokio::sync::{broadcast, oneshot};

/// Time a device may take to recover after a cancelled or failed call.
const RECOVER_TIMEOUT: Duration = Duration::from_secs(10);
/// Time a status query may take.
const STATUS_TIMEOUT: Duration = Duration::from_secs(5);

/// A change in the registry, for `WatchDevices`.
#[derive(Debug, Clone, PartialEq)]
pub enum RegistryEvent {
    /// A device was added to the registry.
    Added(DeviceId),
    /// A device was removed from the registry.
    Removed(DeviceId),
    /// A device's status or lease changed.
    Changed(DeviceId),
}

/// Why the registry refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// No such device.
    #[error("no device {0}")]
    NotFound(DeviceId),
    /// No device of that family is configured.
    #[error("no {0} is configured")]
    NoDevice(DeviceFamily),
    /// Someone else holds the lease.
    #[error("device {device} is in use by {holder}")]
    Busy {
        /// The device.
        device: DeviceId,
        /// Who holds it.
        holder: String,
    },
    /// The device's actor thread is gone (it panicked): the device must be re-added.
    #[error("device {0} stopped working (driver thread ended)")]
    Gone(DeviceId),
}

impl RegistryError {
    /// The device error kind this maps to.
    pub fn kind(&self) -> ErrorKind {
        match self {
            RegistryError::NotFound(_) | RegistryError::NoDevice(_) => ErrorKind::NotFound,
            RegistryError::Busy { .. } => ErrorKind::Busy,
            RegistryError::Gone(_) => ErrorKind::Internal,
        }
    }
}

impl From<RegistryError> for DeviceError {
    fn from(e: RegistryError) -> Self {
        DeviceError::new(e.kind(), e.to_string())
    }
}

/// Per-family call timeouts.
#[derive(Debug, Clone)]
pub struct Timeouts {
    by_family: BTreeMap<DeviceFamily, Duration>,
    default: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            by_family: BTreeMap::new(),
            default: Duration::from_secs(30),
        }
    }
}

impl Timeouts {
    /// Timeouts with one default for every family.
    pub fn uniform(default: Duration) -> Self {
        Timeouts {
            by_family: BTreeMap::new(),
            default,
        }
    }

    /// Sets a family's timeout.
    pub fn with(mut self, family: DeviceFamily, timeout: Duration) -> Self {
        self.by_family.insert(family, timeout);
        self
    }

    /// The timeout of a family.
    pub fn of(&self, family: DeviceFamily) -> Duration {
        self.by_family.get(&family).copied().unwrap_or(self.default)
    }
}

/// A snapshot of one device for listings.
#[derive(Debug, Clone)]
pub struct DeviceSnapshot {
    /// Who the device is.
    pub info: DeviceInfo,
    /// Last known status.
    pub status: DeviceStatus,
    /// Who holds the lease, if anyone.
    pub lease_holder: Option<String>,
}

type Work = Box<dyn FnOnce(&mut AnyDevice) + Send>;

struct Slot {
    info: DeviceInfo,
    work: std::sync::mpsc::Sender<Work>,
    lease: Mutex<Option<String>>,
    status: Mutex<DeviceStatus>,
}

impl Slot {
    fn holder(&self) -> Option<String> {
        self.lease
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
    fn status(&self) -> DeviceStatus {
        self.status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

struct Inner {
    slots: RwLock<BTreeMap<DeviceId, Arc<Slot>>>,
    events: broadcast::Sender<RegistryEvent>,
    timeouts: Timeouts,
}

/// The station's devices. Cheap to clone.
#[derive(Clone)]
pub struct Registry {
    inner: Arc<Inner>,
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("devices", &self.ids())
            .finish()
    }
}

impl Registry {
    /// An empty registry.
    pub fn new(timeouts: Timeouts) -> Self {
        let (events, _) = broadcast::channel(256);
        Registry {
            inner: Arc::new(Inner {
                slots: RwLock::new(BTreeMap::new()),
                events,
                timeouts,
            }),
        }
    }

    /// Subscribes to registry events. Subscribe before listing to miss nothing.
    pub fn subscribe(&self) -> broadcast::Receiver<RegistryEvent> {
        self.inner.events.subscribe()
    }

    /// Adds a device: starts its actor thread and reads its first status there.
    pub fn add(&self, mut device: AnyDevice) -> DeviceId {
        let info = device.info().clone();
        let id = info.id.clone();
        let (tx, rx) = std::sync::mpsc::channel::<Work>();
        let slot = Arc::new(Slot {
            info,
            work: tx,
            lease: Mutex::new(None),
            status: Mutex::new(DeviceStatus::ready()),
        });
        // Unsolicited driver events update the cached status and go out on the stream.
        let weak = Arc::downgrade(&slot);
        let registry = Arc::downgrade(&self.inner);
        let events = self.inner.events.clone();
        let sink: EventSink = Arc::new(move |event: DeviceEvent| {
            let Some(slot) = weak.upgrade() else { return };
            let listed = registry
                .upgrade()
                .is_some_and(|inner| is_listed(&inner, &slot));
            let (id, status) = match event {
                DeviceEvent::Arrived(id) => (id, DeviceStatus::ready()),
                DeviceEvent::Left(id) => (
                    id,
                    DeviceStatus::with_state(DeviceState::Disconnected, "device went away"),
                ),
                DeviceEvent::StatusChanged(id, status) => (id, status),
            };
            *slot.status.lock().unwrap_or_else(PoisonError::into_inner) = status;
            if listed {
                let _ = events.send(RegistryEvent::Changed(id));
            }
        });
        device.device_mut().set_event_sink(sink);
        let thread_name = format!("dev-{}", id.as_str());
        let spawned = std::thread::Builder::new()
            .name(thread_name)
            .spawn(move || {
                let mut device = device;
                while let Ok(work) = rx.recv() {
                    work(&mut device);
                }
            });
        if let Err(e) = spawned {
            tracing::error!(device = %id, error = %e, "could not start the device thread");
        }
        // The first status comes from the device, on its own thread.
        let first = Arc::downgrade(&slot);
        let registry = Arc::downgrade(&self.inner);
        let events = self.inner.events.clone();
        let _ = slot.work.send(Box::new(move |dev: &mut AnyDevice| {
            let ctl = Control::with_timeout(STATUS_TIMEOUT).named("status");
            let status = dev
                .device_mut()
                .status(&ctl)
                .unwrap_or_else(|e| status_for_error(&e));
            if let Some(slot) = first.upgrade() {
                *slot.status.lock().unwrap_or_else(PoisonError::into_inner) = status;
                if registry
                    .upgrade()
                    .is_some_and(|inner| is_listed(&inner, &slot))
                {
                    let _ = events.send(RegistryEvent::Changed(slot.info.id.clone()));
                }
            }
        }));
        // `Added` goes out while the slot is being listed (under the write lock), so the first
        // status, whose sender checks the listing, can never overtake it.
        {
            let mut slots = self
                .inner
                .slots
                .write()
                .unwrap_or_else(PoisonError::into_inner);
            slots.insert(id.clone(), slot);
            let _ = self.inner.events.send(RegistryEvent::Added(id.clone()));
        }
        id
    }

    /// Removes a device (its thread ends once pending work is done and its lease, if any, is
    /// dropped). Returns false when no such device is listed.
    pub fn remove(&self, id: &DeviceId) -> bool {
        let removed = self
            .inner
            .slots
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(id)
            .is_some();
        if removed {
            let _ = self.inner.events.send(RegistryEvent::Removed(id.clone()));
        }
        removed
    }

    /// Every device id, in order.
    pub fn ids(&self) -> Vec<DeviceId> {
        self.inner
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .keys()
            .cloned()
            .collect()
    }

    fn slot(&self, id: &DeviceId) -> Result<Arc<Slot>, RegistryError> {
        self.inner
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(id)
            .cloned()
            .ok_or_else(|| RegistryError::NotFound(id.clone()))
    }

    /// A snapshot of one device (cached status, no I/O).
    pub fn snapshot(&self, id: &DeviceId) -> Result<DeviceSnapshot, RegistryError> {
        let slot = self.slot(id)?;
        Ok(DeviceSnapshot {
            info: slot.info.clone(),
            status: slot.status(),
            lease_holder: slot.holder(),
        })
    }

    /// Snapshots of every device, optionally of one family.
    pub fn list(&self, family: Option<DeviceFamily>) -> Vec<DeviceSnapshot> {
        let slots: Vec<Arc<Slot>> = self
            .inner
            .slots
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .values()
            .filter(|s| family.is_none_or(|f| s.info.family == f))
            .cloned()
            .collect();
        slots
            .into_iter()
            .map(|slot| DeviceSnapshot {
                info: slot.info.clone(),
                status: slot.status(),
                lease_holder: slot.holder(),
            })
            .collect()
    }

    /// Takes the lease of one device for `holder`, or fails at once with `Busy`.
    pub fn lease(&self, id: &DeviceId, holder: &str) -> Result<Lease, RegistryError> {
        let slot = self.slot(id)?;
        {
            let mut lease = slot.lease.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some(current) = lease.as_ref() {
                return Err(RegistryError::Busy {
                    device: id.clone(),
                    holder: current.clone(),
                });
            }
            *lease = Some(holder.to_owned());
        }
        let _ = self.inner.events.send(RegistryEvent::Changed(id.clone()));
        Ok(Lease {
            registry: self.clone(),
            slot,
            timeout: self.inner.timeouts.of(self.snapshot(id)?.info.family),
        })
    }

    /// Takes the lease of the first free device of `family`; `Busy` if all are leased.
    pub fn lease_family(&self, family: DeviceFamily, holder: &str) -> Result<Lease, RegistryError> {
        let candidates = self.list(Some(family));
        if candidates.is_empty() {
            return Err(RegistryError::NoDevice(family));
        }
        let mut busy = None;
        // Prefer devices that are not known to be disconnected.
        let mut ordered = candidates;
        ordered.sort_by_key(|s| s.status.state == DeviceState::Disconnected);
        for snap in ordered {
            match self.lease(&snap.info.id, holder) {
                Ok(lease) => return Ok(lease),
                Err(e @ RegistryError::Busy { .. }) => busy = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(busy.unwrap_or(RegistryError::NoDevice(family)))
    }

    /// Asks a device for its status without taking the lease. A leased device answers from
    /// the cache (its holder's calls keep it fresh).
    pub async fn refresh_status(&self, id: &DeviceId) -> Result<DeviceStatus, RegistryError> {
        let slot = self.slot(id)?;
        if slot.holder().is_some() {
            return Ok(slot.status());
        }
        let timeout = STATUS_TIMEOUT.min(self.inner.timeouts.of(slot.info.family));
        let result = run_on(&slot, timeout, |dev, ctl| dev.device_mut().status(ctl)).await;
        let status = match result {
            Ok(Ok(status)) => status,
            Ok(Err(e)) => status_for_error(&e),
            Err(_) => return Err(RegistryError::Gone(id.clone())),
        };
        self.store_status(&slot, status.clone());
        Ok(status)
    }

    fn store_status(&self, slot: &Arc<Slot>, status: DeviceStatus) {
        let changed = {
            let mut current = slot.status.lock().unwrap_or_else(PoisonError::into_inner);
            let changed = *current != status;
            *current = status;
            changed
        };
        if changed && is_listed(&self.inner, slot) {
            let _ = self
                .inner
                .events
                .send(RegistryEvent::Changed(slot.info.id.clone()));
        }
    }
}

/// True when `slot` is the device listed under its id (not removed, not replaced).
fn is_listed(inner: &Inner, slot: &Arc<Slot>) -> bool {
    inner
        .slots
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&slot.info.id)
        .is_some_and(|listed| Arc::ptr_eq(listed, slot))
}

/// The status a failed call implies for the device.
fn status_for_error(e: &DeviceError) -> DeviceStatus {
    let state = match e.kind() {
        ErrorKind::Disconnected => DeviceState::Disconnected,
        ErrorKind::PermissionDenied => DeviceState::PermissionDenied,
        ErrorKind::OutOfSupplies | ErrorKind::Hardware => DeviceState::NeedsAttention,
        ErrorKind::Busy => DeviceState::Busy,
        _ => DeviceState::Error,
    };
    let mut status = DeviceStatus::with_state(state, e.message().to_owned());
    if let Some(c) = e.condition() {
        status.conditions.push(c);
    }
    status
}

/// The actor thread went away before answering.
struct ThreadGone;

/// Runs `f` on the device's thread with a fresh control; cancels it when the returned future
/// is dropped, and recovers the device after a cancelled, timed-out or failed call.
async fn run_on<T, F>(
    slot: &Slot,
    timeout: Duration,
    f: F,
) -> Result<rekam_hal::Result<T>, ThreadGone>
where
    T: Send + 'static,
    F: FnOnce(&mut AnyDevice, &Control) -> rekam_hal::Result<T> + Send + 'static,
{
    let token = CancelToken::new();
    let ctl = Control::new(timeout, token.clone());
    let (tx, rx) = oneshot::channel();
    let work: Work = Box::new(move |dev: &mut AnyDevice| {
        let result = f(dev, &ctl);
        if let Err(e) = &result {
            // After a cancelled, timed-out or confused call, or a jam, bring the device back to
            // idle (a jammed card goes to the reject bin).
            if matches!(
                e.kind(),
                ErrorKind::Cancelled
                    | ErrorKind::Timeout
                    | ErrorKind::Protocol
                    | ErrorKind::CardRemoved
            ) || e.condition() == Some(rekam_hal::Condition::MediaJam)
            {
                let recover = Control::with_timeout(RECOVER_TIMEOUT).named("recover");
                if let Err(re) = dev.device_mut().recover(&recover) {
                    tracing::warn!(device = %dev.info().id, error = %re, "device did not recover");
                }
            }
        }
        let _ = tx.send(result);
    });
    if slot.work.send(work).is_err() {
        return Err(ThreadGone);
    }
    // Cancel the device call if this future is dropped before it completes.
    struct CancelOnDrop(Option<CancelToken>);
    impl Drop for CancelOnDrop {
        fn drop(&mut self) {
            if let Some(t) = self.0.take() {
                t.cancel();
            }
        }
    }
    let mut guard = CancelOnDrop(Some(token));
    let result = rx.await.map_err(|_| ThreadGone);
    guard.0 = None;
    result
}

/// The right to drive one device, held by one caller. Released on drop.
///
/// Cancel safety: [`Lease::call`] is cancel-safe in the sense that dropping its future cancels
/// the device call and the device is recovered before the next call runs; the call's effect on
/// the device may be partial (a torn chip write), which the workflow treats as a failure.
#[must_use = "a lease is released when dropped"]
pub struct Lease {
    registry: Registry,
    slot: Arc<Slot>,
    timeout: Duration,
}

impl fmt::Debug for Lease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lease")
            .field("device", &self.slot.info.id)
            .field("holder", &self.slot.holder())
            .finish()
    }
}

impl Lease {
    /// The leased device.
    pub fn info(&self) -> &DeviceInfo {
        &self.slot.info
    }

    /// The call timeout for this device's family.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs `f` on the device thread with the family timeout.
    pub async fn call<T, F>(&self, f: F) -> rekam_hal::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyDevice, &Control) -> rekam_hal::Result<T> + Send + 'static,
    {
        self.call_with_timeout(self.timeout, f).await
    }

    /// Runs `f` on the device thread with an explicit timeout; the device's status is
    /// refreshed from the outcome (a disconnect marks it disconnected, and so on).
    pub async fn call_with_timeout<T, F>(&self, timeout: Duration, f: F) -> rekam_hal::Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut AnyDevice, &Control) -> rekam_hal::Result<T> + Send + 'static,
    {
        let id = self.slot.info.id.clone();
        let result = run_on(&self.slot, timeout, f)
            .await
            .map_err(|_| DeviceError::from(RegistryError::Gone(id.clone())))?;
        match &result {
            Ok(_) => {
                let current = self.slot.status();
                if current.state != DeviceState::Ready || !current.conditions.is_empty() {
                    // A success after a fault: ask the device what it looks like now.
                    let status = run_on(&self.slot, STATUS_TIMEOUT, |dev, ctl| {
                        dev.device_mut().status(ctl)
                    })
                    .await;
                    if let Ok(Ok(status)) = status {
                        self.registry.store_status(&self.slot, status);
                    }
                }
            }
            Err(e) if !matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::InvalidInput) => {
                self.registry.store_status(&self.slot, status_for_error(e));
            }
            Err(_) => {}
        }
        result.map_err(|e| {
            if e.device().is_none() {
                e.with_device(id)
            } else {
                e
            }
        })
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        *self
            .slot
            .lease
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = None;
        if !is_listed(&self.registry.inner, &self.slot) {
            return;
        }
        let _ = self
            .registry
            .inner
            .events
            .send(RegistryEvent::Changed(self.slot.info.id.clone()));
    }
}

#[cfg(test)]
mod runtime_tests {
    //! Devices added and removed while the station runs (USB hotplug).
    use super::*;
    use rekam_hal::DeviceFamily;
    use rekam_sim::{SimConfig, SimWorld};

    fn sim(family: DeviceFamily, index: u32, world: &SimWorld) -> AnyDevice {
        rekam_sim::open(family, index, world).0
    }

    async fn next(rx: &mut broadcast::Receiver<RegistryEvent>) -> RegistryEvent {
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("an event in time")
            .expect("the stream is open")
    }

    #[tokio::test]
    async fn devices_come_and_go_and_a_removed_one_stays_silent() {
        let world = SimWorld::new(SimConfig::for_tests());
        let registry = Registry::new(Timeouts::default());
        let mut rx = registry.subscribe();
        let id = registry.add(sim(DeviceFamily::FingerprintScanner, 0, &world));
        assert_eq!(next(&mut rx).await, RegistryEvent::Added(id.clone()));
        assert_eq!(
            next(&mut rx).await,
            RegistryEvent::Changed(id.clone()),
            "first status"
        );

        let lease = registry.lease(&id, "op-1").unwrap();
        assert_eq!(next(&mut rx).await, RegistryEvent::Changed(id.clone()));
        assert!(registry.remove(&id));
        assert_eq!(next(&mut rx).await, RegistryEvent::Removed(id.clone()));
        assert!(registry.list(None).is_empty());
        assert!(!registry.remove(&id), "removing twice");
        // The holder's lease still reaches the (removed) device ...
        lease
            .call(|dev, ctl| dev.device_mut().status(ctl))
            .await
            .unwrap();
        drop(lease);
        // ... and nothing more is said about it.
        assert!(rx.try_recv().is_err());

        // Plugged back: listed again under the same id, and leasable.
        let again = registry.add(sim(DeviceFamily::FingerprintScanner, 0, &world));
        assert_eq!(again, id);
        assert_eq!(next(&mut rx).await, RegistryEvent::Added(id.clone()));
        assert_eq!(next(&mut rx).await, RegistryEvent::Changed(id.clone()));
        let lease = registry
            .lease_family(DeviceFamily::FingerprintScanner, "op-2")
            .unwrap();
        assert_eq!(lease.info().id, id);
    }
}
