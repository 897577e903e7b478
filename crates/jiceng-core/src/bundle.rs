//! 一件事一次办: a bundle of matters done as one. The matters form a DAG (the result of one
//! feeds the next: 出生医学证明 → 出生登记 → 医保参保); the applicant fills one form and hands
//! over each material once, and what a matter in the bundle produces is never asked for.

use crate::catalog::{CaseKind, MatterSpec};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// A result of one matter that the bundle feeds to later ones, as the material it stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Output {
    pub matter: String,
    pub material: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleSpec {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub summary: String,
    /// Matter codes.
    pub matters: Vec<String>,
    /// (before, after): `after` starts when `before` is done.
    #[serde(default)]
    pub edges: Vec<(String, String)>,
    #[serde(default)]
    pub outputs: Vec<Output>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

/// Counts that show what bundling saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub matters: u32,
    pub submissions: u32,
    pub materials: u32,
    pub visits: u32,
    /// Promised working days, end to end.
    pub days: u32,
}

/// One material of the unified form and the matters that need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnifiedMaterial {
    pub name: String,
    pub needed_by: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Unified {
    /// Stages: the matters of a stage can run at the same time.
    pub stages: Vec<Vec<String>>,
    pub materials: Vec<UnifiedMaterial>,
    pub before: Figures,
    pub after: Figures,
}

impl BundleSpec {
    /// Every rule the bundle breaks; `known` are the matter codes in the catalog.
    pub fn problems(&self, known: &BTreeSet<String>) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut bad = |field: &str, message: String| {
            out.push(Problem {
                field: field.into(),
                message,
            })
        };
        if self.code.is_empty()
            || self.code.len() > 40
            || !self
                .code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            bad("code", "一件事编码应为1～40位字母、数字或“-”".into());
        }
        let n = self.name.trim().chars().count();
        if n == 0 || n > 50 {
            bad("name", "请填写1～50个字的名称".into());
        }
        if self.matters.len() < 2 {
            bad("matters", "一件事至少包含两个事项".into());
        }
        let mut members = BTreeSet::new();
        for m in &self.matters {
            if !members.insert(m.as_str()) {
                bad("matters", format!("事项 {m} 重复"));
            }
            if !known.contains(m) {
                bad("matters", format!("事项 {m} 不在事项目录中"));
            }
        }
        for (a, b) in &self.edges {
            if !members.contains(a.as_str()) || !members.contains(b.as_str()) {
                bad("edges", format!("顺序 {a} → {b} 含有不在本件事中的事项"));
            } else if a == b {
                bad("edges", format!("事项 {a} 不能排在自己之后"));
            }
        }
        for o in &self.outputs {
            if !members.contains(o.matter.as_str()) {
                bad(
                    "outputs",
                    format!("产出材料的事项 {} 不在本件事中", o.matter),
                );
            }
        }
        if out.is_empty() && self.stages().is_none() {
            out.push(Problem {
                field: "edges".into(),
                message: "办理顺序有循环，无法确定先后".into(),
            });
        }
        out
    }

    /// The matters in stages (Kahn's algorithm); `None` when the order has a cycle.
    pub fn stages(&self) -> Option<Vec<Vec<String>>> {
        let mut indegree: BTreeMap<&str, usize> =
            self.matters.iter().map(|m| (m.as_str(), 0)).collect();
        for (_, b) in &self.edges {
            *indegree.get_mut(b.as_str())? += 1;
        }
        let mut stages = Vec::new();
        let mut done = 0;
        let mut ready: Vec<&str> = indegree
            .iter()
            .filter(|(_, d)| **d == 0)
            .map(|(m, _)| *m)
            .collect();
        while !ready.is_empty() {
            done += ready.len();
            let mut next = Vec::new();
            for m in &ready {
                for (a, b) in &self.edges {
                    if a == m {
                        let d = indegree.get_mut(b.as_str())?;
                        *d -= 1;
                        if *d == 0 {
                            next.push(b.as_str());
                        }
                    }
                }
            }
            // In the bundle's own order within a stage.
            let mut stage: Vec<String> = ready.iter().map(|s| s.to_string()).collect();
            stage.sort_by_key(|m| self.matters.iter().position(|x| x == m));
            stages.push(stage);
            next.sort_unstable();
            next.dedup();
            ready = next;
        }
        (done == self.matters.len()).then_some(stages)
    }

    /// The unified form and the before/after figures, from the matters' specs. `specs` must
    /// hold every member (checked by [`BundleSpec::problems`]).
    pub fn unify(&self, specs: &HashMap<String, MatterSpec>) -> Option<Unified> {
        let stages = self.stages()?;
        let members: Vec<&MatterSpec> = self
            .matters
            .iter()
            .map(|m| specs.get(m))
            .collect::<Option<_>>()?;
        let produced: BTreeSet<&str> = self.outputs.iter().map(|o| o.material.as_str()).collect();
        let mut materials: Vec<UnifiedMaterial> = Vec::new();
        let mut asked_before = 0u32;
        for (code, spec) in self.matters.iter().zip(&members) {
            for m in spec.asked_materials() {
                asked_before += 1;
                if produced.contains(m.name.as_str()) {
                    continue;
                }
                // ID cards are one material, whoever's they are.
                let name = crate::catalog::handed_as(&m.name).0;
                match materials.iter_mut().find(|u| u.name == name) {
                    Some(u) if u.needed_by.contains(code) => {}
                    Some(u) => u.needed_by.push(code.clone()),
                    None => materials.push(UnifiedMaterial {
                        name: name.to_string(),
                        needed_by: vec![code.clone()],
                    }),
                }
            }
        }
        let days = |s: &MatterSpec| match s.case_kind {
            CaseKind::Immediate => 0,
            CaseKind::Promised => s.promised_limit.amount,
        };
        // The longest path of promised days through the order.
        let mut finish: HashMap<&str, u32> = HashMap::new();
        for stage in &stages {
            for m in stage {
                let start = self
                    .edges
                    .iter()
                    .filter(|(_, b)| b == m)
                    .filter_map(|(a, _)| finish.get(a.as_str()).copied())
                    .max()
                    .unwrap_or(0);
                finish.insert(m.as_str(), start + days(&specs[m]));
            }
        }
        let n = self.matters.len() as u32;
        let before = Figures {
            matters: n,
            submissions: n,
            materials: asked_before,
            visits: members.iter().map(|s| s.visits).sum(),
            days: members.iter().map(|s| days(s)).sum(),
        };
        let after = Figures {
            matters: n,
            submissions: 1,
            materials: materials.len() as u32,
            visits: members.iter().map(|s| s.visits).max().unwrap_or(0),
            days: finish.values().copied().max().unwrap_or(0),
        };
        Some(Unified {
            stages,
            materials,
            before,
            after,
        })
    }
}

/// How much smaller `after` is than `before`, in whole per cent.
pub fn reduction(before: u32, after: u32) -> u32 {
    (before.saturating_sub(after) * 100 + before / 2)
        .checked_div(before)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Limit;
    use crate::catalog::{Material, MaterialForm, MaterialSource, MatterType, Necessity};

    fn matter(code: &str, promised: u32, visits: u32, materials: &[&str]) -> MatterSpec {
        MatterSpec {
            basic_code: "000000000000".into(),
            code: code.into(),
            name: code.into(),
            matter_type: MatterType::PublicService,
            unit_code: "u".into(),
            level: "县级".into(),
            case_kind: if promised == 0 {
                CaseKind::Immediate
            } else {
                CaseKind::Promised
            },
            legal_limit: Limit::working_days(20),
            promised_limit: Limit::working_days(promised),
            conditions: String::new(),
            steps: vec!["受理".into()],
            visits,
            fees: String::new(),
            place: "p".into(),
            hours: "h".into(),
            consult_phone: "1".into(),
            complaint_phone: "1".into(),
            online_depth: 3,
            summary: String::new(),
            materials: materials
                .iter()
                .map(|n| Material {
                    name: n.to_string(),
                    necessity: Necessity::Required,
                    form: MaterialForm::Either,
                    copies: 1,
                    source: MaterialSource::Applicant,
                    standard: String::new(),
                    blank_form: String::new(),
                    sample: String::new(),
                })
                .collect(),
        }
    }

    fn birth() -> (BundleSpec, HashMap<String, MatterSpec>) {
        let specs: HashMap<String, MatterSpec> = [
            matter("cert", 0, 1, &["父母身份证", "分娩记录"]),
            matter("hukou", 1, 1, &["出生医学证明", "父母身份证", "户口簿"]),
            matter("medical", 0, 0, &["户口簿", "出生医学证明"]),
            matter("card", 10, 1, &["户口簿", "照片"]),
        ]
        .into_iter()
        .map(|m| (m.code.clone(), m))
        .collect();
        let b = BundleSpec {
            code: "birth".into(),
            name: "出生一件事".into(),
            summary: String::new(),
            matters: ["cert", "hukou", "medical", "card"]
                .map(String::from)
                .to_vec(),
            edges: vec![
                ("cert".into(), "hukou".into()),
                ("hukou".into(), "medical".into()),
                ("hukou".into(), "card".into()),
            ],
            outputs: vec![Output {
                matter: "cert".into(),
                material: "出生医学证明".into(),
            }],
        };
        (b, specs)
    }

    #[test]
    fn the_birth_bundle_asks_once_and_runs_in_order() {
        let (b, specs) = birth();
        let known = specs.keys().cloned().collect();
        assert_eq!(b.problems(&known), vec![]);
        let u = b.unify(&specs).unwrap();
        assert_eq!(
            u.stages,
            vec![vec!["cert"], vec!["hukou"], vec!["medical", "card"]]
        );
        let names: Vec<&str> = u.materials.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, vec!["父母身份证", "分娩记录", "户口簿", "照片"]);
        assert_eq!(
            u.before,
            Figures {
                matters: 4,
                submissions: 4,
                materials: 9,
                visits: 3,
                days: 11
            }
        );
        assert_eq!(
            u.after,
            Figures {
                matters: 4,
                submissions: 1,
                materials: 4,
                visits: 1,
                days: 11
            }
        );
        assert_eq!(reduction(9, 4), 56);
    }

    #[test]
    fn cycles_and_strangers_are_refused() {
        let (mut b, specs) = birth();
        let known: BTreeSet<String> = specs.keys().cloned().collect();
        b.edges.push(("card".into(), "cert".into()));
        let p = b.problems(&known);
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("循环"));
        assert!(b.stages().is_none());
        let (mut b, _) = birth();
        b.matters.push("nope".into());
        b.edges.push(("cert".into(), "cert".into()));
        let fields: Vec<String> = b.problems(&known).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["matters", "edges"]);
    }
}
