//! `rekamctl` against a running `rekamd`, as a technician uses it: the device list (text and
//! `--json`), self-tests, the scripted demo enrolment and issuance, `session show` and
//! `job show` on the ids the demo prints, and a blanks-empty fault that makes the demo's
//! job defer with a pickup receipt.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Output;

use rekam_e2e::*;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn show(o: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// The first id with `prefix` (`ses_`, `job_`, `rcp_`) and 26 Crockford base32 characters.
fn find_id(text: &str, prefix: &str) -> Option<String> {
    text.match_indices(prefix).find_map(|(i, _)| {
        let tail: String = text[i + prefix.len()..]
            .chars()
            .take_while(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
            .collect();
        (tail.len() == 26).then(|| format!("{prefix}{tail}"))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_selftest_and_json() {
    let d = Daemon::start_default().await;

    let out = rekamctl(&d, &["devices"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = stdout(&out);
    for id in dev::ALL {
        assert_eq!(
            text.lines()
                .filter(|l| l.split_whitespace().next() == Some(id))
                .count(),
            1,
            "`devices` lists {id} once:\n{text}"
        );
    }

    let out = rekamctl(&d, &["--json", "devices"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "`--json devices` is not one JSON document ({e}):\n{}",
            show(&out)
        )
    });
    let text = json.to_string();
    for id in dev::ALL {
        assert!(
            text.contains(&format!("\"{id}\"")),
            "`--json devices` names {id}: {json:#}"
        );
    }
    let list = json
        .as_array()
        .or_else(|| json.get("devices").and_then(serde_json::Value::as_array))
        .or_else(|| json.get("items").and_then(serde_json::Value::as_array));
    assert_eq!(
        list.map(Vec::len),
        Some(7),
        "seven devices in the JSON: {json:#}"
    );

    let out = rekamctl(&d, &["selftest"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "every simulated device passes: {}",
        show(&out)
    );
    let out = rekamctl(&d, &["selftest", dev::CARD_PRINTER]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    // A failing self-test is reported as such.
    let out = rekamctl(&d, &["fault", dev::IRIS, "self-test-fail"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = rekamctl(&d, &["selftest", dev::IRIS]).await;
    assert_ne!(
        out.status.code(),
        Some(0),
        "a failed self-test does not exit 0: {}",
        show(&out)
    );

    // Unknown device: the daemon refuses, exit 1.
    let out = rekamctl(&d, &["selftest", "sim:iris:7"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    // Usage error: exit 2.
    let out = rekamctl(&d, &["fault", dev::IRIS, "no-such-fault"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", show(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_enrolment_then_session_and_job_show() {
    let d = Daemon::start_default().await;
    let out = rekamctl(&d, &["enrol", "--demo"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let text = stdout(&out);
    let sid =
        find_id(&text, "ses_").unwrap_or_else(|| panic!("the demo prints the session id:\n{text}"));
    let jid =
        find_id(&text, "job_").unwrap_or_else(|| panic!("the demo prints the job id:\n{text}"));

    // What the daemon says about them.
    let session = get_session(&d, &sid).await;
    assert_eq!(session.state(), v1::SessionState::Finalized);
    let job = get_job(&d, &jid).await;
    assert_eq!(job.session_id, sid);

    let out = rekamctl(&d, &["session", "show", &sid]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains(&sid), "{}", show(&out));
    let out = rekamctl(&d, &["--json", "session", "show", &sid]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&out)));
    assert!(json.to_string().contains(&sid));

    let out = rekamctl(&d, &["job", "show", &jid]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert!(stdout(&out).contains(&jid), "{}", show(&out));

    // An unknown id: the daemon refuses (exit 1) and the reason is printed.
    let out = rekamctl(&d, &["job", "show", "job_01JD3Z6K8T9W4Q2M5N7P0R1S2V"]).await;
    assert_eq!(out.status.code(), Some(1), "{}", show(&out));
    assert!(show(&out).contains("JOB_NOT_FOUND"), "{}", show(&out));

    // The demo's job made a card: no deferral, nothing spoiled.
    assert!(
        matches!(
            job.state(),
            v1::JobState::AwaitingActivation | v1::JobState::Activated | v1::JobState::HandedOver
        ),
        "the demo's job made a card: {:?} {:?}",
        job.state(),
        step_summary(&job)
    );
    assert_eq!(job.cards_spoiled, 0, "{:?}", step_summary(&job));
    assert!(!d.log().contains("panicked"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blanks_empty_makes_the_demo_defer() {
    let d = Daemon::start_default().await;
    let out = rekamctl(
        &d,
        &["fault", dev::CARD_PRINTER, "blanks-empty", "--count", "0"],
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let out = rekamctl(&d, &["enrol", "--demo"]).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "a deferral is not a failure of the demo: {}",
        show(&out)
    );
    let text = stdout(&out);
    assert!(
        text.to_lowercase().contains("deferred"),
        "the demo says the job is deferred:\n{text}"
    );
    let jid =
        find_id(&text, "job_").unwrap_or_else(|| panic!("the demo prints the job id:\n{text}"));
    let rcp =
        find_id(&text, "rcp_").unwrap_or_else(|| panic!("the demo prints the receipt id:\n{text}"));
    let job = get_job(&d, &jid).await;
    assert_eq!(
        job.state(),
        v1::JobState::Deferred,
        "{:?}",
        step_summary(&job)
    );
    assert_eq!(
        job.deferral(),
        v1::DeferralReason::OutOfBlanks,
        "{:?}",
        step_summary(&job)
    );
    assert_eq!(job.receipt_id, rcp);

    let out = rekamctl(&d, &["fault", dev::CARD_PRINTER, "clear"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let resumed = last_job(&resume_job(&d, &jid, None).await);
    assert_eq!(
        resumed.state(),
        v1::JobState::AwaitingActivation,
        "{:?}",
        step_summary(&resumed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_daemon_exits_3() {
    let d = Daemon::start_default().await;
    let bin = rekamctl_bin();
    let missing = d.dir().join("nobody-here.sock");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(bin)
            .arg("--socket")
            .arg(missing)
            .arg("devices")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", show(&out));
}
