//! The shared test data (`../shared/data` beside the repository): one way to find it, and one
//! rule when it is missing — the test fails, naming the path, unless the run explicitly allows
//! missing data with `SIGNET_ALLOW_MISSING_DATA=1` (then the test says it is skipping).

use std::path::PathBuf;

/// The environment variable that lets tests skip when the shared data is absent.
pub const ALLOW_MISSING: &str = "SIGNET_ALLOW_MISSING_DATA";

/// The shared data directory, `<repo>/../shared/data`.
pub fn data_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

/// `rel` under the shared data directory (e.g. `"slsa"`, `"pypi"`, `""` for the root).
///
/// Missing data fails the test loudly; only with `SIGNET_ALLOW_MISSING_DATA=1` does it return
/// `None` (after saying so on stderr) so that the caller can skip.
#[track_caller]
pub fn require(rel: &str) -> Option<PathBuf> {
    let p = if rel.is_empty() {
        data_root()
    } else {
        data_root().join(rel)
    };
    if p.exists() {
        return Some(p);
    }
    if std::env::var(ALLOW_MISSING).is_ok_and(|v| v == "1") {
        eprintln!("skipping: {} is missing ({ALLOW_MISSING}=1)", p.display());
        return None;
    }
    panic!(
        "the shared test data {} is missing: put ../shared beside the repository (CI provides it), or set {ALLOW_MISSING}=1 to skip the tests that need it",
        p.display()
    );
}
