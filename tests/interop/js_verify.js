// Verify a Sigstore bundle with sigstore-js (@sigstore/verify) against a trusted root file.
// usage: node js_verify.js TRUSTED_ROOT BUNDLE ARTIFACT SAN ISSUER
const fs = require('fs');
const { toSignedEntity, toTrustMaterial, Verifier } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const [rootPath, bundlePath, artifactPath, san, issuer] = process.argv.slice(2);
try {
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const isDsse = bundle.content.$case === 'dsseEnvelope';
  const entity = toSignedEntity(bundle, isDsse ? undefined : fs.readFileSync(artifactPath));
  const verifier = new Verifier(toTrustMaterial(root), { tlogThreshold: 1, ctlogThreshold: 1 });
  verifier.verify(entity, { subjectAlternativeName: san, extensions: { issuer } });
  console.log('sigstore-js: OK');
} catch (e) {
  console.error('sigstore-js: FAIL: ' + (e && e.message ? e.message : e));
  process.exit(1);
}
