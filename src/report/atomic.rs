//! Atomic outputs. A run's output folder is one **set**: [`Staging::set`] writes every file
//! into a fresh generation folder beside it (`.OUT.gen-PID-NANOS`), and the commit switches
//! the output path, a symlink, to the new generation with one `rename` — the only step a
//! reader can observe. A reader (or the next scheduled run) sees the previous complete set
//! or the new one, never a mix, whenever the process is killed; the old generation is
//! removed after the switch, and generations and temporary files left by dead runs are
//! removed by the next run. A first run over an existing plain folder moves that folder
//! aside and links in its place. Folders of the old set that are not run outputs (the
//! period sets of `--period`) are carried over into the new generation. Single files ([`write_file`]) are a temp file + rename.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Files being written for one run; nothing is visible under its final name before
/// [`Staging::commit`]. Dropping an uncommitted staging removes its temporary files.
pub struct Staging {
    /// Where files are written: the final folder (single files), or the new generation.
    dir: PathBuf,
    /// Set mode: the output path that the commit points at `dir`.
    set: Option<PathBuf>,
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
        Ok(Staging { dir: dir.to_path_buf(), set: None, files: Vec::new(), dirs: Vec::new(), stale: Vec::new(), committed: false })
    }

    /// Staging for a whole output set at `out` (see the module doc).
    pub fn set(out: &Path) -> io::Result<Staging> {
        let (parent, name) = split(out)?;
        fs::create_dir_all(&parent)?;
        remove_dead(&parent, &name, out);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let gen = parent.join(format!(".{name}.gen-{}-{nanos}", std::process::id()));
        fs::create_dir_all(&gen)?;
        Ok(Staging { dir: gen, set: Some(out.to_path_buf()), files: Vec::new(), dirs: Vec::new(), stale: Vec::new(), committed: false })
    }

    /// Creates the temporary file for output `name` (which may name a subfolder,
    /// `partials/topic.parquet`); returns it and its final path.
    pub fn create(&mut self, name: &str) -> io::Result<(BufWriter<File>, PathBuf)> {
        if let Some(out) = &self.set {
            let path = self.dir.join(name);
            fs::create_dir_all(path.parent().unwrap_or(&self.dir))?;
            let file = File::create(&path)?;
            self.files.push((path.clone(), path));
            return Ok((BufWriter::with_capacity(1 << 16, file), out.join(name)));
        }
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
        if self.set.is_some() {
            let path = self.dir.join(name);
            fs::create_dir_all(&path)?;
            self.dirs.push((path.clone(), path.clone()));
            return Ok(path);
        }
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

    /// Flushes every file to disk, then renames them all into place.
    pub fn commit(mut self) -> io::Result<Vec<PathBuf>> {
        for (tmp, _) in &self.files {
            File::open(tmp)?.sync_all()?;
        }
        for (tmp, _) in &self.dirs {
            sync_tree(tmp)?;
        }
        if let Some(out) = self.set.clone() {
            self.switch(&out)?;
            self.committed = true;
            return Ok(self.files.iter().map(|(p, _)| out.join(p.strip_prefix(&self.dir).unwrap_or(p))).collect());
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

impl Staging {
    /// Points `out` at the new generation: carries over what the old set holds that this
    /// run does not write (except the outputs it supersedes), then one atomic rename of a
    /// fresh symlink over `out`, then removes the old generation.
    fn switch(&self, out: &Path) -> io::Result<()> {
        let (parent, name) = split(out)?;
        let gen_name = self.dir.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_string();
        let old = fs::symlink_metadata(out).ok();
        let old_dir: Option<PathBuf> = match &old {
            Some(m) if m.file_type().is_symlink() => Some(fs::canonicalize(out).unwrap_or_else(|_| out.to_path_buf())),
            Some(m) if m.is_dir() => Some(out.to_path_buf()),
            Some(_) => return Err(io::Error::other(format!("{} exists and is not a folder", out.display()))),
            None => None,
        };
        if let Some(old_dir) = old_dir.as_ref().filter(|d| d.is_dir()) {
            let superseded: Vec<std::ffi::OsString> = self.stale.iter().filter_map(|s| s.file_name().map(|n| n.to_os_string())).collect();
            for entry in fs::read_dir(old_dir)? {
                let entry = entry?;
                let n = entry.file_name();
                let text = n.to_string_lossy();
                // Files at the top and the run's own folders are outputs of the old set: they
                // go with it. Other folders (period sets of `--period`) are carried over.
                let ours = text.starts_with('.') && text.contains(".tmp-");
                let output = entry.file_type().is_ok_and(|t| t.is_file()) || text == "partials" || text == "mentions";
                if ours || output || superseded.contains(&n) || self.dir.join(&n).symlink_metadata().is_ok() {
                    continue;
                }
                fs::rename(entry.path(), self.dir.join(&n))?;
            }
        }
        fsync_dir(&self.dir);
        let link = parent.join(format!(".{name}.link-{}", std::process::id()));
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(&gen_name, &link)?;
        let aside = parent.join(format!(".{name}.gen-{}-plain", std::process::id()));
        let was_plain = matches!(&old, Some(m) if m.is_dir());
        if was_plain {
            // A plain folder cannot be replaced by a rename: moved aside first (the one
            // moment a reader finds no folder, once, on the first run of this version).
            fs::rename(out, &aside)?;
        }
        fs::rename(&link, out)?;
        fsync_dir(&parent);
        match old_dir {
            _ if was_plain => remove_any(&aside)?,
            Some(d) if d != self.dir && is_generation(&d, &name) => remove_any(&d)?,
            _ => {}
        }
        Ok(())
    }
}

/// The parent folder and the name of an output path.
fn split(out: &Path) -> io::Result<(PathBuf, String)> {
    let name = out.file_name().and_then(|n| n.to_str()).ok_or_else(|| io::Error::other(format!("{}: not a folder name", out.display())))?.to_string();
    let parent = out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    Ok((parent, name))
}

/// Whether `dir` is a generation folder of output `name`.
fn is_generation(dir: &Path, name: &str) -> bool {
    dir.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&format!(".{name}.gen-")))
}

/// Whether the process that made a `…gen-PID-…` / `…tmp-PID` / `…link-PID` entry is gone.
fn dead(pid: &str) -> bool {
    match pid.parse::<u32>() {
        Ok(p) if p == std::process::id() => false,
        Ok(p) => !Path::new(&format!("/proc/{p}")).exists(),
        Err(_) => false,
    }
}

/// Removes what killed runs left of output `name`: generations not linked, symlinks and
/// temporary files of processes that no longer run.
fn remove_dead(parent: &Path, name: &str, out: &Path) {
    let current = fs::canonicalize(out).ok();
    let Ok(entries) = fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let n = entry.file_name().to_string_lossy().to_string();
        let path = entry.path();
        let pid = if let Some(rest) = n.strip_prefix(&format!(".{name}.gen-")) {
            rest.split('-').next().unwrap_or("")
        } else if let Some(rest) = n.strip_prefix(&format!(".{name}.link-")) {
            rest
        } else {
            continue;
        };
        if dead(pid) && current.as_deref() != Some(path.as_path()) {
            let _ = remove_any(&path);
        }
    }
    // Temporary files of the single-file scheme inside the set (`.NAME.tmp-PID`).
    if let Some(cur) = current {
        let Ok(entries) = fs::read_dir(&cur) else { return };
        for entry in entries.flatten() {
            let n = entry.file_name().to_string_lossy().to_string();
            if let Some((_, pid)) = n.rsplit_once(".tmp-") {
                if n.starts_with('.') && dead(pid) {
                    let _ = remove_any(&entry.path());
                }
            }
        }
    }
}

/// Flushes a folder's entries (renames) to disk, best effort.
fn fsync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed && self.set.is_some() {
            let _ = fs::remove_dir_all(&self.dir);
            return;
        }
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
    if path.is_dir() && !path.is_symlink() {
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
