//! Property: any sequence of appends across a few streams (with stale writers and reopens in
//! between) loads back as exactly the accepted events, in order.
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;

use proptest::prelude::*;
use rekam_store::{Append, ErrorKind, NewEvent, Store};

const STREAMS: [&str; 3] = ["ses_a", "ses_b", "job_c"];

#[derive(Debug, Clone)]
enum Op {
    Append {
        stream: usize,
        events: Vec<(String, Vec<u8>)>,
        /// Use a wrong expected seq: must be refused and change nothing.
        stale: bool,
    },
    Reopen,
}

fn op() -> impl Strategy<Value = Op> {
    let event = (
        "[a-z]{1,8}(\\.[a-z]{1,8})?",
        proptest::collection::vec(any::<u8>(), 0..200),
    );
    prop_oneof![
        10 => (0..STREAMS.len(), proptest::collection::vec(event, 1..4), proptest::bool::weighted(0.15))
            .prop_map(|(stream, events, stale)| Op::Append { stream, events, stale }),
        1 => Just(Op::Reopen),
    ]
}

fn kind_of(stream: &str) -> &'static str {
    if stream.starts_with("job") {
        "job"
    } else {
        "session"
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn appends_load_back_exactly(ops in proptest::collection::vec(op(), 1..30)) {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::open_with_key(tmp.path(), support::keys(42)).unwrap();
        let mut model: BTreeMap<&str, Vec<(String, Vec<u8>)>> = BTreeMap::new();
        for op in ops {
            match op {
                Op::Reopen => {
                    drop(store);
                    store = Store::open_with_key(tmp.path(), support::keys(42)).unwrap();
                }
                Op::Append { stream, events, stale } => {
                    let id = STREAMS[stream];
                    let have = model.get(id).map_or(0, Vec::len) as u64;
                    let expected = if stale { have + 1 } else { have };
                    let req = Append::new(
                        id,
                        kind_of(id),
                        expected,
                        events.iter().map(|(k, p)| NewEvent::new(k.clone(), p.clone())).collect(),
                    );
                    match store.append(req) {
                        Ok(seq) => {
                            prop_assert!(!stale);
                            prop_assert_eq!(seq, have + events.len() as u64);
                            model.entry(id).or_default().extend(events);
                        }
                        Err(e) => {
                            prop_assert!(stale, "unexpected error {}", e);
                            prop_assert_eq!(e.kind(), ErrorKind::Conflict);
                        }
                    }
                }
            }
        }
        for id in STREAMS {
            match model.get(id) {
                Some(expected) => {
                    let loaded = store.load(id).unwrap();
                    let got: Vec<(String, Vec<u8>)> =
                        loaded.iter().map(|e| (e.kind.clone(), e.payload.to_vec())).collect();
                    prop_assert_eq!(&got, expected);
                    let seqs: Vec<u64> = loaded.iter().map(|e| e.seq).collect();
                    prop_assert_eq!(seqs, (1..=expected.len() as u64).collect::<Vec<_>>());
                    prop_assert_eq!(store.stream(id).unwrap().unwrap().last_seq, expected.len() as u64);
                }
                None => prop_assert_eq!(store.load(id).unwrap_err().kind(), ErrorKind::NotFound),
            }
        }
        let sessions: Vec<String> = store.streams("session", None).unwrap().into_iter().map(|s| s.id).collect();
        let mut expected_sessions: Vec<String> =
            model.keys().filter(|k| kind_of(k) == "session").map(|k| (*k).to_owned()).collect();
        let mut sorted = sessions.clone();
        sorted.sort();
        expected_sessions.sort();
        prop_assert_eq!(sorted, expected_sessions);
        store.check_integrity().unwrap();
    }
}
