//! Stored codes: the closed sets of stable English codes (statuses, roles, channels, kinds,
//! priorities, levels) that the database holds as text.
//!
//! Each enum names itself with [`stored_code!`]; with the `store` feature (turned on by the app
//! crate) the same macro also makes it a sea-orm column type, so an entity's field is the enum
//! itself and a row holding a code the enum does not know fails to load — an internal error,
//! never silently some valid state.

use std::fmt;

/// A closed set of codes stored as text.
pub trait StoredCode: Sized + Copy + 'static {
    /// The type's name, for error messages.
    const TYPE: &'static str;
    /// The stable code written to the database.
    fn stored(self) -> &'static str;
    /// Reads a stored code back; an unknown one is an error naming the type and the value.
    fn from_stored(s: &str) -> Result<Self, UnknownCode>;
}

/// A stored text that is none of its type's codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCode {
    pub type_name: &'static str,
    pub value: String,
}

impl fmt::Display for UnknownCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown stored {} code {:?}", self.type_name, self.value)
    }
}

impl std::error::Error for UnknownCode {}

/// Reads an optional stored code where the empty text means "none" (columns such as a part's
/// pause kind or an order's resolution, which are empty until set).
pub fn optional<T: StoredCode>(s: &str) -> Result<Option<T>, UnknownCode> {
    if s.is_empty() {
        Ok(None)
    } else {
        T::from_stored(s).map(Some)
    }
}

#[cfg(feature = "store")]
#[doc(hidden)]
pub use sea_orm as __sea_orm;

/// Declares `$t` (which has `code()` and `parse(&str) -> Option<Self>`) a stored code.
#[cfg(not(feature = "store"))]
#[macro_export]
macro_rules! stored_code {
    ($($t:ty),+ $(,)?) => { $($crate::__stored_code_base!($t);)+ };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __stored_code_base {
    ($t:ty) => {
        impl $crate::stored::StoredCode for $t {
            const TYPE: &'static str = stringify!($t);
            fn stored(self) -> &'static str {
                self.code()
            }
            fn from_stored(s: &str) -> Result<Self, $crate::stored::UnknownCode> {
                <$t>::parse(s).ok_or_else(|| $crate::stored::UnknownCode {
                    type_name: stringify!($t),
                    value: s.to_string(),
                })
            }
        }
    };
}

/// Declares `$t` a stored code and a sea-orm column type (text), as sea-orm's own
/// `DeriveValueType` does for string enums.
#[cfg(feature = "store")]
#[macro_export]
macro_rules! stored_code {
    ($($t:ty),+ $(,)?) => { $($crate::__stored_code_base!($t); $crate::__stored_code_sea!($t);)+ };
}

#[cfg(feature = "store")]
#[doc(hidden)]
#[macro_export]
macro_rules! __stored_code_sea {
    ($t:ty) => {
        impl ::std::convert::From<$t> for $crate::stored::__sea_orm::Value {
            fn from(v: $t) -> Self {
                $crate::stored::__sea_orm::Value::String(Some(
                    $crate::stored::StoredCode::stored(v).to_string(),
                ))
            }
        }

        impl $crate::stored::__sea_orm::TryGetable for $t {
            fn try_get_by<I: $crate::stored::__sea_orm::ColIdx>(
                res: &$crate::stored::__sea_orm::QueryResult,
                idx: I,
            ) -> ::std::result::Result<Self, $crate::stored::__sea_orm::TryGetError> {
                let s = <String as $crate::stored::__sea_orm::TryGetable>::try_get_by(res, idx)?;
                <$t as $crate::stored::StoredCode>::from_stored(&s).map_err(|e| {
                    $crate::stored::__sea_orm::TryGetError::DbErr(
                        $crate::stored::__sea_orm::DbErr::TryIntoErr {
                            from: "String",
                            into: stringify!($t),
                            source: ::std::sync::Arc::new(e),
                        },
                    )
                })
            }
        }

        impl $crate::stored::__sea_orm::sea_query::ValueType for $t {
            fn try_from(
                v: $crate::stored::__sea_orm::Value,
            ) -> ::std::result::Result<Self, $crate::stored::__sea_orm::sea_query::ValueTypeErr>
            {
                let s = <String as $crate::stored::__sea_orm::sea_query::ValueType>::try_from(v)?;
                <$t as $crate::stored::StoredCode>::from_stored(&s)
                    .map_err(|_| $crate::stored::__sea_orm::sea_query::ValueTypeErr)
            }
            fn type_name() -> String {
                stringify!($t).to_owned()
            }
            fn array_type() -> $crate::stored::__sea_orm::sea_query::ArrayType {
                $crate::stored::__sea_orm::sea_query::ArrayType::String
            }
            fn column_type() -> $crate::stored::__sea_orm::sea_query::ColumnType {
                $crate::stored::__sea_orm::sea_query::ColumnType::String(
                    $crate::stored::__sea_orm::sea_query::StringLen::None,
                )
            }
        }

        impl $crate::stored::__sea_orm::sea_query::Nullable for $t {
            fn null() -> $crate::stored::__sea_orm::Value {
                $crate::stored::__sea_orm::Value::String(None)
            }
        }

        impl $crate::stored::__sea_orm::sea_query::postgres_array::NotU8 for $t {}

        impl $crate::stored::__sea_orm::IntoActiveValue<$t> for $t {
            fn into_active_value(self) -> $crate::stored::__sea_orm::ActiveValue<$t> {
                $crate::stored::__sea_orm::ActiveValue::Set(self)
            }
        }
    };
}
