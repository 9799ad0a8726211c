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
    if p + r == 0.0 {
        0.0
    } else {
        2.0 * p * r / (p + r)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
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
    Report { n, accuracy, micro_f1: accuracy, macro_f1: if k == 0 { 0.0 } else { macro_sum / k as f64 }, per_class, confusion, labels: labels.to_vec() }
}

/// Scores label sets: single-label tasks as [`evaluate`] (first label of each set);
/// multi-label ones by (document, label) pairs: micro-F1 over all pairs, macro-F1 over the
/// labels that occur in gold or predictions, accuracy = exact set matches, no confusion matrix.
pub fn evaluate_sets(labels: &[String], multilabel: bool, gold: &[Vec<usize>], predicted: &[Vec<usize>]) -> Report {
    let first = |sets: &[Vec<usize>]| sets.iter().map(|s| s.first().copied().unwrap_or(usize::MAX)).collect::<Vec<_>>();
    if !multilabel {
        return evaluate(labels, &first(gold), &first(predicted));
    }
    let k = labels.len();
    let (mut tp, mut fp, mut fn_) = (vec![0u64; k], vec![0u64; k], vec![0u64; k]);
    let mut exact = 0u64;
    for (g, p) in gold.iter().zip(predicted) {
        let mut g: Vec<usize> = g.iter().copied().filter(|&i| i < k).collect();
        let mut p: Vec<usize> = p.iter().copied().filter(|&i| i < k).collect();
        g.sort_unstable();
        g.dedup();
        p.sort_unstable();
        p.dedup();
        exact += (g == p) as u64;
        for &i in &p {
            if g.contains(&i) {
                tp[i] += 1
            } else {
                fp[i] += 1
            }
        }
        for &i in &g {
            if !p.contains(&i) {
                fn_[i] += 1;
            }
        }
    }
    let n = gold.len().min(predicted.len()) as u64;
    let (stp, sfp, sfn): (u64, u64, u64) = (tp.iter().sum(), fp.iter().sum(), fn_.iter().sum());
    let mut per_class = BTreeMap::new();
    let (mut macro_sum, mut macro_n) = (0.0, 0);
    for (i, label) in labels.iter().enumerate() {
        let (p, r) = (ratio(tp[i], tp[i] + fp[i]), ratio(tp[i], tp[i] + fn_[i]));
        if tp[i] + fp[i] + fn_[i] > 0 {
            macro_sum += f1(p, r);
            macro_n += 1;
        }
        per_class.insert(label.clone(), ClassScores { precision: p, recall: r, f1: f1(p, r), support: tp[i] + fn_[i] });
    }
    Report {
        n,
        accuracy: ratio(exact, n),
        micro_f1: f1(ratio(stp, stp + sfp), ratio(stp, stp + sfn)),
        macro_f1: if macro_n == 0 { 0.0 } else { macro_sum / macro_n as f64 },
        per_class,
        confusion: Vec::new(),
        labels: labels.to_vec(),
    }
}

/// The largest |predicted − true| share of the first or last class (negative, positive),
/// in percentage points, from a confusion matrix (rows gold, columns predicted).
pub fn share_error_pp(confusion: &[Vec<u64>]) -> f64 {
    let k = confusion.len();
    let n: u64 = confusion.iter().flatten().sum();
    if k == 0 || n == 0 {
        return 0.0;
    }
    let share = |c: usize| -> (f64, f64) {
        let gold: u64 = confusion[c].iter().sum();
        let predicted: u64 = confusion.iter().map(|row| row[c]).sum();
        (gold as f64 / n as f64, predicted as f64 / n as f64)
    };
    [0, k - 1]
        .iter()
        .map(|&c| {
            let (g, p) = share(c);
            100.0 * (p - g).abs()
        })
        .fold(0.0, f64::max)
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
        let labels: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let r = evaluate_sets(&labels, true, &[vec![0, 1], vec![0], vec![2]], &[vec![0], vec![0, 2], vec![2]]);
        // tp 3 (A, A, C), fp 1 (C), fn 1 (B) → P = R = 3/4; one exact match of three.
        assert!((r.micro_f1 - 0.75).abs() < 1e-12);
        assert!((r.accuracy - 1.0 / 3.0).abs() < 1e-12);
        // A: P 1, R 1; B: 0; C: P 1/2, R 1 → F1 2/3.
        assert!((r.macro_f1 - (1.0 + 0.0 + 2.0 / 3.0) / 3.0).abs() < 1e-12);
    }
}
