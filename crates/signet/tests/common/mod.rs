//! A real `signet serve` on a loopback port for end-to-end tests.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

/// A command line being built ([`Cli::signet`], [`Instance::signet`], [`Cli::program`]): add
/// arguments and environment, then [`Cli::run`] it, or assert its exit code with [`Cli::ok`],
/// [`Cli::fails`] or [`Cli::refused`] (a failure shows the case, the command, stdout and
/// stderr).
pub struct Cli {
    cmd: Command,
    case: String,
}

impl Cli {
    /// The signet binary, no arguments yet.
    pub fn signet() -> Cli {
        Cli::program(env!("CARGO_BIN_EXE_signet"))
    }

    /// Any program (a peer client), no arguments yet.
    pub fn program(program: impl AsRef<OsStr>) -> Cli {
        Cli {
            cmd: Command::new(program),
            case: String::new(),
        }
    }

    /// One more argument.
    pub fn arg(mut self, a: impl AsRef<OsStr>) -> Cli {
        self.cmd.arg(a);
        self
    }

    /// More arguments.
    pub fn args<S: AsRef<OsStr>>(mut self, args: impl IntoIterator<Item = S>) -> Cli {
        self.cmd.args(args);
        self
    }

    /// An environment variable for the command.
    pub fn env(mut self, key: &str, value: impl AsRef<OsStr>) -> Cli {
        self.cmd.env(key, value);
        self
    }

    /// The command without the environment variable `key`.
    pub fn env_remove(mut self, key: &str) -> Cli {
        self.cmd.env_remove(key);
        self
    }

    /// `verify identity --cert-identity EMAIL --cert-oidc-issuer ISSUER` (signet's and
    /// sigstore-python's spelling); the file comes next.
    pub fn verify_identity(self, email: &str, issuer: &str) -> Cli {
        self.args(["verify", "identity", "--cert-identity", email])
            .args(["--cert-oidc-issuer", issuer])
    }

    /// What a failed assertion names first (the case of a table, a step).
    pub fn case(mut self, case: impl std::fmt::Display) -> Cli {
        self.case = case.to_string();
        self
    }

    /// Run it: the output, whatever the exit code.
    pub fn run(mut self) -> Output {
        match self.cmd.output() {
            Ok(o) => o,
            Err(e) => panic!("run `{}`: {e}", self.line()),
        }
    }

    /// Run it, asserting exit code 0.
    pub fn ok(self) -> Output {
        self.exits(0)
    }

    /// Run it, asserting the failure exit code `code`.
    pub fn fails(self, code: i32) -> Output {
        assert_ne!(code, 0, "fails(0): use ok()");
        self.exits(code)
    }

    /// Run it, asserting exit code `code` (0 or not).
    pub fn exits(self, code: i32) -> Output {
        self.check(|c| c == Some(code), &format!("exit code {code}"))
    }

    /// Run it, asserting it does not succeed (any exit code but 0, or a signal).
    pub fn refused(self) -> Output {
        self.check(|c| c != Some(0), "a failure")
    }

    fn check(self, want: impl Fn(Option<i32>) -> bool, what: &str) -> Output {
        let line = self.line();
        let case = if self.case.is_empty() {
            String::new()
        } else {
            format!("{}: ", self.case)
        };
        let o = self.run();
        let (out, err) = (
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
        );
        assert!(
            want(o.status.code()),
            "{case}`{line}` exited {:?}, expected {what}\nstdout: {out}\nstderr: {err}",
            o.status.code()
        );
        o
    }

    /// The command line, long arguments (tokens) shortened.
    fn line(&self) -> String {
        std::iter::once(self.cmd.get_program())
            .chain(self.cmd.get_args())
            .map(|a| {
                let a = a.to_string_lossy();
                if a.chars().count() > 100 {
                    format!("{}...", a.chars().take(40).collect::<String>())
                } else {
                    a.into_owned()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// A running instance; killed on drop.
pub struct Instance {
    child: Child,
    /// Base URL.
    pub url: String,
    /// Data directory.
    pub dir: tempfile::TempDir,
    /// Everything the server wrote to stderr after it started.
    log: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Instance {
    /// Start `signet serve` on a free port in a fresh data dir.
    pub fn start() -> Instance {
        Self::start_in(tempfile::tempdir().unwrap(), 0)
    }

    /// Start `signet serve` on `port` (0: any) with the data dir `dir` (a restart when it
    /// already holds an instance; the port must then be the same, as the URL names the logs).
    pub fn start_in(dir: tempfile::TempDir, port: u16) -> Instance {
        Self::start_with(dir, port, &["--dev-issuer"])
    }

    /// Start `signet serve` on a free port in a fresh data dir with `extra` arguments (no
    /// `--dev-issuer` unless given).
    pub fn start_args(extra: &[&str]) -> Instance {
        Self::start_with(tempfile::tempdir().unwrap(), 0, extra)
    }

    /// Start `signet serve` with extra arguments (no `--dev-issuer` unless given).
    pub fn start_with(dir: tempfile::TempDir, port: u16, extra: &[&str]) -> Instance {
        Self::start_with_env(dir, port, extra, &[])
    }

    /// [`Instance::start_with`] with extra environment variables for the server.
    pub fn start_with_env(
        dir: tempfile::TempDir,
        port: u16,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Instance {
        let mut child = Command::new(env!("CARGO_BIN_EXE_signet"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(dir.path())
            .args(extra)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start signet serve");
        let stderr = child.stderr.take().unwrap();
        let mut reader = BufReader::new(stderr);
        let mut url = None;
        let mut seen = String::new();
        for _ in 0..50 {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            seen.push_str(&line);
            if let Some(rest) = line.split("instance URL ").nth(1) {
                url = Some(rest.split(';').next().unwrap().trim().to_string());
                break;
            }
        }
        let url = url.unwrap_or_else(|| panic!("signet serve did not start:\n{seen}"));
        // Keep draining stderr (so the server never blocks on a full pipe), keeping it for
        // tests that look for panics.
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(|l| l.ok()) {
                if let Ok(mut s) = sink.lock() {
                    if s.len() < 8 << 20 {
                        s.push_str(&line);
                        s.push('\n');
                    }
                }
            }
        });
        Instance {
            child,
            url,
            dir,
            log,
        }
    }

    /// What the server has written to stderr so far.
    pub fn server_log(&self) -> String {
        self.log.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// The server's resident set size in KiB (Linux `/proc/PID/status` VmRSS).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("read /proc status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS line")
    }

    /// Stop the server (SIGKILL), keeping the data directory.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kill the server with SIGKILL and hand back its data directory.
    pub fn kill(mut self) -> tempfile::TempDir {
        self.stop();
        std::mem::replace(&mut self.dir, tempfile::tempdir().unwrap())
    }

    /// `DATA/trust_config.json`.
    pub fn trust_config(&self) -> PathBuf {
        self.dir.path().join("trust_config.json")
    }

    /// `DATA/trusted_root.json`.
    pub fn trusted_root(&self) -> PathBuf {
        self.dir.path().join("trusted_root.json")
    }

    /// The development issuer URL.
    pub fn issuer(&self) -> String {
        format!("{}/oidc", self.url)
    }

    /// `signet --trust-config DATA/trust_config.json`: the CLI against this instance, to add
    /// arguments to.
    pub fn signet(&self) -> Cli {
        Cli::signet().arg("--trust-config").arg(self.trust_config())
    }

    /// `signet --trust-config DATA/trust_config.json ARGS...`: the CLI against this instance.
    pub fn cli(&self, args: &[&str]) -> Output {
        self.signet().args(args).run()
    }

    /// `signet --trust-config DATA/trust_config.json rekor --rekor-url URL ARGS...`.
    pub fn rekor(&self, url: &str, args: &[&str]) -> Cli {
        self.signet().args(["rekor", "--rekor-url", url]).args(args)
    }

    /// `sign EXTRA --identity-token TOKEN FILE` against this instance (or, with `extra`
    /// starting with a command, `attest` or `pypi sign`, that command).
    pub fn sign_with(&self, token: &str, file: &Path, extra: &[&str]) -> Cli {
        let cmd = if extra.first().is_some_and(|a| !a.starts_with('-')) {
            self.signet()
        } else {
            self.signet().arg("sign")
        };
        cmd.args(extra).args(["--identity-token", token]).arg(file)
    }

    /// `sign` (or, with `extra` starting with a command, that command) `file` as `email` with
    /// a development token; `extra` are the command's flags before the file.
    pub fn sign_as(&self, email: &str, file: &Path, extra: &[&str]) -> Cli {
        self.sign_with(&self.token(email), file, extra)
    }

    /// `verify identity --offline` of `file` for `email` issued by this instance's development
    /// issuer; `extra` flags (e.g. `--bundle B`) come before the file.
    pub fn verify_as(&self, email: &str, file: &Path, extra: &[&str]) -> Cli {
        self.signet()
            .args(["verify", "identity", "--offline", "--cert-identity", email])
            .args(["--cert-oidc-issuer", &self.issuer()])
            .args(extra)
            .arg(file)
    }

    /// A development identity token for `email`.
    pub fn token(&self, email: &str) -> String {
        let o = Cli::signet()
            .args(["serve", "token", "--data-dir"])
            .arg(self.dir.path())
            .args(["--email", email])
            .ok();
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run the signet binary.
pub fn signet(args: &[&str]) -> Output {
    Cli::signet().args(args).run()
}

/// A fresh directory holding the file `name` with `contents`: (the directory, the file).
pub fn work_file(name: &str, contents: impl AsRef<[u8]>) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, contents).unwrap();
    (dir, f)
}

/// `attest --predicate-type https://example.com/p --predicate PREDICATE`: the `extra` of
/// [`Instance::sign_with`] that attests instead of signing.
pub fn attest_flags(predicate: &Path) -> [&str; 5] {
    let p = predicate.to_str().unwrap();
    [
        "attest",
        "--predicate-type",
        "https://example.com/p",
        "--predicate",
        p,
    ]
}

/// `signet log fsck` of every log in the (stopped) instance data directory `dir`, asserting
/// each passes.
pub fn fsck_every_log(dir: &Path) {
    for log in ["rekor-v1/log", "rekor-v2", "ctlog"] {
        Cli::signet()
            .args(["log", "fsck"])
            .arg(dir.join(log))
            .case(log)
            .ok();
    }
}

/// (stdout, stderr) as text; stderr without the informational `note:` lines (which trust
/// material was used and how old it is).
pub fn text(o: &Output) -> (String, String) {
    let err: String = String::from_utf8_lossy(&o.stderr)
        .lines()
        .filter(|l| !l.starts_with("note: "))
        .map(|l| format!("{l}\n"))
        .collect();
    (String::from_utf8_lossy(&o.stdout).into_owned(), err)
}

/// Where .ci/run installs the peer clients (a venv and node_modules).
pub fn peers_dir() -> Option<PathBuf> {
    let p = std::env::var_os("SIGNET_PEERS_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache/signet")))?;
    let ok = p.join("venv/bin/sigstore").is_file() && p.join("node/node_modules/sigstore").is_dir();
    if ok {
        return Some(p);
    }
    // Missing peers fail loudly (CI or not), unless the run explicitly allows skipping.
    if std::env::var("SIGNET_ALLOW_MISSING_PEERS").is_ok_and(|v| v == "1") {
        eprintln!(
            "skipping: peer clients not installed under {} (SIGNET_ALLOW_MISSING_PEERS=1)",
            p.display()
        );
        return None;
    }
    panic!(
        "the peer clients (sigstore-python 4.5.1, sigstore-js) are missing under {}: install them as .ci/run does (python3 -m venv $DIR/venv && $DIR/venv/bin/pip install 'sigstore==4.5.1' pypi-attestations; cd $DIR/node && npm install @sigstore/cli sigstore), point SIGNET_PEERS_DIR at them, or set SIGNET_ALLOW_MISSING_PEERS=1 to skip",
        p.display()
    );
}

/// A test TLS CA and a server certificate for 127.0.0.1 / localhost, written to `dir`:
/// returns (CA PEM path, server chain PEM path, server key PEM path).
pub fn tls_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, SanType};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "signet test TLS CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    leaf.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    let leaf_cert = leaf.signed_by(&key, &ca_cert, &ca_key).unwrap();
    let (ca_p, chain_p, key_p) = (
        dir.join("tls-ca.pem"),
        dir.join("tls-chain.pem"),
        dir.join("tls-key.pem"),
    );
    std::fs::write(&ca_p, ca_cert.pem()).unwrap();
    std::fs::write(&chain_p, format!("{}{}", leaf_cert.pem(), ca_cert.pem())).unwrap();
    std::fs::write(&key_p, key.serialize_pem()).unwrap();
    (ca_p, chain_p, key_p)
}

/// Files for managed-key tests: a P-256 key (PEM private and public) and a predicate.
pub struct KeyFiles {
    /// Where the files are.
    pub dir: tempfile::TempDir,
    /// The private key PEM.
    pub key: PathBuf,
    /// The public key PEM.
    pub public: PathBuf,
    /// A predicate JSON for `attest`.
    pub predicate: PathBuf,
}

/// A fresh managed key and predicate.
pub fn key_files() -> KeyFiles {
    let dir = tempfile::tempdir().unwrap();
    let key = signet_core::keys::EcKey::generate(signet_core::keys::Curve::P256).unwrap();
    let (k, p, pred) = (
        dir.path().join("key.pem"),
        dir.path().join("key.pub"),
        dir.path().join("pred.json"),
    );
    std::fs::write(&k, key.private_pem()).unwrap();
    std::fs::write(&p, key.public_pem()).unwrap();
    std::fs::write(&pred, r#"{"ok":true}"#).unwrap();
    KeyFiles {
        dir,
        key: k,
        public: p,
        predicate: pred,
    }
}

/// `signet sign --key` (or `attest --key`) a fresh file against `inst` on Rekor `v`; returns
/// the file (its bundle is beside it).
pub fn sign_with_key(inst: &Instance, k: &KeyFiles, v: &str, attest: bool) -> PathBuf {
    let f = k.dir.path().join(format!("k-v{v}-{attest}.txt"));
    std::fs::write(&f, format!("managed key v{v} {attest}\n")).unwrap();
    let cmd = if attest {
        inst.signet().args(attest_flags(&k.predicate))
    } else {
        inst.signet().arg("sign")
    };
    cmd.arg("--key")
        .arg(&k.key)
        .args(["--rekor-version", v])
        .arg(&f)
        .case(format!("sign v{v} attest={attest}"))
        .ok();
    f
}

/// A `--dev-issuer` instance serving HTTPS with a fresh test CA: (instance, CA PEM path, the
/// directory holding the TLS files).
pub fn tls_instance() -> (Instance, PathBuf, tempfile::TempDir) {
    let tls = tempfile::tempdir().unwrap();
    let (ca, chain, key) = tls_files(tls.path());
    let inst = Instance::start_args(&[
        "--dev-issuer",
        "--tls-cert",
        chain.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ]);
    assert!(inst.url.starts_with("https://"), "{}", inst.url);
    (inst, ca, tls)
}

/// An organisation's CA for `--ca-chain/--ca-key` tests: an offline P-384 root, and issuing
/// CAs under it written as a chain file (issuing CA first) and a key file.
pub struct OrgCa {
    /// The offline root.
    pub root: signet_core::certs::Ca<signet_core::keys::EcKey>,
    validity: (i64, i64),
    /// Where the files are written.
    pub dir: tempfile::TempDir,
}

impl OrgCa {
    /// A new root, valid from an hour ago for a year.
    pub fn new() -> OrgCa {
        use signet_core::keys::{Curve, EcKey};
        let now = signet_testing::now();
        let validity = (now - 3600, now + 86400 * 365);
        let root = signet_core::certs::Ca::root(
            EcKey::generate(Curve::P384).unwrap(),
            "CN=Org Offline Root,O=Example Org",
            validity,
        )
        .unwrap();
        OrgCa {
            root,
            validity,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// A `signet serve --dev-issuer` whose CA is the issuing CA in `chain` / `key` (from
    /// [`OrgCa::issue`]).
    pub fn instance(chain: &Path, key: &Path) -> Instance {
        Instance::start_args(&[
            "--dev-issuer",
            "--ca-chain",
            chain.to_str().unwrap(),
            "--ca-key",
            key.to_str().unwrap(),
        ])
    }

    /// PEM of a certificate.
    pub fn pem(der: &[u8]) -> String {
        signet_core::encoding::pem_encode("CERTIFICATE", der)
    }

    /// A P-256 issuing CA `CN=Org Sigstore CA<suffix>` under the root: (chain file, key file,
    /// the CA).
    pub fn issue(
        &self,
        suffix: &str,
    ) -> (
        PathBuf,
        PathBuf,
        signet_core::certs::Ca<signet_core::keys::EcKey>,
    ) {
        use signet_core::keys::{Curve, EcKey};
        let ca = self
            .root
            .intermediate(
                EcKey::generate(Curve::P256).unwrap(),
                &format!("CN=Org Sigstore CA{suffix},O=Example Org"),
                self.validity,
                None,
            )
            .unwrap();
        let chain = self.dir.path().join(format!("chain{suffix}.pem"));
        std::fs::write(
            &chain,
            format!(
                "{}{}",
                Self::pem(&ca.cert_der),
                Self::pem(&self.root.cert_der)
            ),
        )
        .unwrap();
        let key = self.dir.path().join(format!("ca-key{suffix}.pem"));
        std::fs::write(&key, ca.key.private_pem()).unwrap();
        (chain, key, ca)
    }
}

/// The leaf certificate of the bundle file `bundle`.
pub fn bundle_leaf(bundle: &Path) -> signet_core::x509::Certificate {
    let b = signet_core::bundle::Bundle::from_json(&std::fs::read(bundle).unwrap()).unwrap();
    signet_core::x509::Certificate::from_der(b.leaf_certificate_der().unwrap()).unwrap()
}

/// A static HTTP/1.1 server on loopback for the test's lifetime: path -> body (404 otherwise),
/// one thread per connection, `Connection: close`. Returns its base URL.
pub fn serve_static(routes: std::collections::HashMap<String, Vec<u8>>) -> String {
    serve_shared(std::sync::Arc::new(std::sync::Mutex::new(routes)))
}

/// Routes a test can change while [`serve_shared`] serves them.
pub type SharedRoutes =
    std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, Vec<u8>>>>;

/// As [`serve_static`], answering from `routes` as they are at each request.
pub fn serve_shared(routes: SharedRoutes) -> String {
    use std::io::Write;
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    std::thread::spawn(move || {
        for s in l.incoming().map_while(Result::ok) {
            let routes = routes.clone();
            std::thread::spawn(move || {
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut line = String::new();
                if r.read_line(&mut line).is_err() {
                    return;
                }
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let path = line.split(' ').nth(1).unwrap_or("/").to_string();
                let mut s = s;
                let found = routes.lock().unwrap().get(&path).cloned();
                let (status, body) = match found {
                    Some(b) => ("200 OK", b),
                    None => ("404 Not Found", b"not found".to_vec()),
                };
                let _ = write!(
                    s,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(&body);
            });
        }
    });
    url
}
