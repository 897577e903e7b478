//! Password policy: at least 10 characters and not all digits.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("密码至少需要10个字符")]
    TooShort,
    #[error("密码不能全部是数字")]
    AllDigits,
}

pub const MIN_LENGTH: usize = 10;

pub fn check(password: &str) -> Result<(), PasswordPolicyError> {
    if password.chars().count() < MIN_LENGTH {
        return Err(PasswordPolicyError::TooShort);
    }
    if password.chars().all(|c| c.is_ascii_digit()) {
        return Err(PasswordPolicyError::AllDigits);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert_eq!(check("short"), Err(PasswordPolicyError::TooShort));
        assert_eq!(check("1234567890"), Err(PasswordPolicyError::AllDigits));
        assert_eq!(check("网格员密码很安全的十个字"), Ok(()));
        assert_eq!(check("abcdefghij"), Ok(()));
    }
}
