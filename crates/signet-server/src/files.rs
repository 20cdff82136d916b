//! Files of the data directory that hold secrets.

use std::path::Path;

use crate::{Error, Result};

/// Write a secret atomically: a temp file with a unique name, created with mode 0600 (no
/// moment at a wider mode), then renamed into place.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let nonce = hex::encode(signet_core::keys::random_bytes::<8>()?);
    let tmp = path.with_extension(format!("tmp.{}.{nonce}", std::process::id()));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp).map_err(|e| Error::io(&tmp, e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| Error::io(&tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

#[cfg(test)]
mod secret_file_tests {
    /// The attack: `keys/client-secret` was readable by every local user (0644).
    #[cfg(unix)]
    #[test]
    fn secrets_are_written_with_mode_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("client-secret");
        super::write_private(&p, b"s3cret").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{mode:o}");
        assert_eq!(std::fs::read(&p).unwrap(), b"s3cret");
        // Overwriting keeps the mode and leaves no temp file behind.
        super::write_private(&p, b"again").unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
