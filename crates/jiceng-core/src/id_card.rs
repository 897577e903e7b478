//! Resident identity card numbers (公民身份号码, GB 11643-1999): 6-digit address code, 8-digit
//! birth date, 3-digit sequence (odd for men), and an ISO 7064 MOD 11-2 check character.

use chrono::{Datelike, NaiveDate};
use std::fmt;

/// Why a number is not a valid identity card number; the message is for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdCardError {
    Length,
    Characters,
    Province,
    BirthDate,
    Checksum { expected: char },
}

impl fmt::Display for IdCardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Length => write!(f, "身份证号应为18位"),
            Self::Characters => write!(f, "身份证号前17位应为数字，最后一位为数字或X"),
            Self::Province => write!(f, "身份证号前两位不是有效的省级行政区划代码"),
            Self::BirthDate => write!(f, "身份证号中的出生日期无效"),
            Self::Checksum { .. } => write!(f, "身份证号校验位不正确，请核对"),
        }
    }
}

impl std::error::Error for IdCardError {}

/// A checked identity card number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCard {
    number: String,
    birth: NaiveDate,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";
/// Province-level codes (the first two digits).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71",
    "81", "82",
];

/// The check character of the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| (d - b'0') as u32 * w)
        .sum();
    CHECK[(sum % 11) as usize] as char
}

impl IdCard {
    /// Checks a number (spaces trimmed, a lower-case `x` accepted) against `today`.
    pub fn parse(s: &str, today: NaiveDate) -> Result<IdCard, IdCardError> {
        let n = s.trim().to_ascii_uppercase();
        let b = n.as_bytes();
        if b.len() != 18 {
            return Err(IdCardError::Length);
        }
        if !b[..17].iter().all(u8::is_ascii_digit) || !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(IdCardError::Characters);
        }
        if !PROVINCES.contains(&&n[..2]) {
            return Err(IdCardError::Province);
        }
        let birth = NaiveDate::parse_from_str(&n[6..14], "%Y%m%d")
            .ok()
            .filter(|d| *d <= today && d.year() >= 1900)
            .ok_or(IdCardError::BirthDate)?;
        let expected = check_char(&b[..17]);
        if b[17] as char != expected {
            return Err(IdCardError::Checksum { expected });
        }
        Ok(IdCard { number: n, birth })
    }

    pub fn as_str(&self) -> &str {
        &self.number
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: NaiveDate) -> u32 {
        day.years_since(self.birth).unwrap_or(0)
    }

    /// Shown to people who may not see it whole: `110105********1234`.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.number[..6], &self.number[14..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn the_standards_example_is_valid() {
        // GB 11643-1999, appendix: 11010519491231002X.
        let c = IdCard::parse("11010519491231002x", today()).unwrap();
        assert_eq!(c.as_str(), "11010519491231002X");
        assert_eq!(
            c.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(c.age_on(today()), 76);
        assert_eq!(c.masked(), "110105********002X");
    }

    #[test]
    fn bad_numbers_say_why() {
        assert_eq!(
            IdCard::parse("1101051949123100", today()),
            Err(IdCardError::Length)
        );
        assert_eq!(
            IdCard::parse("1101051949123100A2", today()),
            Err(IdCardError::Characters)
        );
        assert_eq!(
            IdCard::parse("99010519491231002X", today()),
            Err(IdCardError::Province)
        );
        // 30 February, and a birth in the future.
        let feb30 = format!("11010519490230001{}", check_char(b"11010519490230001"));
        assert_eq!(IdCard::parse(&feb30, today()), Err(IdCardError::BirthDate));
        let future = format!("11010520300101001{}", check_char(b"11010520300101001"));
        assert_eq!(IdCard::parse(&future, today()), Err(IdCardError::BirthDate));
        assert_eq!(
            IdCard::parse("110105194912310021", today()),
            Err(IdCardError::Checksum { expected: 'X' })
        );
    }

    #[test]
    fn every_single_digit_change_is_caught() {
        let good = b"11010519491231002X";
        for i in 0..17 {
            for d in b'0'..=b'9' {
                if d == good[i] {
                    continue;
                }
                let mut bad = *good;
                bad[i] = d;
                let s = std::str::from_utf8(&bad).unwrap();
                assert!(IdCard::parse(s, today()).is_err(), "{s} accepted");
            }
        }
    }
}
