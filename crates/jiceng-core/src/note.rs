//! C2SP signed notes with Ed25519, tlog-checkpoint bodies and tlog-cosignatures.
//!
//! - A note is its text (ending in a newline), a blank line, and signature lines
//!   `— <key name> <base64(key ID ‖ signature)>`.
//! - An Ed25519 key ID is the first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ public key); the
//!   verifier key ("vkey") is `<name>+<hex key ID>+<base64(0x01 ‖ public key)>`.
//! - A checkpoint body is `<origin>\n<tree size>\n<base64 root hash>\n`.
//! - A cosignature (cosignature/v1) signs `cosignature/v1\ntime <seconds>\n<checkpoint body>`
//!   with a witness key whose ID uses the algorithm byte 0x04; its signature line carries
//!   key ID ‖ timestamp (8 bytes, big-endian) ‖ Ed25519 signature.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer as _, SigningKey, Verifier as _, VerifyingKey};
use sha2::{Digest, Sha256};

const ALG_ED25519: u8 = 0x01;
const ALG_COSIGNATURE_V1: u8 = 0x04;
const DASH: &str = "\u{2014} ";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    #[error("密钥格式不正确")]
    BadKey,
    #[error("签名文本格式不正确")]
    Malformed,
    #[error("没有找到该密钥的签名")]
    NoSignature,
    #[error("签名无效")]
    BadSignature,
    #[error("检查点格式不正确")]
    BadCheckpoint,
}

fn key_id(name: &str, alg: u8, key: &[u8; 32]) -> [u8; 4] {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update([alg]);
    h.update(key);
    let d = h.finalize();
    [d[0], d[1], d[2], d[3]]
}

fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains('+') && !name.chars().any(char::is_whitespace)
}

/// A signing key with its name.
pub struct NoteSigner {
    name: String,
    key: SigningKey,
}

impl NoteSigner {
    pub fn from_seed(name: &str, seed: [u8; 32]) -> Result<Self, NoteError> {
        if !valid_name(name) {
            return Err(NoteError::BadKey);
        }
        Ok(Self {
            name: name.to_string(),
            key: SigningKey::from_bytes(&seed),
        })
    }

    /// Parses `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ‖ seed)>`.
    pub fn parse(s: &str) -> Result<Self, NoteError> {
        let rest = s
            .trim()
            .strip_prefix("PRIVATE+KEY+")
            .ok_or(NoteError::BadKey)?;
        // Names never contain '+', base64 may: split from the left.
        let mut parts = rest.splitn(3, '+');
        let (name, hex_id, b64) = (parts.next(), parts.next(), parts.next());
        let (Some(name), Some(hex_id), Some(b64)) = (name, hex_id, b64) else {
            return Err(NoteError::BadKey);
        };
        let raw = B64.decode(b64).map_err(|_| NoteError::BadKey)?;
        if raw.len() != 33 || raw[0] != ALG_ED25519 {
            return Err(NoteError::BadKey);
        }
        let seed: [u8; 32] = raw[1..].try_into().expect("32 bytes");
        let signer = Self::from_seed(name, seed)?;
        if hex::encode(signer.id()) != hex_id {
            return Err(NoteError::BadKey);
        }
        Ok(signer)
    }

    pub fn private_key_string(&self) -> String {
        let mut raw = vec![ALG_ED25519];
        raw.extend_from_slice(&self.key.to_bytes());
        format!(
            "PRIVATE+KEY+{}+{}+{}",
            self.name,
            hex::encode(self.id()),
            B64.encode(raw)
        )
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn id(&self) -> [u8; 4] {
        key_id(&self.name, ALG_ED25519, self.key.verifying_key().as_bytes())
    }

    pub fn verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            alg: ALG_ED25519,
        }
    }

    /// Signs a note body (which must end in a newline) and returns the whole note.
    pub fn sign(&self, body: &str) -> String {
        debug_assert!(body.ends_with('\n'));
        let sig = self.key.sign(body.as_bytes());
        let mut payload = self.id().to_vec();
        payload.extend_from_slice(&sig.to_bytes());
        format!("{body}\n{DASH}{} {}\n", self.name, B64.encode(payload))
    }

    /// A cosignature/v1 line over a checkpoint body at `timestamp` (seconds since the epoch).
    pub fn cosign(&self, checkpoint_body: &str, timestamp: u64) -> String {
        let msg = cosigned_message(checkpoint_body, timestamp);
        let sig = self.key.sign(msg.as_bytes());
        let id = key_id(
            &self.name,
            ALG_COSIGNATURE_V1,
            self.key.verifying_key().as_bytes(),
        );
        let mut payload = id.to_vec();
        payload.extend_from_slice(&timestamp.to_be_bytes());
        payload.extend_from_slice(&sig.to_bytes());
        format!("{DASH}{} {}\n", self.name, B64.encode(payload))
    }

    /// The witness verifier key for cosignatures made by this key.
    pub fn cosignature_verifier(&self) -> NoteVerifier {
        NoteVerifier {
            name: self.name.clone(),
            key: self.key.verifying_key(),
            alg: ALG_COSIGNATURE_V1,
        }
    }
}

fn cosigned_message(body: &str, timestamp: u64) -> String {
    format!("cosignature/v1\ntime {timestamp}\n{body}")
}

/// A public key that verifies notes (algorithm 0x01) or cosignatures (0x04).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteVerifier {
    name: String,
    key: VerifyingKey,
    alg: u8,
}

impl NoteVerifier {
    /// Parses `<name>+<hex key ID>+<base64(alg ‖ public key)>`.
    pub fn parse(vkey: &str) -> Result<Self, NoteError> {
        let mut parts = vkey.trim().splitn(3, '+');
        let (name, hex_id, b64) = (parts.next(), parts.next(), parts.next());
        let (Some(name), Some(hex_id), Some(b64)) = (name, hex_id, b64) else {
            return Err(NoteError::BadKey);
        };
        if !valid_name(name) {
            return Err(NoteError::BadKey);
        }
        let raw = B64.decode(b64).map_err(|_| NoteError::BadKey)?;
        if raw.len() != 33 || !(raw[0] == ALG_ED25519 || raw[0] == ALG_COSIGNATURE_V1) {
            return Err(NoteError::BadKey);
        }
        let bytes: [u8; 32] = raw[1..].try_into().expect("32 bytes");
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| NoteError::BadKey)?;
        let v = Self {
            name: name.to_string(),
            key,
            alg: raw[0],
        };
        if hex::encode(v.id()) != hex_id {
            return Err(NoteError::BadKey);
        }
        Ok(v)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn id(&self) -> [u8; 4] {
        key_id(&self.name, self.alg, self.key.as_bytes())
    }

    pub fn vkey(&self) -> String {
        let mut raw = vec![self.alg];
        raw.extend_from_slice(self.key.as_bytes());
        format!(
            "{}+{}+{}",
            self.name,
            hex::encode(self.id()),
            B64.encode(raw)
        )
    }

    /// Verifies a whole note and returns its body.
    pub fn verify_note<'a>(&self, note: &'a str) -> Result<&'a str, NoteError> {
        let parsed = parse_note(note)?;
        let ours = parsed
            .signatures
            .iter()
            .find(|s| s.name == self.name && s.payload.len() >= 4 && s.payload[..4] == self.id())
            .ok_or(NoteError::NoSignature)?;
        let sig = Signature::from_slice(&ours.payload[4..]).map_err(|_| NoteError::BadSignature)?;
        self.key
            .verify(parsed.body.as_bytes(), &sig)
            .map(|_| parsed.body)
            .map_err(|_| NoteError::BadSignature)
    }

    /// Verifies a cosignature line over a checkpoint body; returns its timestamp.
    pub fn verify_cosignature(&self, checkpoint_body: &str, line: &str) -> Result<u64, NoteError> {
        let sig = parse_signature_line(line.trim_end_matches('\n')).ok_or(NoteError::Malformed)?;
        if sig.name != self.name || sig.payload.len() != 4 + 8 + 64 || sig.payload[..4] != self.id()
        {
            return Err(NoteError::NoSignature);
        }
        let timestamp = u64::from_be_bytes(sig.payload[4..12].try_into().expect("8 bytes"));
        let s = Signature::from_slice(&sig.payload[12..]).map_err(|_| NoteError::BadSignature)?;
        self.key
            .verify(cosigned_message(checkpoint_body, timestamp).as_bytes(), &s)
            .map(|_| timestamp)
            .map_err(|_| NoteError::BadSignature)
    }
}

pub struct NoteSignature {
    pub name: String,
    pub payload: Vec<u8>,
}

pub struct ParsedNote<'a> {
    pub body: &'a str,
    pub signatures: Vec<NoteSignature>,
}

fn parse_signature_line(line: &str) -> Option<NoteSignature> {
    let rest = line.strip_prefix(DASH)?;
    let (name, b64) = rest.split_once(' ')?;
    let payload = B64.decode(b64).ok()?;
    Some(NoteSignature {
        name: name.to_string(),
        payload,
    })
}

/// Splits a note into its body and signature lines.
pub fn parse_note(note: &str) -> Result<ParsedNote<'_>, NoteError> {
    let split = note.rfind("\n\n").ok_or(NoteError::Malformed)?;
    let body = &note[..split + 1];
    let sigs = &note[split + 2..];
    if !sigs.ends_with('\n') {
        return Err(NoteError::Malformed);
    }
    let signatures = sigs
        .lines()
        .map(parse_signature_line)
        .collect::<Option<Vec<_>>>()
        .ok_or(NoteError::Malformed)?;
    if signatures.is_empty() {
        return Err(NoteError::Malformed);
    }
    Ok(ParsedNote { body, signatures })
}

/// A tlog-checkpoint body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub origin: String,
    pub size: u64,
    pub root: [u8; 32],
}

impl Checkpoint {
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        )
    }

    /// Parses a checkpoint body (extension lines after the root are allowed and ignored).
    pub fn parse(body: &str) -> Result<Self, NoteError> {
        let mut lines = body.split('\n');
        let origin = lines
            .next()
            .filter(|s| !s.is_empty())
            .ok_or(NoteError::BadCheckpoint)?;
        let size = lines
            .next()
            .and_then(|s| s.parse::<u64>().ok())
            .ok_or(NoteError::BadCheckpoint)?;
        let root = lines
            .next()
            .and_then(|s| B64.decode(s).ok())
            .and_then(|r| <[u8; 32]>::try_from(r).ok())
            .ok_or(NoteError::BadCheckpoint)?;
        Ok(Self {
            origin: origin.to_string(),
            size,
            root,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(name: &str, b: u8) -> NoteSigner {
        NoteSigner::from_seed(name, [b; 32]).unwrap()
    }

    #[test]
    fn a_signed_checkpoint_verifies_with_its_key_only() {
        let s = signer("339901000000", 7);
        let cp = Checkpoint {
            origin: "339901000000".into(),
            size: 42,
            root: [9u8; 32],
        };
        let note = s.sign(&cp.body());
        let v = NoteVerifier::parse(&s.verifier().vkey()).unwrap();
        let body = v.verify_note(&note).unwrap();
        assert_eq!(Checkpoint::parse(body).unwrap(), cp);
        // Another key of the same name, or a changed body, fails.
        let other = signer("339901000000", 8).verifier();
        assert!(other.verify_note(&note).is_err());
        let changed = note.replacen("\n42\n", "\n43\n", 1);
        assert_eq!(v.verify_note(&changed), Err(NoteError::BadSignature));
        assert!(v.verify_note("no signature at all\n").is_err());
    }

    #[test]
    fn keys_round_trip_through_their_text_forms() {
        let s = signer("example.com/log", 3);
        let again = NoteSigner::parse(&s.private_key_string()).unwrap();
        assert_eq!(again.id(), s.id());
        assert!(NoteVerifier::parse("bad+key").is_err());
        let vkey = s.verifier().vkey();
        assert!(vkey.starts_with("example.com/log+"));
        let tampered = vkey.replacen("+", "+0", 1);
        assert!(NoteVerifier::parse(&tampered).is_err());
    }

    /// The example key and note from the C2SP signed-note specification.
    #[test]
    fn matches_the_c2sp_example_vkey_format() {
        let v = NoteVerifier::parse(
            "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        )
        .unwrap();
        assert_eq!(v.name(), "PeterNeumann");
        assert_eq!(hex::encode(v.id()), "c74f20a3");
        let note = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";
        assert!(v.verify_note(note).unwrap().starts_with("If you think"));
        // Signing with the example's private key gives the example's note, byte for byte.
        let s = NoteSigner::parse(
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz",
        )
        .unwrap();
        let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
        assert_eq!(s.sign(text), note);
        // A verifier key whose base64 contains '+'.
        assert!(
            NoteVerifier::parse("TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6")
                .is_ok()
        );
        assert!(
            NoteVerifier::parse(
                "remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2"
            )
            .is_ok()
        );
    }

    #[test]
    fn cosignatures_verify_and_carry_their_time() {
        let w = signer("witness.example", 5);
        let body = Checkpoint {
            origin: "o".into(),
            size: 3,
            root: [1u8; 32],
        }
        .body();
        let line = w.cosign(&body, 1_700_000_000);
        let v = NoteVerifier::parse(&w.cosignature_verifier().vkey()).unwrap();
        assert_eq!(v.verify_cosignature(&body, &line), Ok(1_700_000_000));
        let other_body = Checkpoint {
            origin: "o".into(),
            size: 4,
            root: [1u8; 32],
        }
        .body();
        assert_eq!(
            v.verify_cosignature(&other_body, &line),
            Err(NoteError::BadSignature)
        );
        // A note key is not a cosignature key.
        assert!(w.verifier().verify_cosignature(&body, &line).is_err());
    }
}
