//! Regions, units and grids.

pub mod region {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "regions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub level: jiceng_core::RegionLevel,
        pub parent_code: Option<String>,
        /// GeoJSON geometry (Polygon or MultiPolygon), when the boundary is known.
        pub boundary: Option<String>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod department {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "departments")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        #[sea_orm(unique)]
        pub code: String,
        pub name: String,
        pub kind: jiceng_core::department::DepartmentKind,
        pub region_code: String,
        pub phone: String,
        pub active: bool,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Where the unit's notifications are e-mailed (SMTP channel); empty for none.
        pub email: String,
    }
    no_relations!();
}

pub mod grid {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "grids")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub village_code: String,
        /// GeoJSON Polygon geometry.
        pub geometry: String,
        pub min_lon: f64,
        pub min_lat: f64,
        pub max_lon: f64,
        pub max_lat: f64,
        pub worker_user_id: Option<i64>,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}
