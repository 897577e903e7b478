//! Layered configuration: defaults < TOML file < environment < command-line flags.
//!
//! Secrets may come from files: `JICENG_DATABASE_URL_FILE` (or `database_url_file` in the
//! TOML file) names a file whose trimmed content is the database URL.

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SecureCookies {
    /// Secure when the request arrived over TLS (`X-Forwarded-Proto: https` from the proxy).
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub database_url: String,
    pub database_url_file: Option<PathBuf>,
    pub listen: String,
    /// Web sessions end after this many minutes without a request.
    pub session_idle_minutes: i64,
    /// API bearer tokens expire after this many hours.
    pub token_ttl_hours: i64,
    pub secure_cookies: SecureCookies,
    /// Enables `POST /api/v1/admin/clock` and shows the simulated time in the header.
    pub fake_clock: bool,
    /// Largest request body accepted, in bytes.
    pub body_limit_bytes: usize,
    /// tracing filter, e.g. `info` or `jiceng=debug`.
    pub log: String,
    /// Where the server keeps files of its own (the audit signing key).
    pub data_dir: PathBuf,
    /// The audit log's Ed25519 signing key (`PRIVATE+KEY+…`); generated on first use when
    /// missing. Default: `DATA_DIR/audit-signing.key`.
    pub audit_key_file: Option<PathBuf>,
    /// Origin line of checkpoints, used when the key is generated. Default: the county code.
    pub audit_origin: Option<String>,
    /// A new checkpoint is signed at most this often, when the log has grown.
    pub checkpoint_interval_seconds: u64,
    /// Verifier keys (cosignature/v1, type 0x04) of witnesses that may cosign checkpoints.
    pub witnesses: Vec<String>,
    /// The escalation scheduler runs this often (and at once when the fake clock moves).
    pub escalation_interval_ms: u64,
    /// Below this classification confidence (0–1) an order is not dispatched automatically but
    /// waits for a dispatcher. 0 dispatches every guess.
    pub auto_dispatch_min_confidence: f64,
    /// The key that seals personal data (phone and ID numbers); generated on first use when
    /// missing. Every server of a deployment needs the same file. Default: `DATA_DIR/data.key`.
    pub data_key_file: Option<PathBuf>,
    /// Notifications are POSTed here as JSON signed with HMAC-SHA256 (an SMS gateway, another
    /// system). `http://` only: put a TLS proxy in front of an `https` receiver.
    pub notify_webhook_url: Option<String>,
    /// The webhook's HMAC key.
    pub notify_webhook_secret: Option<String>,
    /// Notifications to units with an e-mail address go through this server:
    /// `smtp://user:password@host:25`.
    pub smtp_url: Option<String>,
    /// The sender of notification e-mails.
    pub smtp_from: String,
    /// Runs the escalation scheduler and the notification sender in the server (tests that
    /// drive them step by step turn this off).
    pub background_jobs: bool,
    /// Reports citizens may send without signing in, per address: a burst of this many, then
    /// this many per hour. 0 turns the limit off.
    pub citizen_reports_per_hour: u32,
    /// Look-ups by tracking code and 查询密码 (tracking, rating, supplementing) citizens may
    /// make, per address: a burst of this many, then this many per hour. 0 turns it off.
    pub citizen_lookups_per_hour: u32,
    /// Take the citizen's address from the first `X-Forwarded-For` hop (behind a proxy that
    /// sets it) instead of the connection's.
    pub trust_forwarded_for: bool,
    /// Addresses of the hall's self-service kiosks, which take tickets and applications for
    /// many citizens and so are not held to the citizens' allowance.
    pub kiosk_addresses: Vec<String>,
    /// 好差评: working days a unit has to contact who gave a 差评, and to rectify and answer.
    pub rectify_contact_days: u32,
    pub rectify_answer_days: u32,
    /// The address citizens reach this site at (`https://12345.example.gov.cn`), printed on
    /// receipts and in their QR codes. Default: the address the printing browser used.
    pub public_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://jiceng.db?mode=rwc".into(),
            database_url_file: None,
            listen: "127.0.0.1:8080".into(),
            session_idle_minutes: 30,
            token_ttl_hours: 24 * 30,
            secure_cookies: SecureCookies::Auto,
            fake_clock: false,
            // Nine photos of up to 1 MiB each, in base64, fit.
            body_limit_bytes: 14 * 1024 * 1024,
            log: "info".into(),
            data_dir: PathBuf::from("."),
            audit_key_file: None,
            audit_origin: None,
            checkpoint_interval_seconds: 10,
            witnesses: Vec::new(),
            escalation_interval_ms: 1000,
            auto_dispatch_min_confidence: 0.5,
            data_key_file: None,
            notify_webhook_url: None,
            notify_webhook_secret: None,
            smtp_url: None,
            smtp_from: "jiceng@localhost".into(),
            public_url: None,
            background_jobs: true,
            citizen_reports_per_hour: 20,
            citizen_lookups_per_hour: 60,
            trust_forwarded_for: false,
            kiosk_addresses: Vec::new(),
            rectify_contact_days: 1,
            rectify_answer_days: 15,
        }
    }
}

/// Values given on the command line; `None` leaves the lower layers in force.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub fake_clock: Option<bool>,
}

fn read_secret_file(path: &Path) -> anyhow::Result<String> {
    let s = std::fs::read_to_string(path)
        .with_context(|| format!("无法读取密钥文件 {}", path.display()))?;
    Ok(s.trim().to_string())
}

fn parse_env<T: std::str::FromStr>(name: &str, value: &str) -> anyhow::Result<T> {
    value
        .trim()
        .parse()
        .map_err(|_| anyhow::anyhow!("环境变量 {name} 的值“{value}”无效"))
}

impl Config {
    /// Builds the effective configuration. `env` looks up an environment variable.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
        flags: &Overrides,
    ) -> anyhow::Result<Config> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .with_context(|| format!("无法读取配置文件 {}", p.display()))?;
                toml::from_str::<Config>(&text)
                    .with_context(|| format!("配置文件 {} 格式错误", p.display()))?
            }
            None => Config::default(),
        };
        if let Some(p) = c.database_url_file.clone() {
            c.database_url = read_secret_file(&p)?;
        }
        if let Some(v) = env("JICENG_DATABASE_URL") {
            c.database_url = v;
        }
        if let Some(p) = env("JICENG_DATABASE_URL_FILE") {
            c.database_url_file = Some(PathBuf::from(&p));
            c.database_url = read_secret_file(Path::new(&p))?;
        }
        if let Some(v) = env("JICENG_LISTEN") {
            c.listen = v;
        }
        if let Some(v) = env("JICENG_SESSION_IDLE_MINUTES") {
            c.session_idle_minutes = parse_env("JICENG_SESSION_IDLE_MINUTES", &v)?;
        }
        if let Some(v) = env("JICENG_TOKEN_TTL_HOURS") {
            c.token_ttl_hours = parse_env("JICENG_TOKEN_TTL_HOURS", &v)?;
        }
        if let Some(v) = env("JICENG_FAKE_CLOCK") {
            c.fake_clock = parse_env("JICENG_FAKE_CLOCK", &v)?;
        }
        if let Some(v) = env("JICENG_LOG") {
            c.log = v;
        }
        if let Some(v) = env("JICENG_DATA_DIR") {
            c.data_dir = PathBuf::from(v);
        }
        if let Some(v) = env("JICENG_AUDIT_KEY_FILE") {
            c.audit_key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env("JICENG_AUDIT_ORIGIN") {
            c.audit_origin = Some(v);
        }
        if let Some(v) = env("JICENG_DATA_KEY_FILE") {
            c.data_key_file = Some(PathBuf::from(v));
        }
        if let Some(v) = env("JICENG_NOTIFY_WEBHOOK_URL") {
            c.notify_webhook_url = Some(v);
        }
        if let Some(v) = env("JICENG_NOTIFY_WEBHOOK_SECRET") {
            c.notify_webhook_secret = Some(v);
        }
        if let Some(p) = env("JICENG_NOTIFY_WEBHOOK_SECRET_FILE") {
            c.notify_webhook_secret = Some(read_secret_file(Path::new(&p))?);
        }
        if let Some(v) = env("JICENG_SMTP_URL") {
            c.smtp_url = Some(v);
        }
        if let Some(p) = env("JICENG_SMTP_URL_FILE") {
            c.smtp_url = Some(read_secret_file(Path::new(&p))?);
        }
        if let Some(v) = env("JICENG_SMTP_FROM") {
            c.smtp_from = v;
        }
        if let Some(v) = env("JICENG_PUBLIC_URL") {
            c.public_url = Some(v);
        }
        if let Some(u) = &c.public_url {
            let ok = url::Url::parse(u)
                .is_ok_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
            if !ok {
                anyhow::bail!("public_url “{u}” 不是 http:// 或 https:// 开头的网址");
            }
        }
        if let Some(v) = &flags.database_url {
            c.database_url = v.clone();
        }
        if let Some(v) = &flags.listen {
            c.listen = v.clone();
        }
        if let Some(v) = flags.fake_clock {
            c.fake_clock = c.fake_clock || v;
        }
        c.validate()?;
        Ok(c)
    }

    fn validate(&self) -> anyhow::Result<()> {
        crate::store::Backend::from_url(&self.database_url)?;
        if self.session_idle_minutes < 1 {
            bail!("session_idle_minutes 必须至少为 1");
        }
        if !(0.0..=1.0).contains(&self.auto_dispatch_min_confidence) {
            bail!("auto_dispatch_min_confidence 必须在 0 到 1 之间");
        }
        if self.token_ttl_hours < 1 {
            bail!("token_ttl_hours 必须至少为 1");
        }
        if self.body_limit_bytes < 1024 {
            bail!("body_limit_bytes 必须至少为 1024");
        }
        if self.checkpoint_interval_seconds < 1 {
            bail!("checkpoint_interval_seconds 必须至少为 1");
        }
        if let Some(u) = &self.notify_webhook_url {
            if !u.starts_with("http://") {
                bail!(
                    "notify_webhook_url 只支持 http:// 地址（https 接收方请在本机加 TLS 代理）：{u}"
                );
            }
            if self
                .notify_webhook_secret
                .as_deref()
                .is_none_or(|s| s.len() < 16)
            {
                bail!("配置了 notify_webhook_url 时必须配置至少16个字符的 notify_webhook_secret");
            }
        }
        if let Some(u) = &self.smtp_url
            && !u.starts_with("smtp://")
        {
            bail!("smtp_url 只支持 smtp:// 地址");
        }
        for w in &self.witnesses {
            jiceng_core::note::NoteVerifier::parse(w)
                .map_err(|_| anyhow::anyhow!("见证方公钥格式不正确：{w}"))?;
        }
        Ok(())
    }

    pub fn data_key_path(&self) -> PathBuf {
        self.data_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("data.key"))
    }

    pub fn audit_key_path(&self) -> PathBuf {
        self.audit_key_file
            .clone()
            .unwrap_or_else(|| self.data_dir.join("audit-signing.key"))
    }

    /// The configuration as TOML with secrets redacted.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = crate::store::redact_url(&self.database_url);
        shown.smtp_url = self.smtp_url.as_deref().map(crate::store::redact_url);
        if shown.notify_webhook_secret.is_some() {
            shown.notify_webhook_secret = Some("******".into());
        }
        toml::to_string(&shown).unwrap_or_else(|e| format!("# 无法显示配置: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn precedence_defaults_file_env_flags() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("jiceng.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\nsession_idle_minutes = 10\n",
        )
        .unwrap();
        let secret = dir.path().join("db-url");
        std::fs::write(&secret, "postgres://u:pw@db/jiceng\n").unwrap();
        let env: HashMap<&str, String> = [
            ("JICENG_LISTEN", "127.0.0.1:9100".to_string()),
            ("JICENG_DATABASE_URL_FILE", secret.display().to_string()),
        ]
        .into();
        let lookup = |k: &str| env.get(k).cloned();
        let c = Config::load(Some(&file), lookup, &Overrides::default()).unwrap();
        assert_eq!(c.listen, "127.0.0.1:9100");
        assert_eq!(c.session_idle_minutes, 10);
        assert_eq!(c.database_url, "postgres://u:pw@db/jiceng");
        assert!(c.redacted_toml().contains("postgres://u:******@db/jiceng"));
        assert!(!c.redacted_toml().contains(":pw@"));
        let flags = Overrides {
            listen: Some("127.0.0.1:1".into()),
            ..Default::default()
        };
        let c = Config::load(Some(&file), lookup, &flags).unwrap();
        assert_eq!(c.listen, "127.0.0.1:1");
    }

    #[test]
    fn unknown_scheme_is_an_error() {
        let flags = Overrides {
            database_url: Some("mysql://x/y".into()),
            ..Default::default()
        };
        let err = Config::load(None, |_| None, &flags).unwrap_err();
        assert!(err.to_string().contains("mysql"));
    }
}
