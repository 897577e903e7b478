//! Helpers for writing migrations: statements built per backend, column and table shapes.

use sea_orm::sea_query::{
    Alias, ColumnDef, ForeignKey, ForeignKeyAction, Index, Table, TableCreateStatement,
};
use sea_orm::{DbBackend, Statement, StatementBuilder};

/// Collects statements built for one backend.
pub(crate) struct Statements {
    pub(crate) backend: DbBackend,
    pub(crate) list: Vec<Statement>,
}

impl Statements {
    pub(crate) fn push<S: StatementBuilder>(&mut self, s: S) {
        self.list.push(s.build(&self.backend));
    }

    /// SQL that reads the same on SQLite and PostgreSQL.
    pub(crate) fn push_sql(&mut self, sql: &str) {
        self.list.push(Statement::from_string(self.backend, sql));
    }
}

pub(crate) fn a(name: &str) -> Alias {
    Alias::new(name)
}

pub(crate) fn text(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.text().not_null();
    c
}

pub(crate) fn text_null(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.text().null();
    c
}

pub(crate) fn ts(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.timestamp_with_time_zone().not_null();
    c
}

pub(crate) fn ts_null(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.timestamp_with_time_zone().null();
    c
}

pub(crate) fn bigint(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.big_integer().not_null();
    c
}

pub(crate) fn bigint_null(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.big_integer().null();
    c
}

pub(crate) fn double(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.double().not_null();
    c
}

/// A caller-assigned 64-bit key. On SQLite it is declared `INTEGER PRIMARY KEY`, which makes
/// it the rowid: one B-tree instead of a table plus a key index.
pub(crate) fn int64_key(backend: DbBackend, name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    match backend {
        DbBackend::Sqlite => c.custom(a("INTEGER")),
        _ => c.big_integer(),
    };
    c.not_null().primary_key();
    c
}

pub(crate) fn id() -> ColumnDef {
    let mut c = ColumnDef::new(a("id"));
    c.big_integer().not_null().auto_increment().primary_key();
    c
}

pub(crate) fn fk(
    from_table: &str,
    from_col: &str,
    to_table: &str,
    to_col: &str,
    on_delete: ForeignKeyAction,
) -> sea_orm::sea_query::ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(a(from_table), a(from_col))
        .to(a(to_table), a(to_col))
        .on_delete(on_delete)
        .to_owned()
}

pub(crate) fn table(name: &str) -> TableCreateStatement {
    Table::create().table(a(name)).if_not_exists().to_owned()
}

pub(crate) fn blob(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.binary().not_null();
    c
}

pub(crate) fn boolean(name: &str, default: bool) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.boolean().not_null().default(default);
    c
}

pub(crate) fn int(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.integer().not_null();
    c
}

pub(crate) fn double_null(name: &str) -> ColumnDef {
    let mut c = ColumnDef::new(a(name));
    c.double().null();
    c
}

pub(crate) fn index(out: &mut Statements, name: &str, table: &str, cols: &[&str]) {
    let mut ix = Index::create().name(name).table(a(table)).to_owned();
    for c in cols {
        ix.col(a(c));
    }
    out.push(ix);
}
