//! The audit entry and its canonical byte encoding (see `docs/audit-log.md`).
//!
//! Entry bytes, all integers big-endian:
//!
//! ```text
//! u8   version = 1
//! u64  seq                      (1, 2, 3, … without gaps)
//! i64  time                     (microseconds since 1970-01-01T00:00:00Z)
//! str  actor                    (u32 length, then UTF-8 bytes)
//! str  action
//! str  entity_type
//! str  entity_id
//! u8   has_digest (0 or 1), then 32 bytes of SHA-256 when 1
//! str  reason
//! ```
//!
//! A later issue makes `SHA-256(0x00 ‖ bytes)` of each entry a leaf of a Merkle tree.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub const ENCODING_VERSION: u8 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    /// SHA-256 of the canonical JSON of the entity's new state; `None` when nothing was stored.
    #[serde(serialize_with = "serialize_digest")]
    pub state_digest: Option<[u8; 32]>,
    pub reason: String,
}

fn serialize_digest<S: serde::Serializer>(d: &Option<[u8; 32]>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_some(&hex::encode(d)),
        None => s.serialize_none(),
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    let len = u32::try_from(s.len()).expect("audit field longer than 4 GiB");
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(s.as_bytes());
}

impl AuditEntry {
    /// The canonical bytes of this entry: the same entry always gives the same bytes.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(96 + self.actor.len() + self.action.len());
        out.push(ENCODING_VERSION);
        out.extend_from_slice(&self.seq.to_be_bytes());
        out.extend_from_slice(&self.time.timestamp_micros().to_be_bytes());
        put_str(&mut out, &self.actor);
        put_str(&mut out, &self.action);
        put_str(&mut out, &self.entity_type);
        put_str(&mut out, &self.entity_id);
        match &self.state_digest {
            Some(d) => {
                out.push(1);
                out.extend_from_slice(d);
            }
            None => out.push(0),
        }
        put_str(&mut out, &self.reason);
        out
    }

    /// RFC 6962 leaf hash: SHA-256(0x00 ‖ canonical bytes).
    pub fn leaf_hash(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(self.canonical_bytes());
        h.finalize().into()
    }
}

/// SHA-256 of a value's canonical JSON (object keys sorted, no whitespace).
pub fn state_digest<T: Serialize>(value: &T) -> [u8; 32] {
    // serde_json::Value keeps object keys in a BTreeMap, so re-serialising sorts them.
    let v = serde_json::to_value(value).expect("state serialises to JSON");
    let bytes = serde_json::to_vec(&v).expect("JSON value serialises");
    Sha256::digest(bytes).into()
}

/// SHA-256 of a piece of personal data, so that it can be named in the log without being in it.
pub fn personal_digest(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> AuditEntry {
        AuditEntry {
            seq: 1,
            time: DateTime::from_timestamp(1_700_000_000, 123_456_000).unwrap(),
            actor: "user:admin".into(),
            action: "region.create".into(),
            entity_type: "region".into(),
            entity_id: "330110001000".into(),
            state_digest: Some([7u8; 32]),
            reason: "".into(),
        }
    }

    #[test]
    fn canonical_bytes_are_fixed() {
        let b = entry().canonical_bytes();
        let mut expected = vec![1u8];
        expected.extend_from_slice(&1u64.to_be_bytes());
        expected.extend_from_slice(&1_700_000_000_123_456i64.to_be_bytes());
        for s in ["user:admin", "region.create", "region", "330110001000"] {
            expected.extend_from_slice(&(s.len() as u32).to_be_bytes());
            expected.extend_from_slice(s.as_bytes());
        }
        expected.push(1);
        expected.extend_from_slice(&[7u8; 32]);
        expected.extend_from_slice(&0u32.to_be_bytes());
        assert_eq!(b, expected);
    }

    #[test]
    fn every_field_changes_the_leaf() {
        let base = entry().leaf_hash();
        let mut e = entry();
        e.seq = 2;
        assert_ne!(e.leaf_hash(), base);
        let mut e = entry();
        e.reason = "x".into();
        assert_ne!(e.leaf_hash(), base);
        let mut e = entry();
        e.state_digest = None;
        assert_ne!(e.leaf_hash(), base);
        // Moving a byte from one field to the next must not give the same bytes.
        let mut a = entry();
        a.actor = "ab".into();
        a.action = "c".into();
        let mut b = entry();
        b.actor = "a".into();
        b.action = "bc".into();
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    }

    #[test]
    fn state_digest_ignores_key_order() {
        let a = serde_json::json!({"a": 1, "b": [1, 2]});
        let b: serde_json::Value = serde_json::from_str(r#"{"b":[1,2],"a":1}"#).unwrap();
        assert_eq!(state_digest(&a), state_digest(&b));
    }
}
