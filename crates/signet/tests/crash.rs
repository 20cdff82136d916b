//! Crash test of the whole instance: loaders create Rekor v1 entries while `signet serve` is
//! killed with SIGKILL several times. After each restart every acknowledged (201) entry is
//! there with its body, the log is consistent with the checkpoint seen before the crash, and
//! at the end every log passes fsck.

mod common;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::Instance;
use signet_core::encoding::{b64_encode, sha256};

/// `GET /api/v1/log/entries/{uuid}`, asserting a 200 (`when` names the round).
fn get_entry(
    c: &reqwest::blocking::Client,
    inst: &Instance,
    uuid: &str,
    when: &str,
) -> reqwest::blocking::Response {
    let r = c
        .get(format!("{}/api/v1/log/entries/{uuid}", inst.url))
        .send()
        .unwrap();
    assert_eq!(
        r.status().as_u16(),
        200,
        "{when}: acknowledged entry {uuid} lost"
    );
    r
}

#[test]
fn acknowledged_entries_survive_kill_9() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let key = signet_core::keys::EcKey::generate(signet_core::keys::Curve::P256).unwrap();
    let pk_pem = signet_core::encoding::pem_encode("PUBLIC KEY", key.spki_der());
    let acked: Mutex<Vec<(String, Vec<u8>)>> = Mutex::new(vec![]);
    let state = tempfile::tempdir().unwrap();
    let state_file = state.path().join("rekor-state.json");
    let mut dir = tempfile::tempdir().unwrap();
    for round in 0..3 {
        let inst = Instance::start_in(dir, port);
        let url = format!("{}/api/v1/log/entries", inst.url);
        // Everything acknowledged before is still there, byte for byte.
        let c = reqwest::blocking::Client::new();
        for (uuid, body) in acked.lock().unwrap().iter() {
            let r = get_entry(&c, &inst, uuid, &format!("round {round}"));
            let v: serde_json::Value = r.json().unwrap();
            let e = v.as_object().unwrap().values().next().unwrap();
            let got =
                signet_core::encoding::b64_decode("body", e["body"].as_str().unwrap()).unwrap();
            assert_eq!(&got, body, "round {round}: entry {uuid} changed");
        }
        // The log still extends what was seen before the crash.
        inst.rekor(
            &inst.url,
            &["consistency", "--state", state_file.to_str().unwrap()],
        )
        .case(format!("round {round}"))
        .ok();
        // Load, then SIGKILL in the middle of it.
        let stop = AtomicBool::new(false);
        let mut next_dir = None;
        std::thread::scope(|s| {
            for t in 0..8 {
                let (key, pk_pem, url, acked, stop) = (&key, &pk_pem, &url, &acked, &stop);
                s.spawn(move || {
                    let c = reqwest::blocking::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
                    let mut i = 0;
                    while !stop.load(Ordering::Relaxed) {
                        let data = format!("round {round} thread {t} entry {i}");
                        i += 1;
                        let sig = key.sign(data.as_bytes()).unwrap();
                        let body = serde_json::json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {
                            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(sha256(data.as_bytes()))}},
                            "signature": {"content": b64_encode(sig), "publicKey": {"content": b64_encode(pk_pem)}}}});
                        let Ok(r) = c.post(url).json(&body).send() else { break };
                        if r.status().as_u16() != 201 {
                            break;
                        }
                        let Ok(v) = r.json::<serde_json::Value>() else { break };
                        let (eid, e) = v.as_object().unwrap().iter().next().unwrap();
                        let body = signet_core::encoding::b64_decode("body", e["body"].as_str().unwrap()).unwrap();
                        acked.lock().unwrap().push((eid.clone(), body));
                    }
                });
            }
            let t0 = Instant::now();
            while t0.elapsed() < Duration::from_millis(700) {
                std::thread::sleep(Duration::from_millis(50));
            }
            next_dir = Some(inst.kill());
            stop.store(true, Ordering::Relaxed);
        });
        dir = next_dir.expect("the instance was killed");
        assert!(
            !acked.lock().unwrap().is_empty(),
            "round {round}: nothing was acknowledged"
        );
    }
    // Final restart check, then fsck of every log.
    let inst = Instance::start_in(dir, port);
    let n = acked.lock().unwrap().len();
    let c = reqwest::blocking::Client::new();
    for (uuid, _) in acked.lock().unwrap().iter() {
        get_entry(&c, &inst, uuid, "final");
    }
    // Every acknowledged entry is found by search (the index is committed before the 201).
    for (eid, body) in acked.lock().unwrap().iter() {
        let v: serde_json::Value = serde_json::from_slice(body).unwrap();
        let hash = v["spec"]["data"]["hash"]["value"].as_str().unwrap();
        let r = c
            .post(format!("{}/api/v1/index/retrieve", inst.url))
            .json(&serde_json::json!({"hash": format!("sha256:{hash}")}))
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let found: Vec<String> = r.json().unwrap();
        assert!(
            found
                .iter()
                .any(|f| f == eid || eid.ends_with(f.as_str()) || f.ends_with(eid.as_str())),
            "final: acknowledged entry {eid} not found by hash sha256:{hash} (found {found:?})"
        );
    }
    let dir = inst.kill();
    common::fsck_every_log(dir.path());
    eprintln!("{n} acknowledged entries survived 3 SIGKILLs");
}
