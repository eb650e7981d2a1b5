//! Output folders that are always consistent: a command writes into a staging folder beside the
//! destination (`.NAME.staging-PID`) and moves it into place as a whole when everything is
//! written — with an atomic exchange of the two folders when the destination exists
//! (`renameat2(RENAME_EXCHANGE)`), so at every moment the destination holds either the previous
//! complete output or the new complete one. A staging folder is removed on error, on SIGINT,
//! SIGTERM and SIGHUP ([`crate::signals`]), and, if a `kill -9` left one, by the next run.
//! A non-empty destination is replaced only with `--overwrite` (HEASoft's `clobber`).

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

/// A staging folder for the output folder `dest`.
pub struct Staged {
    dest: PathBuf,
    staging: PathBuf,
    done: bool,
}

fn staging_prefix(dest: &Path) -> (PathBuf, String) {
    let parent = dest
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    (parent, format!(".{name}.staging-"))
}

/// Remove staging folders of `dest` left by processes that no longer run (a `kill -9`).
/// `exod batch` calls it for each of its units at its start (only its own: another shard's
/// process may run on another node, where its PID means nothing).
pub fn remove_stale(dest: &Path) {
    let (parent, prefix) = staging_prefix(dest);
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(&prefix)
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: kill with signal 0 only checks whether the process exists.
        let alive = unsafe { libc::kill(pid, 0) } == 0;
        if !alive || pid == std::process::id() as i32 {
            tracing::debug!("removing stale staging folder {}", e.path().display());
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

impl Staged {
    /// Start writing the output folder `dest` (refused if it is a non-empty folder and
    /// `overwrite` is false, or a file).
    pub fn begin(dest: &Path, overwrite: bool) -> Result<Staged> {
        if dest.exists() {
            if !dest.is_dir() {
                bail!(
                    "{}: exists and is not a folder (expected an output folder)",
                    dest.display()
                );
            }
            let non_empty = std::fs::read_dir(dest)
                .with_context(|| format!("{}: cannot list the output folder", dest.display()))?
                .next()
                .is_some();
            if non_empty && !overwrite {
                bail!(
                    "{}: the output folder is not empty; pass --overwrite to replace it (its files stay until the new outputs are complete)",
                    dest.display()
                );
            }
        }
        remove_stale(dest);
        let (parent, prefix) = staging_prefix(dest);
        std::fs::create_dir_all(&parent)
            .with_context(|| format!("{}: cannot create the folder", parent.display()))?;
        let staging = parent.join(format!("{prefix}{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        // created and registered under the signal lock: a SIGINT between the two used to
        // leave the folder behind
        crate::signals::create_registered(&staging)
            .with_context(|| format!("{}: cannot create the staging folder", staging.display()))?;
        Ok(Staged {
            dest: dest.to_path_buf(),
            staging,
            done: false,
        })
    }

    /// Where to write.
    pub fn path(&self) -> &Path {
        &self.staging
    }

    /// The final path of a file written under [`Staged::path`].
    pub fn final_path(&self, p: &Path) -> PathBuf {
        match p.strip_prefix(&self.staging) {
            Ok(rel) => self.dest.join(rel),
            Err(_) => p.to_path_buf(),
        }
    }

    /// Move the complete output into place (not once a signal has arrived: the signal thread
    /// is then removing the staging folder, and the previous output stays).
    pub fn commit(mut self) -> Result<()> {
        let mut result = Ok(());
        let moved = crate::signals::unless_interrupted(&self.staging, || {
            result = if self.dest.exists() {
                exchange(&self.staging, &self.dest)
            } else {
                std::fs::rename(&self.staging, &self.dest).with_context(|| {
                    format!(
                        "{}: cannot move the new outputs into place",
                        self.dest.display()
                    )
                })
            };
            result.is_ok()
        });
        result?;
        if !moved {
            bail!("interrupted: the new outputs were not moved into place");
        }
        self.done = true;
        // the staging path now holds the previous output, if there was one
        let _ = std::fs::remove_dir_all(&self.staging);
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_dir_all(&self.staging);
            crate::signals::unregister(&self.staging);
        }
    }
}

/// Atomically exchange two folders (Linux `renameat2(RENAME_EXCHANGE)`).
fn exchange(a: &Path, b: &Path) -> Result<()> {
    let ca = CString::new(a.as_os_str().as_bytes())?;
    let cb = CString::new(b.as_os_str().as_bytes())?;
    // SAFETY: two valid NUL-terminated paths relative to the current directory.
    let r = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if r != 0 {
        let e = std::io::Error::last_os_error();
        bail!(
            "{}: cannot exchange it with the new outputs in {}: {e}",
            b.display(),
            a.display()
        );
    }
    Ok(())
}
