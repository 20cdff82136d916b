//! C2SP tlog-tiles object names and entry-bundle encoding.

/// Hashes (or entries) per full tile.
pub const TILE_WIDTH: u64 = 256;
/// Tree levels covered by one tile level (`log2(TILE_WIDTH)`).
pub const TILE_HEIGHT: u32 = 8;
/// Largest entry an entry bundle can hold (u16 length prefix).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Encode a tile index as C2SP does: groups of three digits, all but the last prefixed with
/// `x` (`1234067` -> `x001/x234/067`).
pub fn encode_index(n: u64) -> String {
    let mut groups = vec![format!("{:03}", n % 1000)];
    let mut rest = n / 1000;
    while rest > 0 {
        groups.push(format!("x{:03}", rest % 1000));
        rest /= 1000;
    }
    groups.reverse();
    groups.join("/")
}

fn partial_suffix(width: Option<u8>) -> String {
    match width {
        Some(w) => format!(".p/{w}"),
        None => String::new(),
    }
}

/// Path of a hash tile relative to the log root: `tile/<L>/<N>[.p/<W>]`.
pub fn tile_path(level: u8, index: u64, partial_width: Option<u8>) -> String {
    format!(
        "tile/{level}/{}{}",
        encode_index(index),
        partial_suffix(partial_width)
    )
}

/// Path of an entry bundle: `tile/entries/<N>[.p/<W>]`.
pub fn bundle_path(index: u64, partial_width: Option<u8>) -> String {
    format!(
        "tile/entries/{}{}",
        encode_index(index),
        partial_suffix(partial_width)
    )
}

/// Path of the published checkpoint.
pub const CHECKPOINT_PATH: &str = "checkpoint";

/// Width of tile `index` at tile level `level` in a tree of `size` leaves: `None` if the tile
/// does not exist yet, `Some(256)` when full.
pub fn tile_width(level: u8, index: u64, size: u64) -> Option<u64> {
    let count = size
        .checked_shr(TILE_HEIGHT * u32::from(level))
        .unwrap_or(0);
    let start = index.checked_mul(TILE_WIDTH)?;
    if count <= start {
        return None;
    }
    Some((count - start).min(TILE_WIDTH))
}

/// `Some(w as u8)` for a partial width, `None` for a full tile.
pub fn partial(width: u64) -> Option<u8> {
    if width >= TILE_WIDTH {
        None
    } else {
        // Width is below 256 here, so it fits in a u8.
        Some(width as u8)
    }
}

/// Append one length-prefixed entry to a bundle.
pub fn push_entry(bundle: &mut Vec<u8>, entry: &[u8]) {
    // Entries are checked against MAX_ENTRY_SIZE at append time.
    let len = entry.len().min(MAX_ENTRY_SIZE) as u16;
    bundle.extend_from_slice(&len.to_be_bytes());
    bundle.extend_from_slice(&entry[..usize::from(len)]);
}

/// Split an entry bundle into its entries.
pub fn parse_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        if rest.len() < 2 {
            return Err(format!(
                "truncated length prefix after entry #{} ({} stray byte)",
                out.len(),
                rest.len()
            ));
        }
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        if rest.len() < 2 + len {
            return Err(format!(
                "entry #{} claims {len} bytes but only {} remain",
                out.len(),
                rest.len() - 2
            ));
        }
        out.push(&rest[2..2 + len]);
        rest = &rest[2 + len..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_encoding() {
        assert_eq!(encode_index(0), "000");
        assert_eq!(encode_index(5), "005");
        assert_eq!(encode_index(999), "999");
        assert_eq!(encode_index(1000), "x001/000");
        assert_eq!(encode_index(1234067), "x001/x234/067");
        assert_eq!(tile_path(0, 1234067, Some(7)), "tile/0/x001/x234/067.p/7");
        assert_eq!(bundle_path(3, None), "tile/entries/003");
    }

    #[test]
    fn widths() {
        assert_eq!(tile_width(0, 0, 0), None);
        assert_eq!(tile_width(0, 0, 1), Some(1));
        assert_eq!(tile_width(0, 0, 300), Some(256));
        assert_eq!(tile_width(0, 1, 300), Some(44));
        assert_eq!(tile_width(1, 0, 300), Some(1));
        assert_eq!(tile_width(1, 0, 255), None);
        assert_eq!(tile_width(2, 0, 65536), Some(1));
    }

    #[test]
    fn bundles() {
        let mut b = Vec::new();
        push_entry(&mut b, b"abc");
        push_entry(&mut b, b"");
        assert_eq!(parse_bundle(&b).unwrap(), vec![&b"abc"[..], &b""[..]]);
        assert!(parse_bundle(&b[..4]).is_err());
    }
}
