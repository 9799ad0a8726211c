//! Spreadsheet exports (XLSX, XLS, XLSB, ODS) through calamine: the rows of the sheet named
//! `Mentions` (Brand24) or else the first sheet with data, as text cells with row numbers.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use calamine::{Data, Reader, Sheets};

/// All rows of the mention sheet: (1-based sheet row, cells as text).
pub fn read_rows(path: &Path) -> Result<Vec<(u64, Vec<String>)>, String> {
    // By extension first; a spreadsheet saved as `.csv` is tried as XLSX, then XLS.
    let mut book: Sheets<BufReader<File>> = calamine::open_workbook_auto(path)
        .or_else(|_| calamine::open_workbook::<calamine::Xlsx<_>, _>(path).map(Sheets::Xlsx))
        .or_else(|_| calamine::open_workbook::<calamine::Xls<_>, _>(path).map(Sheets::Xls))
        .map_err(|e| format!("spreadsheet cannot be opened: {e}"))?;
    let names = book.sheet_names();
    let preferred = names.iter().position(|n| n.eq_ignore_ascii_case("mentions"));
    let order: Vec<usize> = preferred.into_iter().chain(0..names.len()).collect();
    for idx in order {
        let Some(Ok(range)) = book.worksheet_range_at(idx) else { continue };
        let Some((row0, _)) = range.start() else { continue };
        let rows: Vec<(u64, Vec<String>)> = range
            .rows()
            .enumerate()
            .map(|(i, r)| (row0 as u64 + i as u64 + 1, r.iter().map(cell_text).collect()))
            .collect();
        if !rows.is_empty() {
            return Ok(rows);
        }
    }
    Err("spreadsheet has no sheet with data".into())
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            // A date without time of day stays a bare date, so a separate time column applies.
            Some(ndt) if ndt.time() == chrono::NaiveTime::MIN => ndt.format("%Y-%m-%d").to_string(),
            Some(ndt) => ndt.format("%Y-%m-%d %H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}!"),
    }
}
