//! What a citizen gives us to be reached and to find their case again: a phone number and a
//! tracking code (查询码), parsed once at the edge, plus the constant-time comparison used
//! for the last four digits of the phone and other secrets.
//!
//! - A phone number is accepted when, with spaces and dashes dropped, it is 7 to 12 ASCII
//!   digits (an 11-digit mobile number from 1, or a landline with its area code).
//! - A work-order code is 8 characters of [`CODE_ALPHABET`]; an application's receipt code is
//!   [`APPLICATION_PREFIX`] (`S`, never in the alphabet) followed by 8 such characters.

use serde::{Deserialize, Serialize};
use std::fmt;

// ---------------------------------------------------------------------------------------------
// Phone numbers

/// Why a string is not a phone number; the message is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("电话号码格式不正确（11位手机号或带区号的固定电话）")]
    Format,
}

/// A checked phone number, held as its digits only (spaces and dashes dropped).
///
/// There is no `Display`: the full number leaves only through [`PhoneNumber::as_str`] (or
/// serde), and `Debug` prints the masked form.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Shortest and longest accepted number of digits.
    pub const MIN_DIGITS: usize = 7;
    pub const MAX_DIGITS: usize = 12;

    /// Drops spaces and dashes (only those: no trimming of other whitespace, no `+86`, no
    /// full-width digits) and accepts 7 to 12 ASCII digits.
    ///
    /// The mobile rule (11 digits starting with 1) is a case of the landline rule, so any
    /// 11-digit number is accepted, whatever its first digit.
    pub fn parse(s: &str) -> Result<Self, PhoneError> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if (Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            Ok(Self(digits))
        } else {
            Err(PhoneError::Format)
        }
    }

    /// The digits, e.g. `13812345678`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For display: `138****5678`.
    pub fn masked(&self) -> String {
        mask_phone(&self.0)
    }

    /// The last four digits, which with the tracking code let a citizen find their case.
    pub fn last4(&self) -> &str {
        // ASCII digits only and at least MIN_DIGITS of them: the slice is on char boundaries.
        &self.0[self.0.len() - 4..]
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("PhoneNumber").field(&self.masked()).finish()
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = PhoneError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(p: PhoneNumber) -> String {
        p.0
    }
}

/// Masks a phone number for display: `138****5678`. Works on any string (stored or already
/// masked ones too): fewer than 7 characters become as many `*`; 11 and more keep the first 3
/// and the last 4 around `****` (`138****5678`); 7 to 10 hide 4 and split the rest
/// (`1****67` for a 7-digit landline, which the old rule showed whole).
pub fn mask_phone(p: &str) -> String {
    let chars: Vec<char> = p.chars().collect();
    let n = chars.len();
    if n < 7 {
        return "*".repeat(n);
    }
    // Eleven characters and more (mobiles, landlines with their area code): the first 3 and
    // the last 4 around `****`. Shorter ones (a 7-digit landline would otherwise show whole):
    // 4 hidden, the rest split between head and tail.
    let (head_len, tail_len) = if n >= 11 {
        (3, 4)
    } else {
        let shown = n - 4;
        (shown / 2, shown - shown / 2)
    };
    let head: String = chars[..head_len].iter().collect();
    let tail: String = chars[n - tail_len..].iter().collect();
    format!("{head}****{tail}")
}

// ---------------------------------------------------------------------------------------------
// Tracking codes

/// Characters of tracking codes: no 0/O, 1/I/L, 2/Z, 5/S, 8/B.
pub const CODE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";

/// Characters of a code after its prefix.
pub const CODE_LEN: usize = 8;

/// The first character of an application's receipt code; never in [`CODE_ALPHABET`], so it
/// tells application codes from work-order codes.
pub const APPLICATION_PREFIX: char = 'S';

/// Random bytes [`TrackingCode::from_random`] uses (more are ignored; fewer give fewer codes).
pub const RANDOM_BYTES: usize = 16;

/// Why a string is not a tracking code; the message is for people.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrackingCodeError {
    #[error("查询码格式不正确")]
    Format,
}

/// A work-order code (8 characters of [`CODE_ALPHABET`]) or an application's receipt code
/// ([`APPLICATION_PREFIX`] and 8 such characters), upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TrackingCode(String);

impl TrackingCode {
    /// Trims and upper-cases (as the lookups do: `str::trim`, `str::to_uppercase`), then
    /// accepts a work-order or an application code.
    pub fn parse(s: &str) -> Result<Self, TrackingCodeError> {
        let code = s.trim().to_uppercase();
        let body = code
            .strip_prefix(APPLICATION_PREFIX)
            .unwrap_or(code.as_str());
        if body.len() == CODE_LEN && body.bytes().all(|b| CODE_ALPHABET.contains(&b)) {
            Ok(Self(code))
        } else {
            Err(TrackingCodeError::Format)
        }
    }

    /// A fresh code from caller-supplied randomness (ideally [`RANDOM_BYTES`] bytes from a
    /// CSPRNG): the first 16 bytes, read as one big-endian number, give the 8 characters in
    /// base 25, so every character is uniform (bias below 2^-90 with 16 bytes).
    ///
    /// `prefix` is `None` for a work order and `Some(APPLICATION_PREFIX)` for an application.
    ///
    /// # Panics
    ///
    /// On any other prefix, which would make a code [`TrackingCode::parse`] refuses.
    pub fn from_random(prefix: Option<char>, random_bytes: &[u8]) -> TrackingCode {
        assert!(
            matches!(prefix, None | Some(APPLICATION_PREFIX)),
            "tracking code prefix must be None or Some('{APPLICATION_PREFIX}'), not {prefix:?}"
        );
        let mut n: u128 = random_bytes
            .iter()
            .take(RANDOM_BYTES)
            .fold(0u128, |acc, &b| (acc << 8) | u128::from(b));
        let base = CODE_ALPHABET.len() as u128;
        let mut code = String::with_capacity(CODE_LEN + 1);
        if let Some(p) = prefix {
            code.push(p);
        }
        for _ in 0..CODE_LEN {
            code.push(CODE_ALPHABET[(n % base) as usize] as char);
            n /= base;
        }
        TrackingCode(code)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is an application's receipt code rather than a work order's.
    pub fn is_application(&self) -> bool {
        self.0.starts_with(APPLICATION_PREFIX)
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TrackingCode {
    type Error = TrackingCodeError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<TrackingCode> for String {
    fn from(c: TrackingCode) -> String {
        c.0
    }
}

// ---------------------------------------------------------------------------------------------
// Secrets

/// Constant-time comparison for secrets (the time depends on the lengths only).
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Today's rule in the app crate, verbatim, to check `PhoneNumber::parse` against.
    fn normalise_phone(p: &str) -> Option<String> {
        let digits: String = p.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        let mobile = digits.len() == 11
            && digits.starts_with('1')
            && digits.bytes().all(|b| b.is_ascii_digit());
        let landline =
            (7..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        (mobile || landline).then_some(digits)
    }

    #[test]
    fn phones_normalise_and_mask() {
        let p = PhoneNumber::parse("138-1234 5678").unwrap();
        assert_eq!(p.as_str(), "13812345678");
        assert_eq!(p.masked(), "138****5678");
        assert_eq!(p.last4(), "5678");
        assert_eq!(format!("{p:?}"), "PhoneNumber(\"138****5678\")");

        let l = PhoneNumber::parse(" 0571-8888 1234 ").unwrap();
        assert_eq!(l.as_str(), "057188881234");
        assert_eq!(l.masked(), "057****1234");
        assert_eq!(l.last4(), "1234");

        let short = PhoneNumber::parse("1234567").unwrap();
        assert_eq!(short.masked(), "1****67");
        assert_eq!(short.last4(), "4567");
    }

    #[test]
    fn bad_phones_are_refused() {
        for bad in [
            "",
            "123456",
            "1234567890123",
            "+8613812345678",
            "138.1234.5678",
            "(0571)88881234",
            "\t13812345678",
            "１３８１２３４５６７８",
            "1381234567x",
        ] {
            assert_eq!(PhoneNumber::parse(bad), Err(PhoneError::Format), "{bad:?}");
        }
        assert_eq!(
            PhoneError::Format.to_string(),
            "电话号码格式不正确（11位手机号或带区号的固定电话）"
        );
    }

    #[test]
    fn phone_serde_uses_the_digits_and_validates() {
        let p = PhoneNumber::parse("13812345678").unwrap();
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"13812345678\"");
        let back: PhoneNumber = serde_json::from_str("\"138 1234 5678\"").unwrap();
        assert_eq!(back, p);
        assert!(serde_json::from_str::<PhoneNumber>("\"12345\"").is_err());
    }

    #[test]
    fn mask_phone_on_stored_strings() {
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("12345"), "*****");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        // Already masked: masked again the same way.
        assert_eq!(mask_phone("138****5678"), "138****5678");
        assert_eq!(mask_phone("电话一二三四五六"), "电话****五六");
    }

    #[test]
    fn codes_parse() {
        let c = TrackingCode::parse("  acdefghj ").unwrap();
        assert_eq!(c.as_str(), "ACDEFGHJ");
        assert!(!c.is_application());
        let s = TrackingCode::parse("s34679ACD").unwrap();
        assert_eq!(s.as_str(), "S34679ACD");
        assert!(s.is_application());
        assert_eq!(s.to_string(), "S34679ACD");
        for bad in [
            "",
            "ACDEFGH",
            "ACDEFGHJK",
            "SACDEFGH",
            "SSACDEFGH",
            "ACDEFGH0",
            "ACDEFGHB",
            "B000000001",
            "ACDE FGHJ",
            "XACDEFGHJ",
        ] {
            assert_eq!(
                TrackingCode::parse(bad),
                Err(TrackingCodeError::Format),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn code_serde_validates() {
        let c: TrackingCode = serde_json::from_str("\"sacdefghj\"").unwrap();
        assert_eq!(c.as_str(), "SACDEFGHJ");
        assert_eq!(serde_json::to_string(&c).unwrap(), "\"SACDEFGHJ\"");
        assert!(serde_json::from_str::<TrackingCode>("\"nope\"").is_err());
    }

    #[test]
    fn generated_codes() {
        assert_eq!(TrackingCode::from_random(None, &[]).as_str(), "AAAAAAAA");
        assert_eq!(TrackingCode::from_random(None, &[1]).as_str(), "CAAAAAAA");
        assert_eq!(TrackingCode::from_random(None, &[25]).as_str(), "ACAAAAAA");
        let s = TrackingCode::from_random(Some(APPLICATION_PREFIX), &[0xff; RANDOM_BYTES]);
        assert_eq!(s.as_str().len(), CODE_LEN + 1);
        assert!(s.is_application());
        // Bytes beyond RANDOM_BYTES are ignored.
        let mut long = vec![7u8; RANDOM_BYTES];
        let a = TrackingCode::from_random(None, &long);
        long.extend([9, 9, 9]);
        assert_eq!(TrackingCode::from_random(None, &long), a);
    }

    #[test]
    #[should_panic]
    fn other_prefixes_panic() {
        let _ = TrackingCode::from_random(Some('B'), &[0; RANDOM_BYTES]);
    }

    #[test]
    fn alphabet_has_no_lookalikes_and_no_prefix() {
        assert_eq!(CODE_ALPHABET.len(), 25);
        for c in b"0O1IL2Z5S8B" {
            assert!(!CODE_ALPHABET.contains(c));
        }
        assert!(!CODE_ALPHABET.contains(&(APPLICATION_PREFIX as u8)));
    }

    #[test]
    fn same_secret_compares() {
        assert!(same_secret("", ""));
        assert!(same_secret("5678", "5678"));
        assert!(!same_secret("5678", "5679"));
        assert!(!same_secret("5678", "567"));
        assert!(!same_secret("5678", ""));
    }

    proptest! {
        #[test]
        fn parse_matches_todays_rule(s in "[0-9 \\-+a.]{0,16}") {
            prop_assert_eq!(
                PhoneNumber::parse(&s).ok().map(PhoneNumber::into_string),
                normalise_phone(&s)
            );
        }

        #[test]
        fn valid_phones_round_trip(digits in "[0-9]{7,12}", seps in proptest::collection::vec(0u8..3, 12)) {
            let mut s = String::new();
            for (i, d) in digits.chars().enumerate() {
                match seps[i] {
                    1 => s.push(' '),
                    2 => s.push('-'),
                    _ => {}
                }
                s.push(d);
            }
            let p = PhoneNumber::parse(&s).unwrap();
            prop_assert_eq!(p.as_str(), digits.as_str());
            prop_assert_eq!(p.last4(), &digits[digits.len() - 4..]);
            let m = p.masked();
            prop_assert_eq!(m.clone(), mask_phone(&digits));
            prop_assert!(m.contains("****"));
            if digits.len() >= 11 {
                prop_assert_eq!(m.len(), 11);
                prop_assert!(m.starts_with(&digits[..3]));
                prop_assert!(m.ends_with(p.last4()));
            } else {
                // Never the whole number: four of its digits are always hidden.
                prop_assert_eq!(m.len(), digits.len());
                prop_assert_eq!(m.chars().filter(|c| c.is_ascii_digit()).count(), digits.len() - 4);
            }
            let again = PhoneNumber::parse(p.as_str()).unwrap();
            prop_assert_eq!(again, p);
        }

        #[test]
        fn generated_codes_parse(bytes in proptest::collection::vec(any::<u8>(), 0..40), app in any::<bool>()) {
            let prefix = app.then_some(APPLICATION_PREFIX);
            let c = TrackingCode::from_random(prefix, &bytes);
            prop_assert_eq!(c.as_str().len(), CODE_LEN + usize::from(app));
            prop_assert_eq!(c.is_application(), app);
            let body = c.as_str().strip_prefix(APPLICATION_PREFIX).unwrap_or(c.as_str());
            prop_assert!(body.bytes().all(|b| CODE_ALPHABET.contains(&b)));
            let parsed = TrackingCode::parse(&format!(" {} ", c.as_str().to_lowercase())).unwrap();
            prop_assert_eq!(parsed, c);
        }

        #[test]
        fn same_secret_is_equality(a in "[0-9]{0,6}", b in "[0-9]{0,6}") {
            prop_assert_eq!(same_secret(&a, &b), a == b);
        }
    }
}
