//! Dialect sniffing: which delimiter, and which record is the header (report preambles and
//! blank lines may come before it). The header is found by its column names, not by offset.

use super::layout::Layouts;

/// Delimiters we try, in order of preference on a tie.
pub const DELIMITERS: [u8; 4] = [b',', b';', b'\t', b'|'];

/// How many records after a candidate header are checked for a consistent width.
const LOOKAHEAD: usize = 20;
/// How many leading records may be preamble.
const MAX_PREAMBLE: usize = 30;

/// A record from a sample: its 1-based start line and its cells.
pub type SampleRecord = (u64, Vec<String>);

/// Parses a decoded sample into records with one delimiter. The last record is dropped when
/// the sample does not reach the end of the file (it may be cut).
pub fn sample_records(sample: &str, delimiter: u8, complete: bool) -> Vec<SampleRecord> {
    // Line ends as the record reader sees them (decode::CrlfToLf): CRLF and a lone CR are
    // LF, so the header's line number agrees with the records' (a kept CR would put every
    // record on line 1, under the header, and lose it as preamble).
    let sample = sample.replace("\r\n", "\n").replace('\r', "\n");
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(sample.as_bytes());
    let mut out = Vec::new();
    let mut rec = csv::ByteRecord::new();
    let mut hit_end = false;
    while out.len() < MAX_PREAMBLE + LOOKAHEAD + 30 {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {
                let pos = rdr.position();
                let embedded: usize = rec.iter().map(|c| c.iter().filter(|&&b| b == b'\n').count()).sum();
                let unterminated = pos.byte() == sample.len() as u64 && !sample.ends_with('\n');
                let line = super::decode::record_start_line(pos.line(), embedded as u64, unterminated);
                out.push((line, rec.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect()));
            }
            Ok(false) => {
                hit_end = true;
                break;
            }
            Err(_) => break,
        }
    }
    if hit_end && !complete {
        out.pop();
    }
    out
}

/// The chosen header: index into the records it was chosen from, and how sure we are.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HeaderChoice {
    pub index: usize,
    /// Cells that are column names some layout knows.
    pub known_cells: usize,
    /// Share of the following records with the header's width.
    pub consistency: f64,
}

impl HeaderChoice {
    fn score(&self) -> f64 {
        self.known_cells as f64 + 0.9 * self.consistency
    }
}

/// Picks the header among the first records: the record with the most known column names,
/// ties broken by how many following records share its width.
pub fn choose_header(records: &[SampleRecord], layouts: &Layouts) -> Option<HeaderChoice> {
    let mut best: Option<HeaderChoice> = None;
    for (i, (_, cells)) in records.iter().enumerate().take(MAX_PREAMBLE) {
        let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
        if cells.len() < 2 || filled < 2 {
            continue;
        }
        let known_cells = cells.iter().filter(|c| layouts.is_known(c)).count();
        let following = &records[i + 1..records.len().min(i + 1 + LOOKAHEAD)];
        let consistency =
            if following.is_empty() { 0.5 } else { following.iter().filter(|(_, r)| r.len() == cells.len()).count() as f64 / following.len() as f64 };
        // Without any known name the header must at least look like one: no cell is a number.
        if known_cells == 0 && cells.iter().any(|c| c.trim().parse::<f64>().is_ok()) {
            continue;
        }
        let choice = HeaderChoice { index: i, known_cells, consistency };
        if best.is_none_or(|b| choice.score() > b.score() + 1e-9) {
            best = Some(choice);
        }
    }
    best.filter(|b| b.known_cells > 0 || b.consistency >= 0.8)
}

/// The delimiter and header for a decoded text sample.
pub fn sniff_text(sample: &str, complete: bool, layouts: &Layouts) -> Option<(u8, Vec<SampleRecord>, HeaderChoice)> {
    let mut best: Option<(u8, Vec<SampleRecord>, HeaderChoice)> = None;
    for d in DELIMITERS {
        let records = sample_records(sample, d, complete);
        if let Some(choice) = choose_header(&records, layouts) {
            let better = match &best {
                None => true,
                Some((_, _, b)) => choice.score() > b.score() + 1e-9,
            };
            if better {
                best = Some((d, records, choice));
            }
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_header_below_a_report_preamble() {
        let text = "Report Name:,Kunden\r\nDate Range:,2024-05-01 - 2024-05-31\r\nQuery:,\"(\"\"Firma\"\")\"\r\n\r\n\
                    Query Id,Date,Title,Full Text,Url,Page Type\r\n1,2024-05-03 10:15:00.0,T,\"Hallo\r\nWelt\",http://a,twitter\r\n\
                    1,2024-05-03 10:16:00.0,T,Text,http://b,news\r\n";
        let (d, recs, h) = sniff_text(text, true, &Layouts::builtin()).unwrap();
        assert_eq!(d, b',');
        assert_eq!(recs[h.index].0, 5);
        assert_eq!(recs[h.index].1[0], "Query Id");
        assert_eq!(recs[h.index + 2].0, 8, "line numbers count the embedded line break");
    }

    #[test]
    fn semicolon_and_tab_files() {
        let l = Layouts::builtin();
        let (d, _, h) = sniff_text("Datum;Kanal;Text\n01.02.2024 10:00;Twitter;Hallo, Welt\n", true, &l).unwrap();
        assert_eq!((d, h.index), (b';', 0));
        let (d, _, _) = sniff_text("Date\tHit Sentence\tURL\n1\tHallo, Welt; ja\tx\n", true, &l).unwrap();
        assert_eq!(d, b'\t');
    }

    #[test]
    fn unknown_header_is_found_by_shape() {
        let l = Layouts::builtin();
        let (d, recs, h) = sniff_text("Erfasst;Kundenstimme\n2024-05-03;Gut so\n2024-05-04;Schlecht\n", true, &l).unwrap();
        assert_eq!(d, b';');
        assert_eq!(recs[h.index].1, vec!["Erfasst", "Kundenstimme"]);
    }
}
