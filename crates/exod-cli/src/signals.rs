//! SIGPIPE ends the program quietly (default disposition). SIGINT, SIGTERM and SIGHUP: remove the staging folders of the running command, then exit with
//! 128 + the signal number. The signals are blocked in every thread (from `main`, before any
//! thread starts) and received by one thread with `sigwait`, so the cleanup runs outside a signal
//! handler.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

static STAGING: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Has a signal arrived? (The main thread then leaves the exit to the signal thread.)
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}

/// Remove `d` and make sure it stays removed: a writer may still be adding a file to it.
fn remove_for_good(d: &Path) {
    for _ in 0..200 {
        let _ = std::fs::remove_dir_all(d);
        std::thread::sleep(std::time::Duration::from_millis(2));
        if !d.exists() {
            return;
        }
    }
}

fn signal_set() -> libc::sigset_t {
    // SAFETY: sigemptyset/sigaddset initialise a sigset_t we own.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for s in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, s);
        }
        set
    }
}

/// Block the signals in this thread (and the threads it will start) and start the thread that
/// receives them. Call first in `main`.
pub fn install() {
    // a closed stdout (`exod info … | head`) ends the program quietly, as for any Unix tool,
    // instead of a panic of `println!`
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let set = signal_set();
    // SAFETY: a valid signal set; no previous mask is needed.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) };
    std::thread::spawn(move || {
        let mut sig: libc::c_int = 0;
        // SAFETY: waits for one of the blocked signals of `set`.
        unsafe { libc::sigwait(&set, &mut sig) };
        // under the lock, so that a commit either finished before or sees the flag
        let dirs = match STAGING.lock() {
            Ok(v) => {
                INTERRUPTED.store(true, Ordering::SeqCst);
                v.clone()
            }
            Err(_) => Vec::new(),
        };
        for d in &dirs {
            remove_for_good(d);
        }
        eprintln!("interrupted (signal {sig}): {} unfinished output folder(s) removed, previous outputs kept", dirs.len());
        std::process::exit(128 + sig);
    });
}

/// Create the folder `dir` and register it, atomically with respect to a signal: the signal
/// thread (which takes the same lock) either sees it registered and removes it, or it is never
/// created (after a signal, creation fails with `Interrupted`).
pub fn create_registered(dir: &Path) -> std::io::Result<()> {
    let mut v = STAGING
        .lock()
        .map_err(|_| std::io::Error::other("the signal state is poisoned"))?;
    if INTERRUPTED.load(Ordering::SeqCst) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted by a signal",
        ));
    }
    std::fs::create_dir(dir)?;
    v.push(dir.to_path_buf());
    Ok(())
}

/// `dir` is complete (or gone): do not remove it on a signal.
pub fn unregister(dir: &Path) {
    if let Ok(mut v) = STAGING.lock() {
        v.retain(|d| d != dir);
    }
}

/// Run `f` (moving a finished output into place) unless a signal has arrived, in which case the
/// signal thread owns the staging folders and `f` is not run (returns false). The signal thread
/// cannot start removing while `f` runs.
pub fn unless_interrupted(dir: &Path, f: impl FnOnce() -> bool) -> bool {
    let Ok(mut v) = STAGING.lock() else {
        return false;
    };
    if INTERRUPTED.load(Ordering::SeqCst) {
        return false;
    }
    let done = f();
    if done {
        v.retain(|d| d != dir);
    }
    done
}
