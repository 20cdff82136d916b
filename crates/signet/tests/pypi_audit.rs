//! `signet pypi audit` against a loopback package index serving the real distributions'
//! PEP 740 provenance from ../shared/data/pypi: the PEP 691 simple API (with PEP 740
//! `provenance` links) and the integrity API. Cases: all verified; one without provenance;
//! one tampered hash; publisher drift against pins (and trust on first use); pylock
//! attestation-identities violated; requirements.txt and uv.lock resolved through the index.

mod common;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use common::{text, Cli};

/// The loopback index ([`common::serve_static`]).
struct Index {
    url: String,
}

impl Index {
    fn serve(routes: HashMap<String, Vec<u8>>) -> Index {
        Index {
            url: common::serve_static(routes),
        }
    }
}

/// A real distribution of ../shared/data/pypi: project, version, file name, sha256.
struct Dist {
    project: &'static str,
    version: &'static str,
    file: &'static str,
    sha256: String,
}

fn dists(d: &Path) -> Vec<Dist> {
    [
        (
            "pypi-attestations",
            "0.0.19",
            "pypi_attestations-0.0.19.tar.gz",
        ),
        (
            "gcb-attestation-test",
            "0.0.0",
            "gcb_attestation_test-0.0.0.tar.gz",
        ),
        (
            "circleci-sign-publish-example",
            "0.0.1.dev137",
            "circleci_sign_publish_example-0.0.1.dev137-py3-none-any.whl",
        ),
        // Has no provenance in the index.
        ("rfc8785", "0.1.2", "rfc8785-0.1.2-py3-none-any.whl"),
    ]
    .into_iter()
    .map(|(project, version, file)| Dist {
        project,
        version,
        file,
        sha256: hex::encode(signet_core::encoding::sha256(
            &std::fs::read(d.join("pypi").join(file)).unwrap(),
        )),
    })
    .collect()
}

/// The index: a simple page per project (the first three with a `provenance` link, rfc8785
/// with `provenance: null`), and the same provenance under the integrity API.
fn index(d: &Path, ds: &[Dist]) -> Index {
    let mut routes = HashMap::new();
    for x in ds {
        let prov = d.join("pypi").join(format!("{}.provenance", x.file));
        let link = if prov.is_file() {
            let body = std::fs::read(&prov).unwrap();
            routes.insert(format!("/prov/{}", x.file), body.clone());
            routes.insert(
                format!(
                    "/integrity/{}/{}/{}/provenance",
                    x.project, x.version, x.file
                ),
                body,
            );
            serde_json::json!(format!("/prov/{}", x.file))
        } else {
            serde_json::Value::Null
        };
        let page = serde_json::json!({
            "meta": {"api-version": "1.1"},
            "name": x.project,
            "files": [{
                "filename": x.file,
                "url": format!("/files/{}", x.file),
                "hashes": {"sha256": x.sha256},
                "provenance": link,
            }],
        });
        routes.insert(
            format!("/simple/{}/", x.project),
            serde_json::to_vec(&page).unwrap(),
        );
    }
    Index::serve(routes)
}

/// A pylock.toml of `ds`, with `extra` TOML lines appended to the package named `with`.
fn pylock(ds: &[&Dist], sha_of: impl Fn(&Dist) -> String, with: Option<(&str, &str)>) -> String {
    let mut s = String::from("lock-version = \"1.0\"\ncreated-by = \"test\"\n");
    for x in ds {
        s.push_str(&format!(
            "\n[[packages]]\nname = \"{}\"\nversion = \"{}\"\n",
            x.project, x.version
        ));
        let table = if x.file.ends_with(".whl") {
            "[[packages.wheels]]"
        } else {
            "[packages.sdist]"
        };
        s.push_str(&format!(
            "{table}\nname = \"{}\"\nhashes = {{sha256 = \"{}\"}}\n",
            x.file,
            sha_of(x)
        ));
        if let Some((name, extra)) = with {
            if name == x.project {
                s.push_str(extra);
            }
        }
    }
    s
}

struct Run {
    code: i32,
    rows: Vec<serde_json::Value>,
    summary: serde_json::Value,
    stderr: String,
}

fn audit(root: &Path, idx: &Index, lock: &Path, extra: &[&str]) -> Run {
    let o = Cli::signet()
        .arg("--trusted-root")
        .arg(root)
        .args(["pypi", "audit", "--json", "--index-url", &idx.url])
        .args(extra)
        .arg(lock)
        .run();
    let (out, err) = text(&o);
    let v: serde_json::Value =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{err}"));
    Run {
        code: o.status.code().unwrap_or(-1),
        rows: v["files"].as_array().unwrap().clone(),
        summary: v["summary"].clone(),
        stderr: err,
    }
}

fn row<'a>(r: &'a Run, file: &str) -> &'a serde_json::Value {
    r.rows
        .iter()
        .find(|x| x["file"] == file)
        .unwrap_or_else(|| panic!("no row for {file}: {:?}", r.rows))
}

/// The real distributions, the loopback index serving their provenance, a work directory,
/// the public-good trusted root and the path of a pylock.toml to write there.
struct Fixture {
    ds: Vec<Dist>,
    idx: Index,
    work: tempfile::TempDir,
    root: PathBuf,
    lock: PathBuf,
}

fn setup() -> Option<Fixture> {
    let d = signet_testing::fixtures::require("")?;
    let ds = dists(&d);
    let idx = index(&d, &ds);
    let work = tempfile::tempdir().unwrap();
    let lock = work.path().join("pylock.toml");
    Some(Fixture {
        ds,
        idx,
        root: d.join("trust/prod.trusted_root.json"),
        lock,
        work,
    })
}

impl Fixture {
    /// Write the pylock.toml of the first `n` distributions (see [`pylock`]).
    fn write_lock(&self, n: usize, sha_of: impl Fn(&Dist) -> String, with: Option<(&str, &str)>) {
        let ds: Vec<&Dist> = self.ds.iter().take(n).collect();
        std::fs::write(&self.lock, pylock(&ds, sha_of, with)).unwrap();
    }
}

#[test]
fn pylock_all_verified_one_missing_one_tampered() {
    let Some(f) = setup() else { return };
    let (ds, idx, _, root, lock) = (&f.ds, &f.idx, &f.work, &f.root, &f.lock);

    // The three with provenance: verified, each with its publisher, nothing downloaded.
    f.write_lock(3, |x| x.sha256.clone(), None);
    let r = audit(root, idx, lock, &[]);
    assert_eq!(r.code, 0, "{:?} {}", r.rows, r.stderr);
    assert_eq!(r.summary["verified"], 3, "{:?}", r.rows);
    let pa = row(&r, ds[0].file);
    assert_eq!(pa["publishers"][0]["kind"], "GitHub");
    assert_eq!(
        pa["publishers"][0]["repository"],
        "trailofbits/pypi-attestations"
    );
    assert_eq!(pa["sha256_source"], "lockfile");
    assert_eq!(row(&r, ds[1].file)["publishers"][0]["kind"], "Google");
    assert_eq!(row(&r, ds[2].file)["publishers"][0]["kind"], "CircleCI");

    // One without provenance: reported, and a failure only with --require-provenance.
    f.write_lock(4, |x| x.sha256.clone(), None);
    let r = audit(root, idx, lock, &[]);
    assert_eq!(r.code, 0, "{:?}", r.rows);
    assert_eq!(row(&r, ds[3].file)["status"], "no provenance");
    let r = audit(root, idx, lock, &["--require-provenance"]);
    assert_eq!(r.code, 1, "{:?}", r.rows);

    // A tampered hash: the attestations are about another file.
    let tampered = |x: &Dist| {
        if x.project == "gcb-attestation-test" {
            "00".repeat(32)
        } else {
            x.sha256.clone()
        }
    };
    f.write_lock(3, tampered, None);
    let r = audit(root, idx, lock, &[]);
    assert_eq!(r.code, 1);
    let bad = row(&r, ds[1].file);
    assert_eq!(bad["status"], "failed");
    assert!(
        bad["reason"]
            .as_str()
            .unwrap()
            .contains("subject does not match"),
        "{bad}"
    );
    assert_eq!(r.summary["verified"], 2);
}

#[test]
fn publisher_drift_against_pins_and_trust_on_first_use() {
    let Some(f) = setup() else { return };
    let (ds, idx, work, root, lock) = (&f.ds, &f.idx, &f.work, &f.root, &f.lock);
    f.write_lock(3, |x| x.sha256.clone(), None);
    let pins = work.path().join("pins.toml");
    let p = pins.to_str().unwrap();
    // A missing pins file without --update-pins is a usage error.
    Cli::signet()
        .arg("--trusted-root")
        .arg(root)
        .args(["pypi", "audit", "--index-url", &idx.url, "--pins", p])
        .arg(lock)
        .fails(2);
    // First use records the three publishers.
    let r = audit(root, idx, lock, &["--pins", p, "--update-pins"]);
    assert_eq!(r.code, 0, "{:?}", r.rows);
    assert!(
        r.stderr.contains("3 publishers pinned") && r.stderr.contains("3 new"),
        "{}",
        r.stderr
    );
    let recorded = std::fs::read_to_string(&pins).unwrap();
    assert!(
        recorded.contains("[publishers.pypi-attestations]")
            && recorded.contains("trailofbits/pypi-attestations"),
        "{recorded}"
    );
    // Then they hold, and say so.
    let r = audit(root, idx, lock, &["--pins", p]);
    assert_eq!(r.code, 0, "{:?}", r.rows);
    assert_eq!(row(&r, ds[0].file)["pinned"], true);
    // A publisher that moved: drift fails, naming both; --update-pins does not overwrite it.
    std::fs::write(
        &pins,
        recorded.replace("trailofbits/pypi-attestations", "someone/pypi-attestations"),
    )
    .unwrap();
    for extra in [&["--pins", p][..], &["--pins", p, "--update-pins"]] {
        let r = audit(root, idx, lock, extra);
        assert_eq!(r.code, 1, "{extra:?}");
        let why = row(&r, ds[0].file)["reason"].as_str().unwrap().to_string();
        assert!(
            why.contains("publisher drift")
                && why.contains("someone/pypi-attestations")
                && why.contains("trailofbits/pypi-attestations"),
            "{why}"
        );
    }
    assert!(std::fs::read_to_string(&pins)
        .unwrap()
        .contains("someone/pypi-attestations"));
}

#[test]
fn pylock_attestation_identities_are_enforced() {
    let Some(f) = setup() else { return };
    let (ds, idx, _, root, lock) = (&f.ds, &f.idx, &f.work, &f.root, &f.lock);
    let only = [&ds[0]];
    let ok = "[[packages.attestation-identities]]\nkind = \"GitHub\"\nrepository = \"trailofbits/pypi-attestations\"\nworkflow = \"release.yml\"\n";
    std::fs::write(
        lock,
        pylock(&only, |x| x.sha256.clone(), Some(("pypi-attestations", ok))),
    )
    .unwrap();
    assert_eq!(audit(root, idx, lock, &[]).code, 0);
    for bad in [
        ok.replace("trailofbits/pypi-attestations", "other/repo"),
        ok.replace("release.yml", "other.yml"),
        ok.replace("GitHub", "GitLab"),
    ] {
        std::fs::write(
            lock,
            pylock(
                &only,
                |x| x.sha256.clone(),
                Some(("pypi-attestations", &bad)),
            ),
        )
        .unwrap();
        let r = audit(root, idx, lock, &[]);
        assert_eq!(r.code, 1, "{bad}");
        let why = row(&r, ds[0].file)["reason"].as_str().unwrap().to_string();
        assert!(why.contains("attestation-identities"), "{why}");
    }
}

#[test]
fn requirements_and_uv_lock_resolve_files_through_the_index() {
    let Some(f) = setup() else { return };
    let (ds, idx, work, root, _) = (&f.ds, &f.idx, &f.work, &f.root, &f.lock);
    // requirements.txt names no files: the index maps each hash to its file.
    let req = work.path().join("requirements.txt");
    std::fs::write(
        &req,
        format!(
            "# pinned\npypi-attestations==0.0.19 \\\n    --hash=sha256:{}\ngcb_attestation_test==0.0.0\n",
            ds[0].sha256
        ),
    )
    .unwrap();
    let r = audit(root, idx, &req, &[]);
    assert_eq!(r.code, 0, "{:?}", r.rows);
    assert_eq!(row(&r, ds[0].file)["sha256_source"], "lockfile");
    // Without a hash the index's sha256 is what is verified, and the report says so.
    assert_eq!(row(&r, ds[1].file)["sha256_source"], "index");
    assert_eq!(r.summary["verified"], 2);
    // A hash the index does not list fails.
    std::fs::write(
        &req,
        format!(
            "pypi-attestations==0.0.19 --hash=sha256:{}\n",
            "11".repeat(32)
        ),
    )
    .unwrap();
    let r = audit(root, idx, &req, &[]);
    assert_eq!(r.code, 1);
    assert!(
        r.rows[0]["reason"]
            .as_str()
            .unwrap()
            .contains("lists no file"),
        "{:?}",
        r.rows
    );
    // An unpinned requirement is a usage error naming the line.
    std::fs::write(&req, "pypi-attestations>=0.0.19\n").unwrap();
    let o = Cli::signet()
        .args(["pypi", "audit", "--index-url", &idx.url])
        .arg(&req)
        .fails(2);
    assert!(text(&o).1.contains("line 1"), "{}", text(&o).1);

    // uv.lock: files by URL, the project itself left out, a git dependency skipped.
    let uv = work.path().join("uv.lock");
    std::fs::write(
        &uv,
        format!(
            "version = 1\n\n[[package]]\nname = \"me\"\nversion = \"0.1.0\"\nsource = {{ editable = \".\" }}\n\n[[package]]\nname = \"circleci-sign-publish-example\"\nversion = \"0.0.1.dev137\"\nsource = {{ registry = \"{url}/simple\" }}\nwheels = [{{ url = \"{url}/files/{f}\", hash = \"sha256:{h}\", size = 1 }}]\n\n[[package]]\nname = \"from-git\"\nversion = \"1.0\"\nsource = {{ git = \"https://example.com/r.git\" }}\n",
            url = idx.url,
            f = ds[2].file,
            h = ds[2].sha256
        ),
    )
    .unwrap();
    let r = audit(root, idx, &uv, &[]);
    assert_eq!(r.code, 0, "{:?}", r.rows);
    assert_eq!(r.rows.len(), 2, "{:?}", r.rows);
    assert_eq!(row(&r, ds[2].file)["status"], "verified");
    assert_eq!(r.rows[1]["status"], "skipped");
    assert_eq!(audit(root, idx, &uv, &["--require-provenance"]).code, 1);

    // The table for people names each file's status and publisher.
    let o = Cli::signet()
        .arg("--trusted-root")
        .arg(root)
        .args(["pypi", "audit", "--index-url", &idx.url])
        .arg(&uv)
        .ok();
    let out = text(&o).0;
    assert!(out.starts_with("STATUS"), "{out}");
    assert!(
        out.contains("verified") && out.contains("CircleCI project=fdd9283f"),
        "{out}"
    );
}
