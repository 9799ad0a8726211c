//! `resonanz eval`: a classifier scored on labelled data.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use resonanz::Error;

#[derive(Args)]
pub struct EvalArgs {
    /// Labelled data: GermEval 2017 TSV or CSV with `text,label`.
    #[arg(long, required = true, num_args = 1..)]
    data: Vec<PathBuf>,
    /// Classifier: `default` (the shipped model of `--task`), `lexicon` (built in), a lexicon
    /// file (`.toml`), or a trained model (`models/NAME` or its `model.json`), whose task
    /// picks the gold column.
    #[arg(long, default_value = "default")]
    model: String,
    /// The task to score (default: the model's; `default` models: sentiment).
    #[arg(long, value_enum)]
    task: Option<resonanz::classify::Task>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Also write every scored document's decision to this CSV: `file, line, gold,
    /// predicted`, for sentiment classifiers that decide per batch the probabilities
    /// (`p_negative, p_neutral, p_positive`, after the batch's class mix) and `routed`, then
    /// the `text` (labels of multi-label tasks joined by `|`).
    #[arg(long, value_name = "FILE.csv")]
    predictions: Option<PathBuf>,
}

pub fn eval(a: EvalArgs) -> Result<u8, Error> {
    use resonanz::classify::load_classifier;
    let normalizer = resonanz::normalize::Normalizer::default();
    let loaded = load_classifier(&a.model, a.task, &normalizer)?;
    let classifier = loaded.classifier;
    // Each file's examples, in order: those before `ends[k]` (and after `ends[k - 1]`) are
    // `a.data[k]`'s.
    let (mut examples, mut ends) = (Vec::new(), Vec::new());
    for path in &a.data {
        examples.extend(resonanz::train::data::read_labelled(path)?);
        ends.push(examples.len());
    }
    let report = resonanz::train::evaluate_on(classifier.as_ref(), &normalizer, &examples).map_err(resonanz::train::TrainError::Data)?;
    if let Some(path) = &a.predictions {
        let file_of = |i: usize| &a.data[ends.partition_point(|&end| end <= i)];
        let csv = predictions_csv(&report, &examples, file_of).map_err(|source| Error::Write { path: path.clone(), source })?;
        resonanz::report::atomic::write_file(path, &csv).map_err(|source| Error::Write { path: path.clone(), source })?;
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        let _ = out.write_all(&resonanz::report::to_json_bytes(&report));
        return Ok(0);
    }
    let _ = writeln!(
        out,
        "{} on {} documents ({}): accuracy {:.3}, micro-F1 {:.3}, macro-F1 {:.3}, {:.0} docs/s",
        report.model, report.metrics.n, report.task, report.metrics.accuracy, report.metrics.micro_f1, report.metrics.macro_f1, report.docs_per_s
    );
    if let Some(e) = report.share_error_pp {
        let _ = writeln!(out, "  share error {e:.1} pp (largest |predicted − true| share of negative or positive)");
    }
    if let Some(r) = &report.routed {
        let _ = writeln!(out, "  {} of {} documents scored by the own model of training corpus {}", r.documents, report.metrics.n, r.corpus);
    }
    let _ = writeln!(out, "  {:<10} {:>9} {:>9} {:>9} {:>8}", "class", "precision", "recall", "f1", "support");
    for (label, c) in &report.metrics.per_class {
        let _ = writeln!(out, "  {:<10} {:>9.3} {:>9.3} {:>9.3} {:>8}", label, c.precision, c.recall, c.f1, c.support);
    }
    let _ = writeln!(out, "  confusion (rows gold, columns predicted: {}):", report.metrics.labels.join(", "));
    for (label, row) in report.metrics.labels.iter().zip(&report.metrics.confusion) {
        let _ = writeln!(out, "  {:<10} {:?}", label, row);
    }
    Ok(0)
}

/// The decisions of `report` as `eval --predictions` writes them, one row per scored example.
fn predictions_csv<'a>(
    report: &resonanz::train::EvalReport,
    examples: &[resonanz::train::data::Example],
    file_of: impl Fn(usize) -> &'a PathBuf,
) -> std::io::Result<Vec<u8>> {
    let labels = |set: &[usize]| set.iter().map(|&i| report.metrics.labels[i].as_str()).collect::<Vec<_>>().join("|");
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["file", "line", "gold", "predicted", "p_negative", "p_neutral", "p_positive", "routed", "text"])?;
    for d in &report.decisions {
        let e = &examples[d.example];
        let p = d.probabilities.map_or([String::new(), String::new(), String::new()], |p| p.map(|x| format!("{x:.4}")));
        let routed = if d.probabilities.is_some() { d.routed.to_string() } else { String::new() };
        let (file, line) = (file_of(d.example).display().to_string(), e.line.to_string());
        w.write_record([file.as_str(), &line, &labels(&d.gold), &labels(&d.predicted), &p[0], &p[1], &p[2], &routed, &e.text])?;
    }
    w.into_inner().map_err(|e| e.into_error())
}
