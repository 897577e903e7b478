//! Units (单位): the kinds of department that take work orders and where each kind sits.

use crate::RegionLevel;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DepartmentKind {
    /// 县级部门
    CountyDepartment,
    /// 乡镇（街道）办
    TownshipOffice,
    /// 村（居）委会
    VillageCommittee,
    /// 协办单位（物业、供电、燃气……），可在任一层级
    AssistingUnit,
}

impl DepartmentKind {
    pub const ALL: [DepartmentKind; 4] = [
        Self::CountyDepartment,
        Self::TownshipOffice,
        Self::VillageCommittee,
        Self::AssistingUnit,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Self::CountyDepartment => "county_department",
            Self::TownshipOffice => "township_office",
            Self::VillageCommittee => "village_committee",
            Self::AssistingUnit => "assisting_unit",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::CountyDepartment => "县级部门",
            Self::TownshipOffice => "乡镇（街道）机构",
            Self::VillageCommittee => "村（社区）组织",
            Self::AssistingUnit => "协办单位",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// Whether the unit is a territorial government (乡镇街道, 村社区), whose staff see the work
    /// of their area; functional units see only what is assigned to them.
    pub fn is_territorial(self) -> bool {
        matches!(self, Self::TownshipOffice | Self::VillageCommittee)
    }

    /// The region level this kind of unit sits at; assisting units may sit at any.
    pub fn level(self) -> Option<RegionLevel> {
        match self {
            Self::CountyDepartment => Some(RegionLevel::County),
            Self::TownshipOffice => Some(RegionLevel::Township),
            Self::VillageCommittee => Some(RegionLevel::Village),
            Self::AssistingUnit => None,
        }
    }
}

crate::stored_code!(DepartmentKind);
