//! Recently resolved API tokens, kept in this process for a few seconds so that a busy
//! client does not cost two reads per request, and when each token's "last used" time was
//! last written.

use crate::kernel::actor::UserActor;
use crate::kernel::app::App;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

/// How long a resolved API token is trusted without reading it again.
pub const TOKEN_CACHE_SECONDS: u64 = 5;

/// A resolved token: its account, when it expires, and when it was read.
type CachedToken = (UserActor, DateTime<Utc>, Instant);

/// The auth wing's runtime. Emptied when this process revokes a token or changes an
/// account, so other processes see such a change within [`TOKEN_CACHE_SECONDS`].
#[derive(Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<String, CachedToken>>,
    touched: Mutex<HashMap<i64, DateTime<Utc>>>,
}

/// This app's token cache.
pub fn cache(app: &App) -> &TokenCache {
    app.wing::<TokenCache>()
}

impl TokenCache {
    /// The account behind a token hash, if resolved in the last few seconds and not expired.
    pub fn cached_token(&self, hash: &str, now: DateTime<Utc>) -> Option<UserActor> {
        let m = self.tokens.lock().expect("token cache lock");
        let (actor, expires_at, at) = m.get(hash)?;
        (at.elapsed().as_secs() < TOKEN_CACHE_SECONDS && *expires_at > now).then(|| actor.clone())
    }

    pub fn cache_token(&self, hash: String, actor: UserActor, expires_at: DateTime<Utc>) {
        let mut m = self.tokens.lock().expect("token cache lock");
        if m.len() > 10_000 {
            m.retain(|_, (_, _, at)| at.elapsed().as_secs() < TOKEN_CACHE_SECONDS);
        }
        m.insert(hash, (actor, expires_at, Instant::now()));
    }

    /// Forgets every resolved token (after a revocation or an account change).
    pub fn forget_tokens(&self) {
        self.tokens.lock().expect("token cache lock").clear();
    }

    /// Whether this request should write the token's "last used" time: true for the first
    /// request of a token in each minute.
    pub fn claim_token_touch(&self, token_id: i64, now: DateTime<Utc>) -> bool {
        let mut m = self.touched.lock().expect("token touch lock");
        match m.get(&token_id) {
            Some(t) if now - *t < chrono::Duration::seconds(60) => false,
            _ => {
                m.insert(token_id, now);
                true
            }
        }
    }
}
