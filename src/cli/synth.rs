//! `resonanz synth`: a seeded export of fictional German mentions.

use std::path::PathBuf;

use clap::Args;
use resonanz::Error;

#[derive(Args)]
pub struct SynthArgs {
    /// Number of mentions.
    #[arg(long, default_value_t = 1000)]
    rows: u64,
    #[arg(long, value_enum, default_value = "brandwatch")]
    layout: resonanz::synth::SynthLayout,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file (or, with --demo, the directory for the demo files).
    #[arg(long)]
    out: PathBuf,
    /// Write the shipped three-month demo (three files, three layouts) instead.
    #[arg(long)]
    demo: bool,
}

pub fn synth(a: SynthArgs) -> Result<u8, Error> {
    use chrono::TimeZone;
    use resonanz::synth;
    let werr = |source| Error::Write { path: a.out.clone(), source };
    if a.demo {
        for (name, n) in synth::write_demo(&a.out).map_err(werr)? {
            eprintln!("  {name}: {n} rows");
        }
        return Ok(0);
    }
    let start = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
    let end = chrono::Utc.with_ymd_and_hms(2026, 12, 31, 0, 0, 0).single().unwrap_or_default();
    let mut g = synth::Generator::new(a.seed, start, end, a.rows);
    let file = std::fs::File::create(&a.out).map_err(werr)?;
    let n = synth::write_export(a.layout, (0..a.rows).map(|_| g.next_mention()), file).map_err(werr)?;
    eprintln!("resonanz: wrote {n} mentions to {}", a.out.display());
    Ok(0)
}
