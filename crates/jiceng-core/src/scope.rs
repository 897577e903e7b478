//! Jurisdiction: what a staff account may see and change.
//!
//! Every account belongs to an org unit: a region, or a department that sits in a region.
//! Organisation data is visible when it lies in the account's region subtree; work of a
//! department is visible to that department's staff wherever it lies.

use crate::region::RegionCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Jurisdiction {
    /// Root of the region subtree the account covers.
    pub region: RegionCode,
    /// The department the account belongs to, if it belongs to one.
    pub department_id: Option<i64>,
    /// The department is a functional unit (a county department, an assisting unit), not a
    /// territorial government: its staff see work by assignment to the unit, not by region
    /// (the fire brigade sits in the county but does not see the county's complaints).
    pub assigned_only: bool,
}

impl Jurisdiction {
    pub fn covers_region(&self, code: &RegionCode) -> bool {
        self.region.contains(code)
    }

    /// Whether an object of a department in `region` is visible: it is our own department's,
    /// or it lies in our region subtree.
    pub fn covers_department(&self, department_id: i64, region: &RegionCode) -> bool {
        self.department_id == Some(department_id) || self.covers_region(region)
    }

    /// Whether work (orders, cases) lying in `region` is visible by place alone; functional
    /// units see work only through their assignments.
    pub fn covers_work_in(&self, region: &RegionCode) -> bool {
        !self.assigned_only && self.covers_region(region)
    }

    /// SQL `LIKE` pattern of the regions whose work is visible by place; `None` for a
    /// functional unit, which sees work by assignment only.
    pub fn work_like_pattern(&self) -> Option<String> {
        (!self.assigned_only).then(|| self.region_like_pattern())
    }

    /// SQL `LIKE` pattern matching every region code in the subtree.
    pub fn region_like_pattern(&self) -> String {
        format!("{}%", self.region.subtree_prefix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn township_covers_its_villages_only() {
        let j = Jurisdiction {
            region: RegionCode::parse("330110002000").unwrap(),
            department_id: None,
            assigned_only: false,
        };
        assert!(j.covers_region(&RegionCode::parse("330110002005").unwrap()));
        assert!(!j.covers_region(&RegionCode::parse("330110003005").unwrap()));
        assert!(!j.covers_region(&RegionCode::parse("330110000000").unwrap()));
        assert_eq!(j.region_like_pattern(), "330110002%");
    }

    #[test]
    fn department_staff_see_their_department() {
        let j = Jurisdiction {
            region: RegionCode::parse("330110002000").unwrap(),
            department_id: Some(7),
            assigned_only: true,
        };
        let county = RegionCode::parse("330110000000").unwrap();
        assert!(j.covers_department(7, &county));
        assert!(!j.covers_department(8, &county));
        // A functional unit sees no work by place, only by assignment.
        assert!(!j.covers_work_in(&RegionCode::parse("330110002005").unwrap()));
    }
}
