//! in-toto Statements (v0.1 and v1).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::encoding::parse_json;
use crate::{Error, Result};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of an in-toto Statement v0.1.
pub const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// An in-toto Statement.
#[serde_with::skip_serializing_none]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Statement {
    /// Statement type URI.
    #[serde(rename = "_type")]
    pub type_: String,
    /// Subjects.
    #[serde(default, deserialize_with = "cap_subjects")]
    pub subject: Vec<Subject>,
    /// Predicate type URI.
    pub predicate_type: String,
    /// The predicate.
    pub predicate: Option<serde_json::Value>,
}

crate::capped_fn!(
    cap_subjects,
    Subject,
    "in-toto statement subjects",
    crate::limits::MAX_STATEMENT_SUBJECTS
);

/// A subject: name and digests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Name.
    #[serde(default)]
    pub name: String,
    /// Algorithm -> hex digest.
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
}

impl Statement {
    /// Parse a statement and check its `_type`.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let s: Statement = parse_json("in-toto statement", bytes)?;
        s.check_type()?;
        Ok(s)
    }

    /// Parse a statement's type, subjects and predicate type, skipping the predicate (which can
    /// be large and is not needed to match subjects). `predicate` is `None` in the result.
    pub fn from_json_without_predicate(bytes: &[u8]) -> Result<Self> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Head {
            #[serde(rename = "_type")]
            type_: String,
            #[serde(default, deserialize_with = "cap_subjects")]
            subject: Vec<Subject>,
            predicate_type: String,
            #[serde(default)]
            #[allow(dead_code)]
            predicate: serde::de::IgnoredAny,
        }
        let h: Head = parse_json("in-toto statement", bytes)?;
        let s = Statement {
            type_: h.type_,
            subject: h.subject,
            predicate_type: h.predicate_type,
            predicate: None,
        };
        s.check_type()?;
        Ok(s)
    }

    fn check_type(&self) -> Result<()> {
        if self.type_ != STATEMENT_V1 && self.type_ != STATEMENT_V01 {
            return Err(Error::invalid(
                "in-toto statement",
                format!(
                    "_type {:?}, expected {STATEMENT_V1} or {STATEMENT_V01}",
                    self.type_
                ),
            ));
        }
        Ok(())
    }

    /// Whether some subject has `sha256` equal to `hex_digest` (case-insensitive).
    pub fn has_sha256_subject(&self, hex_digest: &str) -> bool {
        self.has_subject_digest("sha256", hex_digest)
    }

    /// Whether some subject's digest under `alg` (`sha256`, `sha512`, ...) is `hex_digest`
    /// (case-insensitive).
    pub fn has_subject_digest(&self, alg: &str, hex_digest: &str) -> bool {
        self.subject.iter().any(|s| {
            s.digest
                .get(alg)
                .is_some_and(|d| d.eq_ignore_ascii_case(hex_digest))
        })
    }
}

impl Statement {
    /// A Statement v1 about one subject `name` with SHA-256 `digest`.
    pub fn about(
        name: &str,
        digest: [u8; 32],
        predicate_type: &str,
        predicate: Option<serde_json::Value>,
    ) -> Self {
        Statement {
            type_: STATEMENT_V1.into(),
            subject: vec![Subject {
                name: name.into(),
                digest: BTreeMap::from([("sha256".to_string(), hex::encode(digest))]),
            }],
            predicate_type: predicate_type.into(),
            predicate,
        }
    }

    /// The statement as JSON bytes (`_type`, `subject`, `predicateType`, `predicate`).
    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(self).map_err(|source| Error::Json {
            what: "in-toto statement",
            source,
        })
    }

    /// The first subject's SHA-256 digest, when one is given as 64 hex digits.
    pub fn first_sha256(&self) -> Option<[u8; 32]> {
        self.subject
            .iter()
            .find_map(|s| s.digest.get("sha256"))
            .and_then(|h| hex::decode(h).ok())
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
    }
}
