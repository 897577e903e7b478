//! Sign-in, lockout, web sessions and API tokens.

pub mod api;
pub mod pages;
pub mod tokens;
pub mod users;

use crate::error::AppError;
use crate::error::AppResult;
use crate::error::Code;
use crate::kernel::actor::Actor;
use crate::kernel::actor::AuthVia;
use crate::kernel::actor::UserActor;
use crate::kernel::app::App;
use crate::kernel::audit;
use crate::kernel::audit::Event;
use crate::store::entities::api_token;
use crate::store::entities::login_throttle;
use crate::store::entities::session;
use crate::store::entities::user;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use jiceng_core::lockout::{FailureOutcome, LockoutPolicy, LockoutState};
use jiceng_core::{Jurisdiction, RegionCode};
use rand::RngCore;
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// Sessions and tokens are touched at most this often, to spare the database a write per request.
const TOUCH_EVERY: Duration = Duration::seconds(60);

pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// argon2id hash in PHC format. Checks the password policy first.
pub fn hash_password(password: &str) -> AppResult<String> {
    jiceng_core::password::check(password)
        .map_err(|e| AppError::field("password", Code::UserWeakPassword, e.to_string()))?;
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::internal(anyhow::anyhow!("argon2: {e}")))
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash to verify against when the user does not exist, so that both cases take as long.
fn dummy_hash() -> &'static str {
    static H: OnceLock<String> = OnceLock::new();
    H.get_or_init(|| hash_password(&random_token(24)).expect("random password passes the policy"))
}

fn invalid_credentials() -> AppError {
    AppError::new(Code::AuthInvalidCredentials, "用户名或密码错误")
}

fn locked() -> AppError {
    AppError::new(
        Code::AuthLocked,
        "登录失败次数过多，该账户已临时锁定，请15分钟后再试",
    )
}

pub fn normalise_username(s: &str) -> String {
    s.trim().to_lowercase()
}

fn state_of(r: &login_throttle::Model) -> LockoutState {
    crate::kernel::throttle::state(r.failures, r.window_start, r.locked_until)
}

/// The longest user name accepted at login; longer ones are refused before anything is written.
pub const MAX_USERNAME_CHARS: usize = 64;

/// At most this many password verifications run at once (argon2 takes ~19 MiB each); more
/// wait up to [`GATE_WAIT`] for a turn, then get 503.
pub struct PasswordGate {
    turns: std::sync::Arc<tokio::sync::Semaphore>,
    permits: usize,
}

const GATE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

impl Default for PasswordGate {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let permits = (cores * 2).max(2);
        Self {
            turns: std::sync::Arc::new(tokio::sync::Semaphore::new(permits)),
            permits,
        }
    }
}

impl PasswordGate {
    /// How many verifications may run at once.
    pub fn permits(&self) -> usize {
        self.permits
    }
}

/// The key a name's throttle row is kept under: a keyed digest, so that a password typed into
/// the name field is never stored (and the log names an unknown name only by a prefix of it).
pub(crate) fn throttle_key(app: &App, username: &str) -> String {
    app.data_key.lookup_digest(&format!("login:{username}"))
}

/// Verifies a password off the async threads, bounded by the [`PasswordGate`].
async fn verify_bounded(app: &App, hash: String, password: &str) -> AppResult<bool> {
    let gate = app.wing::<PasswordGate>();
    let permit = tokio::time::timeout(GATE_WAIT, gate.turns.clone().acquire_owned())
        .await
        .map_err(|_| AppError::new(Code::AuthBusy, "登录人数较多，请稍后再试"))?
        .map_err(AppError::internal)?;
    let pw = password.to_string();
    // The turn goes with the verification: a request dropped while argon2 runs still holds it
    // until the hash is done, so cancelling cannot start more than the gate allows.
    tokio::task::spawn_blocking(move || {
        let ok = verify_password(&hash, &pw);
        drop(permit);
        ok
    })
    .await
    .map_err(AppError::internal)
}

/// The name's throttle row, locked for this transaction ([`crate::kernel::throttle`]).
async fn lock_throttle(
    txn: &sea_orm::DatabaseTransaction,
    key: &str,
) -> AppResult<login_throttle::Model> {
    crate::kernel::throttle::lock_row(
        txn,
        login_throttle::ActiveModel {
            username: Set(key.to_string()),
            failures: Set(0),
            window_start: Set(None),
            locked_until: Set(None),
            refusal_logged: Set(false),
        },
        login_throttle::Column::Username,
        login_throttle::Entity::find_by_id(key.to_string()),
    )
    .await
}

/// Checks a user name and password, counting failures per name (whether or not the name
/// exists) and locking the name after too many.
///
/// The lock is decided inside the write transaction that counts the failure, after the
/// password was verified, on the row locked for that transaction: concurrent wrong passwords
/// each count, a lock is never lowered, and a correct password that arrives while the name is
/// locked is refused too. A name over [`MAX_USERNAME_CHARS`] is refused before any write.
/// Refusals on a locked name are audited once per lock, not once each.
pub async fn authenticate(app: &App, username: &str, password: &str) -> AppResult<user::Model> {
    let username = normalise_username(username);
    if username.chars().count() > MAX_USERNAME_CHARS {
        return Err(AppError::field(
            "username",
            Code::AuthBadUsername,
            format!("用户名不超过{MAX_USERNAME_CHARS}个字符"),
        ));
    }
    let policy = LockoutPolicy::default();
    let key = throttle_key(app, &username);
    let found = user::Entity::find()
        .filter(user::Column::Username.eq(username.clone()))
        .one(&app.db.conn)
        .await?;
    // Who the log names: the account, or for an unknown name only a keyed digest of it.
    let subject = match &found {
        Some(u) => u.id.to_string(),
        None => format!("name:{}", &key[..16]),
    };
    // A locked name is refused without verifying or writing, unless this is the first
    // refusal of the lock (which is audited once).
    let seen = login_throttle::Entity::find_by_id(key.clone())
        .one(&app.db.conn)
        .await?;
    let locked_now = seen
        .as_ref()
        .filter(|t| policy.is_locked(&state_of(t), app.now()));
    if locked_now.is_some_and(|t| t.refusal_logged) {
        return Err(locked());
    }
    let ok = if locked_now.is_some() {
        false
    } else {
        let hash = found
            .as_ref()
            .filter(|u| u.active)
            .map(|u| u.password_hash.clone())
            .unwrap_or_else(|| dummy_hash().to_string());
        verify_bounded(app, hash, password).await?
    };
    let txn = app.db.begin_write().await?;
    let now = app.now();
    let t = lock_throttle(&txn, &key).await?;
    let state = state_of(&t);
    if policy.is_locked(&state, now) {
        if !t.refusal_logged {
            let mut am: login_throttle::ActiveModel = t.into();
            am.refusal_logged = Set(true);
            am.update(&txn).await?;
            let ev = Event::new("auth.login_refused", "user", subject)
                .reason("账户已临时锁定（锁定期间的其余尝试不再逐条记录）");
            audit::record(&txn, now, "anonymous", ev).await?;
            txn.commit().await?;
        }
        return Err(locked());
    }
    match found.filter(|u| u.active && ok) {
        Some(u) => {
            login_throttle::Entity::delete_by_id(key).exec(&txn).await?;
            txn.commit().await?;
            Ok(u)
        }
        None => {
            let (next, outcome) = policy.on_failure(&state, now);
            let mut am: login_throttle::ActiveModel = t.into();
            am.failures = Set(next.failures as i32);
            am.window_start = Set(next.window_start);
            am.locked_until = Set(next.locked_until);
            am.refusal_logged = Set(false);
            am.update(&txn).await?;
            audit::record(
                &txn,
                now,
                "anonymous",
                Event::new("auth.login_failed", "user", subject.clone()),
            )
            .await?;
            if outcome == FailureOutcome::Locked {
                let ev = Event::new("auth.lockout", "user", subject).reason("15分钟内连续失败5次");
                audit::record(&txn, now, "system:auth", ev).await?;
            }
            txn.commit().await?;
            Err(invalid_credentials())
        }
    }
}

pub struct NewSession {
    /// The cookie value; only its hash is stored.
    pub cookie: String,
    pub csrf_token: String,
}

/// Signs in to the web UI: a new session stored in the database.
pub async fn login_web(app: &App, username: &str, password: &str) -> AppResult<NewSession> {
    let u = authenticate(app, username, password).await?;
    let cookie = random_token(32);
    let csrf_token = random_token(32);
    let now = app.now();
    let txn = app.db.begin_write().await?;
    session::ActiveModel {
        id_hash: Set(sha256_hex(&cookie)),
        user_id: Set(u.id),
        csrf_token: Set(csrf_token.clone()),
        created_at: Set(now),
        last_seen_at: Set(now),
    }
    .insert(&txn)
    .await?;
    audit::record(
        &txn,
        now,
        &format!("user:{}", u.username),
        Event::new("auth.login", "user", u.id.to_string()),
    )
    .await?;
    txn.commit().await?;
    Ok(NewSession { cookie, csrf_token })
}

/// The actor a user acts as; `unit_kind` is the kind of the user's department, if any.
pub fn actor_from_user(
    u: &user::Model,
    unit_kind: Option<jiceng_core::department::DepartmentKind>,
    via: AuthVia,
) -> AppResult<UserActor> {
    let role = u.role;
    let region = RegionCode::parse(&u.region_code).map_err(AppError::internal)?;
    Ok(UserActor {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        role,
        jurisdiction: Jurisdiction {
            region,
            department_id: u.department_id,
            assigned_only: unit_kind.is_some_and(|k| !k.is_territorial())
                && !role.works_whole_area(),
        },
        via,
    })
}

/// The actor a stored user acts as, with their unit's kind read from the database.
pub async fn actor_for<C: sea_orm::ConnectionTrait>(
    db: &C,
    u: &user::Model,
    via: AuthVia,
) -> AppResult<UserActor> {
    actor_from_user(u, unit_kind(db, u).await?, via)
}

/// The kind of a user's department, if the user belongs to one.
pub async fn unit_kind<C: sea_orm::ConnectionTrait>(
    db: &C,
    u: &user::Model,
) -> AppResult<Option<jiceng_core::department::DepartmentKind>> {
    let Some(d) = u.department_id else {
        return Ok(None);
    };
    Ok(crate::store::entities::department::Entity::find_by_id(d)
        .one(db)
        .await?
        .map(|d| d.kind))
}

/// The signed-in user behind a session cookie, if the session exists and is not idle too long.
pub async fn resolve_session(app: &App, cookie: &str) -> AppResult<Option<UserActor>> {
    let id_hash = sha256_hex(cookie);
    let Some(s) = session::Entity::find_by_id(id_hash.clone())
        .one(&app.db.conn)
        .await?
    else {
        return Ok(None);
    };
    let now = app.now();
    if now - s.last_seen_at > Duration::minutes(app.config.session_idle_minutes) {
        session::Entity::delete_by_id(id_hash)
            .exec(&app.db.conn)
            .await?;
        return Ok(None);
    }
    let Some(u) = user::Entity::find_by_id(s.user_id)
        .one(&app.db.conn)
        .await?
        .filter(|u| u.active)
    else {
        return Ok(None);
    };
    if now - s.last_seen_at > TOUCH_EVERY {
        session::Entity::update_many()
            .col_expr(
                session::Column::LastSeenAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(session::Column::IdHash.eq(id_hash.clone()))
            .exec(&app.db.conn)
            .await?;
    }
    actor_for(
        &app.db.conn,
        &u,
        AuthVia::Session {
            id_hash,
            csrf_token: s.csrf_token,
        },
    )
    .await
    .map(Some)
}

pub async fn logout(app: &App, actor: &UserActor) -> AppResult<()> {
    if let AuthVia::Session { id_hash, .. } = &actor.via {
        let txn = app.db.begin_write().await?;
        session::Entity::delete_by_id(id_hash.clone())
            .exec(&txn)
            .await?;
        let ev = Event::new("auth.logout", "user", actor.user_id.to_string());
        audit::record(&txn, app.now(), &format!("user:{}", actor.username), ev).await?;
        txn.commit().await?;
    }
    Ok(())
}

#[derive(Debug, Serialize)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Signs in for the API: a bearer token, stored hashed.
pub async fn issue_token(app: &App, username: &str, password: &str) -> AppResult<IssuedToken> {
    let u = authenticate(app, username, password).await?;
    let token = format!("jc_{}", random_token(32));
    let now = app.now();
    let expires_at = now + Duration::hours(app.config.token_ttl_hours);
    let txn = app.db.begin_write().await?;
    let row = api_token::ActiveModel {
        user_id: Set(u.id),
        token_hash: Set(sha256_hex(&token)),
        created_at: Set(now),
        expires_at: Set(expires_at),
        last_used_at: Set(None),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let ev = Event::new("auth.token_issued", "api_token", row.id.to_string());
    audit::record(&txn, now, &format!("user:{}", u.username), ev).await?;
    txn.commit().await?;
    Ok(IssuedToken { token, expires_at })
}

/// The user behind a bearer token; an unknown, revoked or expired token is a 401.
pub async fn resolve_token(app: &App, token: &str) -> AppResult<UserActor> {
    let invalid = || AppError::new(Code::AuthTokenInvalid, "访问令牌无效或已被撤销");
    let hash = sha256_hex(token);
    let now = app.now();
    if let Some(actor) = crate::auth::tokens::cache(app).cached_token(&hash, now) {
        return Ok(actor);
    }
    let Some(t) = api_token::Entity::find()
        .filter(api_token::Column::TokenHash.eq(hash.clone()))
        .one(&app.db.conn)
        .await?
    else {
        return Err(invalid());
    };
    if t.revoked_at.is_some() {
        return Err(invalid());
    }
    if t.expires_at <= now {
        return Err(AppError::new(
            Code::AuthTokenExpired,
            "访问令牌已过期，请重新获取",
        ));
    }
    let u = user::Entity::find_by_id(t.user_id)
        .one(&app.db.conn)
        .await?
        .filter(|u| u.active)
        .ok_or_else(invalid)?;
    // "Last used" is kept to the minute, and only one request of a burst writes it: a busy
    // API client must not queue a write per request behind the intake writer.
    if t.last_used_at.is_none_or(|l| now - l > TOUCH_EVERY)
        && crate::auth::tokens::cache(app).claim_token_touch(t.id, now)
    {
        api_token::Entity::update_many()
            .col_expr(
                api_token::Column::LastUsedAt,
                sea_orm::sea_query::Expr::value(now),
            )
            .filter(api_token::Column::Id.eq(t.id))
            .exec(&app.db.conn)
            .await?;
    }
    let actor = actor_for(&app.db.conn, &u, AuthVia::Token { id: t.id }).await?;
    crate::auth::tokens::cache(app).cache_token(hash, actor.clone(), t.expires_at);
    Ok(actor)
}

#[derive(Debug, Serialize)]
pub struct TokenView {
    pub id: i64,
    pub user_id: i64,
    pub username: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub current: bool,
}

/// Tokens the actor may see: its own, or for an admin every token of users in its jurisdiction.
pub async fn list_tokens(app: &App, actor: &UserActor) -> AppResult<Vec<TokenView>> {
    let users: Vec<user::Model> = if actor.administers() {
        user::Entity::find()
            .filter(user::Column::RegionCode.like(actor.jurisdiction.region_like_pattern()))
            .all(&app.db.conn)
            .await?
    } else {
        user::Entity::find_by_id(actor.user_id)
            .all(&app.db.conn)
            .await?
    };
    let names: std::collections::HashMap<i64, String> =
        users.into_iter().map(|u| (u.id, u.username)).collect();
    let tokens = api_token::Entity::find()
        .filter(api_token::Column::UserId.is_in(names.keys().copied()))
        .order_by_desc(api_token::Column::Id)
        .all(&app.db.conn)
        .await?;
    Ok(tokens
        .into_iter()
        .map(|t| TokenView {
            id: t.id,
            user_id: t.user_id,
            username: names.get(&t.user_id).cloned().unwrap_or_default(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            current: actor.via == AuthVia::Token { id: t.id },
        })
        .collect())
}

pub async fn revoke_token(app: &App, actor: &UserActor, id: i64) -> AppResult<()> {
    let not_found = || AppError::new(Code::ApiTokenNotFound, "访问令牌不存在");
    let t = api_token::Entity::find_by_id(id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    let owner = user::Entity::find_by_id(t.user_id)
        .one(&app.db.conn)
        .await?
        .ok_or_else(not_found)?;
    let owner_region = RegionCode::parse(&owner.region_code).map_err(AppError::internal)?;
    let allowed = owner.id == actor.user_id
        || (actor.administers() && actor.jurisdiction.covers_region(&owner_region));
    if !allowed {
        // Outside the jurisdiction the token is not even acknowledged to exist.
        let a = Actor::User(actor.clone());
        audit::deny(app, &a, "api_token.revoke", "api_token", &id.to_string()).await;
        return Err(not_found());
    }
    if t.revoked_at.is_some() {
        return Ok(());
    }
    let now = app.now();
    let txn = app.db.begin_write().await?;
    let mut m: api_token::ActiveModel = t.into();
    m.revoked_at = Set(Some(now));
    m.update(&txn).await?;
    let ev = Event::new("auth.token_revoked", "api_token", id.to_string());
    audit::record(&txn, now, &format!("user:{}", actor.username), ev).await?;
    txn.commit().await?;
    crate::auth::tokens::cache(app).forget_tokens();
    Ok(())
}
