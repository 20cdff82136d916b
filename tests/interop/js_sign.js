// Sign a file with sigstore-js against a private instance (CA + Rekor v1), writing a bundle.
// usage: node js_sign.js BASE_URL TOKEN ARTIFACT OUT_BUNDLE [attest]
const fs = require('fs');
const { sign, attest } = require('sigstore');

const [base, token, artifactPath, out, mode] = process.argv.slice(2);
(async () => {
  const opts = { identityToken: token, fulcioURL: base, rekorURL: base, tlogUpload: true, timeout: 10000 };
  const data = fs.readFileSync(artifactPath);
  let bundle;
  if (mode === 'attest') {
    const crypto = require('crypto');
    const digest = crypto.createHash('sha256').update(data).digest('hex');
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'artifact', digest: { sha256: digest } }],
      predicateType: 'https://example.com/predicate/v1',
      predicate: { by: 'sigstore-js' },
    };
    bundle = await attest(Buffer.from(JSON.stringify(statement)), 'application/vnd.in-toto+json', opts);
  } else {
    bundle = await sign(data, opts);
  }
  fs.writeFileSync(out, JSON.stringify(bundle));
  console.log('sigstore-js signed: ' + out);
})().catch((e) => {
  console.error('sigstore-js sign failed: ' + (e && e.stack ? e.stack : e));
  process.exit(1);
});
