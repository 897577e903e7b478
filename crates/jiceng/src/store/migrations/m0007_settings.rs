//! 0007: deployment settings kept in the database (the data key's fingerprint) and the
//! versions of what every node caches (reference data, the locate index, dispatch data).

use crate::store::migrations::schema::{Statements, bigint, table, text};

pub(crate) fn settings(out: &mut Statements) {
    out.push(
        table("settings")
            .col(text("key").primary_key())
            .col(text("value"))
            .to_owned(),
    );
    out.push(
        table("cache_versions")
            .col(text("name").primary_key())
            .col(bigint("version"))
            .to_owned(),
    );
}
