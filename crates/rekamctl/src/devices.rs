//! Devices: the device table (`devices`), the hotplug watch (`watch`), fault injection on
//! simulated devices (`fault`) and the card printer's supplies (`supplies`).
//!
//! Each view is a serialisable struct built from the response message (for `--json`) and a
//! `render_*` function that writes the human form.

use std::io::{self, Write};

use rekam_proto::v1;
use serde::Serialize;
use time::OffsetDateTime;

use crate::cli::{FamilyArg, FaultArg, FaultArgs};
use crate::connect::Clients;
use crate::error::CtlError;
use crate::names;
use crate::output::Ctx;
use crate::ui::{self, pb_time, Cell, Paint, Style, Table};

/// What a technician does about a device that is present but not permitted. The library
/// only reports `PERMISSION_DENIED`; the CLI says how to fix it.
pub const UDEV_HINT: &str = "add your user to group rekam and install udev/60-rekam.rules: \
sudo cp udev/60-rekam.rules /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger";

/// A device, for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceView {
    /// Device id.
    pub id: String,
    /// Family wire name (`FINGERPRINT_SCANNER`).
    pub family: String,
    /// State wire name (`READY`).
    pub state: String,
    /// Condition wire names.
    pub conditions: Vec<String>,
    /// Supplies, for printers.
    pub supplies: Option<SuppliesView>,
    /// A simulated device.
    pub simulated: bool,
    /// Lease holder, when leased.
    pub lease_holder: Option<String>,
    /// Driver name.
    pub driver: String,
    /// Model, when known.
    pub model: Option<String>,
    /// Serial number, when known.
    pub serial: Option<String>,
    /// Firmware, when known.
    pub firmware: Option<String>,
    /// The configured selector.
    pub selector: String,
    /// The daemon's hint.
    pub hint: Option<String>,
    /// The udev hint, for PERMISSION_DENIED devices.
    pub udev_hint: Option<&'static str>,
}

impl DeviceView {
    /// The view of a device message.
    pub fn new(d: &v1::Device) -> Self {
        Self {
            id: d.id.clone(),
            family: names::family_wire(d.family),
            state: names::device_state_wire(d.state),
            conditions: d
                .conditions
                .iter()
                .map(|c| names::condition_wire(*c))
                .collect(),
            supplies: d.supplies.as_ref().map(SuppliesView::new),
            simulated: d.simulated,
            lease_holder: ui::non_empty(&d.lease_holder),
            driver: d.driver.clone(),
            model: ui::non_empty(&d.model),
            serial: ui::non_empty(&d.serial),
            firmware: ui::non_empty(&d.firmware),
            selector: d.selector.clone(),
            hint: ui::non_empty(&d.hint),
            udev_hint: is_permission_denied(d).then_some(UDEV_HINT),
        }
    }
}

/// Supplies, for JSON.
#[derive(Debug, Clone, Serialize)]
pub struct SuppliesView {
    /// The printer.
    pub device_id: String,
    /// Blanks (or sheets) left, when counted.
    pub blanks_remaining: Option<u32>,
    /// Ribbon (or toner) left in percent, when reported.
    pub ribbon_percent: Option<u32>,
    /// Cards issued.
    pub issued: u32,
    /// Cards spoiled.
    pub spoiled: u32,
    /// Condition wire names.
    pub conditions: Vec<String>,
}

impl SuppliesView {
    /// The view of a supplies message.
    pub fn new(s: &v1::Supplies) -> Self {
        Self {
            device_id: s.device_id.clone(),
            blanks_remaining: s.blanks_remaining,
            ribbon_percent: s.ribbon_percent,
            issued: s.issued,
            spoiled: s.spoiled,
            conditions: s
                .conditions
                .iter()
                .map(|c| names::condition_wire(*c))
                .collect(),
        }
    }
}

fn is_permission_denied(d: &v1::Device) -> bool {
    d.state == i32::from(v1::DeviceState::PermissionDenied)
}

fn state_paint(state: i32) -> Paint {
    use v1::DeviceState as S;
    match S::try_from(state) {
        Ok(S::Ready) => Paint::Good,
        Ok(S::Busy) => Paint::None,
        Ok(S::NeedsAttention) => Paint::Warn,
        _ => Paint::Bad,
    }
}

fn conditions_text(conditions: &[i32]) -> String {
    if conditions.is_empty() {
        return "-".into();
    }
    conditions
        .iter()
        .map(|c| names::condition(*c))
        .collect::<Vec<_>>()
        .join(",")
}

fn supplies_cell(s: Option<&v1::Supplies>) -> String {
    let Some(s) = s else { return "-".into() };
    let mut parts = Vec::new();
    if let Some(b) = s.blanks_remaining {
        parts.push(format!("blanks {b}"));
    }
    if let Some(r) = s.ribbon_percent {
        parts.push(format!("ribbon {r}%"));
    }
    if parts.is_empty() {
        "-".into()
    } else {
        parts.join(", ")
    }
}

/// Writes the device table, then footnotes: the udev hint for each PERMISSION_DENIED
/// device and the daemon's hint for any device that has one.
pub fn render_devices(
    devices: &[v1::Device],
    out: &mut dyn Write,
    style: &Style,
) -> io::Result<()> {
    if devices.is_empty() {
        return writeln!(out, "no devices");
    }
    let mut table = Table::new(&[
        "ID",
        "FAMILY",
        "STATE",
        "CONDITIONS",
        "SUPPLIES",
        "LEASE",
        "DRIVER/MODEL",
    ]);
    let mut notes: Vec<&v1::Device> = Vec::new();
    for d in devices {
        let mut state = names::device_state(d.state);
        if is_permission_denied(d) || !d.hint.is_empty() {
            notes.push(d);
            state.push_str(&format!(" [{}]", notes.len()));
        }
        let driver = if d.model.is_empty() {
            d.driver.clone()
        } else {
            format!("{}/{}", d.driver, d.model)
        };
        table.row(vec![
            d.id.as_str().into(),
            names::family(d.family).into(),
            Cell::painted(state, state_paint(d.state)),
            conditions_text(&d.conditions).into(),
            supplies_cell(d.supplies.as_ref()).into(),
            ui::or_dash(&d.lease_holder).into(),
            driver.into(),
        ]);
    }
    table.write(out, style)?;
    if !notes.is_empty() {
        writeln!(out)?;
    }
    for (i, d) in notes.iter().enumerate() {
        let n = i + 1;
        if is_permission_denied(d) {
            writeln!(out, "[{n}] {}: present, but rekamd may not open it.", d.id)?;
            writeln!(out, "    {UDEV_HINT}")?;
            if !d.hint.is_empty() {
                writeln!(out, "    rekamd says: {}", d.hint)?;
            }
        } else {
            writeln!(out, "[{n}] {}: {}", d.id, d.hint)?;
        }
    }
    Ok(())
}

/// The `devices --json` document.
#[derive(Debug, Serialize)]
pub struct DeviceList {
    /// The devices, in the daemon's order.
    pub devices: Vec<DeviceView>,
}

/// `devices`.
pub async fn devices(
    c: &Clients,
    family: Option<FamilyArg>,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let request = v1::ListDevicesRequest {
        family: family
            .map_or(v1::DeviceFamily::Unspecified, FamilyArg::to_proto)
            .into(),
    };
    let response = c
        .unary(c.devices.clone().list_devices(c.request(request)))
        .await?;
    if ctx.json {
        let list = DeviceList {
            devices: response.devices.iter().map(DeviceView::new).collect(),
        };
        ui::json_document(ctx.out, &list)?;
    } else {
        render_devices(&response.devices, ctx.out, &ctx.style)?;
    }
    Ok(())
}

/// One `watch` event, for JSON.
#[derive(Debug, Serialize)]
pub struct WatchLine {
    /// When the station observed it (RFC 3339, UTC).
    pub at: Option<String>,
    /// Event kind wire name (`CHANGED`).
    pub kind: String,
    /// The device, except for SNAPSHOT_DONE.
    pub device: Option<DeviceView>,
}

/// Follows a watch stream across events: how many snapshot events came before
/// SNAPSHOT_DONE.
#[derive(Debug, Default)]
pub struct WatchState {
    snapshot: usize,
}

/// Writes one watch event as one line: local time, kind, device, state, conditions. Events
/// of a kind this build does not know are skipped (the contract says to ignore them).
pub fn render_watch_event(
    event: &v1::DeviceEvent,
    state: &mut WatchState,
    now: OffsetDateTime,
    out: &mut dyn Write,
    style: &Style,
) -> io::Result<()> {
    use v1::DeviceEventKind as K;
    let at = pb_time!(event.at).unwrap_or(now);
    let time = style.paint(Paint::Dim, &ui::local_time_ms(at, style));
    let kind = match K::try_from(event.kind) {
        Ok(K::SnapshotDone) => {
            let n = std::mem::take(&mut state.snapshot);
            let plural = if n == 1 { "" } else { "s" };
            return writeln!(
                out,
                "{time}  snapshot complete: {n} device{plural}; watching for changes (Ctrl-C to stop)"
            );
        }
        Ok(K::Snapshot) => {
            state.snapshot += 1;
            K::Snapshot
        }
        Ok(k @ (K::Added | K::Removed | K::Changed)) => k,
        Ok(K::Unspecified) | Err(_) => return Ok(()),
    };
    let kind = names::event_kind(kind.into());
    let Some(d) = &event.device else {
        return writeln!(out, "{time}  {kind:<8}  (no device)");
    };
    let device_state = names::device_state(d.state);
    let pad = 17usize.saturating_sub(ui::width(&device_state));
    let mut line = format!(
        "{time}  {kind:<8}  {:<24}  {}{}  {}",
        d.id,
        style.paint(state_paint(d.state), &device_state),
        " ".repeat(pad),
        conditions_text(&d.conditions)
    );
    if !d.lease_holder.is_empty() {
        line.push_str(&format!("  lease {}", d.lease_holder));
    }
    if is_permission_denied(d) {
        line.push_str("  (see `rekamctl devices` for the udev hint)");
    }
    writeln!(out, "{}", line.trim_end())
}

/// The JSON line of a watch event.
pub fn watch_line(event: &v1::DeviceEvent) -> WatchLine {
    WatchLine {
        at: pb_time!(event.at).map(ui::rfc3339),
        kind: names::event_kind_wire(event.kind),
        device: event.device.as_ref().map(DeviceView::new),
    }
}

/// `watch`: until Ctrl-C (exit 0) or the end of the stream.
pub async fn watch(
    c: &Clients,
    family: Option<FamilyArg>,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let request = v1::WatchDevicesRequest {
        family: family
            .map_or(v1::DeviceFamily::Unspecified, FamilyArg::to_proto)
            .into(),
    };
    let mut stream = c
        .stream(
            c.devices
                .clone()
                .watch_devices(tonic::Request::new(request)),
        )
        .await?;
    let mut state = WatchState::default();
    loop {
        let event = tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            event = c.next(&mut stream) => event?,
        };
        let Some(event) = event else {
            if !ctx.json {
                writeln!(ctx.out, "the daemon ended the stream")?;
            }
            return Ok(());
        };
        if ctx.json {
            let known = v1::DeviceEventKind::try_from(event.kind)
                .is_ok_and(|k| k != v1::DeviceEventKind::Unspecified);
            if known {
                ui::json_line(ctx.out, &watch_line(&event))?;
            }
        } else {
            render_watch_event(
                &event,
                &mut state,
                OffsetDateTime::now_utc(),
                ctx.out,
                &ctx.style,
            )?;
        }
        ctx.out.flush()?;
    }
}

/// The result of `fault`, for JSON.
#[derive(Debug, Serialize)]
pub struct FaultView {
    /// The device (empty: every simulated device).
    pub device_id: String,
    /// The fault name (`low-quality`, `clear`).
    pub fault: String,
    /// Operations affected (injections only; 0: until cleared).
    pub count: Option<u32>,
    /// The missing finger (partial-slap).
    pub finger: Option<String>,
    /// Faults removed (clear only).
    pub cleared: Option<u32>,
}

/// Writes what `fault` did.
pub fn render_fault(view: &FaultView, kind: FaultArg, out: &mut dyn Write) -> io::Result<()> {
    let device = if view.device_id.is_empty() {
        "every simulated device"
    } else {
        view.device_id.as_str()
    };
    if let Some(n) = view.cleared {
        let plural = if n == 1 { "" } else { "s" };
        return writeln!(
            out,
            "cleared {n} queued fault{plural} on {device}; unplugged simulated devices are plugged back in"
        );
    }
    let what = if kind == FaultArg::SelfTestFail {
        "self-test"
    } else {
        "operation"
    };
    let how_long = match kind {
        FaultArg::Replug => "(it comes back now)".to_owned(),
        FaultArg::Unplug => format!("until `rekamctl fault {device} replug` (or clear)"),
        k if k.lasts_until_cleared() => format!("until `rekamctl fault {device} clear`"),
        _ => match view.count {
            Some(0) | None => format!("for every {what} until cleared"),
            Some(1) => format!("for the next {what}"),
            Some(n) => format!("for the next {n} {what}s"),
        },
    };
    let finger = view
        .finger
        .as_deref()
        .map(|f| {
            format!(
                " (missing finger: {})",
                f.to_ascii_lowercase().replace('_', " ")
            )
        })
        .unwrap_or_default();
    writeln!(out, "queued {}{finger} on {device} {how_long}", view.fault)
}

/// `fault DEVICE KIND`; `fault DEVICE clear` calls ClearFaults.
pub async fn fault(c: &Clients, args: &FaultArgs, ctx: &mut Ctx<'_>) -> Result<(), CtlError> {
    let view = if args.kind == FaultArg::Clear {
        let device_id = if args.device == "all" {
            String::new()
        } else {
            args.device.clone()
        };
        let response = c
            .unary(
                c.devices
                    .clone()
                    .clear_faults(c.request(v1::ClearFaultsRequest {
                        device_id: device_id.clone(),
                    })),
            )
            .await?;
        FaultView {
            device_id,
            fault: args.kind.name(),
            count: None,
            finger: None,
            cleared: Some(response.cleared),
        }
    } else {
        let fault = v1::Fault {
            kind: args.kind.to_proto().into(),
            count: args.count,
            finger: args.finger.map(|f| f.to_proto().into()),
        };
        c.unary(
            c.devices
                .clone()
                .inject_fault(c.request(v1::InjectFaultRequest {
                    device_id: args.device.clone(),
                    fault: Some(fault),
                })),
        )
        .await?;
        FaultView {
            device_id: args.device.clone(),
            fault: args.kind.name(),
            count: Some(args.count),
            finger: args.finger.map(|f| names::finger_wire(f.to_proto().into())),
            cleared: None,
        }
    };
    if ctx.json {
        ui::json_document(ctx.out, &view)?;
    } else {
        render_fault(&view, args.kind, ctx.out)?;
    }
    Ok(())
}

/// Writes the supplies of a printer.
pub fn render_supplies(s: &v1::Supplies, out: &mut dyn Write, style: &Style) -> io::Result<()> {
    let blanks = s
        .blanks_remaining
        .map_or("not counted by the printer".to_owned(), |b| b.to_string());
    let ribbon = s
        .ribbon_percent
        .map_or("not reported by the printer".to_owned(), |r| {
            format!("{r} %")
        });
    let conditions = if s.conditions.is_empty() {
        style.paint(Paint::Good, "none")
    } else {
        style.paint(Paint::Warn, &conditions_text(&s.conditions))
    };
    writeln!(out, "Printer     {}", s.device_id)?;
    writeln!(out, "Blanks      {blanks}")?;
    writeln!(out, "Ribbon      {ribbon}")?;
    writeln!(out, "Issued      {}", s.issued)?;
    writeln!(out, "Spoiled     {}", s.spoiled)?;
    writeln!(out, "Conditions  {conditions}")
}

/// `supplies`.
pub async fn supplies(
    c: &Clients,
    device: Option<&str>,
    ctx: &mut Ctx<'_>,
) -> Result<(), CtlError> {
    let request = v1::GetSuppliesRequest {
        device_id: device.unwrap_or_default().to_owned(),
    };
    let s = c
        .unary(c.issuance.clone().get_supplies(c.request(request)))
        .await?;
    if ctx.json {
        ui::json_document(ctx.out, &SuppliesView::new(&s))?;
    } else {
        render_supplies(&s, ctx.out, &ctx.style)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn device(id: &str, family: v1::DeviceFamily, state: v1::DeviceState) -> v1::Device {
        v1::Device {
            id: id.into(),
            family: family.into(),
            driver: id.split(':').next().unwrap_or_default().into(),
            selector: "sim:x".into(),
            state: state.into(),
            simulated: true,
            ..Default::default()
        }
    }

    fn printer() -> v1::Device {
        let mut d = device(
            "sim:card-printer:0",
            v1::DeviceFamily::CardPrinter,
            v1::DeviceState::NeedsAttention,
        );
        d.model = "Sim CR80".into();
        d.conditions = vec![
            v1::DeviceCondition::MediaLow.into(),
            v1::DeviceCondition::RibbonLow.into(),
        ];
        d.lease_holder = "job:job_01JD3Z6K8T9W4Q2M5N7P0R1S2V".into();
        d.supplies = Some(v1::Supplies {
            device_id: d.id.clone(),
            blanks_remaining: Some(3),
            ribbon_percent: Some(7),
            spoiled: 1,
            issued: 40,
            conditions: d.conditions.clone(),
        });
        d
    }

    fn denied() -> v1::Device {
        let mut d = device(
            "usb-aes3500:fingerprint:0",
            v1::DeviceFamily::FingerprintScanner,
            v1::DeviceState::PermissionDenied,
        );
        d.simulated = false;
        d.hint = "add the rekam group's udev rule for 1c7a:0603 and replug".into();
        d
    }

    fn text(devices: &[v1::Device]) -> String {
        let mut buf = Vec::new();
        render_devices(devices, &mut buf, &Style::plain()).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn the_table_has_every_column_aligned() {
        let devices = vec![
            device(
                "sim:fingerprint:0",
                v1::DeviceFamily::FingerprintScanner,
                v1::DeviceState::Ready,
            ),
            printer(),
            device(
                "sim:iris:0",
                v1::DeviceFamily::IrisCamera,
                v1::DeviceState::Disconnected,
            ),
        ];
        let out = text(&devices);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        let header = lines[0];
        for col in [
            "ID",
            "FAMILY",
            "STATE",
            "CONDITIONS",
            "SUPPLIES",
            "LEASE",
            "DRIVER/MODEL",
        ] {
            assert!(header.contains(col), "{header}");
        }
        let state_col = header.find("STATE").unwrap();
        assert_eq!(lines[1].find("ready"), Some(state_col));
        assert_eq!(lines[2].find("needs-attention"), Some(state_col));
        assert_eq!(lines[3].find("disconnected"), Some(state_col));
        let cond_col = header.find("CONDITIONS").unwrap();
        assert_eq!(lines[2].find("media-low,ribbon-low"), Some(cond_col));
        let supplies_col = header.find("SUPPLIES").unwrap();
        assert_eq!(lines[2].find("blanks 3, ribbon 7%"), Some(supplies_col));
        assert_eq!(lines[1].get(supplies_col..supplies_col + 1), Some("-"));
        let lease_col = header.find("LEASE").unwrap();
        assert_eq!(lines[2].find("job:job_01JD"), Some(lease_col));
        assert!(lines[2].ends_with("sim/Sim CR80"), "{}", lines[2]);
        assert!(lines[1].ends_with("  sim"), "{}", lines[1]);
        assert!(!out.contains("udev"), "no footnote without a denied device");
    }

    #[test]
    fn permission_denied_gets_the_udev_footnote_and_the_daemon_hint() {
        let out = text(&[
            denied(),
            device(
                "sim:face:0",
                v1::DeviceFamily::FaceCamera,
                v1::DeviceState::Ready,
            ),
        ]);
        assert!(out.contains("permission-denied [1]"), "{out}");
        assert!(out.contains("[1] usb-aes3500:fingerprint:0: present, but rekamd may not open it."));
        assert!(out.contains(
            "add your user to group rekam and install udev/60-rekam.rules: sudo cp udev/60-rekam.rules /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger"
        ));
        assert!(
            out.contains("rekamd says: add the rekam group's udev rule for 1c7a:0603 and replug")
        );
        // Only one footnote: the ready face camera has nothing to say.
        assert!(!out.contains("[2]"));
    }

    #[test]
    fn a_hint_on_another_device_is_a_footnote_too() {
        let mut d = printer();
        d.hint = "load blank cards".into();
        let out = text(&[denied(), d]);
        assert!(out.contains("needs-attention [2]"), "{out}");
        assert!(out.contains("[2] sim:card-printer:0: load blank cards"));
        assert_eq!(out.matches("udevadm trigger").count(), 1);
    }

    #[test]
    fn json_views_carry_wire_names_and_the_hint() {
        let list = DeviceList {
            devices: vec![DeviceView::new(&denied()), DeviceView::new(&printer())],
        };
        let value: serde_json::Value = serde_json::to_value(&list).unwrap();
        let devices = value["devices"].as_array().unwrap();
        assert_eq!(devices[0]["state"], "PERMISSION_DENIED");
        assert_eq!(devices[0]["family"], "FINGERPRINT_SCANNER");
        assert_eq!(devices[0]["udev_hint"], UDEV_HINT);
        assert_eq!(devices[1]["udev_hint"], serde_json::Value::Null);
        assert_eq!(devices[1]["supplies"]["blanks_remaining"], 3);
        assert_eq!(devices[1]["conditions"][1], "RIBBON_LOW");
        assert_eq!(
            devices[1]["lease_holder"],
            "job:job_01JD3Z6K8T9W4Q2M5N7P0R1S2V"
        );
    }

    fn event(
        kind: v1::DeviceEventKind,
        device: Option<v1::Device>,
        seconds: i64,
    ) -> v1::DeviceEvent {
        let mut e = v1::DeviceEvent {
            kind: kind.into(),
            device,
            at: Some(Default::default()),
        };
        if let Some(at) = e.at.as_mut() {
            at.seconds = seconds;
        }
        e
    }

    #[test]
    fn watch_prints_one_line_per_event_in_local_time() {
        let style = Style {
            color: false,
            offset: time::UtcOffset::from_hms(7, 0, 0).unwrap(),
        };
        let mut state = WatchState::default();
        let mut buf = Vec::new();
        let now = OffsetDateTime::now_utc();
        let fp = device(
            "sim:fingerprint:0",
            v1::DeviceFamily::FingerprintScanner,
            v1::DeviceState::Ready,
        );
        let mut gone = fp.clone();
        gone.state = v1::DeviceState::Disconnected.into();
        for e in [
            event(
                v1::DeviceEventKind::Snapshot,
                Some(fp.clone()),
                1_700_000_000,
            ),
            event(
                v1::DeviceEventKind::Snapshot,
                Some(printer()),
                1_700_000_000,
            ),
            event(v1::DeviceEventKind::SnapshotDone, None, 1_700_000_000),
            event(v1::DeviceEventKind::Changed, Some(gone), 1_700_000_005),
            v1::DeviceEvent {
                kind: 77,
                device: Some(fp),
                at: None,
            },
        ] {
            render_watch_event(&e, &mut state, now, &mut buf, &style).unwrap();
        }
        let out = String::from_utf8(buf).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert_eq!(
            lines[0],
            format!(
                "2023-11-15 05:13:20.000  snapshot  {:<24}  {:<17}  -",
                "sim:fingerprint:0", "ready"
            )
        );
        assert!(
            lines[1].contains("media-low,ribbon-low  lease job:job_01JD"),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].contains("snapshot complete: 2 devices"),
            "{}",
            lines[2]
        );
        assert!(
            lines[3].starts_with("2023-11-15 05:13:25.000  changed   sim:fingerprint:0"),
            "{}",
            lines[3]
        );
        assert!(lines[3].contains("disconnected"));
        // The state column lines up across events.
        assert_eq!(lines[0].find("ready"), lines[3].find("disconnected"));
    }

    #[test]
    fn watch_json_lines_are_valid_json() {
        let e = event(v1::DeviceEventKind::Removed, Some(denied()), 1_700_000_000);
        let mut buf = Vec::new();
        ui::json_line(&mut buf, &watch_line(&e)).unwrap();
        ui::json_line(
            &mut buf,
            &watch_line(&event(v1::DeviceEventKind::SnapshotDone, None, 0)),
        )
        .unwrap();
        let out = String::from_utf8(buf).unwrap();
        let lines: Vec<serde_json::Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["kind"], "REMOVED");
        assert_eq!(lines[0]["at"], "2023-11-14T22:13:20Z");
        assert_eq!(lines[0]["device"]["id"], "usb-aes3500:fingerprint:0");
        assert_eq!(lines[1]["kind"], "SNAPSHOT_DONE");
        assert!(lines[1]["device"].is_null());
    }

    #[test]
    fn fault_messages() {
        let render = |view: &FaultView, kind| {
            let mut buf = Vec::new();
            render_fault(view, kind, &mut buf).unwrap();
            String::from_utf8(buf).unwrap()
        };
        let queued = |device: &str, fault: &str, count: u32, finger: Option<&str>| FaultView {
            device_id: device.into(),
            fault: fault.into(),
            count: Some(count),
            finger: finger.map(Into::into),
            cleared: None,
        };
        let cases = [
            (
                queued("sim:fingerprint:0", "low-quality", 2, None),
                FaultArg::LowQuality,
                "queued low-quality on sim:fingerprint:0 for the next 2 operations\n",
            ),
            (
                queued("sim:card-printer:0", "blanks-empty", 1, None),
                FaultArg::BlanksEmpty,
                "queued blanks-empty on sim:card-printer:0 until `rekamctl fault sim:card-printer:0 clear`\n",
            ),
            (
                queued("sim:fingerprint:0", "partial-slap", 0, Some("LEFT_RING")),
                FaultArg::PartialSlap,
                "queued partial-slap (missing finger: left ring) on sim:fingerprint:0 for every operation until cleared\n",
            ),
            (
                queued("sim:card-printer:0", "self-test-fail", 2, None),
                FaultArg::SelfTestFail,
                "queued self-test-fail on sim:card-printer:0 for the next 2 self-tests\n",
            ),
            (
                queued("sim:iris:0", "unplug", 1, None),
                FaultArg::Unplug,
                "queued unplug on sim:iris:0 until `rekamctl fault sim:iris:0 replug` (or clear)\n",
            ),
            (
                queued("sim:iris:0", "replug", 1, None),
                FaultArg::Replug,
                "queued replug on sim:iris:0 (it comes back now)\n",
            ),
        ];
        for (view, kind, expected) in cases {
            assert_eq!(render(&view, kind), expected);
        }
        let view = FaultView {
            device_id: String::new(),
            fault: "clear".into(),
            count: None,
            finger: None,
            cleared: Some(1),
        };
        assert!(render(&view, FaultArg::Clear)
            .starts_with("cleared 1 queued fault on every simulated device"));
    }

    #[test]
    fn supplies_view() {
        let d = printer();
        let mut buf = Vec::new();
        render_supplies(d.supplies.as_ref().unwrap(), &mut buf, &Style::plain()).unwrap();
        let out = String::from_utf8(buf).unwrap();
        assert!(out.contains("Printer     sim:card-printer:0\n"));
        assert!(out.contains("Blanks      3\n"));
        assert!(out.contains("Ribbon      7 %\n"));
        assert!(out.contains("Issued      40\n"));
        assert!(out.contains("Spoiled     1\n"));
        assert!(out.contains("Conditions  media-low,ribbon-low\n"));
        let empty = v1::Supplies {
            device_id: "ipp:card-printer:0".into(),
            ..Default::default()
        };
        let mut buf = Vec::new();
        render_supplies(&empty, &mut buf, &Style::plain()).unwrap();
        let out = String::from_utf8(buf).unwrap();
        assert!(out.contains("Blanks      not counted by the printer"));
        assert!(out.contains("Conditions  none"));
    }
}
