//! Signet's keys in a PKCS#11 token (a hardware security module, or SoftHSM2 in tests).
//!
//! [`Token::open`] loads the module, finds the token by label and logs in with the user PIN
//! (the PIN is handed to the module and not kept). [`Token`] is a
//! [`signet_core::signer::KeyProvider`]: it generates keys in the token (`CKA_TOKEN`,
//! `CKA_SENSITIVE`, not extractable) and opens them by `CKA_LABEL`. The keys it opens are
//! [`signet_core::signer::Signer`]s:
//!
//! - ECDSA P-256 / P-384: the digest (SHA-256 / SHA-384) is computed here with aws-lc-rs and
//!   signed with `CKM_ECDSA`; the token's raw `r || s` is converted to ASN.1 DER.
//! - Ed25519: `CKM_EDDSA` (pure) over the message; the 64-byte signature is used as it is.
//!
//! All signing goes through one logged-in session behind a mutex. Opening a key checks that
//! the token signs under the public key it reports (a probe signature verified with aws-lc-rs),
//! so the public key an instance publishes is the private key's.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use const_oid::ObjectIdentifier;
use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use der::Encode;
use signet_core::signer::{KeyProvider, SharedSigner, SignatureAlgorithm, Signer};

/// id-ecPublicKey.
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
/// prime256v1 (P-256).
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
/// secp384r1 (P-384).
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");

/// What went wrong with the token. Never carries the PIN.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The module could not be loaded or initialised.
    #[error("PKCS#11 module {module}: {reason}")]
    Module {
        /// The module path.
        module: PathBuf,
        /// Why.
        reason: String,
    },
    /// No slot holds a token with the label.
    #[error("PKCS#11 module {module}: expected a token labelled {label:?}, found {found:?}")]
    TokenNotFound {
        /// The module path.
        module: PathBuf,
        /// The label asked for.
        label: String,
        /// The labels of the tokens present.
        found: Vec<String>,
    },
    /// Logging in with the user PIN failed (wrong PIN, locked token, ...).
    #[error("PKCS#11 token {token:?}: user login failed: {reason}")]
    Login {
        /// The token label.
        token: String,
        /// The module's answer.
        reason: String,
    },
    /// No key with the label.
    #[error("PKCS#11 token {token:?}: expected a {class} key labelled {label:?}, found none (has `signet keys init --pkcs11-module ...` run for this token?)")]
    KeyNotFound {
        /// The token label.
        token: String,
        /// The key label.
        label: String,
        /// "private" or "public".
        class: &'static str,
    },
    /// A key with the label exists already (generation refuses to add a second one).
    #[error("PKCS#11 token {token:?}: a key labelled {label:?} exists already; expected none before generating it")]
    KeyExists {
        /// The token label.
        token: String,
        /// The key label.
        label: String,
    },
    /// More than one key with the label.
    #[error("PKCS#11 token {token:?}: expected one {class} key labelled {label:?}, found {count}")]
    Ambiguous {
        /// The token label.
        token: String,
        /// The key label.
        label: String,
        /// "private" or "public".
        class: &'static str,
        /// How many.
        count: usize,
    },
    /// The key is not of the algorithm its use needs.
    #[error("PKCS#11 key {label:?}: expected {expected}, found {found}")]
    WrongAlgorithm {
        /// The key label.
        label: String,
        /// What the use needs.
        expected: SignatureAlgorithm,
        /// What the token holds.
        found: String,
    },
    /// A PKCS#11 call failed.
    #[error("PKCS#11 {what}: {source}")]
    Call {
        /// Which call, on what.
        what: String,
        /// The module's error.
        #[source]
        source: CkError,
    },
    /// The token's answer is malformed, or its signature does not verify.
    #[error("PKCS#11 key {label:?}: {reason}")]
    Bad {
        /// The key label.
        label: String,
        /// What is wrong.
        reason: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T> = std::result::Result<T, Error>;

fn call(what: impl Into<String>) -> impl FnOnce(CkError) -> Error {
    let what = what.into();
    move |source| Error::Call { what, source }
}

struct Inner {
    label: String,
    session: Mutex<Session>,
    /// The user PIN, kept to log in again when the token drops the session.
    pin: AuthPin,
    // Kept so that the module stays initialised for as long as any key is in use.
    ctx: Pkcs11,
}

/// Whether a call failed because the session (or its login) is gone: the token was removed
/// and reinserted, the module closed the application's sessions, or the user was logged out.
/// Such a call is retried once on a new, logged-in session.
fn session_lost(e: &CkError) -> bool {
    matches!(
        e,
        CkError::Pkcs11(
            RvError::SessionHandleInvalid
                | RvError::SessionClosed
                | RvError::UserNotLoggedIn
                | RvError::DeviceRemoved
                | RvError::TokenNotPresent
                | RvError::KeyHandleInvalid
                | RvError::ObjectHandleInvalid,
            _
        )
    )
}

/// Find the slot holding the token labelled `label` (the labels found, when none is).
fn find_slot(ctx: &Pkcs11, label: &str) -> std::result::Result<cryptoki::slot::Slot, Vec<String>> {
    let mut found = Vec::new();
    for slot in ctx.get_slots_with_token().unwrap_or_default() {
        let Ok(info) = ctx.get_token_info(slot) else {
            continue;
        };
        let l = info.label().trim_end().to_string();
        if l == label {
            return Ok(slot);
        }
        found.push(l);
    }
    Err(found)
}

/// Open a read-write session on `slot` and log the user in.
fn logged_in_session(
    ctx: &Pkcs11,
    slot: cryptoki::slot::Slot,
    label: &str,
    pin: &AuthPin,
) -> Result<Session> {
    let session = ctx
        .open_rw_session(slot)
        .map_err(call(format!("opening a session on token {label:?}")))?;
    match session.login(UserType::User, Some(pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(e) => Err(Error::Login {
            token: label.to_string(),
            reason: e.to_string(),
        }),
    }
}

impl Inner {
    fn session(&self) -> std::sync::MutexGuard<'_, Session> {
        // A panic while signing leaves the session usable: the guard only serialises calls.
        self.session
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replace a lost session with a new, logged-in one (the token found again by label).
    fn reconnect(&self, guard: &mut Session) -> Result<()> {
        let slot = find_slot(&self.ctx, &self.label).map_err(|found| Error::Call {
            what: format!(
                "reconnecting to token {:?} (tokens present: {found:?})",
                self.label
            ),
            source: CkError::Pkcs11(
                RvError::TokenNotPresent,
                cryptoki::context::Function::OpenSession,
            ),
        })?;
        *guard = logged_in_session(&self.ctx, slot, &self.label, &self.pin)?;
        Ok(())
    }

    /// Run `f` on the session; if the session was lost, reconnect and run it once more.
    fn with_session<T>(
        &self,
        f: impl Fn(&Session) -> std::result::Result<T, CkError>,
    ) -> std::result::Result<T, CkError> {
        self.with_session_renewing(f, |_| {})
    }

    /// As [`Inner::with_session`]; after a reconnection `renew` runs on the new session
    /// before the retry (to find object handles again), all under the one lock.
    fn with_session_renewing<T>(
        &self,
        f: impl Fn(&Session) -> std::result::Result<T, CkError>,
        renew: impl Fn(&Session),
    ) -> std::result::Result<T, CkError> {
        let mut guard = self.session();
        match f(&guard) {
            Err(e) if session_lost(&e) => {
                if self.reconnect(&mut guard).is_err() {
                    return Err(e);
                }
                renew(&guard);
                f(&guard)
            }
            r => r,
        }
    }
}

/// A logged-in PKCS#11 token.
#[derive(Clone)]
pub struct Token {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PKCS#11 token {:?}", self.inner.label)
    }
}

impl Token {
    /// Load `module`, find the token labelled `token_label` and log in as the user with `pin`.
    pub fn open(module: &Path, token_label: &str, pin: &str) -> Result<Token> {
        let merr = |reason: String| Error::Module {
            module: module.to_path_buf(),
            reason,
        };
        let ctx = Pkcs11::new(module).map_err(|e| merr(format!("cannot load it: {e}")))?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
            Err(e) => return Err(merr(format!("C_Initialize failed: {e}"))),
        }
        let slot = find_slot(&ctx, token_label).map_err(|found| Error::TokenNotFound {
            module: module.to_path_buf(),
            label: token_label.to_string(),
            found,
        })?;
        let pin = AuthPin::new(pin.into());
        let session = logged_in_session(&ctx, slot, token_label, &pin)?;
        Ok(Token {
            inner: Arc::new(Inner {
                label: token_label.to_string(),
                session: Mutex::new(session),
                pin,
                ctx,
            }),
        })
    }

    /// The token's label.
    pub fn label(&self) -> &str {
        &self.inner.label
    }

    fn find(&self, label: &str, class: ObjectClass) -> Result<Vec<ObjectHandle>> {
        find_in(&self.inner, label, class)
    }

    fn find_one(&self, label: &str, class: ObjectClass) -> Result<ObjectHandle> {
        let name = if class == ObjectClass::PRIVATE_KEY {
            "private"
        } else {
            "public"
        };
        let found = self.find(label, class)?;
        match found.as_slice() {
            [h] => Ok(*h),
            [] => Err(Error::KeyNotFound {
                token: self.inner.label.clone(),
                label: label.to_string(),
                class: name,
            }),
            _ => Err(Error::Ambiguous {
                token: self.inner.label.clone(),
                label: label.to_string(),
                class: name,
                count: found.len(),
            }),
        }
    }

    /// Generate a key pair labelled `label` in the token: the private key sensitive and not
    /// extractable. Refuses a label already in use.
    pub fn generate_key(&self, label: &str, alg: SignatureAlgorithm) -> Result<Pkcs11Key> {
        if !self.find(label, ObjectClass::PRIVATE_KEY)?.is_empty()
            || !self.find(label, ObjectClass::PUBLIC_KEY)?.is_empty()
        {
            return Err(Error::KeyExists {
                token: self.inner.label.clone(),
                label: label.to_string(),
            });
        }
        let (mech, params) = match alg {
            SignatureAlgorithm::Ed25519 => (
                Mechanism::EccEdwardsKeyPairGen,
                signet_core::signer::OID_ED25519,
            ),
            SignatureAlgorithm::EcdsaP256Sha256 => (Mechanism::EccKeyPairGen, OID_P256),
            SignatureAlgorithm::EcdsaP384Sha384 => (Mechanism::EccKeyPairGen, OID_P384),
        };
        let params = params.to_der().map_err(|e| Error::Bad {
            label: label.to_string(),
            reason: format!("encoding the curve OID: {e}"),
        })?;
        let id = label.as_bytes().to_vec();
        let public = [
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Verify(true),
            Attribute::EcParams(params),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id.clone()),
        ];
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            Attribute::Label(label.as_bytes().to_vec()),
            Attribute::Id(id),
        ];
        self.inner
            .with_session(|s| s.generate_key_pair(&mech, &public, &private))
            .map_err(call(format!("generating {alg} key {label:?}")))?;
        self.open_key(label, alg)
    }

    /// Open the key labelled `label`, which must be of `alg`; checks with a probe signature
    /// that the private key signs under the public key the token reports.
    pub fn open_key(&self, label: &str, alg: SignatureAlgorithm) -> Result<Pkcs11Key> {
        let private = self.find_one(label, ObjectClass::PRIVATE_KEY)?;
        let public = self.find_one(label, ObjectClass::PUBLIC_KEY)?;
        let attrs = self
            .inner
            .with_session(|s| {
                s.get_attributes(
                    public,
                    &[
                        AttributeType::KeyType,
                        AttributeType::EcParams,
                        AttributeType::EcPoint,
                    ],
                )
            })
            .map_err(call(format!("reading public key {label:?}")))?;
        let (mut key_type, mut params, mut point) = (None, None, None);
        for a in attrs {
            match a {
                Attribute::KeyType(t) => key_type = Some(t),
                Attribute::EcParams(p) => params = Some(p),
                Attribute::EcPoint(p) => point = Some(p),
                _ => {}
            }
        }
        let bad = |reason: String| Error::Bad {
            label: label.to_string(),
            reason,
        };
        let (key_type, params, point) = match (key_type, params, point) {
            (Some(t), Some(p), Some(q)) => (t, p, q),
            _ => {
                return Err(bad(
                    "the public key lacks CKA_KEY_TYPE, CKA_EC_PARAMS or CKA_EC_POINT".into(),
                ))
            }
        };
        let (want_type, want_oid, point_len) = match alg {
            SignatureAlgorithm::Ed25519 => {
                (KeyType::EC_EDWARDS, signet_core::signer::OID_ED25519, 32)
            }
            SignatureAlgorithm::EcdsaP256Sha256 => (KeyType::EC, OID_P256, 65),
            SignatureAlgorithm::EcdsaP384Sha384 => (KeyType::EC, OID_P384, 97),
        };
        let want_params = want_oid.to_der().map_err(|e| bad(e.to_string()))?;
        if key_type != want_type || params != want_params {
            return Err(Error::WrongAlgorithm {
                label: label.to_string(),
                expected: alg,
                found: format!("key type {key_type}, CKA_EC_PARAMS {}", hex(&params)),
            });
        }
        let point = unwrap_ec_point(&point, point_len).ok_or_else(|| {
            bad(format!(
                "expected a {point_len}-byte public point (raw or a DER OCTET STRING), found {} bytes",
                point.len()
            ))
        })?;
        let spki = match alg {
            SignatureAlgorithm::Ed25519 => {
                let mut s = vec![
                    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
                ];
                s.extend_from_slice(&point);
                s
            }
            _ => ec_spki(want_oid, &point).map_err(bad)?,
        };
        let key = Pkcs11Key {
            token: self.inner.clone(),
            label: label.to_string(),
            alg,
            handle: Mutex::new(private),
            spki,
        };
        let probe = b"signet-pkcs11 probe";
        let sig = key.sign_raw(probe)?;
        signet_core::signer::verify_own(&key, probe, &sig)
            .map_err(|e| bad(format!("the probe signature failed: {e}")))?;
        Ok(key)
    }
}

fn find_in(inner: &Inner, label: &str, class: ObjectClass) -> Result<Vec<ObjectHandle>> {
    inner
        .with_session(|s| {
            s.find_objects(&[
                Attribute::Class(class),
                Attribute::Label(label.as_bytes().to_vec()),
            ])
        })
        .map_err(call(format!("finding key {label:?}")))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// CKA_EC_POINT is a DER OCTET STRING in PKCS#11 2.40; some modules give the raw point.
fn unwrap_ec_point(v: &[u8], len: usize) -> Option<Vec<u8>> {
    if v.len() == len && (len == 32 || v[0] == 0x04) {
        return Some(v.to_vec());
    }
    let len_byte = u8::try_from(len).ok()?;
    if v.len() == len + 2 && v[0] == 0x04 && v[1] == len_byte {
        return Some(v[2..].to_vec());
    }
    None
}

fn ec_spki(curve: ObjectIdentifier, point: &[u8]) -> std::result::Result<Vec<u8>, String> {
    let spki = spki::SubjectPublicKeyInfoOwned {
        algorithm: spki::AlgorithmIdentifierOwned {
            oid: OID_EC_PUBLIC_KEY,
            parameters: Some(der::Any::encode_from(&curve).map_err(|e| e.to_string())?),
        },
        subject_public_key: der::asn1::BitString::from_bytes(point).map_err(|e| e.to_string())?,
    };
    spki.to_der().map_err(|e| e.to_string())
}

/// A key in a token: signs through the token's session.
pub struct Pkcs11Key {
    token: Arc<Inner>,
    label: String,
    alg: SignatureAlgorithm,
    /// The private key's handle; found again by label after a reconnection.
    handle: Mutex<ObjectHandle>,
    spki: Vec<u8>,
}

impl std::fmt::Debug for Pkcs11Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "PKCS#11 key {:?} ({}) in token {:?}",
            self.label, self.alg, self.token.label
        )
    }
}

impl Pkcs11Key {
    /// The key's label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// One signing call on the token. A lost session is replaced (logged in again) and the
    /// key's handle found again by label before the one retry.
    fn token_sign(&self, mech: &Mechanism, data: &[u8]) -> std::result::Result<Vec<u8>, CkError> {
        let handle = || {
            self.handle
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        self.token.with_session_renewing(
            |s| s.sign(mech, *handle(), data),
            |s| {
                let found = s.find_objects(&[
                    Attribute::Class(ObjectClass::PRIVATE_KEY),
                    Attribute::Label(self.label.as_bytes().to_vec()),
                ]);
                if let Ok([h]) = found.as_deref() {
                    *handle() = *h;
                }
            },
        )
    }

    fn sign_raw(&self, msg: &[u8]) -> Result<Vec<u8>> {
        let what = || format!("signing with key {:?}", self.label);
        match self.alg {
            SignatureAlgorithm::Ed25519 => {
                let sig = self
                    .token_sign(
                        &Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)),
                        msg,
                    )
                    .map_err(call(what()))?;
                if sig.len() != 64 {
                    return Err(Error::Bad {
                        label: self.label.clone(),
                        reason: format!(
                            "expected a 64-byte Ed25519 signature, found {} bytes",
                            sig.len()
                        ),
                    });
                }
                Ok(sig)
            }
            SignatureAlgorithm::EcdsaP256Sha256 | SignatureAlgorithm::EcdsaP384Sha384 => {
                let (Some(digest), Some(n)) = (self.alg.digest(), self.alg.ecdsa_scalar_len())
                else {
                    // Both are Some for every ECDSA algorithm.
                    return Err(Error::Bad {
                        label: self.label.clone(),
                        reason: format!("{} has no digest", self.alg),
                    });
                };
                let d = aws_lc_rs::digest::digest(digest, msg);
                let raw = self
                    .token_sign(&Mechanism::Ecdsa, d.as_ref())
                    .map_err(call(what()))?;
                signet_core::signer::ecdsa_raw_to_der(&raw, n).map_err(|e| Error::Bad {
                    label: self.label.clone(),
                    reason: e.to_string(),
                })
            }
        }
    }
}

impl Signer for Pkcs11Key {
    fn algorithm(&self) -> SignatureAlgorithm {
        self.alg
    }
    fn public_key_der(&self) -> &[u8] {
        &self.spki
    }
    fn sign(&self, msg: &[u8]) -> signet_core::Result<Vec<u8>> {
        self.sign_raw(msg)
            .map_err(|e| signet_core::signer::signer_error(format!("{self:?}"), e))
    }
}

impl KeyProvider for Token {
    fn generate(&self, label: &str, alg: SignatureAlgorithm) -> signet_core::Result<SharedSigner> {
        self.generate_key(label, alg)
            .map(|k| Arc::new(k) as SharedSigner)
            .map_err(|e| signet_core::signer::signer_error(format!("{self:?}"), e))
    }
    fn open(&self, label: &str, alg: SignatureAlgorithm) -> signet_core::Result<SharedSigner> {
        self.open_key(label, alg)
            .map(|k| Arc::new(k) as SharedSigner)
            .map_err(|e| signet_core::signer::signer_error(format!("{self:?}"), e))
    }
    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ec_points_raw_or_wrapped() {
        let raw = [[4u8].as_slice(), &[7u8; 64]].concat();
        assert_eq!(unwrap_ec_point(&raw, 65).unwrap(), raw);
        let wrapped = [[4u8, 65].as_slice(), &raw].concat();
        assert_eq!(unwrap_ec_point(&wrapped, 65).unwrap(), raw);
        assert!(unwrap_ec_point(&raw[1..], 65).is_none());
        let ed = [9u8; 32];
        assert_eq!(unwrap_ec_point(&ed, 32).unwrap(), ed);
        assert_eq!(
            unwrap_ec_point(&[[4u8, 32].as_slice(), &ed].concat(), 32).unwrap(),
            ed
        );
    }

    /// The SPKI built from a point is the one aws-lc-rs writes for the same key.
    #[test]
    fn ec_spki_matches_aws_lc() {
        use signet_core::keys::{Curve, EcKey};
        for (curve, oid) in [(Curve::P256, OID_P256), (Curve::P384, OID_P384)] {
            let k = EcKey::generate(curve).unwrap();
            assert_eq!(ec_spki(oid, k.public_point()).unwrap(), k.spki_der());
        }
    }
}
