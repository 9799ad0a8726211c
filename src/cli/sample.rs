//! `resonanz sample`: mentions of a finished run to label.

use std::path::PathBuf;

use clap::Args;
use resonanz::Error;

#[derive(Args)]
pub struct SampleArgs {
    /// Output directory of `resonanz run` (with mentions.parquet).
    run_dir: PathBuf,
    /// Number of mentions.
    #[arg(long, default_value_t = 300)]
    n: usize,
    /// The CSV to write.
    #[arg(long)]
    out: PathBuf,
    /// The seed of the random order (and of ties).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Order inside each channel × month × topic stratum: `spread` (random, the default:
    /// it measured best for `train --base`), `least-certain` first, or `mixed`.
    #[arg(long, value_enum, default_value = "spread")]
    order: resonanz::sample::Order,
    /// Comma-separated, `.` decimals, no byte order mark (default: German Excel's `;`,
    /// decimal comma, UTF-8 BOM).
    #[arg(long)]
    plain_csv: bool,
    /// Time zone of the `published_at` column and of the months sampled over.
    #[arg(long, default_value = "Europe/Berlin", value_name = "IANA_TZ")]
    timezone: String,
}

pub fn sample(a: SampleArgs) -> Result<u8, Error> {
    use resonanz::sample;
    let tz: chrono_tz::Tz = a.timezone.parse().map_err(|_| Error::Usage(format!("--timezone: unknown time zone `{}`", a.timezone)))?;
    let candidates = sample::read_run(&a.run_dir)?;
    let picked = sample::pick(&candidates, a.n, a.seed, a.order, tz);
    sample::write_csv(&a.out, &candidates, &picked, tz, !a.plain_csv)?;
    eprintln!(
        "resonanz: {} of {} mentions to label → {} (fill in `label`: negativ/neutral/positiv, `relevant_label`: ja/nein; blank rows are skipped)",
        picked.len(),
        candidates.len(),
        a.out.display()
    );
    Ok(0)
}
