//! Exports that arrive packed: a `.zip` download (Brandwatch's large exports: a folder with
//! the CSV; also several exports in one archive) or a gzip stream (`.csv.gz`). Each export
//! inside is an [`Input`] of its own, named `download.zip!folder/name.csv` in every output,
//! and read as a stream: line numbers are those of the inner file, memory does not grow
//! with it (spreadsheets, which need random access, are read into memory).

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

/// Extensions of the files read as exports (in a directory or an archive).
pub const EXPORT_EXTENSIONS: [&str; 7] = ["csv", "tsv", "txt", "xlsx", "xls", "xlsb", "ods"];

/// One export to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    File(PathBuf),
    /// A gzip-compressed file (`.csv.gz`).
    Gzip(PathBuf),
    /// One file inside a zip archive.
    ZipEntry {
        archive: PathBuf,
        entry: String,
    },
}

impl Input {
    /// How outputs name it: the path, or `archive.zip!entry`.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) | Input::Gzip(p) => p.display().to_string(),
            Input::ZipEntry { archive, entry } => format!("{}!{entry}", archive.display()),
        }
    }

    /// The file on disk: a plain export's own path (spreadsheets are opened by path).
    pub fn path(&self) -> Option<&Path> {
        match self {
            Input::File(p) => Some(p),
            _ => None,
        }
    }

    /// The export's bytes, decompressed, from the start.
    pub fn open(&self) -> std::io::Result<Box<dyn Read + Send>> {
        Ok(match self {
            Input::File(p) => Box::new(File::open(p)?),
            Input::Gzip(p) => Box::new(flate2::read::MultiGzDecoder::new(BufReader::with_capacity(1 << 16, File::open(p)?))),
            Input::ZipEntry { archive, entry } => Box::new(ZipEntryReader::open(archive, entry)?),
        })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot read: {0}")]
    Io(#[from] std::io::Error),
    #[error("not a readable zip archive: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("the zip archive holds no export file (.csv, .tsv, .txt, .xlsx, .xls, .xlsb, .ods)")]
    NoExport,
}

/// The exports a file holds: itself; for a gzip file the stream; for a zip archive (by
/// extension, or a zip that is not an Office document) its export files in archive order,
/// folders, hidden files and macOS resource forks (`__MACOSX/`) left out.
pub fn inputs_of(path: &Path) -> Result<Vec<Input>, ArchiveError> {
    let ext = extension(&path.to_string_lossy());
    let mut magic = [0u8; 4];
    let n = File::open(path)?.read(&mut magic)?;
    let magic = &magic[..n];
    if magic.starts_with(&[0x1f, 0x8b]) {
        return Ok(vec![Input::Gzip(path.to_path_buf())]);
    }
    if !magic.starts_with(b"PK\x03\x04") && !magic.starts_with(b"PK\x05\x06") {
        return Ok(vec![Input::File(path.to_path_buf())]);
    }
    if ext != "zip" && EXPORT_EXTENSIONS.contains(&ext.as_str()) {
        return Ok(vec![Input::File(path.to_path_buf())]); // an XLSX/ODS is a zip too
    }
    let archive = zip::ZipArchive::new(BufReader::new(File::open(path)?))?;
    let mut names = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        if let Some(name) = archive.name_for_index(i) {
            names.push(name?.into_owned());
        }
    }
    if names.iter().any(|n| n == "[Content_Types].xml" || n == "mimetype") {
        return Ok(vec![Input::File(path.to_path_buf())]); // an Office document, renamed
    }
    let entries: Vec<Input> = names
        .into_iter()
        .filter(|name| !name.ends_with('/') && !name.split('/').any(|part| part.starts_with('.') || part == "__MACOSX"))
        .filter(|name| EXPORT_EXTENSIONS.contains(&extension(name).as_str()))
        .map(|entry| Input::ZipEntry { archive: path.to_path_buf(), entry })
        .collect();
    if entries.is_empty() {
        return Err(ArchiveError::NoExport);
    }
    Ok(entries)
}

/// Whether a directory's file is read: an export by its extension (`.csv`, `.csv.gz`, …)
/// or a zip archive.
pub fn is_export_name(name: &str) -> bool {
    let ext = extension(name);
    ext == "zip" || EXPORT_EXTENSIONS.contains(&ext.as_str())
}

/// The lower-cased extension of a file name, `.gz` looked through (`x.csv.gz` → `csv`).
fn extension(name: &str) -> String {
    let lower = name.to_ascii_lowercase();
    let lower = lower.strip_suffix(".gz").unwrap_or(&lower);
    lower.rsplit_once('.').map(|(_, e)| e.to_string()).unwrap_or_default()
}

/// An entry of a zip archive as an owned stream: a thread holds the archive and hands the
/// decompressed bytes on in chunks (the zip crate's entry reader borrows its archive and
/// checks the CRC at the end).
struct ZipEntryReader {
    chunks: std::sync::mpsc::Receiver<std::io::Result<Vec<u8>>>,
    current: Vec<u8>,
    at: usize,
}

impl ZipEntryReader {
    fn open(archive: &Path, entry: &str) -> std::io::Result<ZipEntryReader> {
        let mut zip = zip::ZipArchive::new(BufReader::new(File::open(archive)?)).map_err(std::io::Error::other)?;
        zip.by_name(entry).map_err(std::io::Error::other)?; // fails here, not in the thread
        let (tx, chunks) = std::sync::mpsc::sync_channel(4);
        let entry = entry.to_string();
        std::thread::spawn(move || {
            let mut file = match zip.by_name(&entry) {
                Ok(f) => f,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e)));
                    return;
                }
            };
            loop {
                let mut chunk = vec![0u8; 1 << 18];
                match file.read(&mut chunk) {
                    Ok(0) => return,
                    Ok(n) => {
                        chunk.truncate(n);
                        if tx.send(Ok(chunk)).is_err() {
                            return; // the reader is gone
                        }
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => {
                        let _ = tx.send(Err(e));
                        return;
                    }
                }
            }
        });
        Ok(ZipEntryReader { chunks, current: Vec::new(), at: 0 })
    }
}

impl Read for ZipEntryReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.current.len() {
            match self.chunks.recv() {
                Ok(chunk) => (self.current, self.at) = (chunk?, 0),
                Err(_) => return Ok(0), // the thread is done: the end of the entry
            }
        }
        let n = buf.len().min(self.current.len() - self.at);
        buf[..n].copy_from_slice(&self.current[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_with(path: &Path, files: &[(&str, &[u8])]) {
        let mut w = zip::ZipWriter::new(File::create(path).unwrap());
        for (name, data) in files {
            if name.ends_with('/') {
                w.add_directory(name.trim_end_matches('/'), zip::write::SimpleFileOptions::default()).unwrap();
            } else {
                w.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
                w.write_all(data).unwrap();
            }
        }
        w.finish().unwrap();
    }

    #[test]
    fn a_zip_holds_its_exports_in_archive_order_and_streams_them() {
        let dir = std::env::temp_dir().join(format!("resonanz-archive-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let big: Vec<u8> = (0..200_000).flat_map(|i| format!("{i},Text {i}\n").into_bytes()).collect();
        let zip = dir.join("download.zip");
        zip_with(
            &zip,
            &[("export/", b""), ("export/b.csv", &big), ("export/a.csv", b"x\n"), ("__MACOSX/export/._b.csv", b"junk"), ("export/readme.pdf", b"%PDF")],
        );
        let inputs = inputs_of(&zip).unwrap();
        let names: Vec<String> = inputs.iter().map(Input::name).collect();
        assert_eq!(names, [format!("{}!export/b.csv", zip.display()), format!("{}!export/a.csv", zip.display())]);
        let mut read = Vec::new();
        inputs[0].open().unwrap().read_to_end(&mut read).unwrap();
        assert_eq!(read, big);

        let gz = dir.join("x.csv.gz");
        let mut e = flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        e.write_all(b"a,b\n1,2\n").unwrap();
        e.finish().unwrap();
        let inputs = inputs_of(&gz).unwrap();
        assert_eq!(inputs, [Input::Gzip(gz.clone())]);
        let mut read = String::new();
        inputs[0].open().unwrap().read_to_string(&mut read).unwrap();
        assert_eq!(read, "a,b\n1,2\n");

        let empty = dir.join("nothing.zip");
        zip_with(&empty, &[("notes.pdf", b"%PDF")]);
        assert!(matches!(inputs_of(&empty), Err(ArchiveError::NoExport)));
        let broken = dir.join("broken.zip");
        std::fs::write(&broken, b"PK\x03\x04 not really").unwrap();
        assert!(inputs_of(&broken).unwrap_err().to_string().contains("zip"));
        let plain = dir.join("plain.csv");
        std::fs::write(&plain, "a,b\n").unwrap();
        assert_eq!(inputs_of(&plain).unwrap(), [Input::File(plain.clone())]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn extensions_look_through_gzip() {
        assert_eq!(extension("a/B.CSV.gz"), "csv");
        assert_eq!(extension("x.zip"), "zip");
        assert_eq!(extension("noext"), "");
    }
}
