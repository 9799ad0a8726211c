//! Atomic outputs: every file is written to a temporary name in the output directory and
//! renamed into place only when the whole run has succeeded, so a failed (scheduled) run
//! leaves the previous outputs untouched and never a half-written report.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Files being written for one run; nothing is visible under its final name before
/// [`Staging::commit`]. Dropping an uncommitted staging removes its temporary files.
pub struct Staging {
    dir: PathBuf,
    files: Vec<(PathBuf, PathBuf)>,
    /// Output folders (temporary, final), replaced as a whole.
    dirs: Vec<(PathBuf, PathBuf)>,
    /// Outputs of an earlier run this one supersedes without writing them (removed at commit).
    stale: Vec<PathBuf>,
    committed: bool,
}

impl Staging {
    pub fn new(dir: &Path) -> io::Result<Staging> {
        fs::create_dir_all(dir)?;
        Ok(Staging { dir: dir.to_path_buf(), files: Vec::new(), dirs: Vec::new(), stale: Vec::new(), committed: false })
    }

    /// Creates the temporary file for output `name` (which may name a subfolder,
    /// `partials/topic.parquet`); returns it and its final path.
    pub fn create(&mut self, name: &str) -> io::Result<(BufWriter<File>, PathBuf)> {
        let target = self.dir.join(name);
        let folder = target.parent().unwrap_or(&self.dir);
        fs::create_dir_all(folder)?;
        let file_name = target.file_name().and_then(|n| n.to_str()).unwrap_or("output");
        let tmp = folder.join(format!(".{file_name}.tmp-{}", std::process::id()));
        let file = File::create(&tmp)?;
        self.files.push((tmp, target.clone()));
        Ok((BufWriter::with_capacity(1 << 16, file), target))
    }

    /// Creates the temporary folder for output folder `name`, which replaces the whole
    /// folder at commit; returns the temporary folder.
    pub fn create_dir(&mut self, name: &str) -> io::Result<PathBuf> {
        let tmp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp.exists() {
            fs::remove_dir_all(&tmp)?;
        }
        fs::create_dir_all(&tmp)?;
        self.dirs.push((tmp.clone(), self.dir.join(name)));
        Ok(tmp)
    }

    /// Marks an earlier run's output (file or folder) that this run supersedes without
    /// writing it: removed at commit, so readers never mix two runs.
    pub fn remove_at_commit(&mut self, name: &str) {
        self.stale.push(self.dir.join(name));
    }

    /// Where output `name` is being written before the commit (to read it back).
    pub fn staged_path(&self, name: &str) -> Option<&Path> {
        let target = self.dir.join(name);
        self.files.iter().find(|(_, t)| *t == target).map(|(tmp, _)| tmp.as_path())
    }

    /// Flushes every file to disk, then renames them all into place.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        for (tmp, _) in &self.files {
            File::open(tmp)?.sync_all()?;
        }
        for (tmp, _) in &self.dirs {
            sync_tree(tmp)?;
        }
        let mut done = Vec::with_capacity(self.files.len() + self.dirs.len());
        for (tmp, target) in &self.files {
            fs::rename(tmp, target)?;
            done.push(target.clone());
        }
        for (tmp, target) in &self.dirs {
            // A folder cannot be renamed over another: the old one is moved aside first.
            let old = tmp.with_extension("old");
            let had_old = target.exists();
            if had_old {
                fs::rename(target, &old)?;
            }
            fs::rename(tmp, target)?;
            if had_old {
                remove_any(&old)?;
            }
            done.push(target.clone());
        }
        for stale in &self.stale {
            if stale.exists() {
                remove_any(stale)?;
            }
        }
        self.committed = true;
        Ok(done)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            for (tmp, _) in &self.files {
                let _ = fs::remove_file(tmp);
            }
            for (tmp, _) in &self.dirs {
                let _ = fs::remove_dir_all(tmp);
            }
        }
    }
}

/// Flushes every file under a folder to disk.
fn sync_tree(dir: &Path) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            sync_tree(&path)?;
        } else {
            File::open(&path)?.sync_all()?;
        }
    }
    Ok(())
}

fn remove_any(path: &Path) -> io::Result<()> {
    if path.is_dir() {
        fs::remove_dir_all(path)
    } else {
        fs::remove_file(path)
    }
}

/// Writes one small file atomically on its own (temp file + rename).
pub fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("output");
    let mut staging = Staging::new(dir)?;
    let (mut w, _) = staging.create(name)?;
    w.write_all(bytes)?;
    w.flush()?;
    drop(w);
    staging.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nothing_is_visible_before_commit_and_nothing_left_after_drop() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.csv"), "old").unwrap();
        {
            let mut s = Staging::new(dir.path()).unwrap();
            let (mut w, _) = s.create("a.csv").unwrap();
            w.write_all(b"new, half").unwrap();
            // dropped without commit: a failed run
        }
        assert_eq!(fs::read_to_string(dir.path().join("a.csv")).unwrap(), "old");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "temporary file removed");
        let mut s = Staging::new(dir.path()).unwrap();
        let (mut w, _) = s.create("a.csv").unwrap();
        w.write_all(b"new").unwrap();
        w.flush().unwrap();
        drop(w);
        s.commit().unwrap();
        assert_eq!(fs::read_to_string(dir.path().join("a.csv")).unwrap(), "new");
    }
}
