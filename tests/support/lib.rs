//! Helpers shared by credchain's integration tests: where the shared test data lives, a
//! counting allocator for the zero-allocation proofs, the botocore oracle runner, the seeded
//! generator of the generated scenarios, and moto's server as a peer.

pub mod alloc;
pub mod moto;
pub mod oracle;
pub mod rng;

use std::path::PathBuf;

/// The directory holding the cross-SDK conformance suites and botocore's fixtures.
///
/// The repository is checked out beside `shared/`; `CREDCHAIN_SHARED` overrides that.
pub fn shared_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CREDCHAIN_SHARED") {
        return PathBuf::from(dir);
    }
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.join("..").join("..").join("shared")
}

/// A file under `shared/testdata`.
pub fn testdata(rel: &str) -> PathBuf {
    shared_dir().join("testdata").join(rel)
}
