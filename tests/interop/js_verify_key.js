// Verify a managed-key Sigstore bundle with sigstore-js (@sigstore/verify): the key is given
// as trust material under the bundle's hint, as sigstore-js's toTrustMaterial(root, keys) takes it.
// usage: node js_verify_key.js TRUSTED_ROOT BUNDLE ARTIFACT PUBLIC_KEY_PEM
const fs = require('fs');
const crypto = require('crypto');
const { toSignedEntity, toTrustMaterial, Verifier } = require('@sigstore/verify');
const { bundleFromJSON } = require('@sigstore/bundle');
const { TrustedRoot } = require('@sigstore/protobuf-specs');

const [rootPath, bundlePath, artifactPath, keyPath] = process.argv.slice(2);
try {
  const root = TrustedRoot.fromJSON(JSON.parse(fs.readFileSync(rootPath, 'utf8')));
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const vm = bundle.verificationMaterial.content;
  if (vm.$case !== 'publicKey') throw new Error('not a managed-key bundle: ' + vm.$case);
  const der = crypto.createPublicKey(fs.readFileSync(keyPath, 'utf8')).export({ type: 'spki', format: 'der' });
  const keys = { [vm.publicKey.hint]: { rawBytes: der } };
  const isDsse = bundle.content.$case === 'dsseEnvelope';
  const entity = toSignedEntity(bundle, isDsse ? undefined : fs.readFileSync(artifactPath));
  const verifier = new Verifier(toTrustMaterial(root, keys), { tlogThreshold: 1, ctlogThreshold: 0 });
  verifier.verify(entity);
  console.log('sigstore-js: OK');
} catch (e) {
  console.error('sigstore-js: FAIL: ' + (e && e.message ? e.message : e));
  process.exit(1);
}
