//! Compiles `proto/rekam/v1/*.proto` without a system `protoc`: `protox` parses the files into
//! a `FileDescriptorSet` (with source info, so comments reach the generated docs and the
//! documentation test), `tonic-prost-build` generates messages, clients and servers from it,
//! and the encoded set is written to `OUT_DIR/rekam_v1_descriptor.bin` for reflection.

use std::error::Error;
use std::path::PathBuf;

use prost::Message;

/// The contract's files, relative to the proto root.
const PROTOS: [&str; 4] = [
    "rekam/v1/common.proto",
    "rekam/v1/devices.proto",
    "rekam/v1/enrolment.proto",
    "rekam/v1/issuance.proto",
];

fn main() -> Result<(), Box<dyn Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);

    println!("cargo:rerun-if-changed=build.rs");
    for proto in PROTOS {
        println!(
            "cargo:rerun-if-changed={}",
            proto_root.join(proto).display()
        );
    }

    let fds = protox::Compiler::new([&proto_root])?
        .include_source_info(true)
        .include_imports(true)
        .open_files(PROTOS)?
        .file_descriptor_set();

    std::fs::write(out_dir.join("rekam_v1_descriptor.bin"), fds.encode_to_vec())?;

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .emit_rerun_if_changed(false)
        .compile_fds(fds)?;
    Ok(())
}
