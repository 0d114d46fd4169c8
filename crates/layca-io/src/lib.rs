//! # layca-io — the one atomic file write of the workspace
//!
//! Owns: [`write_atomic`] and its two halves, [`tmp_path`] (a unique temporary sibling) and
//! [`commit`] (fsync the temp file, rename it over the target, fsync the directory). Run
//! stores, weights, optimizer state and figures all persist through these, so a kill at any
//! point leaves either the old or the new version of a file, never a torn one, and concurrent
//! writers (threads or processes) never share a temp file.
//!
//! Must not depend on: any other crate of the workspace (it is the bottom of the graph).
#![warn(missing_docs)]

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// A fresh temporary sibling of `path`: `dir/.<name>.tmp-<pid>-<n>`, unique per process and
/// per call. Callers that must keep an extension (image encoders) may append one.
pub fn tmp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()))
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Makes a fully written temp file `tmp` the new `path`: fsync `tmp`, rename it over `path`,
/// fsync the directory (so the rename survives a power loss). Removes `tmp` on failure.
pub fn commit(tmp: &Path, path: &Path) -> io::Result<()> {
    let result = File::open(tmp)
        .and_then(|f| f.sync_all())
        .and_then(|()| std::fs::rename(tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(tmp);
        return Err(e);
    }
    sync_dir(&parent_dir(path))
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    // Directories cannot be opened for syncing on this platform; the rename is still atomic.
    Ok(())
}

/// Writes `bytes` to `path` atomically, creating the parent directory if needed: a unique temp
/// sibling is written and fsynced, renamed over `path`, and the directory is fsynced.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    if path.file_name().is_none() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file path", path.display()),
        ));
    }
    std::fs::create_dir_all(parent_dir(path))?;
    let tmp = tmp_path(path);
    let written = File::create(&tmp).and_then(|mut f| f.write_all(bytes));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    commit(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub").join("a.json");
        write_atomic(&p, b"first version").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"second");
        assert_eq!(names(p.parent().unwrap()), vec!["a.json".to_string()]);
    }

    #[test]
    fn a_crash_before_the_rename_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("run.json");
        write_atomic(&p, b"{\"ok\": 1}").unwrap();
        // A writer killed after writing its temp file but before the rename.
        std::fs::write(tmp_path(&p), b"{\"torn").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"{\"ok\": 1}");
    }

    #[test]
    fn temp_names_are_unique_siblings() {
        let p = Path::new("/x/y/state.safetensors");
        let (a, b) = (tmp_path(p), tmp_path(p));
        assert_ne!(a, b);
        assert_eq!(a.parent(), p.parent());
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert!(name.starts_with(".state.safetensors.tmp-"), "{name}");
    }

    #[test]
    fn concurrent_writers_never_tear_a_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shared.txt");
        std::thread::scope(|s| {
            for t in 0..4u8 {
                let p = &p;
                s.spawn(move || {
                    for _ in 0..20 {
                        write_atomic(p, &[b'a' + t; 4096]).unwrap();
                    }
                });
            }
        });
        let bytes = std::fs::read(&p).unwrap();
        assert_eq!(bytes.len(), 4096);
        assert!(bytes.iter().all(|&b| b == bytes[0]));
        assert_eq!(names(dir.path()), vec!["shared.txt".to_string()]);
    }

    #[test]
    fn errors_for_unusable_paths() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_atomic(Path::new("/"), b"x").is_err());
        // The parent is a file: the directory cannot be created.
        let f = dir.path().join("file");
        std::fs::write(&f, b"x").unwrap();
        assert!(write_atomic(&f.join("child"), b"x").is_err());
        // A failed commit removes its temp file.
        let tmp = tmp_path(&dir.path().join("missing").join("t"));
        assert!(commit(&tmp, &dir.path().join("t")).is_err());
    }
}
