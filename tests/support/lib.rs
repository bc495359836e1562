//! Test support for the end-to-end tests: locating the built binaries, starting `rekamd`
//! on a temporary socket and state directory, and stopping it by process id.
#![forbid(unsafe_code)]
