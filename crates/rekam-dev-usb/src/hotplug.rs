//! Hotplug: one watcher per process turns the bus into a stream of [`UsbEvent`]s for the
//! supported sensors (arrived, left, access changed).
//!
//! The watcher thread re-lists the bus at least every [`POLL_INTERVAL`] and diffs the list
//! with the previous one ([`Tracker`], pure and unit-tested). Where libusb has hotplug support
//! (`libusb_has_capability(HAS_HOTPLUG)`, Linux with udev), a registered hotplug callback wakes
//! the thread's `handle_events` at once, so a plug or unplug is seen in milliseconds; without
//! it the poll alone sees it within [`POLL_INTERVAL`]. The callback itself only wakes the
//! thread: libusb forbids synchronous calls inside it, and the list is what counts.
//!
//! Subscribers get the devices present at subscription as `Arrived` events first (subscribe,
//! then the snapshot, under one lock: nothing is missed and nothing doubled).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use std::time::Duration;

use rusb::UsbContext;

use crate::bus::Access;
use crate::error::UsbError;
use crate::table::{self, SensorModel};

/// Longest time between two looks at the bus when libusb has no hotplug support.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// With hotplug callbacks: the bus is listed on each callback, and at least this often.
pub const HOTPLUG_IDLE_LIST: Duration = Duration::from_secs(2);

/// A supported sensor seen on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// Its model.
    pub model: &'static SensorModel,
    /// Bus number.
    pub bus: u8,
    /// Address on the bus (changes on every replug).
    pub address: u8,
    /// Physical port path, `BUS-PORT[.PORT...]` as in sysfs (stable for a given socket).
    pub port: String,
    /// Whether this process may open it.
    pub access: Access,
}

/// A change on the bus.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsbEvent {
    /// A sensor was plugged in (or was there when the subscription began).
    Arrived(Seen),
    /// A sensor was unplugged.
    Left(Seen),
    /// A sensor's access changed (a udev rule was installed and triggered, say).
    AccessChanged(Seen),
}

impl UsbEvent {
    /// The sensor the event is about.
    pub fn seen(&self) -> &Seen {
        match self {
            UsbEvent::Arrived(s) | UsbEvent::Left(s) | UsbEvent::AccessChanged(s) => s,
        }
    }
}

/// The diff core: the last list of sensors, and the events a new list implies.
#[derive(Debug, Default)]
pub struct Tracker {
    known: BTreeMap<(u8, u8), Seen>,
}

impl Tracker {
    /// An empty tracker (every sensor of the first list arrives).
    pub fn new() -> Self {
        Self::default()
    }

    /// The sensors of the last list.
    pub fn current(&self) -> Vec<Seen> {
        self.known.values().cloned().collect()
    }

    /// The access last seen for the sensor at `bus`/`address`, if it was listed.
    pub fn access(&self, bus: u8, address: u8) -> Option<Access> {
        self.known.get(&(bus, address)).map(|s| s.access)
    }

    /// Takes a new list; returns what changed, departures first.
    pub fn update(&mut self, now: Vec<Seen>) -> Vec<UsbEvent> {
        let mut next: BTreeMap<(u8, u8), Seen> =
            now.into_iter().map(|s| ((s.bus, s.address), s)).collect();
        let mut events = Vec::new();
        for (key, old) in &self.known {
            if !next.contains_key(key) {
                events.push(UsbEvent::Left(old.clone()));
            }
        }
        for (key, new) in &mut next {
            match self.known.get(key) {
                None => events.push(UsbEvent::Arrived(new.clone())),
                Some(old) if old.model != new.model => {
                    events.push(UsbEvent::Left(old.clone()));
                    events.push(UsbEvent::Arrived(new.clone()));
                }
                Some(old) if old.access != new.access => {
                    events.push(UsbEvent::AccessChanged(new.clone()))
                }
                Some(_) => {}
            }
        }
        self.known = next;
        events
    }
}

/// Where the watcher's lists come from: the real bus, or a test's script.
pub trait BusSource: Send + 'static {
    /// Lists the supported sensors now. `previous` gives the access last seen, so a source
    /// need only open (to learn access) sensors that are new or were refused.
    fn scan(&mut self, previous: &Tracker) -> Result<Vec<Seen>, UsbError>;

    /// Waits up to `max` for something to happen on the bus.
    fn wait(&mut self, max: Duration);
}

/// The bus through libusb, with hotplug callbacks where libusb has them.
pub struct RusbSource {
    context: rusb::Context,
    woken: Arc<AtomicBool>,
    _registration: Option<rusb::Registration<rusb::Context>>,
}

impl fmt::Debug for RusbSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RusbSource")
            .field("hotplug", &self._registration.is_some())
            .finish()
    }
}

struct Wake(Arc<AtomicBool>);

impl rusb::Hotplug<rusb::Context> for Wake {
    fn device_arrived(&mut self, _device: rusb::Device<rusb::Context>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn device_left(&mut self, _device: rusb::Device<rusb::Context>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl RusbSource {
    /// Starts libusb and, where supported, registers the hotplug callback.
    pub fn new() -> Result<Self, UsbError> {
        let context = rusb::Context::new().map_err(|e| UsbError::libusb("starting libusb", e))?;
        let woken = Arc::new(AtomicBool::new(false));
        let registration = if rusb::has_hotplug() {
            match rusb::HotplugBuilder::new()
                .enumerate(false)
                .register(&context, Box::new(Wake(woken.clone())))
            {
                Ok(r) => Some(r),
                Err(e) => {
                    tracing::warn!(error = %e, "libusb hotplug unavailable; polling the bus");
                    None
                }
            }
        } else {
            tracing::info!("libusb has no hotplug support here; polling the bus");
            None
        };
        Ok(RusbSource {
            context,
            woken,
            _registration: registration,
        })
    }

    /// True when libusb delivers hotplug callbacks (else the bus is polled).
    pub fn has_hotplug(&self) -> bool {
        self._registration.is_some()
    }
}

/// The port path of a device, `BUS-P1.P2...` as sysfs names it.
pub(crate) fn port_path(device: &rusb::Device<rusb::Context>) -> String {
    let ports = device.port_numbers().unwrap_or_default();
    let ports: Vec<String> = ports.iter().map(u8::to_string).collect();
    if ports.is_empty() {
        format!("{}-0", device.bus_number())
    } else {
        format!("{}-{}", device.bus_number(), ports.join("."))
    }
}

impl BusSource for RusbSource {
    fn scan(&mut self, previous: &Tracker) -> Result<Vec<Seen>, UsbError> {
        let devices = self
            .context
            .devices()
            .map_err(|e| UsbError::libusb("listing USB devices", e))?;
        let mut seen = Vec::new();
        for device in devices.iter() {
            let Ok(desc) = device.device_descriptor() else {
                continue;
            };
            let Some(model) = table::model(desc.vendor_id(), desc.product_id()) else {
                continue;
            };
            let (bus, address) = (device.bus_number(), device.address());
            let access = match previous.access(bus, address) {
                Some(Access::Ok) => Access::Ok,
                _ => match device.open() {
                    Ok(_) => Access::Ok,
                    Err(rusb::Error::Access) => Access::Denied,
                    Err(e) => Access::Failed(UsbError::libusb("open", e).kind()),
                },
            };
            seen.push(Seen {
                model,
                bus,
                address,
                port: port_path(&device),
                access,
            });
        }
        Ok(seen)
    }

    fn wait(&mut self, max: Duration) {
        if self._registration.is_none() {
            std::thread::sleep(max);
            return;
        }
        // With hotplug callbacks the bus is listed when one fires, and otherwise only every
        // HOTPLUG_IDLE_LIST as a safety net: an idle station does not list the bus 5 times a
        // second.
        let until = std::time::Instant::now() + HOTPLUG_IDLE_LIST;
        while !self.woken.load(Ordering::SeqCst) && std::time::Instant::now() < until {
            if let Err(e) = self.context.handle_events(Some(max)) {
                tracing::debug!(error = %e, "libusb event handling");
                std::thread::sleep(max);
            }
        }
        self.woken.store(false, Ordering::SeqCst);
    }
}

type Callback = Arc<dyn Fn(&UsbEvent) + Send + Sync>;

struct Shared {
    tracker: Mutex<Tracker>,
    subscribers: Mutex<Vec<(u64, Callback)>>,
    next_id: AtomicU64,
    stop: AtomicBool,
}

/// The watcher: a thread over a [`BusSource`], and its subscribers. Cheap to clone; the thread
/// stops when the last clone is dropped.
#[derive(Clone)]
pub struct Watcher {
    shared: Arc<Shared>,
    _stopper: Arc<Stopper>,
}

struct Stopper(Arc<Shared>);

impl Drop for Stopper {
    fn drop(&mut self) {
        self.0.stop.store(true, Ordering::SeqCst);
    }
}

impl fmt::Debug for Watcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watcher")
            .field("devices", &self.current().len())
            .finish()
    }
}

impl Watcher {
    /// Starts watching `source`: the first list is taken before this returns, so
    /// [`Watcher::current`] is right at once.
    pub fn start(mut source: impl BusSource) -> Result<Watcher, UsbError> {
        let mut tracker = Tracker::new();
        let first = source.scan(&tracker)?;
        tracker.update(first);
        let shared = Arc::new(Shared {
            tracker: Mutex::new(tracker),
            subscribers: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
            stop: AtomicBool::new(false),
        });
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("usb-hotplug".into())
            .spawn(move || run(source, &thread_shared))
            .map_err(|e| {
                UsbError::new(
                    crate::UsbErrorKind::Other,
                    format!("starting the hotplug thread: {e}"),
                )
            })?;
        Ok(Watcher {
            _stopper: Arc::new(Stopper(shared.clone())),
            shared,
        })
    }

    /// The process-wide watcher of the real bus, started on first use; `None` when libusb
    /// cannot start (logged once).
    pub fn global() -> Option<Watcher> {
        static GLOBAL: OnceLock<Option<Watcher>> = OnceLock::new();
        GLOBAL
            .get_or_init(|| match RusbSource::new().and_then(Watcher::start) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "USB hotplug watcher not started");
                    None
                }
            })
            .clone()
    }

    /// The supported sensors on the bus now.
    pub fn current(&self) -> Vec<Seen> {
        self.shared
            .tracker
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .current()
    }

    /// Calls `f` with every event from now on, starting with an `Arrived` for each sensor
    /// present. `f` runs on the watcher thread (or here, for the present ones): keep it short.
    /// Dropping the subscription ends it.
    #[must_use = "the subscription ends when dropped"]
    pub fn subscribe(&self, f: impl Fn(&UsbEvent) + Send + Sync + 'static) -> Subscription {
        let f: Callback = Arc::new(f);
        let id = self.shared.next_id.fetch_add(1, Ordering::SeqCst);
        // Hold the tracker while registering: the thread cannot deliver a diff in between.
        let tracker = self
            .shared
            .tracker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.shared
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push((id, f.clone()));
        for seen in tracker.current() {
            f(&UsbEvent::Arrived(seen));
        }
        drop(tracker);
        Subscription {
            shared: Arc::downgrade(&self.shared),
            id,
            _watcher: self.clone(),
        }
    }
}

fn run(mut source: impl BusSource, shared: &Shared) {
    while !shared.stop.load(Ordering::SeqCst) {
        source.wait(POLL_INTERVAL);
        if shared.stop.load(Ordering::SeqCst) {
            break;
        }
        let mut tracker = shared
            .tracker
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let now = match source.scan(&tracker) {
            Ok(now) => now,
            Err(e) => {
                tracing::warn!(error = %e, "listing the USB bus failed");
                continue;
            }
        };
        let events = tracker.update(now);
        if events.is_empty() {
            continue;
        }
        let subscribers: Vec<Callback> = shared
            .subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        // Delivered under the tracker lock, so a new subscriber's snapshot and these events
        // never overlap.
        for event in &events {
            let s = event.seen();
            tracing::info!(model = s.model.name, bus = s.bus, address = s.address, event = ?std::mem::discriminant(event), "usb hotplug");
            for f in &subscribers {
                f(event);
            }
        }
        drop(tracker);
    }
}

/// A live subscription; dropping it unsubscribes.
pub struct Subscription {
    shared: Weak<Shared>,
    id: u64,
    _watcher: Watcher,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .finish()
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.upgrade() {
            shared
                .subscribers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .retain(|(id, _)| *id != self.id);
        }
    }
}

/// The scripted bus's sensors, and whether the watcher was woken.
type ScriptedState = (Vec<Seen>, bool);

/// A scripted bus for tests: the test sets the list of sensors; the watcher sees it at its
/// next look (or at once after [`ScriptedBusList::poke`]).
#[derive(Debug, Clone, Default)]
pub struct ScriptedBusList {
    state: Arc<(Mutex<ScriptedState>, std::sync::Condvar)>,
}

impl ScriptedBusList {
    /// An empty bus.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the sensors on the bus and wakes the watcher.
    pub fn set(&self, sensors: Vec<Seen>) {
        let (lock, cv) = &*self.state;
        *lock.lock().unwrap_or_else(PoisonError::into_inner) = (sensors, true);
        cv.notify_all();
    }

    /// Wakes the watcher without a change.
    pub fn poke(&self) {
        let (lock, cv) = &*self.state;
        lock.lock().unwrap_or_else(PoisonError::into_inner).1 = true;
        cv.notify_all();
    }
}

impl BusSource for ScriptedBusList {
    fn scan(&mut self, _previous: &Tracker) -> Result<Vec<Seen>, UsbError> {
        Ok(self
            .state
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clone())
    }

    fn wait(&mut self, max: Duration) {
        let (lock, cv) = &*self.state;
        let guard = lock.lock().unwrap_or_else(PoisonError::into_inner);
        let (mut guard, _) = cv
            .wait_timeout_while(guard, max, |s| !s.1)
            .unwrap_or_else(PoisonError::into_inner);
        guard.1 = false;
    }
}

/// A [`Seen`] for tests: the first supported model at `bus`/`address`.
pub fn seen_for_tests(bus: u8, address: u8, access: Access) -> Seen {
    Seen {
        model: &table::SUPPORTED[0],
        bus,
        address,
        port: format!("{bus}-{address}"),
        access,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Instant;

    #[test]
    fn tracker_reports_arrivals_departures_and_access_changes() {
        let mut t = Tracker::new();
        let a = seen_for_tests(1, 3, Access::Denied);
        let b = seen_for_tests(1, 4, Access::Ok);
        assert_eq!(
            t.update(vec![a.clone(), b.clone()]),
            vec![UsbEvent::Arrived(a.clone()), UsbEvent::Arrived(b.clone())]
        );
        assert!(t.update(vec![a.clone(), b.clone()]).is_empty());
        let a_ok = Seen {
            access: Access::Ok,
            ..a.clone()
        };
        assert_eq!(
            t.update(vec![a_ok.clone()]),
            vec![UsbEvent::Left(b), UsbEvent::AccessChanged(a_ok.clone())]
        );
        // Replugged: a new address is a new device.
        let a2 = seen_for_tests(1, 5, Access::Ok);
        assert_eq!(
            t.update(vec![a2.clone()]),
            vec![UsbEvent::Left(a_ok), UsbEvent::Arrived(a2)]
        );
    }

    #[test]
    fn subscribers_get_the_present_sensors_then_the_changes() {
        let bus = ScriptedBusList::new();
        bus.set(vec![seen_for_tests(1, 3, Access::Ok)]);
        let watcher = Watcher::start(bus.clone()).unwrap();
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let sub = watcher.subscribe(move |e| {
            let _ = tx.lock().unwrap().send(e.clone());
        });
        assert!(
            matches!(rx.recv_timeout(Duration::from_secs(5)), Ok(UsbEvent::Arrived(s)) if s.address == 3)
        );

        bus.set(vec![]);
        assert!(
            matches!(rx.recv_timeout(Duration::from_secs(5)), Ok(UsbEvent::Left(s)) if s.address == 3)
        );
        bus.set(vec![seen_for_tests(1, 7, Access::Denied)]);
        assert!(
            matches!(rx.recv_timeout(Duration::from_secs(5)), Ok(UsbEvent::Arrived(s)) if s.access == Access::Denied)
        );

        drop(sub);
        bus.set(vec![]);
        bus.poke();
        assert!(
            rx.recv_timeout(Duration::from_millis(600)).is_err(),
            "unsubscribed"
        );
        // The watcher re-lists on its own thread: give it time on a loaded machine.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !watcher.current().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(watcher.current().is_empty());
    }

    #[test]
    fn polling_alone_sees_a_change_without_a_wakeup() {
        // A source that never wakes early: the poll interval bounds the delay.
        struct Slow(ScriptedBusList);
        impl BusSource for Slow {
            fn scan(&mut self, p: &Tracker) -> Result<Vec<Seen>, UsbError> {
                self.0.scan(p)
            }
            fn wait(&mut self, max: Duration) {
                std::thread::sleep(max);
            }
        }
        let bus = ScriptedBusList::new();
        let watcher = Watcher::start(Slow(bus.clone())).unwrap();
        let (tx, rx) = mpsc::channel();
        let tx = Mutex::new(tx);
        let _sub = watcher.subscribe(move |e| {
            let _ = tx.lock().unwrap().send(e.clone());
        });
        bus.set(vec![seen_for_tests(2, 9, Access::Ok)]);
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(1)),
            Ok(UsbEvent::Arrived(_))
        ));
    }
}
