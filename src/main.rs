//! The `resonanz` command line: parses arguments, hands each command to its module in
//! [`cli`], maps errors to exit codes (0 ok, 1 usage/config, 2 input error, 3 too many
//! rejects, 4 outputs not written).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cli;

use cli::{bench::BenchArgs, eval::EvalArgs, inspect::InspectArgs, merge::MergeArgs, run::RunArgs, sample::SampleArgs, synth::SynthArgs, train::TrainArgs};

/// mimalloc: ingest allocates many small strings per row from several threads; glibc's
/// allocator spent a sixth of the ingest time consolidating them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "resonanz", version, about = "Mention exports in, German sentiment/topic/ROI reports out")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline on export files or directories (default: the shipped sample in data/).
    Run(RunArgs),
    /// Show what resonanz detects in export files and what it would reject; writes nothing.
    Inspect(InspectArgs),
    /// Generate a seeded export of fictional German mentions (for demos and benchmarks).
    Synth(SynthArgs),
    /// Score a classifier on labelled data: accuracy, micro/macro-F1, per class, confusion, docs/s.
    Eval(EvalArgs),
    /// Train a model on labelled data, choosing its penalty by k-fold cross-validation.
    Train(TrainArgs),
    /// Every classifier for a task on the same data: quality and speed side by side.
    Bench(BenchArgs),
    /// Merge the outputs of runs over disjoint parts of the inputs into the tables and report
    /// one run over all of them gives (from each part's partials/).
    Merge(MergeArgs),
    /// Pick mentions of a finished run to label (spread over channels, months and topics, no
    /// near-duplicates) as a CSV to fill in Excel.
    Sample(SampleArgs),
}

resonanz::tune_allocator_before_main!();

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(a) => cli::run::run(a),
        Command::Inspect(a) => cli::inspect::inspect(a),
        Command::Synth(a) => cli::synth::synth(a),
        Command::Eval(a) => cli::eval::eval(a),
        Command::Train(a) => cli::train::train(a),
        Command::Bench(a) => cli::bench::bench(a),
        Command::Merge(a) => cli::merge::merge(a),
        Command::Sample(a) => cli::sample::sample(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("resonanz: error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
