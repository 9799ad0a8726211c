//! Classification quality: accuracy, micro/macro-F1, per-class precision/recall/F1 and the
//! confusion matrix, as `eval` and `bench` report them.

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClassScores {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub support: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub n: u64,
    pub accuracy: f64,
    /// For single-label tasks micro-F1 equals accuracy.
    pub micro_f1: f64,
    pub macro_f1: f64,
    pub per_class: BTreeMap<String, ClassScores>,
    /// `confusion[gold][predicted]`, rows and columns in `labels` order.
    pub confusion: Vec<Vec<u64>>,
    pub labels: Vec<String>,
}

fn f1(p: f64, r: f64) -> f64 {
    if p + r == 0.0 { 0.0 } else { 2.0 * p * r / (p + r) }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Scores predicted label indexes against gold ones.
pub fn evaluate(labels: &[String], gold: &[usize], predicted: &[usize]) -> Report {
    let k = labels.len();
    let mut confusion = vec![vec![0u64; k]; k];
    for (&g, &p) in gold.iter().zip(predicted) {
        if g < k && p < k {
            confusion[g][p] += 1;
        }
    }
    let n = gold.len().min(predicted.len()) as u64;
    let correct: u64 = (0..k).map(|i| confusion[i][i]).sum();
    let mut per_class = BTreeMap::new();
    let mut macro_sum = 0.0;
    for (i, label) in labels.iter().enumerate() {
        let tp = confusion[i][i];
        let support: u64 = confusion[i].iter().sum();
        let predicted_i: u64 = (0..k).map(|g| confusion[g][i]).sum();
        let (p, r) = (ratio(tp, predicted_i), ratio(tp, support));
        macro_sum += f1(p, r);
        per_class.insert(label.clone(), ClassScores { precision: p, recall: r, f1: f1(p, r), support });
    }
    let accuracy = ratio(correct, n);
    Report {
        n,
        accuracy,
        micro_f1: accuracy,
        macro_f1: if k == 0 { 0.0 } else { macro_sum / k as f64 },
        per_class,
        confusion,
        labels: labels.to_vec(),
    }
}

/// Micro-F1 over (document, category) pairs for multi-label predictions.
pub fn multilabel_micro_f1(gold: &[Vec<String>], predicted: &[Vec<String>]) -> f64 {
    let (mut tp, mut n_pred, mut n_gold) = (0u64, 0u64, 0u64);
    for (g, p) in gold.iter().zip(predicted) {
        n_gold += g.len() as u64;
        n_pred += p.len() as u64;
        tp += p.iter().filter(|c| g.contains(c)).count() as u64;
    }
    f1(ratio(tp, n_pred), ratio(tp, n_gold))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_match_a_hand_computed_example() {
        // gold:  neg neg neu neu neu pos ; predicted: neg neu neu neu pos pos
        let labels: Vec<String> = ["negative", "neutral", "positive"].iter().map(|s| s.to_string()).collect();
        let r = evaluate(&labels, &[0, 0, 1, 1, 1, 2], &[0, 1, 1, 1, 2, 2]);
        assert_eq!(r.confusion, vec![vec![1, 1, 0], vec![0, 2, 1], vec![0, 0, 1]]);
        assert!((r.accuracy - 4.0 / 6.0).abs() < 1e-12);
        let neg = &r.per_class["negative"];
        assert_eq!((neg.precision, neg.recall), (1.0, 0.5));
        let neu = &r.per_class["neutral"];
        assert!((neu.precision - 2.0 / 3.0).abs() < 1e-12 && (neu.recall - 2.0 / 3.0).abs() < 1e-12);
        let pos = &r.per_class["positive"];
        assert_eq!((pos.precision, pos.recall), (0.5, 1.0));
        let macro_f1 = (2.0 / 3.0 + 2.0 / 3.0 + 2.0 / 3.0) / 3.0;
        assert!((r.macro_f1 - macro_f1).abs() < 1e-12);
    }

    #[test]
    fn multilabel_pairs() {
        let g = vec![vec!["A".to_string(), "B".to_string()], vec!["A".to_string()]];
        let p = vec![vec!["A".to_string()], vec!["A".to_string(), "C".to_string()]];
        // tp 2, predicted 3, gold 3 → P = R = 2/3
        assert!((multilabel_micro_f1(&g, &p) - 2.0 / 3.0).abs() < 1e-12);
    }
}
