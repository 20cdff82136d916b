//! Mutant generation shared by the tamper tests.
#![allow(dead_code)]

use signet_core::bundle::Bundle;

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

/// Generate every mutant of a bundle: (description, mutation). A mutation returns false when
/// the field is absent in this bundle.
pub fn mutants(b: &Bundle) -> Vec<(String, Mutator)> {
    let mut out: Vec<(String, Mutator)> = vec![];
    let leaf_len = b.leaf_certificate_der().map_or(0, <[u8]>::len);
    for i in positions(leaf_len) {
        out.push((
            format!("certificate byte {i}"),
            Box::new(move |b: &mut Bundle| {
                let vm = &mut b.verification_material;
                if let Some(c) = vm.certificate.as_mut() {
                    flip(&mut c.raw_bytes, i);
                } else if let Some(ch) = vm.x509_certificate_chain.as_mut() {
                    flip(&mut ch.certificates[0].raw_bytes, i);
                }
                true
            }),
        ));
    }
    let sig_len = b.signature_bytes().map_or(0, <[u8]>::len);
    for i in positions(sig_len) {
        out.push((
            format!("signature byte {i}"),
            Box::new(move |b: &mut Bundle| {
                if let Some(m) = b.message_signature.as_mut() {
                    flip(&mut m.signature, i);
                } else if let Some(e) = b.dsse_envelope.as_mut() {
                    flip(&mut e.signatures[0].sig, i);
                }
                true
            }),
        ));
    }
    if let Some(e) = &b.dsse_envelope {
        for i in positions(e.payload.len()) {
            out.push((
                format!("DSSE payload byte {i}"),
                Box::new(move |b: &mut Bundle| {
                    flip(&mut b.dsse_envelope.as_mut().unwrap().payload, i);
                    true
                }),
            ));
        }
        out.push((
            "DSSE payload type".into(),
            Box::new(|b: &mut Bundle| {
                b.dsse_envelope.as_mut().unwrap().payload_type.push('x');
                true
            }),
        ));
    }
    if let Some(m) = &b.message_signature {
        if m.message_digest.is_some() {
            out.push((
                "message digest".into(),
                Box::new(|b: &mut Bundle| {
                    flip(
                        &mut b
                            .message_signature
                            .as_mut()
                            .unwrap()
                            .message_digest
                            .as_mut()
                            .unwrap()
                            .digest,
                        3,
                    );
                    true
                }),
            ));
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
            out.push((
                format!("timestamp {k} byte {i}"),
                Box::new(move |b: &mut Bundle| {
                    let tv = b
                        .verification_material
                        .timestamp_verification_data
                        .as_mut()
                        .unwrap();
                    flip(&mut tv.rfc3161_timestamps[k].signed_timestamp, i);
                    true
                }),
            ));
        }
    }
    for (ti, e) in b.verification_material.tlog_entries.iter().enumerate() {
        for i in positions(e.canonicalized_body.len()) {
            out.push((
                format!("tlog {ti} canonical body byte {i}"),
                Box::new(move |b: &mut Bundle| {
                    flip(
                        &mut b.verification_material.tlog_entries[ti].canonicalized_body,
                        i,
                    );
                    true
                }),
            ));
        }
        out.push((
            format!("tlog {ti} integrated time"),
            Box::new(move |b: &mut Bundle| {
                let e = &mut b.verification_material.tlog_entries[ti];
                e.integrated_time = e.integrated_time.map(|t| t + 1);
                e.integrated_time.is_some()
            }),
        ));
        out.push((
            format!("tlog {ti} log index"),
            Box::new(move |b: &mut Bundle| {
                b.verification_material.tlog_entries[ti].log_index += 1;
                true
            }),
        ));
        out.push((
            format!("tlog {ti} log id"),
            Box::new(move |b: &mut Bundle| {
                flip(
                    &mut b.verification_material.tlog_entries[ti].log_id.key_id,
                    5,
                );
                true
            }),
        ));
        if let Some(p) = &e.inclusion_promise {
            for i in positions(p.signed_entry_timestamp.len()) {
                out.push((
                    format!("tlog {ti} SET byte {i}"),
                    Box::new(move |b: &mut Bundle| {
                        flip(
                            &mut b.verification_material.tlog_entries[ti]
                                .inclusion_promise
                                .as_mut()
                                .unwrap()
                                .signed_entry_timestamp,
                            i,
                        );
                        true
                    }),
                ));
            }
        }
        if let Some(p) = &e.inclusion_proof {
            for h in 0..p.hashes.len() {
                out.push((
                    format!("tlog {ti} proof hash {h}"),
                    Box::new(move |b: &mut Bundle| {
                        flip(
                            &mut b.verification_material.tlog_entries[ti]
                                .inclusion_proof
                                .as_mut()
                                .unwrap()
                                .hashes[h],
                            h * 7,
                        );
                        true
                    }),
                ));
            }
            out.push((
                format!("tlog {ti} root hash"),
                Box::new(move |b: &mut Bundle| {
                    flip(
                        &mut b.verification_material.tlog_entries[ti]
                            .inclusion_proof
                            .as_mut()
                            .unwrap()
                            .root_hash,
                        9,
                    );
                    true
                }),
            ));
            out.push((
                format!("tlog {ti} proof index"),
                Box::new(move |b: &mut Bundle| {
                    b.verification_material.tlog_entries[ti]
                        .inclusion_proof
                        .as_mut()
                        .unwrap()
                        .log_index += 1;
                    true
                }),
            ));
            out.push((
                format!("tlog {ti} tree size"),
                Box::new(move |b: &mut Bundle| {
                    b.verification_material.tlog_entries[ti]
                        .inclusion_proof
                        .as_mut()
                        .unwrap()
                        .tree_size += 1;
                    true
                }),
            ));
            for i in positions(p.checkpoint.envelope.len()) {
                out.push((
                    format!("tlog {ti} checkpoint byte {i}"),
                    Box::new(move |b: &mut Bundle| {
                        let cp = &mut b.verification_material.tlog_entries[ti]
                            .inclusion_proof
                            .as_mut()
                            .unwrap()
                            .checkpoint
                            .envelope;
                        let mut bytes = cp.clone().into_bytes();
                        flip(&mut bytes, i);
                        match String::from_utf8(bytes) {
                            Ok(s) => {
                                *cp = s;
                                true
                            }
                            Err(_) => false, // not representable in JSON; skip
                        }
                    }),
                ));
            }
        }
    }
    out
}
