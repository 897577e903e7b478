//! The catalog of service matters (政务服务事项), modelled on the national 实施清单 fields: what
//! a matter is, who implements it, its time limits, visits, fees, and its materials.

use crate::calendar::{Limit, LimitUnit};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatterType {
    AdministrativeLicensing,
    AdministrativePayment,
    AdministrativeConfirmation,
    AdministrativeLevy,
    AdministrativeAward,
    AdministrativeAdjudication,
    OtherPower,
    PublicService,
}

impl MatterType {
    pub fn label(self) -> &'static str {
        match self {
            Self::AdministrativeLicensing => "行政许可",
            Self::AdministrativePayment => "行政给付",
            Self::AdministrativeConfirmation => "行政确认",
            Self::AdministrativeLevy => "行政征收",
            Self::AdministrativeAward => "行政奖励",
            Self::AdministrativeAdjudication => "行政裁决",
            Self::OtherPower => "其他行政权力",
            Self::PublicService => "公共服务",
        }
    }
}

/// 即办件 are decided on the spot; 承诺件 within the promised time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseKind {
    Immediate,
    Promised,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Necessity {
    Required,
    /// Needed only when the condition holds (e.g. “委托他人办理的”).
    Conditional {
        condition: String,
    },
    Optional,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialForm {
    Paper,
    Electronic,
    Either,
}

/// Where a material comes from. One issued by a government unit is fetched by data sharing and
/// never asked of the applicant (一数一源).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MaterialSource {
    Applicant,
    Issued { by: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Material {
    pub name: String,
    pub necessity: Necessity,
    pub form: MaterialForm,
    #[serde(default = "one")]
    pub copies: u32,
    pub source: MaterialSource,
    /// 受理标准: what makes it acceptable.
    #[serde(default)]
    pub standard: String,
    /// Blank form and sample, as URLs or file names.
    #[serde(default)]
    pub blank_form: String,
    #[serde(default)]
    pub sample: String,
}

fn one() -> u32 {
    1
}

impl Material {
    /// Whether the applicant is asked for it (issued ones are fetched).
    pub fn asked_of_applicant(&self) -> bool {
        self.source == MaterialSource::Applicant
    }
}

/// A matter as its implementing unit declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatterSpec {
    /// 基本编码: 12 characters, shared by every place that implements the matter.
    pub basic_code: String,
    /// 实施编码: this place's implementation.
    pub code: String,
    pub name: String,
    pub matter_type: MatterType,
    /// The implementing unit's department code.
    pub unit_code: String,
    /// 行使层级, e.g. 县级, 乡级.
    pub level: String,
    pub case_kind: CaseKind,
    pub legal_limit: Limit,
    pub promised_limit: Limit,
    /// 受理条件.
    #[serde(default)]
    pub conditions: String,
    /// 办理流程 steps, e.g. 受理、审查、决定、送达.
    pub steps: Vec<String>,
    /// 到现场次数: 0, 1 or 2.
    pub visits: u32,
    /// Fees; empty when free (不收费).
    #[serde(default)]
    pub fees: String,
    pub place: String,
    pub hours: String,
    pub consult_phone: String,
    pub complaint_phone: String,
    /// 网办深度, 1–4 (4: 全程网办).
    pub online_depth: u32,
    /// One sentence on what it is for (一句话说清).
    #[serde(default)]
    pub summary: String,
    pub materials: Vec<Material>,
}

/// One rule a spec breaks: the field and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub field: String,
    pub message: String,
}

fn is_day_unit(u: LimitUnit) -> bool {
    matches!(u, LimitUnit::WorkingDays | LimitUnit::NaturalDays)
}

/// Whether a promised limit is within the legal one. Across units it is judged safely: `n`
/// working days take at least ⌈7n/5⌉ calendar days, and `m` calendar days hold at most `m`
/// working days.
pub fn within(promised: Limit, legal: Limit) -> bool {
    use LimitUnit::{NaturalDays, WorkingDays};
    match (promised.unit, legal.unit) {
        (a, b) if a == b => promised.amount <= legal.amount,
        (WorkingDays, NaturalDays) => (promised.amount * 7).div_ceil(5) <= legal.amount,
        (NaturalDays, WorkingDays) => promised.amount <= legal.amount,
        _ => false,
    }
}

impl MatterSpec {
    /// Every rule the spec breaks, empty when none.
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let mut bad = |field: &str, message: String| {
            out.push(Problem {
                field: field.into(),
                message,
            })
        };
        if self.basic_code.chars().count() != 12
            || !self.basic_code.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            bad("basic_code", "基本编码应为12位字母或数字".into());
        }
        if self.code.is_empty()
            || self.code.len() > 40
            || !self
                .code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            bad("code", "实施编码应为1～40位字母、数字或“-”".into());
        }
        for (field, v, max) in [
            ("name", &self.name, 100),
            ("unit_code", &self.unit_code, 64),
            ("level", &self.level, 20),
            ("place", &self.place, 200),
            ("hours", &self.hours, 200),
            ("consult_phone", &self.consult_phone, 40),
            ("complaint_phone", &self.complaint_phone, 40),
        ] {
            let n = v.trim().chars().count();
            if n == 0 || n > max {
                bad(field, format!("请填写1～{max}个字"));
            }
        }
        if self.summary.chars().count() > 100 {
            bad("summary", "一句话说明不超过100个字".into());
        }
        for (field, l) in [
            ("legal_limit", self.legal_limit),
            ("promised_limit", self.promised_limit),
        ] {
            if !is_day_unit(l.unit) {
                bad(field, "时限以工作日或自然日计".into());
            }
        }
        match self.case_kind {
            CaseKind::Immediate if self.promised_limit.amount != 0 => {
                bad("promised_limit", "即办件的承诺时限应为0（当场办结）".into())
            }
            CaseKind::Promised if self.promised_limit.amount == 0 => {
                bad("promised_limit", "承诺件的承诺时限应大于0".into())
            }
            _ => {}
        }
        if !within(self.promised_limit, self.legal_limit) {
            bad(
                "promised_limit",
                format!(
                    "承诺时限（{}）不能超过法定时限（{}）",
                    self.promised_limit.describe(),
                    self.legal_limit.describe()
                ),
            );
        }
        if self.visits > 2 {
            bad("visits", "到现场次数只能是0、1或2".into());
        }
        if !(1..=4).contains(&self.online_depth) {
            bad("online_depth", "网办深度为1～4".into());
        }
        if self.steps.is_empty() || self.steps.iter().any(|s| s.trim().is_empty()) {
            bad("steps", "请填写办理流程的每一步".into());
        }
        let mut names = std::collections::HashSet::new();
        for (i, m) in self.materials.iter().enumerate() {
            let field = format!("materials[{i}]");
            if m.name.trim().is_empty() || m.name.chars().count() > 100 {
                bad(&field, format!("第{}项材料缺少名称", i + 1));
            } else if !names.insert(m.name.trim()) {
                bad(&field, format!("材料“{}”重复", m.name.trim()));
            }
            if let Necessity::Conditional { condition } = &m.necessity
                && condition.trim().is_empty()
            {
                bad(&field, format!("容缺或条件材料“{}”须写明条件", m.name));
            }
            if let MaterialSource::Issued { by } = &m.source
                && by.trim().is_empty()
            {
                bad(&field, format!("材料“{}”须写明出具单位", m.name));
            }
            if m.copies == 0 || m.copies > 10 {
                bad(&field, format!("材料“{}”的份数应为1～10", m.name));
            }
        }
        out
    }

    /// At most one visit (最多跑一次).
    pub fn at_most_one_visit(&self) -> bool {
        self.visits <= 1
    }

    /// The materials the applicant hands over.
    pub fn asked_materials(&self) -> impl Iterator<Item = &Material> {
        self.materials.iter().filter(|m| m.asked_of_applicant())
    }
}

/// The name of the ID card: every "某人居民身份证" of a bundle is this one material.
pub const ID_CARD: &str = "居民身份证";

/// One material as the applicant hands it over: ID cards are one line whoever they belong to
/// (父母双方居民身份证, 监护人居民身份证, 居民身份证 → 居民身份证, with whose they are), every
/// other material is itself. Returns the line's name and whose card it is ("" for the
/// applicant's own, or for a material that is not an ID card).
pub fn handed_as(name: &str) -> (&str, &str) {
    match name.strip_suffix(ID_CARD) {
        // A person named before the card, not a document (原居民身份证 is the card renewed).
        Some(whose) if !whose.contains(['及', '和', '、']) && whose != "原" => (ID_CARD, whose),
        _ => (name, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_cards_are_one_material_whoever_they_belong_to() {
        assert_eq!(handed_as("居民身份证"), ("居民身份证", ""));
        assert_eq!(handed_as("父母双方居民身份证"), ("居民身份证", "父母双方"));
        assert_eq!(handed_as("监护人居民身份证"), ("居民身份证", "监护人"));
        assert_eq!(handed_as("原居民身份证"), ("原居民身份证", ""));
        assert_eq!(
            handed_as("授权委托书及代理人身份证"),
            ("授权委托书及代理人身份证", "")
        );
        assert_eq!(handed_as("居民户口簿"), ("居民户口簿", ""));
    }

    pub fn sample() -> MatterSpec {
        MatterSpec {
            basic_code: "000123456000".into(),
            code: "339902-000123456000-1".into(),
            name: "城乡居民基本养老保险参保登记".into(),
            matter_type: MatterType::PublicService,
            unit_code: "county-rsj".into(),
            level: "县级".into(),
            case_kind: CaseKind::Promised,
            legal_limit: Limit::working_days(20),
            promised_limit: Limit::working_days(5),
            conditions: "具有本县户籍、年满16周岁的城乡居民".into(),
            steps: vec!["受理".into(), "审查".into(), "决定".into(), "送达".into()],
            visits: 1,
            fees: String::new(),
            place: "县政务服务中心一楼社保窗口".into(),
            hours: "工作日 9:00-12:00，14:00-17:00".into(),
            consult_phone: "0571-12333".into(),
            complaint_phone: "12345".into(),
            online_depth: 3,
            summary: "城乡居民参加基本养老保险".into(),
            materials: vec![
                Material {
                    name: "居民身份证".into(),
                    necessity: Necessity::Required,
                    form: MaterialForm::Either,
                    copies: 1,
                    source: MaterialSource::Applicant,
                    standard: "原件，在有效期内".into(),
                    blank_form: String::new(),
                    sample: String::new(),
                },
                Material {
                    name: "户口簿".into(),
                    necessity: Necessity::Required,
                    form: MaterialForm::Electronic,
                    copies: 1,
                    source: MaterialSource::Issued {
                        by: "县公安局".into(),
                    },
                    standard: String::new(),
                    blank_form: String::new(),
                    sample: String::new(),
                },
            ],
        }
    }

    #[test]
    fn a_complete_spec_has_no_problems() {
        let s = sample();
        assert_eq!(s.problems(), vec![]);
        assert!(s.at_most_one_visit());
        assert_eq!(s.asked_materials().count(), 1, "the 户口簿 is fetched");
    }

    #[test]
    fn promised_may_not_exceed_legal() {
        let mut s = sample();
        s.promised_limit = Limit::working_days(21);
        let p = s.problems();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].field, "promised_limit");
        assert!(
            p[0].message.contains("不能超过法定时限"),
            "{}",
            p[0].message
        );
        // Across units, judged safely.
        assert!(within(
            Limit::working_days(5),
            Limit {
                amount: 7,
                unit: LimitUnit::NaturalDays
            }
        ));
        assert!(!within(
            Limit::working_days(5),
            Limit {
                amount: 6,
                unit: LimitUnit::NaturalDays
            }
        ));
        assert!(within(
            Limit {
                amount: 10,
                unit: LimitUnit::NaturalDays
            },
            Limit::working_days(10)
        ));
        assert!(!within(
            Limit {
                amount: 11,
                unit: LimitUnit::NaturalDays
            },
            Limit::working_days(10)
        ));
    }

    #[test]
    fn every_problem_is_named() {
        let mut s = sample();
        s.basic_code = "123".into();
        s.visits = 3;
        s.case_kind = CaseKind::Immediate;
        s.materials[0].necessity = Necessity::Conditional {
            condition: " ".into(),
        };
        s.materials.push(s.materials[1].clone());
        let fields: Vec<String> = s.problems().into_iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "basic_code",
                "promised_limit",
                "visits",
                "materials[0]",
                "materials[2]"
            ]
        );
    }
}
