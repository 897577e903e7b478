//! One citizen plumbing for work orders and applications: tracking codes (made from the core's
//! [`TrackingCode`] and kept unique inside the write transaction), and finding a case by its
//! code and the last four digits of the phone, compared in constant time. The phone itself is
//! the core's [`jiceng_core::citizen::PhoneNumber`].

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

/// The row a citizen names by its code and the last four digits of the phone. `last4_of`
/// gives the stored digits, or `None` for a row that cannot be named this way (an anonymous
/// report). A wrong code, wrong digits and a malformed code all answer `not_found`, so that
/// nothing tells them apart.
pub async fn by_code_and_last4<E, C>(
    db: &C,
    column: E::Column,
    code: &str,
    last4: &str,
    last4_of: impl Fn(&E::Model) -> Option<&str>,
    not_found: impl Fn() -> AppError,
) -> AppResult<E::Model>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let (Ok(code), last4) = (TrackingCode::parse(code), last4.trim()) else {
        return Err(not_found());
    };
    if last4.is_empty() {
        return Err(not_found());
    }
    E::find()
        .filter(column.eq(code.as_str()))
        .one(db)
        .await?
        .filter(|m| last4_of(m).is_some_and(|stored| same_secret(stored, last4)))
        .ok_or_else(not_found)
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
