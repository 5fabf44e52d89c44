//! Real faults for the fault tests: a filesystem that fills up, processes limited in memory or
//! file size, a closed stdout.
//!
//! A full disk is a small tmpfs mounted by the test when it runs as root with mount rights
//! (the kernel's own ENOSPC, short writes included). Where mounting is not allowed (an
//! unprivileged CI runner, a container without CAP_SYS_ADMIN) the same scenarios run with the
//! file size limit instead (`setrlimit(RLIMIT_FSIZE)` in the child, as `prlimit --fsize`
//! does, SIGXFSZ ignored): writes past the limit are cut short and then fail with EFBIG, which
//! a log must survive the same way. The test prints which mechanism it used;
//! `EVLOCK_FAULTS_NO_TMPFS=1` forces the file size limit, to try that path where mounting works.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A folder whose filesystem can be made (nearly) full.
pub struct SmallDisk {
    dir: tempfile::TempDir,
    mounted: bool,
    /// Without a mount: the file size limit given to children, if any.
    fsize: Option<u64>,
}

impl SmallDisk {
    /// A tmpfs of `bytes` in a new folder, or a plain folder where file sizes are limited
    /// instead when mounting is not possible.
    pub fn new(bytes: u64) -> SmallDisk {
        let dir = tempfile::tempdir().unwrap();
        let allowed = std::env::var_os("EVLOCK_FAULTS_NO_TMPFS").is_none();
        let mounted = allowed
            && Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={bytes},mode=0700"), "tmpfs"])
                .arg(dir.path())
                .stderr(std::process::Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        eprintln!(
            "full-disk mechanism: {}",
            if mounted {
                "a tmpfs of its own"
            } else {
                "RLIMIT_FSIZE (mounting a tmpfs is not allowed here)"
            }
        );
        SmallDisk { dir, mounted, fsize: None }
    }

    /// Whether this is a real filesystem of its own (a tmpfs).
    pub fn is_tmpfs(&self) -> bool {
        self.mounted
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn filler(&self) -> PathBuf {
        self.dir.path().join(".filler")
    }

    /// Fills the disk so that about `free` bytes stay writable by `file` (which may grow by
    /// that much, and no more).
    pub fn leave(&mut self, free: u64, file: &Path) {
        if self.mounted {
            let _ = std::fs::remove_file(self.filler());
            // Fill to the brim, then give back `free` bytes (tmpfs counts whole pages).
            let mut filler = std::fs::File::create(self.filler()).unwrap();
            let chunk = vec![0u8; 64 * 1024];
            loop {
                match std::io::Write::write(&mut filler, &chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
            let len = filler.metadata().unwrap().len();
            filler.set_len(len.saturating_sub(free)).unwrap();
            filler.sync_all().unwrap();
        } else {
            let current = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
            self.fsize = Some(current + free);
        }
    }

    /// Room again.
    pub fn free(&mut self) {
        let _ = std::fs::remove_file(self.filler());
        self.fsize = None;
    }

    /// A command that writes to this disk: limited in file size when there is no tmpfs.
    pub fn command(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        if let Some(limit) = self.fsize {
            limit_file_size(&mut command, limit);
        }
        command
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        if self.mounted {
            let _ = Command::new("umount").arg("-l").arg(self.dir.path()).status();
        }
    }
}

/// Limits the child's file size (`prlimit --fsize`): a write past it is cut short, then fails
/// with EFBIG; SIGXFSZ is ignored so the child sees the error instead of dying.
pub fn limit_file_size(command: &mut Command, bytes: u64) {
    let bytes = rlim(bytes);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Limits the child's address space (`prlimit --as`): an allocation past it fails.
pub fn limit_memory(command: &mut Command, bytes: u64) {
    let bytes = rlim(bytes);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: bytes, rlim_max: bytes };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Starts the child with its stdout closed (`>&-`).
pub fn close_stdout(command: &mut Command) {
    // SAFETY: close(2) is async-signal-safe.
    unsafe {
        command.pre_exec(|| {
            libc::close(1);
            Ok(())
        });
    }
}

/// Raises this process's open-file limit to its hard limit (children inherit it); returns it.
pub fn raise_open_files() -> u64 {
    // SAFETY: plain getrlimit/setrlimit on this process.
    unsafe {
        let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        widen(limit.rlim_cur)
    }
}

// rlim_t is 32 bits on 32-bit ARM (the emulated tests) and 64 bits on the 64-bit targets, where
// these conversions are the identity.

/// `bytes` as an `rlim_t`; panics when it does not fit (a limit must not silently become another).
#[allow(clippy::useless_conversion, clippy::unnecessary_fallible_conversions)]
fn rlim(bytes: u64) -> libc::rlim_t {
    libc::rlim_t::try_from(bytes).unwrap_or_else(|_| panic!("{bytes} does not fit this platform's rlim_t"))
}

/// An `rlim_t` as `u64`.
#[allow(clippy::useless_conversion)]
fn widen(value: libc::rlim_t) -> u64 {
    u64::from(value)
}

/// The NDJSON lines of a file that are whole JSON values; panics naming a line that is not
/// (a torn or corrupt line in a log is a failure of the test).
pub fn log_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    assert!(text.is_empty() || text.ends_with('\n'), "{}: a torn last line was left", path.display());
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{} line {}: {e}: {l}", path.display(), i + 1))
        })
        .collect()
}
