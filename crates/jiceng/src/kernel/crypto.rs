//! Personal data at rest (phone numbers, ID numbers): sealed with ChaCha20-Poly1305 under the
//! data key, looked up by a keyed digest, shown masked. Also the HMAC that signs webhooks.

use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::path::Path;

const KEY_PREFIX: &str = "jiceng-data-key-v1:";
const SEALED_PREFIX: &str = "v1.";

/// The key that seals personal data. The same key must be configured on every server of a
/// deployment; losing it loses the sealed data.
pub struct DataKey {
    cipher: ChaCha20Poly1305,
    lookup: [u8; 32],
}

impl DataKey {
    pub fn from_bytes(key: [u8; 32]) -> DataKey {
        // The look-up digests use a key of their own, derived from the data key.
        let lookup: [u8; 32] = Sha256::new()
            .chain_update(b"jiceng lookup digest")
            .chain_update(key)
            .finalize()
            .into();
        DataKey {
            cipher: ChaCha20Poly1305::new(Key::from_slice(&key)),
            lookup,
        }
    }

    /// Reads the key file, or creates it (readable by its owner only) when missing.
    pub fn load_or_create(path: &Path) -> anyhow::Result<DataKey> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let Some(b) = text.trim().strip_prefix(KEY_PREFIX) else {
                    bail!("数据密钥文件 {} 格式不正确", path.display());
                };
                let bytes = B64
                    .decode(b)
                    .ok()
                    .and_then(|v| <[u8; 32]>::try_from(v).ok())
                    .with_context(|| format!("数据密钥文件 {} 格式不正确", path.display()))?;
                Ok(DataKey::from_bytes(bytes))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir)
                        .with_context(|| format!("无法创建目录 {}", dir.display()))?;
                }
                let text = format!("{KEY_PREFIX}{}\n", B64.encode(key));
                write_private(path, &text)
                    .with_context(|| format!("无法写入数据密钥文件 {}", path.display()))?;
                tracing::info!(path = %path.display(), "generated the data key");
                Ok(DataKey::from_bytes(key))
            }
            Err(e) => Err(e).with_context(|| format!("无法读取数据密钥文件 {}", path.display())),
        }
    }

    /// A public fingerprint of the key (not the key): what the database keeps, so that a node
    /// started with another key is refused.
    pub fn fingerprint(&self) -> String {
        hex::encode(
            &Sha256::new()
                .chain_update(b"jiceng data key fingerprint")
                .chain_update(self.lookup)
                .finalize()[..16],
        )
    }

    /// Seals a value; the empty value stays empty.
    pub fn seal(&self, plain: &str) -> String {
        if plain.is_empty() {
            return String::new();
        }
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&nonce), plain.as_bytes())
            .expect("ChaCha20-Poly1305 encryption does not fail for in-memory data");
        let mut out = nonce.to_vec();
        out.extend(ct);
        format!("{SEALED_PREFIX}{}", B64.encode(out))
    }

    /// Opens a sealed value; `None` when it was sealed under another key or altered.
    pub fn open(&self, sealed: &str) -> Option<String> {
        if sealed.is_empty() {
            return Some(String::new());
        }
        let raw = B64.decode(sealed.strip_prefix(SEALED_PREFIX)?).ok()?;
        if raw.len() < 12 {
            return None;
        }
        let (nonce, ct) = raw.split_at(12);
        let plain = self.cipher.decrypt(Nonce::from_slice(nonce), ct).ok()?;
        String::from_utf8(plain).ok()
    }

    /// A keyed digest of a value, to find records by it without storing it in the clear.
    pub fn lookup_digest(&self, value: &str) -> String {
        hmac_sha256_hex(&self.lookup, value.as_bytes())
    }
}

/// HMAC-SHA256 of a message, in hex.
pub fn hmac_sha256_hex(key: &[u8], msg: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(msg);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(unix)]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    std::fs::write(path, text)
}

/// Loads the configured data key and holds it against the database: the first node to start
/// stores the key's fingerprint; a node whose key differs, or that has no key file while the
/// database holds sealed data, refuses to start, naming the configured key file.
pub async fn open_data_key(db: &crate::store::Db, path: &Path) -> anyhow::Result<DataKey> {
    const SETTING: &str = "data_key_fingerprint";
    let stored = db.setting(SETTING).await?;
    // A database sealed before fingerprints were kept: one sealed value, read once, stands
    // for all of them.
    let sample = match stored {
        Some(_) => None,
        None => db.a_sealed_value().await?,
    };
    if !path.exists() && (stored.is_some() || sample.is_some()) {
        bail!(
            "数据库中的个人信息已用数据密钥加密，但找不到配置的数据密钥文件 {path}：请把各节点共用的 data.key 放到该位置（或用 data_key_file 指向它），不要生成新密钥。\n\
             the database holds data sealed with a data key, but the configured data key file {path} does not exist; copy the deployment's data.key there instead of generating a new one",
            path = path.display()
        );
    }
    let key = DataKey::load_or_create(path)?;
    let fp = key.fingerprint();
    let stored = match stored {
        Some(s) => s,
        None => {
            // The key must open what the database already holds.
            if let Some(sample) = &sample
                && key.open(sample).is_none()
            {
                bail!(
                    "配置的数据密钥文件 {path} 打不开本数据库中已加密的个人信息，拒绝启动：各节点必须使用同一个 data.key。\n\
                     the data key file {path} cannot open the personal data this database holds; every node must use the same data.key",
                    path = path.display()
                );
            }
            db.put_setting_once(SETTING, &fp).await?
        }
    };
    if stored != fp {
        bail!(
            "配置的数据密钥文件 {path} 与本数据库使用的数据密钥不一致（指纹 {fp}，数据库中为 {stored}），拒绝启动：各节点必须使用同一个 data.key。\n\
             the data key file {path} is not the key this database was sealed with (fingerprint {fp}, the database has {stored}); every node must use the same data.key",
            path = path.display()
        );
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_tamper() {
        let k = DataKey::from_bytes([7; 32]);
        let s = k.seal("13812345678");
        assert_ne!(s, k.seal("13812345678"), "a fresh nonce each time");
        assert_eq!(k.open(&s).as_deref(), Some("13812345678"));
        let mut bad = s.clone().into_bytes();
        let i = bad.len() - 3;
        bad[i] = if bad[i] == b'A' { b'B' } else { b'A' };
        assert_eq!(k.open(&String::from_utf8(bad).unwrap()), None);
        assert_eq!(DataKey::from_bytes([8; 32]).open(&s), None);
        assert_eq!(k.seal(""), "");
        assert_eq!(
            k.lookup_digest("x"),
            DataKey::from_bytes([7; 32]).lookup_digest("x")
        );
    }

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn key_file_is_created_then_read_back() {
        let dir = std::env::temp_dir().join(format!("jiceng-key-{}", std::process::id()));
        let path = dir.join("data.key");
        let _ = std::fs::remove_file(&path);
        let a = DataKey::load_or_create(&path).unwrap();
        let b = DataKey::load_or_create(&path).unwrap();
        assert_eq!(b.open(&a.seal("甲")).as_deref(), Some("甲"));
        std::fs::write(&path, "garbage").unwrap();
        assert!(DataKey::load_or_create(&path).is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
