//! `signet rekor`: a Rekor client (as rekor-cli) for v1 logs, with responses checked by the
//! verification engine against the trusted root; and `signet log`: operate a local log.

use std::path::PathBuf;

use anyhow::{anyhow, bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use signet_core::bundle::Bundle;
use signet_core::checkpoint::Checkpoint;
use signet_core::crypto::PublicKey;
use signet_core::encoding::{b64_decode, sha256};
use signet_core::merkle;
use signet_core::rekor::LogEntry;
use signet_core::time::format_rfc3339;
use signet_core::trust::TrustedRoot;
use signet_core::x509::Certificate;

use crate::{trust, Failure, TrustArgs};

/// `signet rekor ...`.
#[derive(Args, Debug)]
pub struct RekorArgs {
    /// The Rekor server (rekor-cli's `--rekor_server` also works). Default: the Rekor v1 log
    /// of the trust material's signing config (`--trust-config`, `--signing-config`,
    /// `--instance`, or the public-good one), else the trusted root's first log.
    #[arg(long, global = true, alias = "rekor_server")]
    pub rekor_url: Option<String>,
    #[command(subcommand)]
    pub cmd: RekorCommand,
}

/// Rekor subcommands.
#[derive(Subcommand, Debug)]
pub enum RekorCommand {
    /// Fetch an entry by log index or UUID and check its SET and inclusion proof.
    Get {
        /// Global log index.
        #[arg(long, conflicts_with = "uuid", required_unless_present = "uuid")]
        log_index: Option<u64>,
        /// Entry UUID (64 hex) or entry ID (80 hex).
        #[arg(long)]
        uuid: Option<String>,
        /// `json` for rekor-cli's JSON form, `default` for text.
        #[arg(long, default_value = "default", value_parser = ["default", "json"])]
        format: String,
    },
    /// Search the index by artifact digest, email or public key; prints entry UUIDs.
    Search {
        /// SHA-256 of an artifact (hex).
        #[arg(long)]
        sha256: Option<String>,
        /// An artifact file (hashed locally).
        #[arg(long)]
        artifact: Option<PathBuf>,
        /// Signer email.
        #[arg(long)]
        email: Option<String>,
        /// A PEM public key or certificate file.
        #[arg(long)]
        public_key: Option<PathBuf>,
    },
    /// Show the log's signed tree head (verified against the trusted root when it knows the log).
    Loginfo,
    /// Check that a bundle's entries are in the log now (fresh inclusion proof against the
    /// current signed checkpoint).
    Verify {
        /// The bundle.
        #[arg(long)]
        bundle: PathBuf,
    },
    /// Check the log grew append-only since the last checkpoint this command verified (kept in
    /// the state file), or since `--from SIZE --root HEX`.
    Consistency {
        /// Earlier tree size.
        #[arg(long)]
        from: Option<u64>,
        /// Root hash (hex) at that size.
        #[arg(long, requires = "from")]
        root: Option<String>,
        /// Where the last verified checkpoint is kept.
        #[arg(long)]
        state: Option<PathBuf>,
    },
}

struct Client {
    base: String,
    http: signet_http::Http,
    rekor: signet_sign::rekor_v1::RekorV1,
    root: TrustedRoot,
}

impl Client {
    /// Check an entry's SET, inclusion proof and checkpoint (signet-verify); returns notes on
    /// what was checked.
    fn check_entry(&self, e: &LogEntry) -> anyhow::Result<Vec<String>> {
        let c = signet_verify::log_entry::check_log_entry(&self.root, e)?;
        let mut notes = vec![];
        if c.set_verified {
            notes.push("SET verified".into());
        }
        if let Some(n) = c.inclusion_tree_size {
            notes.push(format!("inclusion proof verified (tree size {n})"));
        }
        if c.checkpoint_verified {
            notes.push("checkpoint signature verified".into());
        }
        if !c.log_trusted {
            notes.push(format!(
                "log {} is not in the trusted root: SET and checkpoint not verified",
                e.log_id
            ));
        }
        Ok(notes)
    }
}

fn body_kind_key(kind: &str) -> &'static str {
    match kind {
        "hashedrekord" => "HashedRekordObj",
        "dsse" => "DSSEObj",
        "intoto" => "IntotoObj",
        "rekord" => "RekordObj",
        _ => "Obj",
    }
}

/// Certificates found in a body: base64 PEM strings under known fields.
fn certs_in_body(body: &Value) -> Vec<Certificate> {
    let mut out = vec![];
    let mut stack = vec![body];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(m) => stack.extend(m.values()),
            Value::Array(a) => stack.extend(a.iter()),
            Value::String(s) if s.len() > 100 => {
                if let Ok(b) = b64_decode("x", s) {
                    if let Ok(t) = std::str::from_utf8(&b) {
                        if t.contains("BEGIN CERTIFICATE") {
                            out.extend(Certificate::all_from_pem(t).unwrap_or_default());
                        }
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn run_get(
    c: &Client,
    log_index: Option<u64>,
    uuid: Option<String>,
    format: &str,
) -> anyhow::Result<()> {
    let (uuid, e) = match (log_index, uuid) {
        (Some(i), _) => c.rekor.entry_at(i)?,
        (None, Some(u)) => c.rekor.entry(&u)?,
        (None, None) => bail!("--log-index or --uuid is required"),
    };
    let notes = c.check_entry(&e)?;
    let body: Value =
        serde_json::from_slice(&b64_decode("body", &e.body)?).context("body is not JSON")?;
    let kind = body
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if format == "json" {
        let out = json!({
            "Attestation": "",
            "AttestationType": "",
            "Body": { body_kind_key(&kind): body.get("spec").cloned().unwrap_or(Value::Null) },
            "LogIndex": e.log_index,
            "IntegratedTime": e.integrated_time,
            "UUID": uuid,
            "LogID": e.log_id,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!(
            "LogID: {}\nIndex: {}\nIntegratedTime: {} ({})\nUUID: {uuid}",
            e.log_id,
            e.log_index,
            format_rfc3339(e.integrated_time),
            e.integrated_time
        );
        println!(
            "Body: {} {}",
            kind,
            body.get("apiVersion").and_then(Value::as_str).unwrap_or("")
        );
        println!(
            "{}",
            serde_json::to_string_pretty(&body.get("spec").cloned().unwrap_or(Value::Null))?
        );
        for cert in certs_in_body(&body) {
            let san = cert
                .san_identities()
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.value().to_string())
                .collect::<Vec<_>>()
                .join(", ");
            println!(
                "Certificate: SAN {san}; OIDC issuer {}; valid {} .. {}",
                cert.oidc_issuer().ok().flatten().unwrap_or_default(),
                format_rfc3339(cert.not_before()),
                format_rfc3339(cert.not_after())
            );
        }
    }
    for n in notes {
        eprintln!("{n}");
    }
    Ok(())
}

fn run_search(
    c: &Client,
    sha: Option<String>,
    artifact: Option<PathBuf>,
    email: Option<String>,
    pk: Option<PathBuf>,
) -> Result<(), Failure> {
    let mut q = serde_json::Map::new();
    let digest = match (sha, artifact) {
        (Some(s), _) => Some(s.trim_start_matches("sha256:").to_lowercase()),
        (None, Some(p)) => Some(hex::encode(sha256(
            &std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?,
        ))),
        _ => None,
    };
    if let Some(d) = digest {
        q.insert("hash".into(), json!(format!("sha256:{d}")));
    }
    if let Some(e) = email {
        q.insert("email".into(), json!(e));
    }
    if let Some(p) = pk {
        let b = std::fs::read(&p).with_context(|| format!("reading {}", p.display()))?;
        q.insert(
            "publicKey".into(),
            json!({"format": "x509", "content": signet_core::encoding::b64_encode(b)}),
        );
    }
    if q.is_empty() {
        return Err(Failure::Usage(
            "search needs --sha256, --artifact, --email or --public-key".into(),
        ));
    }
    let list = c.rekor.search(&Value::Object(q))?;
    if list.is_empty() {
        eprintln!("no matching entries");
    }
    for u in list {
        println!("{u}");
    }
    Ok(())
}

fn loginfo(c: &Client) -> anyhow::Result<(u64, Vec<u8>, Option<Checkpoint>)> {
    let info = c.rekor.log_info()?;
    let (size, root) = (info.tree_size, info.root_hash);
    let note = info.signed_tree_head.as_str();
    let cp = if note.is_empty() {
        None
    } else {
        Some(Checkpoint::parse(note)?)
    };
    if let Some(cp) = &cp {
        if cp.size != size || cp.root_hash != root {
            bail!(
                "signed tree head (size {}) does not match the reported tree (size {size})",
                cp.size
            );
        }
        let verified = c.root.tlogs.iter().any(|t| {
            t.public_key
                .raw_bytes
                .as_ref()
                .and_then(|r| PublicKey::from_trusted_root(r, &t.public_key.key_details).ok())
                .is_some_and(|k| cp.verify(&k, &t.log_id.key_id).is_ok())
        });
        if !verified {
            bail!("the signed tree head is not signed by any transparency log in the trusted root");
        }
    }
    Ok((size, root, cp))
}

fn state_path(c: &Client, given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| {
        let host = c
            .base
            .split("://")
            .nth(1)
            .unwrap_or(&c.base)
            .replace(['/', ':'], "_");
        std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(".cache/signet/rekor-state")
            .join(format!("{host}.json"))
    })
}

/// The earlier checkpoint to check against: `--from/--root`, else the state file.
fn earlier_checkpoint(
    from: Option<u64>,
    root: Option<String>,
    sp: &std::path::Path,
) -> Result<Option<(u64, Vec<u8>)>, Failure> {
    match (from, root) {
        (Some(s), Some(r)) => Ok(Some((
            s,
            hex::decode(&r).map_err(|_| Failure::Usage(format!("--root {r:?} is not hex")))?,
        ))),
        (Some(_), None) => Err(Failure::Usage(
            "--from needs --root (the root hash you trust at that size)".into(),
        )),
        _ => Ok(std::fs::read(sp)
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .and_then(|v| {
                Some((
                    v.get("size")?.as_u64()?,
                    hex::decode(v.get("root")?.as_str()?).ok()?,
                ))
            })),
    }
}

/// Record the last verified checkpoint in the state file.
fn save_checkpoint(sp: &std::path::Path, size: u64, root: &[u8]) -> Result<(), Failure> {
    if let Some(d) = sp.parent() {
        std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
    }
    std::fs::write(
        sp,
        json!({"size": size, "root": hex::encode(root)}).to_string(),
    )
    .with_context(|| format!("writing {}", sp.display()))?;
    Ok(())
}

fn run_consistency(
    c: &Client,
    from: Option<u64>,
    root: Option<String>,
    state: Option<PathBuf>,
) -> Result<(), Failure> {
    let sp = state_path(c, state);
    let (size2, root2, _) = loginfo(c)?;
    let earlier = earlier_checkpoint(from, root, &sp)?;
    if let Some((s1, r1)) = earlier {
        if s1 > size2 {
            eprintln!("FAIL: the log shrank: {s1} entries before, {size2} now");
            return Err(Failure::Verification);
        }
        if s1 < size2 && s1 > 0 {
            let hashes = c.rekor.consistency_proof(s1, size2)?;
            if let Err(e) = merkle::verify_consistency(s1, size2, &hashes, &r1, &root2) {
                eprintln!("FAIL: not append-only from size {s1} to {size2}: {e}");
                return Err(Failure::Verification);
            }
        } else if s1 == size2 && r1 != root2 {
            eprintln!("FAIL: two different roots for size {s1}");
            return Err(Failure::Verification);
        }
        eprintln!("OK: consistent from size {s1} to {size2}");
    } else {
        eprintln!("no earlier checkpoint known; recording size {size2}");
    }
    save_checkpoint(&sp, size2, &root2)?;
    Ok(())
}

fn run_verify_bundle(c: &Client, path: &PathBuf) -> Result<(), Failure> {
    let b = Bundle::from_json(
        &std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("{}", path.display()))?;
    if b.verification_material.tlog_entries.is_empty() {
        return Err(Failure::Usage(format!(
            "{}: the bundle has no transparency log entries",
            path.display()
        )));
    }
    for (i, e) in b.verification_material.tlog_entries.iter().enumerate() {
        let uuid = hex::encode(merkle::leaf_hash(&e.canonicalized_body));
        let r = c
            .rekor
            .entry(&uuid)
            .map_err(anyhow::Error::from)
            .and_then(|(_, le)| {
                if b64_decode("body", &le.body)? != e.canonicalized_body {
                    bail!("the log holds a different body for UUID {uuid}");
                }
                c.check_entry(&le)
            });
        match r {
            Ok(notes) => eprintln!(
                "OK: {} entry #{i} (UUID {uuid}): {}",
                path.display(),
                notes.join(", ")
            ),
            Err(err) => {
                eprintln!("FAIL: {} entry #{i} (UUID {uuid}): {err:#}", path.display());
                return Err(Failure::Verification);
            }
        }
    }
    Ok(())
}

/// `signet rekor` against a tile log (Rekor v2): checkpoint, entry bundles and hash tiles.
fn run_tiles(c: &Client, cmd: RekorCommand) -> Result<(), Failure> {
    let tc = signet_sign::tiles::TileClient::new(&c.base, c.http.clone());
    let cp = tc.checkpoint(&c.root)?;
    match cmd {
        RekorCommand::Get {
            log_index,
            uuid,
            format,
        } => {
            let Some(i) = log_index else {
                return Err(Failure::Usage(format!(
                    "{} is a tile log: entries are addressed by --log-index, not --uuid {}",
                    c.base,
                    uuid.unwrap_or_default()
                )));
            };
            if i >= cp.size {
                return Err(Failure::Other(anyhow!(
                    "no entry at index {i}: the signed checkpoint covers {} entries",
                    cp.size
                )));
            }
            let body = tc.entry(i, cp.size)?;
            let proof = tc.inclusion_proof(i, cp.size)?;
            merkle::verify_inclusion(i, cp.size, &merkle::leaf_hash(&body), &proof, &cp.root_hash)
                .map_err(|e| Failure::Other(anyhow!("entry {i} is not in the signed tree: {e}")))?;
            let v: Value = serde_json::from_slice(&body).context("entry is not JSON")?;
            let kind = v
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
            if format == "json" {
                let out = json!({
                    "Body": { body_kind_key(&kind): v.get("spec").cloned().unwrap_or(Value::Null) },
                    "LogIndex": i,
                    "UUID": hex::encode(merkle::leaf_hash(&body)),
                    "Checkpoint": {"origin": cp.origin, "size": cp.size, "rootHash": hex::encode(&cp.root_hash)},
                });
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out).map_err(|e| Failure::Other(e.into()))?
                );
            } else {
                println!(
                    "Origin: {}\nIndex: {i}\nUUID: {}",
                    cp.origin,
                    hex::encode(merkle::leaf_hash(&body))
                );
                println!(
                    "Body: {kind} {}",
                    v.get("apiVersion").and_then(Value::as_str).unwrap_or("")
                );
                println!(
                    "{}",
                    serde_json::to_string_pretty(&v.get("spec").cloned().unwrap_or(Value::Null))
                        .map_err(|e| Failure::Other(e.into()))?
                );
            }
            eprintln!(
                "checkpoint signature verified; inclusion proof from tiles verified (tree size {})",
                cp.size
            );
            Ok(())
        }
        RekorCommand::Search { .. } => Err(Failure::Usage(format!(
            "{} is a tile log: it has no search index",
            c.base
        ))),
        RekorCommand::Loginfo => {
            println!("Origin: {}\nTree size: {}\nRoot hash: {}\nSigned checkpoint verified against the trusted root", cp.origin, cp.size, hex::encode(&cp.root_hash));
            Ok(())
        }
        RekorCommand::Verify { bundle } => {
            let b = Bundle::from_json(
                &std::fs::read(&bundle).with_context(|| format!("reading {}", bundle.display()))?,
            )
            .with_context(|| format!("{}", bundle.display()))?;
            for (k, e) in b.verification_material.tlog_entries.iter().enumerate() {
                let i = e.log_index as u64;
                let r = (|| -> anyhow::Result<()> {
                    if i >= cp.size {
                        bail!("index {i} is beyond the signed tree size {}", cp.size);
                    }
                    if tc.entry(i, cp.size)? != e.canonicalized_body {
                        bail!("the log holds a different entry at index {i}");
                    }
                    let proof = tc.inclusion_proof(i, cp.size)?;
                    merkle::verify_inclusion(
                        i,
                        cp.size,
                        &merkle::leaf_hash(&e.canonicalized_body),
                        &proof,
                        &cp.root_hash,
                    )?;
                    Ok(())
                })();
                match r {
                    Ok(()) => eprintln!(
                        "OK: {} entry #{k} (index {i}): in the log at size {}",
                        bundle.display(),
                        cp.size
                    ),
                    Err(err) => {
                        eprintln!("FAIL: {} entry #{k} (index {i}): {err:#}", bundle.display());
                        return Err(Failure::Verification);
                    }
                }
            }
            Ok(())
        }
        RekorCommand::Consistency { from, root, state } => {
            let sp = state_path(c, state);
            let earlier = earlier_checkpoint(from, root, &sp)?;
            if let Some((s1, r1)) = earlier {
                // The tiles must reproduce the signed root; then the old root must be their prefix.
                let ok = s1 <= cp.size
                    && tc
                        .root(cp.size, cp.size)
                        .ok()
                        .is_some_and(|r| r[..] == cp.root_hash[..])
                    && (s1 == 0 || tc.root(s1, cp.size).ok().is_some_and(|r| r[..] == r1[..]));
                if !ok {
                    eprintln!(
                        "FAIL: the log at size {} does not extend the checkpoint of size {s1}",
                        cp.size
                    );
                    return Err(Failure::Verification);
                }
                eprintln!("OK: consistent from size {s1} to {}", cp.size);
            } else {
                eprintln!("no earlier checkpoint known; recording size {}", cp.size);
            }
            save_checkpoint(&sp, cp.size, &cp.root_hash)?;
            Ok(())
        }
    }
}

/// Whether `base` serves a tile log (a `checkpoint` at its root).
fn is_tile_log(c: &Client) -> bool {
    c.http
        .get_bytes(&format!("{}/checkpoint", c.base), None, 64 << 10)
        .ok()
        .flatten()
        .and_then(|b| String::from_utf8(b).ok())
        .is_some_and(|t| Checkpoint::parse(&t).is_ok())
}

/// The trusted root, and the Rekor URL: `--rekor-url`, else the signing config's Rekor v1
/// service (the newest API version when it lists no v1), else the trusted root's first log.
fn rekor_and_root(t: &TrustArgs, given: Option<&str>) -> Result<(TrustedRoot, String), Failure> {
    let trust_only = t.trusted_root.is_some() && t.signing_config.is_none();
    if trust_only || given.is_some() {
        let (root, _) = trust::trusted_root(t)?;
        let url = match given {
            Some(u) => u.to_string(),
            None => root
                .tlogs
                .first()
                .map(|l| l.base_url.clone())
                .ok_or_else(|| {
                    Failure::Usage(
                        "the trusted root lists no transparency log; give --rekor-url".into(),
                    )
                })?,
        };
        return Ok((root, url));
    }
    let cfg = trust::trust_config(t)?;
    let services = &cfg.signing_config.rekor_tlog_urls;
    let url = services
        .iter()
        .find(|s| s.major_api_version == 1)
        .or_else(|| services.iter().max_by_key(|s| s.major_api_version))
        .map(|s| s.url.clone())
        .or_else(|| cfg.trusted_root.tlogs.first().map(|l| l.base_url.clone()))
        .ok_or_else(|| {
            Failure::Usage("the trust material names no Rekor log; give --rekor-url".into())
        })?;
    Ok((cfg.trusted_root, url))
}

/// Entry point for `signet rekor`.
pub fn run(t: &TrustArgs, a: RekorArgs) -> Result<(), Failure> {
    if t.offline {
        return Err(Failure::Usage(
            "`signet rekor` talks to a Rekor server; it cannot run with --offline".into(),
        ));
    }
    let (root, url) = rekor_and_root(t, a.rekor_url.as_deref())?;
    let http = signet_http::Http::new().context("HTTP client")?;
    let c = Client {
        base: url.trim_end_matches('/').to_string(),
        http: http.clone(),
        rekor: signet_sign::rekor_v1::RekorV1::new(&url, http),
        root,
    };
    if is_tile_log(&c) {
        return run_tiles(&c, a.cmd);
    }
    match a.cmd {
        RekorCommand::Get {
            log_index,
            uuid,
            format,
        } => run_get(&c, log_index, uuid, &format).map_err(Failure::Other),
        RekorCommand::Search {
            sha256,
            artifact,
            email,
            public_key,
        } => run_search(&c, sha256, artifact, email, public_key),
        RekorCommand::Loginfo => {
            let (size, root, cp) = loginfo(&c)?;
            println!("Tree size: {size}\nRoot hash: {}", hex::encode(root));
            if let Some(cp) = cp {
                println!(
                    "Origin: {}\nSigned checkpoint verified against the trusted root",
                    cp.origin
                );
            }
            Ok(())
        }
        RekorCommand::Verify { bundle } => run_verify_bundle(&c, &bundle),
        RekorCommand::Consistency { from, root, state } => run_consistency(&c, from, root, state),
    }
}
