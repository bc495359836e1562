//! A latest-wins slot between the thread that reads the camera at its own rate and the
//! thread that turns frames into previews: it holds at most one item, a new item replaces an
//! unread one (counted as dropped), so a slow consumer never queues frames and always gets
//! the newest. The producer can close it with an error.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug)]
struct State<T, E> {
    item: Option<T>,
    closed: Option<E>,
    put: u64,
    dropped: u64,
}

/// What a take found.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken<T, E> {
    /// The newest item.
    Item(T),
    /// Nothing arrived in time.
    Empty,
    /// The producer stopped with this error (once; later takes see `Empty`).
    Closed(E),
}

/// A one-item, latest-wins slot.
#[derive(Debug)]
pub struct LatestSlot<T, E> {
    state: Mutex<State<T, E>>,
    ready: Condvar,
}

impl<T, E> Default for LatestSlot<T, E> {
    fn default() -> Self {
        LatestSlot {
            state: Mutex::new(State {
                item: None,
                closed: None,
                put: 0,
                dropped: 0,
            }),
            ready: Condvar::new(),
        }
    }
}

impl<T, E> LatestSlot<T, E> {
    /// An empty slot.
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts an item, replacing (and dropping) an unread one.
    pub fn put(&self, item: T) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.put += 1;
        if s.item.replace(item).is_some() {
            s.dropped += 1;
        }
        drop(s);
        self.ready.notify_one();
    }

    /// Closes the slot with the producer's error.
    pub fn close(&self, error: E) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.closed = Some(error);
        drop(s);
        self.ready.notify_one();
    }

    /// Takes the newest item, waiting at most `timeout`.
    pub fn take(&self, timeout: Duration) -> Taken<T, E> {
        let end = Instant::now() + timeout;
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(item) = s.item.take() {
                return Taken::Item(item);
            }
            if let Some(e) = s.closed.take() {
                return Taken::Closed(e);
            }
            let now = Instant::now();
            if now >= end {
                return Taken::Empty;
            }
            s = self
                .ready
                .wait_timeout(s, end - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }

    /// Items put so far, and how many of them were dropped unread.
    pub fn counts(&self) -> (u64, u64) {
        let s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (s.put, s.dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn the_newest_item_wins_and_drops_are_counted() {
        let slot: LatestSlot<u32, ()> = LatestSlot::new();
        assert_eq!(slot.take(Duration::from_millis(1)), Taken::Empty);
        slot.put(1);
        slot.put(2);
        slot.put(3);
        assert_eq!(slot.take(Duration::ZERO), Taken::Item(3));
        assert_eq!(slot.take(Duration::ZERO), Taken::Empty);
        assert_eq!(slot.counts(), (3, 2));
        slot.close(());
        assert_eq!(slot.take(Duration::ZERO), Taken::Closed(()));
    }

    #[test]
    fn a_slow_consumer_gets_recent_items_not_a_backlog() {
        let slot: Arc<LatestSlot<u64, ()>> = Arc::new(LatestSlot::new());
        let producer = {
            let slot = slot.clone();
            std::thread::spawn(move || {
                for i in 0..200u64 {
                    slot.put(i);
                    std::thread::sleep(Duration::from_millis(1));
                }
                slot.close(());
            })
        };
        let mut got = Vec::new();
        loop {
            match slot.take(Duration::from_secs(5)) {
                Taken::Item(i) => {
                    got.push(i);
                    std::thread::sleep(Duration::from_millis(10));
                }
                Taken::Closed(()) => break,
                Taken::Empty => panic!("the producer stalled"),
            }
        }
        producer.join().unwrap();
        assert!(
            got.windows(2).all(|w| w[0] < w[1]),
            "in order, never repeated"
        );
        assert!(got.len() < 100, "most items dropped: got {}", got.len());
        let (put, dropped) = slot.counts();
        assert_eq!(put, 200);
        assert_eq!(dropped, 200 - got.len() as u64);
    }
}
