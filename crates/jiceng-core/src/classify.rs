//! Classification of citizens' requests: keyword rules for the everyday cases, and a
//! multinomial naive Bayes model over character bigrams (no word segmentation needed for
//! Chinese) trained on labelled messages. Every suggestion says which words drove it.

use serde::Serialize;
use std::collections::HashMap;

/// A rule: any of `keywords` in the text suggests `label`.
#[derive(Debug, Clone)]
pub struct KeywordRule {
    pub label: String,
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub label: String,
    /// 0–1.
    pub confidence: f64,
    /// The words in the text that drove this suggestion, strongest first.
    pub words: Vec<String>,
    /// `rule` or `model`.
    pub source: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct Classifier {
    labels: Vec<String>,
    /// ln P(label)
    prior: Vec<f64>,
    /// bigram → ln P(bigram | label) per label (f32 and char pairs: a few MB, not tens)
    likelihood: HashMap<(char, char), Box<[f32]>>,
    /// ln P(unseen bigram | label)
    unseen: Box<[f32]>,
    rules: Vec<KeywordRule>,
}

fn is_text_char(c: char) -> bool {
    c.is_alphanumeric()
}

/// Character bigrams of the runs of letters, digits and CJK characters.
pub fn bigrams(text: &str) -> Vec<(char, char)> {
    let mut out = Vec::new();
    let mut prev: Option<char> = None;
    for c in text.chars() {
        if is_text_char(c) {
            if let Some(p) = prev {
                out.push((p, c));
            }
            prev = Some(c);
        } else {
            prev = None;
        }
    }
    out
}

fn word(g: &(char, char)) -> String {
    format!("{}{}", g.0, g.1)
}

impl Classifier {
    /// Trains on `(text, label)` samples with Laplace smoothing.
    pub fn train<'a>(
        samples: impl IntoIterator<Item = (&'a str, &'a str)>,
        rules: Vec<KeywordRule>,
    ) -> Self {
        let mut labels: Vec<String> = Vec::new();
        let mut docs: Vec<usize> = Vec::new();
        let mut counts: HashMap<(char, char), Vec<f64>> = HashMap::new();
        let mut totals: Vec<f64> = Vec::new();
        let mut rows: Vec<(usize, Vec<(char, char)>)> = Vec::new();
        for (text, label) in samples {
            let i = match labels.iter().position(|l| l == label) {
                Some(i) => i,
                None => {
                    labels.push(label.to_string());
                    docs.push(0);
                    totals.push(0.0);
                    labels.len() - 1
                }
            };
            docs[i] += 1;
            rows.push((i, bigrams(text)));
        }
        let k = labels.len();
        for (i, grams) in rows {
            for g in grams {
                counts.entry(g).or_insert_with(|| vec![0.0; k])[i] += 1.0;
                totals[i] += 1.0;
            }
        }
        let vocab = counts.len() as f64;
        let n_docs: usize = docs.iter().sum();
        let prior = docs
            .iter()
            .map(|d| (*d as f64 / n_docs.max(1) as f64).ln())
            .collect();
        let unseen = totals
            .iter()
            .map(|t| (1.0 / (t + vocab + 1.0)).ln() as f32)
            .collect();
        let likelihood = counts
            .into_iter()
            .map(|(g, c)| {
                let l = c
                    .iter()
                    .zip(&totals)
                    .map(|(n, t)| ((n + 1.0) / (t + vocab + 1.0)).ln() as f32)
                    .collect();
                (g, l)
            })
            .collect();
        Self {
            labels,
            prior,
            likelihood,
            unseen,
            rules,
        }
    }

    /// The model's probability for each label, best first, each with its strongest bigrams.
    pub fn model_scores(&self, text: &str) -> Vec<Suggestion> {
        let k = self.labels.len();
        if k == 0 {
            return Vec::new();
        }
        let grams = bigrams(text);
        let mut score = self.prior.clone();
        for g in &grams {
            let l = self.likelihood.get(g).unwrap_or(&self.unseen);
            for (s, v) in score.iter_mut().zip(l.iter()) {
                *s += *v as f64;
            }
        }
        // Naive Bayes multiplies evidence as if every bigram were independent, which makes
        // its probabilities far too sure of themselves on long texts; a temperature growing
        // with the square root of the length keeps them usable as confidences.
        let temperature = (grams.len() as f64).sqrt().max(1.0);
        let max = score.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let exp: Vec<f64> = score
            .iter()
            .map(|s| ((s - max) / temperature).exp())
            .collect();
        let sum: f64 = exp.iter().sum();
        let mut out: Vec<Suggestion> = (0..k)
            .map(|i| Suggestion {
                label: self.labels[i].clone(),
                confidence: exp[i] / sum,
                words: self.evidence(&grams, i),
                source: "model",
            })
            .collect();
        out.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        out
    }

    /// Bigrams that favour label `i` most over the other labels.
    fn evidence(&self, grams: &[(char, char)], i: usize) -> Vec<String> {
        let k = self.labels.len();
        let mut weight: HashMap<(char, char), f64> = HashMap::new();
        for g in grams {
            if let Some(l) = self.likelihood.get(g) {
                let sum: f64 = l.iter().map(|x| *x as f64).sum();
                let others = if k > 1 {
                    (sum - l[i] as f64) / (k - 1) as f64
                } else {
                    0.0
                };
                *weight.entry(*g).or_insert(0.0) += l[i] as f64 - others;
            }
        }
        let mut w: Vec<((char, char), f64)> =
            weight.into_iter().filter(|(_, v)| *v > 0.0).collect();
        w.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        w.into_iter().take(5).map(|(g, _)| word(&g)).collect()
    }

    /// Rules that match, strongest (most keywords matched) first.
    pub fn rule_matches(&self, text: &str) -> Vec<Suggestion> {
        let mut out: Vec<Suggestion> = self
            .rules
            .iter()
            .filter_map(|r| {
                let words: Vec<String> = r
                    .keywords
                    .iter()
                    .filter(|k| text.contains(k.as_str()))
                    .cloned()
                    .collect();
                if words.is_empty() {
                    return None;
                }
                let confidence = (0.8 + 0.05 * (words.len() as f64 - 1.0)).min(0.97);
                Some(Suggestion {
                    label: r.label.clone(),
                    confidence,
                    words,
                    source: "rule",
                })
            })
            .collect();
        out.sort_by(|a, b| {
            b.confidence
                .total_cmp(&a.confidence)
                .then(a.label.cmp(&b.label))
        });
        out
    }

    /// Up to `n` suggestions: matching rules first, then the model's labels.
    pub fn suggest(&self, text: &str, n: usize) -> Vec<Suggestion> {
        let mut out = self.rule_matches(text);
        for s in self.model_scores(text) {
            if out.len() >= n {
                break;
            }
            if !out.iter().any(|o| o.label == s.label) {
                out.push(s);
            }
        }
        out.truncate(n);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Classifier {
        let samples = [
            ("小区门口道路坑洼积水，车辆无法通行", "交通运输"),
            ("公交车站牌损坏，公交线路绕行", "交通运输"),
            ("学校收费不合理，学生补课", "教育文体"),
            ("幼儿园入学难，教育局不回复", "教育文体"),
            ("单位拖欠工资，社保没有缴纳", "劳动和社会保障"),
            ("社保转移手续办不了，退休金", "劳动和社会保障"),
        ];
        let rules = vec![KeywordRule {
            label: "占用消防通道".into(),
            keywords: vec!["消防通道".into(), "堵塞".into()],
        }];
        Classifier::train(samples.iter().map(|(t, l)| (*t, *l)), rules)
    }

    #[test]
    fn bigrams_skip_punctuation() {
        assert_eq!(
            bigrams("消防，通道").iter().map(word).collect::<Vec<_>>(),
            vec!["消防", "通道"]
        );
        assert!(bigrams("！").is_empty());
    }

    #[test]
    fn the_model_learns_and_explains() {
        let m = model();
        let s = m.suggest("公司拖欠我三个月工资，社保也断了", 3);
        assert_eq!(s[0].label, "劳动和社会保障");
        assert!(s[0].confidence > 0.5);
        assert!(
            s[0].words.iter().any(|w| w == "工资" || w == "社保"),
            "{:?}",
            s[0].words
        );
        let total: f64 = m
            .model_scores("学校补课")
            .iter()
            .map(|s| s.confidence)
            .sum();
        assert!((total - 1.0).abs() < 1e-9);
    }

    #[test]
    fn rules_come_first() {
        let m = model();
        let s = m.suggest("小区消防通道被车辆堵塞", 3);
        assert_eq!(s[0].label, "占用消防通道");
        assert_eq!(s[0].source, "rule");
        assert_eq!(s[0].words, vec!["消防通道", "堵塞"]);
        assert_eq!(s.len(), 3);
    }
}
