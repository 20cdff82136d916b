//! PEP 740 publish attestations (`signet pypi sign`, as pypi-attestations' `sign`): an in-toto
//! statement with the distribution as subject and the PyPI publish predicate, signed keylessly
//! and logged to Rekor v1 (an attestation keeps no RFC 3161 timestamp, so a Rekor v2 entry
//! would leave it without a signing time), converted to the attestation format and verified as
//! written before it is returned.

use signet_core::intoto::Statement;
use signet_core::pep740::Attestation;
use signet_core::x509::Certificate;
use signet_verify::pypi::{Signer, PUBLISH_V1};
use signet_verify::{Artifact, Policy, Verifier};

use crate::{Result, SigningContext};

/// Verify the attestation file `attestation` for the distribution file `dist` by `signer`
/// (`pypi verify attestation`).
pub fn verify_file(
    verifier: &Verifier,
    dist: &std::path::Path,
    attestation: &std::path::Path,
    signer: &Signer,
) -> Result<()> {
    let d = crate::pypi_index::local_dist(dist)?;
    let att = Attestation::from_json(&crate::pypi_index::read_file(attestation)?)?;
    signet_verify::pypi::verify_attestation(verifier, &att, &d, signer)?;
    Ok(())
}

impl SigningContext {
    /// Attest that the distribution file `name` with SHA-256 `digest` is published by the
    /// token's identity. The attestation keeps less than the bundle (no timestamps), so what is
    /// verified is the attestation as written, not the bundle signed. Returns it with the
    /// signing certificate.
    pub fn attest_publish(
        &self,
        token: &str,
        name: &str,
        digest: [u8; 32],
    ) -> Result<(Attestation, Certificate)> {
        let statement = Statement::about(name, digest, PUBLISH_V1, None).to_json()?;
        let signed = self.sign_statement(token, &statement, digest)?;
        let att = Attestation::from_bundle(&signed.bundle)?;
        let issuer = signed.certificate.oidc_issuer()?.unwrap_or_default();
        Verifier::new(self.trusted_root())?.verify(
            &att.to_bundle(),
            Artifact::Sha256(digest),
            &Policy::identity(signed.certificate.identity(), issuer),
        )?;
        Ok((att, signed.certificate))
    }
}
