//! `include/agentsched.h` must be exactly what cbindgen generates from `src/ffi/`.
//! Run with `UPDATE_HEADER=1` to rewrite it.

use std::path::PathBuf;

#[test]
fn header_is_fresh() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut out = Vec::new();
    cbindgen::Builder::new()
        .with_crate(&root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header")
        .write(&mut out);
    let generated = String::from_utf8(out).expect("utf-8 header");
    let path = root.join("include/agentsched.h");
    if std::env::var_os("UPDATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write header");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == generated,
        "include/agentsched.h is stale: run `UPDATE_HEADER=1 cargo test -p header-check`"
    );
}

/// Only the C ABI's own names reach the header (cbindgen exports every public constant of the
/// crate unless `cbindgen.toml` excludes it).
#[test]
fn header_exports_only_prefixed_names() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let header = std::fs::read_to_string(root.join("include/agentsched.h")).expect("header");
    for line in header.lines() {
        if let Some(rest) = line.strip_prefix("#define ") {
            let name = rest.split_whitespace().next().unwrap_or("");
            assert!(name.starts_with("AGENTSCHED_"), "unprefixed macro {name}");
        }
    }
}
