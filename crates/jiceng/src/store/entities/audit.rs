//! The audit log, its Merkle tree, signed checkpoints and witnesses' cosignatures.

pub mod audit_entry {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_log")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub seq: i64,
        pub time: DateTimeUtc,
        pub actor: String,
        pub action: String,
        pub entity_type: String,
        pub entity_id: String,
        /// Hex SHA-256 of the entity's new state, if any.
        pub state_digest: Option<String>,
        pub reason: String,
    }
    no_relations!();
}

pub mod audit_node {
    use sea_orm::entity::prelude::*;

    /// A perfect subtree of the audit Merkle tree: leaves `[idx·2^level, (idx+1)·2^level)`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_tree")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub level: i32,
        #[sea_orm(primary_key, auto_increment = false)]
        pub idx: i64,
        pub hash: Vec<u8>,
    }
    no_relations!();
}

pub mod audit_checkpoint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_checkpoints")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub tree_size: i64,
        pub root_hash: Vec<u8>,
        /// The signed note, as served.
        pub note: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod audit_cosignature {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_cosignatures")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub checkpoint_id: i64,
        pub witness: String,
        /// Seconds since the epoch, as signed by the witness.
        pub signed_at: i64,
        /// The cosignature line, as received.
        pub line: String,
        pub received_at: DateTimeUtc,
    }
    no_relations!();
}
