//! One citizen plumbing for work orders and applications: tracking codes (made from the core's
//! [`TrackingCode`] and kept unique inside the write transaction), the citizen's own 查询密码
//! (six digits shown once, stored as a keyed digest, wrong ones counted per code), finding a
//! case by code and pin in constant time, client keys per submitter, and phone numbers parsed
//! once into the core's [`jiceng_core::citizen::PhoneNumber`].

use crate::error::{AppError, AppResult, Code};
use jiceng_core::citizen::{PhoneNumber, RANDOM_BYTES, TrackingCode, same_secret};
use rand::RngCore;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::HashSet;

/// What a citizen or clerk is told when a phone number is not one.
pub const BAD_PHONE: &str = "电话号码格式不正确（11位手机号或带区号的固定电话）";

/// Parses a phone number once, at the edge of a use case; a bad one is a field error naming
/// `field` with `code`.
pub fn phone(field: &str, code: Code, s: &str) -> AppResult<PhoneNumber> {
    PhoneNumber::parse(s).map_err(|_| AppError::field(field, code, BAD_PHONE))
}

/// A new random code; `prefix` is `Some('S')` for applications, `None` for work orders.
pub fn new_code(prefix: Option<char>) -> String {
    let mut bytes = [0u8; RANDOM_BYTES];
    rand::rng().fill_bytes(&mut bytes);
    TrackingCode::from_random(prefix, &bytes).into_string()
}

/// `n` distinct codes that no row of `E` holds in `column` yet, one query a round; run
/// inside the transaction that inserts them.
pub async fn fresh_codes<E, C>(
    txn: &C,
    column: E::Column,
    prefix: Option<char>,
    n: usize,
) -> AppResult<Vec<String>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut codes: Vec<String> = Vec::with_capacity(n);
    loop {
        let mut seen: HashSet<String> = codes.iter().cloned().collect();
        while codes.len() < n {
            let c = new_code(prefix);
            if seen.insert(c.clone()) {
                codes.push(c);
            }
        }
        let taken: HashSet<String> = E::find()
            .select_only()
            .column(column)
            .filter(column.is_in(codes.clone()))
            .into_tuple::<String>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        if taken.is_empty() {
            return Ok(codes);
        }
        codes.retain(|c| !taken.contains(c));
    }
}

/// Digits of a 查询密码.
pub const PIN_DIGITS: usize = 6;

/// A new 查询密码: six random digits, shown once to the citizen (the confirmation page, the
/// receipt, the SMS) and stored only as [`pin_digest`].
pub fn new_pin() -> String {
    use rand::Rng;
    format!("{:06}", rand::rng().random_range(0..1_000_000u32))
}

/// The stored form of a pin: keyed with the data key and salted with the case's code, so that
/// the table alone cannot be searched for the million pins.
pub fn pin_digest(key: &crate::kernel::crypto::DataKey, code: &str, pin: &str) -> String {
    key.lookup_digest(&format!("pin:{code}:{pin}"))
}

/// Wrong pins: five within an hour lock the code for an hour.
fn pin_policy() -> jiceng_core::lockout::LockoutPolicy {
    jiceng_core::lockout::LockoutPolicy {
        max_failures: 5,
        window: chrono::Duration::hours(1),
        lock_for: chrono::Duration::hours(1),
    }
}

fn pin_locked() -> AppError {
    AppError::new(
        Code::CitizenPinLocked,
        "查询密码错误次数过多，该查询码已锁定1小时；请稍后再试，或拨打12345查询",
    )
}

/// The row a citizen names by its code and 查询密码. `digest_of` gives the stored pin digest,
/// or `None` for a row that cannot be named this way (a case from before
/// pins). A wrong code, a wrong pin and a malformed one all answer `not_found`, so nothing
/// tells them apart; wrong pins are counted per code, and the sixth within an hour is refused
/// with 429 until the hour is over, whatever pin it brings.
pub async fn by_code_and_pin<E>(
    app: &crate::kernel::app::App,
    column: E::Column,
    code: &str,
    pin: &str,
    digest_of: impl Fn(&E::Model) -> Option<&str>,
    not_found: impl Fn() -> AppError,
) -> AppResult<E::Model>
where
    E: EntityTrait,
{
    use crate::store::entities::pin_throttle;
    use sea_orm::ActiveModelTrait;
    use sea_orm::ActiveValue::Set;
    let Ok(code) = TrackingCode::parse(code) else {
        return Err(not_found());
    };
    let code = code.as_str().to_string();
    let pin = pin.trim();
    let policy = pin_policy();
    let state = |t: &pin_throttle::Model| {
        crate::kernel::throttle::state(t.failures, t.window_start, t.locked_until)
    };
    let seen = pin_throttle::Entity::find_by_id(code.clone())
        .one(&app.db.conn)
        .await?;
    if seen
        .as_ref()
        .is_some_and(|t| policy.is_locked(&state(t), app.now()))
    {
        return Err(pin_locked());
    }
    let found = E::find()
        .filter(column.eq(code.as_str()))
        .one(&app.db.conn)
        .await?;
    let well_formed = pin.len() == PIN_DIGITS && pin.bytes().all(|b| b.is_ascii_digit());
    let expected = pin_digest(&app.data_key, &code, pin);
    if let Some(m) = found.filter(|m| {
        well_formed && digest_of(m).is_some_and(|stored| same_secret(stored, &expected))
    }) {
        if seen.is_some() {
            pin_throttle::Entity::delete_by_id(code)
                .exec(&app.db.conn)
                .await?;
        }
        return Ok(m);
    }
    // A wrong pin counts, on the code's row locked for this transaction.
    let txn = app.db.begin_write().await?;
    let t = crate::kernel::throttle::lock_row(
        &txn,
        pin_throttle::ActiveModel {
            code: Set(code.clone()),
            failures: Set(0),
            window_start: Set(None),
            locked_until: Set(None),
        },
        pin_throttle::Column::Code,
        pin_throttle::Entity::find_by_id(code),
    )
    .await?;
    let now = app.now();
    if policy.is_locked(&state(&t), now) {
        return Err(pin_locked());
    }
    let (next, _) = policy.on_failure(&state(&t), now);
    let mut am: pin_throttle::ActiveModel = t.into();
    am.failures = Set(next.failures as i32);
    am.window_start = Set(next.window_start);
    am.locked_until = Set(next.locked_until);
    am.update(&txn).await?;
    txn.commit().await?;
    Err(not_found())
}

/// Whose client keys a submission's key is among: an account's (staff, API clients), the
/// system's, or a citizen's, known by a keyed digest of the phone they give (anonymous
/// citizens share one space). Keys are stored with their scope, so resending someone else's
/// key never answers with their case.
pub fn client_key_scope(
    actor: Option<&crate::kernel::actor::Actor>,
    phone: Option<&str>,
    key: &crate::kernel::crypto::DataKey,
) -> String {
    use crate::kernel::actor::Actor;
    match actor {
        Some(Actor::User(u)) => format!("u{}", u.user_id),
        Some(Actor::System(s)) => format!("s:{s}"),
        None => match phone.and_then(|p| PhoneNumber::parse(p).ok()) {
            Some(p) => {
                let d = key.lookup_digest(&format!("client-key:{}", p.as_str()));
                format!("c{}", &d[..16])
            }
            None => "c".into(),
        },
    }
}

/// A client key as sent (`client_key`: letters, digits, `-` and `_`, at most 64), trimmed,
/// and stored under its submitter's `scope` ([`client_key_scope`]); an empty one is none.
/// Work orders and applications both read it here.
pub fn parse_client_key(k: Option<&str>, scope: &str) -> Result<Option<String>, &'static str> {
    match k.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(k)
            if k.len() <= 64
                && k.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            Ok(Some(format!("{scope}/{k}")))
        }
        Some(_) => Err("client_key 只能由字母、数字、- 和 _ 组成，最长64个字符"),
    }
}
