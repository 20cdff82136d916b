//! Mutant generation shared by the tamper tests.
#![allow(dead_code)]

use signet_core::bundle::{Bundle, InclusionProof, TransparencyLogEntry};

/// Flip one byte of a byte field.
fn flip(v: &mut [u8], i: usize) {
    let i = i % v.len();
    v[i] ^= 0x01;
}

/// Positions to flip in a field of `len` bytes: both ends and ~12 spread through it.
fn positions(len: usize) -> Vec<usize> {
    if len == 0 {
        return vec![];
    }
    let mut p: Vec<usize> = (0..12).map(|k| k * len / 12).collect();
    p.push(len - 1);
    p.dedup();
    p
}

pub type Mutator = Box<dyn Fn(&mut Bundle) -> bool>;

/// Apply every mutant of `b` that changes it and check that `verify` rejects it, through JSON
/// as a user would see it (a mutant that no longer parses is rejected too). `name` names `b` in
/// a failure. Returns how many mutants were checked.
pub fn check_mutants_rejected(
    name: &str,
    b: &Bundle,
    verify: impl Fn(&Bundle) -> Result<(), signet_verify::Error>,
) -> usize {
    let mut total = 0;
    for (what, m) in mutants(b) {
        let mut t = b.clone();
        if !m(&mut t) || &t == b {
            continue;
        }
        total += 1;
        let r = match t
            .to_json()
            .ok()
            .and_then(|j| Bundle::from_json(j.as_bytes()).ok())
        {
            Some(t2) => verify(&t2),
            None => Err(signet_verify::Error::Usage("does not parse".into())),
        };
        assert!(r.is_err(), "{name}: mutant {what:?} still verifies");
    }
    total
}

/// A list of mutants under construction.
#[derive(Default)]
struct Mutants(Vec<(String, Mutator)>);

impl Mutants {
    /// A mutation that applies to every bundle it is generated for.
    fn always(&mut self, name: impl Into<String>, f: impl Fn(&mut Bundle) + 'static) {
        self.0.push((
            name.into(),
            Box::new(move |b: &mut Bundle| {
                f(b);
                true
            }),
        ));
    }

    /// A mutation that returns false when its field is absent.
    fn maybe(&mut self, name: impl Into<String>, f: impl Fn(&mut Bundle) -> bool + 'static) {
        self.0.push((name.into(), Box::new(f)));
    }
}

/// Tlog entry `ti` of `b`.
fn entry(b: &mut Bundle, ti: usize) -> &mut TransparencyLogEntry {
    &mut b.verification_material.tlog_entries[ti]
}

/// The inclusion proof of tlog entry `ti` of `b` (present: mutants are generated from it).
fn proof(b: &mut Bundle, ti: usize) -> &mut InclusionProof {
    entry(b, ti).inclusion_proof.as_mut().unwrap()
}

/// Generate every mutant of a bundle: (description, mutation). A mutation returns false when
/// the field is absent in this bundle.
pub fn mutants(b: &Bundle) -> Vec<(String, Mutator)> {
    let mut out = Mutants::default();
    let leaf_len = b.leaf_certificate_der().map_or(0, <[u8]>::len);
    for i in positions(leaf_len) {
        out.always(format!("certificate byte {i}"), move |b| {
            let vm = &mut b.verification_material;
            if let Some(c) = vm.certificate.as_mut() {
                flip(&mut c.raw_bytes, i);
            } else if let Some(ch) = vm.x509_certificate_chain.as_mut() {
                flip(&mut ch.certificates[0].raw_bytes, i);
            }
        });
    }
    let sig_len = b.signature_bytes().map_or(0, <[u8]>::len);
    for i in positions(sig_len) {
        out.always(format!("signature byte {i}"), move |b| {
            if let Some(m) = b.message_signature.as_mut() {
                flip(&mut m.signature, i);
            } else if let Some(e) = b.dsse_envelope.as_mut() {
                flip(&mut e.signatures[0].sig, i);
            }
        });
    }
    if let Some(e) = &b.dsse_envelope {
        for i in positions(e.payload.len()) {
            out.always(format!("DSSE payload byte {i}"), move |b| {
                flip(&mut b.dsse_envelope.as_mut().unwrap().payload, i)
            });
        }
        out.always("DSSE payload type", |b| {
            b.dsse_envelope.as_mut().unwrap().payload_type.push('x')
        });
    }
    if let Some(m) = &b.message_signature {
        if m.message_digest.is_some() {
            out.always("message digest", |b| {
                let m = b.message_signature.as_mut().unwrap();
                flip(&mut m.message_digest.as_mut().unwrap().digest, 3)
            });
        }
    }
    for (k, t) in b.rfc3161_timestamps().iter().enumerate() {
        // The PKIStatus value (after the outer header, the status SEQUENCE header and the INTEGER
        // header): 0 (granted) -> 1 (grantedWithMods) is still a grant, so that flip is no tamper.
        let d = &t.signed_timestamp;
        let outer = match d.get(1) {
            Some(0x82) => 4,
            Some(0x81) => 3,
            _ => 2,
        };
        let status = outer + 4;
        for i in positions(d.len())
            .into_iter()
            .chain(2..60)
            .filter(|&i| i != status)
        {
            out.always(format!("timestamp {k} byte {i}"), move |b| {
                let tv = b
                    .verification_material
                    .timestamp_verification_data
                    .as_mut()
                    .unwrap();
                flip(&mut tv.rfc3161_timestamps[k].signed_timestamp, i);
            });
        }
    }
    for (ti, e) in b.verification_material.tlog_entries.iter().enumerate() {
        for i in positions(e.canonicalized_body.len()) {
            out.always(format!("tlog {ti} canonical body byte {i}"), move |b| {
                flip(&mut entry(b, ti).canonicalized_body, i)
            });
        }
        out.maybe(format!("tlog {ti} integrated time"), move |b| {
            let e = entry(b, ti);
            e.integrated_time = e.integrated_time.map(|t| t + 1);
            e.integrated_time.is_some()
        });
        out.always(format!("tlog {ti} log index"), move |b| {
            entry(b, ti).log_index += 1
        });
        out.always(format!("tlog {ti} log id"), move |b| {
            flip(&mut entry(b, ti).log_id.key_id, 5)
        });
        if let Some(p) = &e.inclusion_promise {
            for i in positions(p.signed_entry_timestamp.len()) {
                out.always(format!("tlog {ti} SET byte {i}"), move |b| {
                    let promise = entry(b, ti).inclusion_promise.as_mut().unwrap();
                    flip(&mut promise.signed_entry_timestamp, i)
                });
            }
        }
        if let Some(p) = &e.inclusion_proof {
            for h in 0..p.hashes.len() {
                out.always(format!("tlog {ti} proof hash {h}"), move |b| {
                    flip(&mut proof(b, ti).hashes[h], h * 7)
                });
            }
            out.always(format!("tlog {ti} root hash"), move |b| {
                flip(&mut proof(b, ti).root_hash, 9)
            });
            out.always(format!("tlog {ti} proof index"), move |b| {
                proof(b, ti).log_index += 1
            });
            out.always(format!("tlog {ti} tree size"), move |b| {
                proof(b, ti).tree_size += 1
            });
            for i in positions(p.checkpoint.envelope.len()) {
                out.maybe(format!("tlog {ti} checkpoint byte {i}"), move |b| {
                    let cp = &mut proof(b, ti).checkpoint.envelope;
                    let mut bytes = cp.clone().into_bytes();
                    flip(&mut bytes, i);
                    match String::from_utf8(bytes) {
                        Ok(s) => {
                            *cp = s;
                            true
                        }
                        Err(_) => false, // not representable in JSON; skip
                    }
                });
            }
        }
    }
    out.0
}
