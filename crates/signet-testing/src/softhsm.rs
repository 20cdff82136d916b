//! SoftHSM2 (Debian `softhsm2`) for the PKCS#11 tests: whether it is installed, and a fresh
//! token in a temporary directory of its own (its `softhsm2.conf` is passed to whatever opens
//! the token through `SOFTHSM2_CONF`).

use std::path::{Path, PathBuf};
use std::process::Command;

/// SoftHSM2's PKCS#11 module on Debian.
pub const MODULE: &str = "/usr/lib/softhsm/libsofthsm2.so";

/// Whether SoftHSM2 is here. Its absence fails the calling test (CI or not) unless the run
/// explicitly allows skipping with `SIGNET_ALLOW_MISSING_SOFTHSM=1`.
pub fn present() -> bool {
    let ok = Path::new(MODULE).exists()
        && Command::new("softhsm2-util")
            .arg("--version")
            .output()
            .is_ok();
    if !ok {
        assert!(
            std::env::var("SIGNET_ALLOW_MISSING_SOFTHSM").is_ok_and(|v| v == "1"),
            "SoftHSM2 is missing ({MODULE}, softhsm2-util): install the softhsm2 package (.ci/run does), or set SIGNET_ALLOW_MISSING_SOFTHSM=1 to skip"
        );
        eprintln!("skipping: SoftHSM2 is not installed (apt-get install softhsm2)");
    }
    ok
}

/// A fresh, initialised SoftHSM2 token.
pub struct Token {
    /// The directory holding the configuration and the token store.
    pub dir: tempfile::TempDir,
    /// The `softhsm2.conf` to put in `SOFTHSM2_CONF`.
    pub conf: PathBuf,
}

impl Token {
    /// A token labelled `label` with user PIN `pin` and SO PIN `so_pin`.
    ///
    /// # Panics
    /// When the directory cannot be made or `softhsm2-util --init-token` fails (a test helper).
    pub fn new(label: &str, pin: &str, so_pin: &str) -> Token {
        let dir = tempfile::tempdir().expect("temporary directory");
        let tokens = dir.path().join("tokens");
        std::fs::create_dir(&tokens).expect("token directory");
        let conf = dir.path().join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\nlog.level = ERROR\n",
                tokens.display()
            ),
        )
        .expect("softhsm2.conf");
        let out = Command::new("softhsm2-util")
            .args(["--init-token", "--free", "--label", label])
            .args(["--pin", pin, "--so-pin", so_pin])
            .env("SOFTHSM2_CONF", &conf)
            .output()
            .expect("run softhsm2-util");
        assert!(
            out.status.success(),
            "softhsm2-util --init-token: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Token { dir, conf }
    }
}
