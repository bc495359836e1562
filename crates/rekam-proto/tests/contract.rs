//! The contract documents itself: every service, rpc, message, field, oneof, enum and enum
//! value of `rekam.v1` carries a leading comment. This test reads the comments from the
//! descriptor set that `build.rs` compiled with source info, so adding an undocumented field
//! to a `.proto` file fails the build's tests.
#![allow(clippy::unwrap_used)]

use prost_types::{
    source_code_info::Location, DescriptorProto, EnumDescriptorProto, FileDescriptorProto,
};
use rekam_proto::descriptor::{file_descriptor_set, SERVICE_NAMES};

// Field numbers in descriptor.proto, the steps of a SourceCodeInfo path.
const FILE_MESSAGE: i32 = 4;
const FILE_ENUM: i32 = 5;
const FILE_SERVICE: i32 = 6;
const MESSAGE_FIELD: i32 = 2;
const MESSAGE_NESTED: i32 = 3;
const MESSAGE_ENUM: i32 = 4;
const MESSAGE_ONEOF: i32 = 8;
const ENUM_VALUE: i32 = 2;
const SERVICE_METHOD: i32 = 2;

/// Checks one file; returns a line per element without a leading comment.
fn undocumented(file: &FileDescriptorProto) -> Vec<String> {
    let locations: Vec<&Location> = file
        .source_code_info
        .as_ref()
        .map(|i| i.location.iter().collect())
        .unwrap_or_default();
    let documented = |path: &[i32]| {
        locations.iter().any(|l| {
            l.path == path
                && l.leading_comments
                    .as_deref()
                    .is_some_and(|c| !c.trim().is_empty())
        })
    };
    let mut missing = Vec::new();
    let mut check = |path: Vec<i32>, what: String| {
        if !documented(&path) {
            missing.push(format!("{}: {what}", file.name()));
        }
    };
    let idx = |i: usize| i32::try_from(i).unwrap();
    let package = file.package();

    for (i, s) in file.service.iter().enumerate() {
        check(
            vec![FILE_SERVICE, idx(i)],
            format!("service {package}.{}", s.name()),
        );
        for (j, m) in s.method.iter().enumerate() {
            check(
                vec![FILE_SERVICE, idx(i), SERVICE_METHOD, idx(j)],
                format!("rpc {package}.{}.{}", s.name(), m.name()),
            );
        }
    }
    for (i, e) in file.enum_type.iter().enumerate() {
        check_enum(
            e,
            vec![FILE_ENUM, idx(i)],
            &format!("{package}.{}", e.name()),
            &mut check,
        );
    }
    for (i, m) in file.message_type.iter().enumerate() {
        check_message(
            m,
            vec![FILE_MESSAGE, idx(i)],
            &format!("{package}.{}", m.name()),
            &mut check,
        );
    }
    missing
}

fn check_enum(
    e: &EnumDescriptorProto,
    path: Vec<i32>,
    name: &str,
    check: &mut impl FnMut(Vec<i32>, String),
) {
    check(path.clone(), format!("enum {name}"));
    for (j, v) in e.value.iter().enumerate() {
        let mut p = path.clone();
        p.extend([ENUM_VALUE, i32::try_from(j).unwrap()]);
        check(p, format!("enum value {name}.{}", v.name()));
    }
}

fn check_message(
    m: &DescriptorProto,
    path: Vec<i32>,
    name: &str,
    check: &mut impl FnMut(Vec<i32>, String),
) {
    let at = |kind: i32, i: usize| {
        let mut p = path.clone();
        p.extend([kind, i32::try_from(i).unwrap()]);
        p
    };
    check(path.clone(), format!("message {name}"));
    for (j, f) in m.field.iter().enumerate() {
        check(at(MESSAGE_FIELD, j), format!("field {name}.{}", f.name()));
    }
    for (j, o) in m.oneof_decl.iter().enumerate() {
        // proto3 `optional` fields live in synthetic oneofs that have no source of their own.
        let synthetic = m
            .field
            .iter()
            .any(|f| f.proto3_optional() && f.oneof_index == Some(i32::try_from(j).unwrap()));
        if !synthetic {
            check(at(MESSAGE_ONEOF, j), format!("oneof {name}.{}", o.name()));
        }
    }
    for (j, e) in m.enum_type.iter().enumerate() {
        check_enum(
            e,
            at(MESSAGE_ENUM, j),
            &format!("{name}.{}", e.name()),
            check,
        );
    }
    for (j, n) in m.nested_type.iter().enumerate() {
        check_message(
            n,
            at(MESSAGE_NESTED, j),
            &format!("{name}.{}", n.name()),
            check,
        );
    }
}

fn rekam_files() -> Vec<FileDescriptorProto> {
    let files: Vec<_> = file_descriptor_set()
        .unwrap()
        .file
        .into_iter()
        .filter(|f| f.package() == "rekam.v1")
        .collect();
    let names: Vec<&str> = files.iter().map(|f| f.name()).collect();
    assert_eq!(
        names,
        [
            "rekam/v1/common.proto",
            "rekam/v1/devices.proto",
            "rekam/v1/enrolment.proto",
            "rekam/v1/issuance.proto"
        ]
    );
    files
}

#[test]
fn every_element_of_the_contract_is_documented() {
    let files = rekam_files();
    let missing: Vec<String> = files.iter().flat_map(undocumented).collect();
    assert!(missing.is_empty(), "undocumented:\n{}", missing.join("\n"));
    // And the walk did cover the contract (a vacuous pass would prove nothing).
    let fields: usize = files
        .iter()
        .flat_map(|f| &f.message_type)
        .map(|m| m.field.len())
        .sum();
    assert!(
        fields > 150,
        "only {fields} top-level message fields walked"
    );
}

#[test]
fn the_checker_finds_undocumented_elements() {
    let source = r#"
        syntax = "proto3";
        package rekam.v1;
        // A documented service.
        service S {
          rpc Undocumented(M) returns (M);
        }
        // A documented message.
        message M {
          // A documented field.
          string a = 1;
          string b = 2;
          optional uint32 c = 3;
          // A documented oneof.
          oneof o {
            // A documented case.
            string d = 4;
          }
          message Inner { string e = 1; }
        }
        enum E {
          // Documented value.
          E_UNSPECIFIED = 0;
          E_X = 1;
        }
    "#;
    let file = protox::file::File::from_source("probe.proto", source).unwrap();
    let mut missing = undocumented(file.file_descriptor_proto());
    missing.sort();
    assert_eq!(
        missing,
        [
            "probe.proto: enum rekam.v1.E",
            "probe.proto: enum value rekam.v1.E.E_X",
            "probe.proto: field rekam.v1.M.Inner.e",
            "probe.proto: field rekam.v1.M.b",
            "probe.proto: field rekam.v1.M.c",
            "probe.proto: message rekam.v1.M.Inner",
            "probe.proto: rpc rekam.v1.S.Undocumented",
        ]
    );
}

#[test]
fn enums_start_with_unspecified_zero() {
    fn check(e: &EnumDescriptorProto, bad: &mut Vec<String>) {
        let first = e.value.first().unwrap();
        if first.number() != 0 || !first.name().ends_with("_UNSPECIFIED") {
            bad.push(e.name().to_owned());
        }
    }
    fn walk(m: &DescriptorProto, bad: &mut Vec<String>) {
        m.enum_type.iter().for_each(|e| check(e, bad));
        m.nested_type.iter().for_each(|n| walk(n, bad));
    }
    let mut bad = Vec::new();
    for f in rekam_files() {
        f.enum_type.iter().for_each(|e| check(e, &mut bad));
        f.message_type.iter().for_each(|m| walk(m, &mut bad));
    }
    assert!(
        bad.is_empty(),
        "enums not starting with X_UNSPECIFIED = 0: {bad:?}"
    );
}

#[test]
fn enum_values_carry_their_enum_prefix_except_error_reason() {
    let mut bad = Vec::new();
    for f in rekam_files() {
        for e in &f.enum_type {
            let prefix: String = e
                .name()
                .chars()
                .enumerate()
                .flat_map(|(i, c)| {
                    let sep = (i > 0 && c.is_uppercase()).then_some('_');
                    sep.into_iter().chain(c.to_uppercase())
                })
                .collect::<String>()
                + "_";
            for v in &e.value {
                let prefixed = v.name().starts_with(&prefix);
                if prefixed == (e.name() == "ErrorReason" && v.number() != 0) {
                    bad.push(v.name().to_owned());
                }
            }
        }
    }
    assert!(bad.is_empty(), "enum values with a wrong prefix: {bad:?}");
}

#[test]
fn the_services_have_the_documented_rpcs() {
    let mut rpcs = Vec::new();
    for f in rekam_files() {
        for s in &f.service {
            for m in &s.method {
                let streams = if m.server_streaming() {
                    " (stream)"
                } else {
                    ""
                };
                rpcs.push(format!("{}.{}{streams}", s.name(), m.name()));
            }
        }
    }
    assert_eq!(
        rpcs,
        [
            "DeviceService.ListDevices",
            "DeviceService.WatchDevices (stream)",
            "DeviceService.RunSelfTest (stream)",
            "DeviceService.InjectFault",
            "DeviceService.ClearFaults",
            "DeviceService.ReadCard",
            "EnrolmentService.OpenSession",
            "EnrolmentService.GetSession",
            "EnrolmentService.ListSessions",
            "EnrolmentService.Capture (stream)",
            "EnrolmentService.RecordException",
            "EnrolmentService.FinalizeSession",
            "EnrolmentService.GetPackageEntry",
            "EnrolmentService.CancelSession",
            "IssuanceService.StartJob (stream)",
            "IssuanceService.GetJob",
            "IssuanceService.ListJobs",
            "IssuanceService.ResumeJob (stream)",
            "IssuanceService.CancelJob",
            "IssuanceService.Activate (stream)",
            "IssuanceService.HandOver",
            "IssuanceService.PrintReceipt",
            "IssuanceService.GetSupplies",
            "IssuanceService.RenderCard",
        ]
    );
    assert_eq!(SERVICE_NAMES.len(), 3);
}

#[test]
fn finger_and_eye_numbers_are_the_iso_codes() {
    use rekam_proto::v1::{Eye, Finger};
    assert_eq!(Finger::RightThumb as i32, 1);
    assert_eq!(Finger::RightLittle as i32, 5);
    assert_eq!(Finger::LeftThumb as i32, 6);
    assert_eq!(Finger::LeftLittle as i32, 10);
    assert_eq!((Eye::Right as i32, Eye::Left as i32), (1, 2));
}
