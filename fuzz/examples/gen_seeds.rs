//! Writes the committed seeds under `fuzz/seeds/` from an in-process fake Sigstore
//! (signet-testing's VirtualSigstore): bundles of every log entry kind and version the public
//! data in ../shared/data lacks (hashedrekord, dsse 0.0.2, RFC 3161 timestamps, bundle v0.1 and
//! v0.2) and the matching trusted root. `fuzz/seed.sh` derives the other corpora from them.
//!
//! Run from the repository root (keys are fresh each run, so the output differs every time):
//! `cargo run --manifest-path fuzz/Cargo.toml --example gen_seeds -- fuzz/seeds`

use std::path::Path;

use signet_testing::{
    BundleVersion, DsseV2Entry, Identity, RekorVersion, SignOptions, VirtualSigstore,
};

/// What the TSA seeds are issued over; fuzz_targets/tsa.rs verifies against the same bytes.
const SIGNED: &[u8] = b"signet fuzz seed signature";
/// 2024-01-01T00:00:00Z, inside the virtual deployment's validity.
const AT: i64 = 1_704_067_200;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/seeds".into());
    let out = Path::new(&out);
    let vs = VirtualSigstore::new()?;
    let opts = || {
        SignOptions::new(
            Identity::email("fuzz@example.com"),
            "https://issuer.example",
        )
        .at(AT)
    };
    let statement = signet_testing::intoto_statement("artifact.bin", b"artifact")?;

    let bundles = [
        ("hashedrekord-v1", vs.sign_message(b"artifact", &opts())?),
        (
            "hashedrekord-v1-bundle-v0.1",
            vs.sign_message(b"artifact", &opts().bundle_version(BundleVersion::V01))?,
        ),
        (
            "hashedrekord-v1-bundle-v0.2-tsa",
            vs.sign_message(
                b"artifact",
                &opts()
                    .bundle_version(BundleVersion::V02)
                    .with_timestamp(true),
            )?,
        ),
        (
            "hashedrekord-v2-tsa",
            vs.sign_message(b"artifact", &opts().rekor_v2_with_tsa())?,
        ),
        (
            "dsse-v1",
            vs.sign_dsse("application/vnd.in-toto+json", &statement, &opts())?,
        ),
        (
            "dsse-v2-tsa",
            vs.sign_dsse(
                "application/vnd.in-toto+json",
                &statement,
                &opts().rekor_v2_with_tsa(),
            )?,
        ),
        (
            "hashedrekord-v2-over-pae",
            vs.sign_dsse(
                "application/vnd.in-toto+json",
                &statement,
                &opts()
                    .rekor(RekorVersion::V2)
                    .with_timestamp(true)
                    .dsse_v2_entry(DsseV2Entry::HashedRekordOverPae),
            )?,
        ),
    ];
    std::fs::create_dir_all(out.join("bundle"))?;
    for (name, b) in &bundles {
        std::fs::write(
            out.join(format!("bundle/virtual-{name}.json")),
            b.to_json()?,
        )?;
    }
    std::fs::create_dir_all(out.join("trusted_root"))?;
    std::fs::write(
        out.join("trusted_root/virtual.json"),
        vs.trusted_root_json()?,
    )?;
    std::fs::create_dir_all(out.join("tsa"))?;
    std::fs::write(out.join("tsa/virtual.tsr"), vs.timestamp(SIGNED, AT)?)?;
    Ok(())
}
