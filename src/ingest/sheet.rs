//! Spreadsheet exports (XLSX, XLS, XLSB, ODS) through calamine: the rows of the sheet named
//! `Mentions` (Brand24) or else the first sheet with data, as text cells with row numbers.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use calamine::{Data, Reader, Sheets};

/// Columns a mention sheet may use; a cell further right is an error, not a reason to
/// allocate a row of 16,384 cells.
pub const MAX_COLUMNS: u32 = 1024;

/// Why a spreadsheet's rows cannot be read (the messages are those `inspect` and the
/// rejects show).
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("spreadsheet cannot be opened: {0}")]
    Open(Box<dyn std::error::Error + Send + Sync>),
    #[error("sheet `{sheet}` cannot be read: {source}")]
    Sheet { sheet: String, source: calamine::XlsxError },
    #[error("sheet `{sheet}`: cell {cell} is beyond column {last} (the most a mention sheet may use)")]
    TooWide { sheet: String, cell: String, last: String },
    #[error("spreadsheet has no sheet with data")]
    NoData,
}

/// A1-style name of a 0-based (row, column).
fn cell_name(row: u32, col: u32) -> String {
    let mut letters = Vec::new();
    let mut c = col as u64 + 1;
    while c > 0 {
        letters.push(b'A' + ((c - 1) % 26) as u8);
        c = (c - 1) / 26;
    }
    letters.reverse();
    format!("{}{}", String::from_utf8_lossy(&letters), row as u64 + 1)
}

/// The rows of an XLSX sheet from the cells actually present (a streaming reader): memory
/// follows the data, not the sheet's declared dimension or one far-off cell reference.
fn xlsx_rows<RS: std::io::Read + std::io::Seek>(book: &mut calamine::Xlsx<RS>, sheet: &str) -> Result<Vec<(u64, Vec<String>)>, SheetError> {
    let unreadable = |source| SheetError::Sheet { sheet: sheet.to_string(), source };
    let mut reader = book.worksheet_cells_reader(sheet).map_err(unreadable)?;
    let mut rows: std::collections::BTreeMap<u32, Vec<String>> = std::collections::BTreeMap::new();
    while let Some(cell) = reader.next_cell().map_err(unreadable)? {
        let (row, col) = cell.get_position();
        let text = cell_text(&Data::from(cell.get_value().clone()));
        if text.is_empty() {
            continue;
        }
        if col >= MAX_COLUMNS {
            return Err(SheetError::TooWide {
                sheet: sheet.to_string(),
                cell: cell_name(row, col),
                last: cell_name(0, MAX_COLUMNS - 1).trim_end_matches('1').to_string(),
            });
        }
        let cells = rows.entry(row).or_default();
        if cells.len() <= col as usize {
            cells.resize(col as usize + 1, String::new());
        }
        cells[col as usize] = text;
    }
    Ok(rows.into_iter().map(|(r, cells)| (r as u64 + 1, cells)).collect())
}

/// All rows of the mention sheet: (1-based sheet row, cells as text).
pub fn read_rows(path: &Path) -> Result<Vec<(u64, Vec<String>)>, SheetError> {
    // By extension first; a spreadsheet saved as `.csv` is tried as XLSX, then XLS.
    let book: Sheets<BufReader<File>> = calamine::open_workbook_auto(path)
        .or_else(|_| calamine::open_workbook::<calamine::Xlsx<_>, _>(path).map(Sheets::Xlsx))
        .or_else(|_| calamine::open_workbook::<calamine::Xls<_>, _>(path).map(Sheets::Xls))
        .map_err(|e| SheetError::Open(e.into()))?;
    book_rows(book)
}

/// [`read_rows`] of a spreadsheet in memory (one inside an archive).
pub fn read_rows_from<RS: std::io::Read + std::io::Seek + Clone>(data: RS) -> Result<Vec<(u64, Vec<String>)>, SheetError> {
    let book = calamine::open_workbook_auto_from_rs(data).map_err(|e| SheetError::Open(e.into()))?;
    book_rows(book)
}

fn book_rows<RS: std::io::Read + std::io::Seek>(mut book: Sheets<RS>) -> Result<Vec<(u64, Vec<String>)>, SheetError> {
    let names = book.sheet_names();
    let preferred = names.iter().position(|n| n.eq_ignore_ascii_case("mentions"));
    let order: Vec<usize> = preferred.into_iter().chain(0..names.len()).collect();
    for idx in order {
        if let Sheets::Xlsx(x) = &mut book {
            let rows = xlsx_rows(x, &names[idx])?;
            if !rows.is_empty() {
                return Ok(rows);
            }
            continue;
        }
        let Some(Ok(range)) = book.worksheet_range_at(idx) else { continue };
        let Some((row0, _)) = range.start() else { continue };
        let rows: Vec<(u64, Vec<String>)> = range.rows().enumerate().map(|(i, r)| (row0 as u64 + i as u64 + 1, r.iter().map(cell_text).collect())).collect();
        if !rows.is_empty() {
            return Ok(rows);
        }
    }
    Err(SheetError::NoData)
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

#[cfg(test)]
mod tests {
    #[test]
    fn cell_names() {
        assert_eq!(super::cell_name(0, 0), "A1");
        assert_eq!(super::cell_name(1_048_575, 16_383), "XFD1048576");
        assert_eq!(super::cell_name(99_999, 701), "ZZ100000");
    }
}
