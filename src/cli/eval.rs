//! `resonanz eval`: a classifier scored on labelled data.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use resonanz::Error;

use super::read_examples;

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
}

pub fn eval(a: EvalArgs) -> Result<u8, Error> {
    use resonanz::classify::load_classifier;
    let normalizer = resonanz::normalize::Normalizer::default();
    let loaded = load_classifier(&a.model, a.task, &normalizer)?;
    let classifier = loaded.classifier;
    let examples = read_examples(&a.data)?;
    let report = resonanz::train::evaluate_on(classifier.as_ref(), &normalizer, &examples).map_err(resonanz::train::TrainError::Data)?;
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
