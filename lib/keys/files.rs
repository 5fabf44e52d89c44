//! Secret files: read with one trailing newline stripped; written 0600 by atomic rename.
//!
//! A file is only ever replaced (with `--force`) when it is a regular file: a symlink, a
//! device (`/dev/stdout`), a fifo or a directory at the target path is refused, never
//! replaced by a regular file nor written through.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::KeyError;

/// The largest secret file read (a password, a mnemonic, a private key): 64 KiB.
pub const MAX_SECRET_FILE_BYTES: u64 = 64 * 1024;

/// Reads a secret text file (password, mnemonic, passphrase, private key), stripping exactly
/// one trailing `\n` or `\r\n` so that `echo secret > file` works and nothing else changes.
pub fn read_secret_file(what: &'static str, path: &Path) -> Result<Zeroizing<String>, KeyError> {
    let error = |source| KeyError::ReadSecretFile { what, path: path.to_path_buf(), source };
    let file = File::open(path).map_err(error)?;
    let mut text = Zeroizing::new(String::new());
    // A secret is a line; `/dev/zero` or a wrong path must not fill memory.
    file.take(MAX_SECRET_FILE_BYTES + 1).read_to_string(&mut text).map_err(error)?;
    if text.len() as u64 > MAX_SECRET_FILE_BYTES {
        return Err(error(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MAX_SECRET_FILE_BYTES} bytes: not a {what} file"),
        )));
    }
    let keep = text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).map(str::len);
    if let Some(len) = keep {
        text.truncate(len);
    }
    Ok(text)
}

/// Writes `contents` to `path` atomically with mode 0600: a temporary file in the same folder
/// is written and fsynced, then put in place. Without `force` an existing file is never
/// replaced, even by a race: the final step is a hard link, which fails if the name exists.
pub fn write_secret_file(path: &Path, contents: &[u8], force: bool) -> Result<(), KeyError> {
    write_new_file(path, contents, 0o600, force).map_err(|error| match error {
        NewFileError::Exists => KeyError::FileExists { path: path.to_path_buf() },
        NewFileError::NotRegular(what) => KeyError::NotRegularFile { path: path.to_path_buf(), what },
        NewFileError::Io(source) => KeyError::WriteFile { path: path.to_path_buf(), source },
    })
}

/// Why [`write_new_file`] did not write.
#[derive(Debug)]
pub enum NewFileError {
    /// The file exists and `force` was not given.
    Exists,
    /// Something that is not a regular file is at the path (a symlink, a device, a fifo, a
    /// directory; named): it is never replaced, with or without `force`.
    NotRegular(&'static str),
    /// Writing failed (nothing is left behind).
    Io(io::Error),
}

/// Writes `contents` to `path` atomically with `mode` (on Unix): a temporary file in the same
/// folder is written and fsynced, then renamed over the target with `force`, else hard-linked,
/// which fails if the name exists even when another process creates it meanwhile. The folder
/// is fsynced too, so the new entry is durable.
pub fn write_new_file(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<(), NewFileError> {
    check_target(path, force)?;
    let dir = folder_of(path);
    let temp = temp_name(&dir, path);
    let result = (|| {
        let mut file = create_new(&temp, mode)?;
        file.write_all(contents)?;
        file.sync_all()
    })();
    if let Err(source) = result {
        let _ = fs::remove_file(&temp);
        return Err(NewFileError::Io(source));
    }
    let placed = if force {
        fs::rename(&temp, path).map_err(NewFileError::Io)
    } else {
        let linked = fs::hard_link(&temp, path);
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(NewFileError::Exists),
            Err(e) => Err(NewFileError::Io(e)),
        }
    };
    if placed.is_err() {
        let _ = fs::remove_file(&temp);
    }
    placed?;
    if let Ok(dir) = File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Checks, before any work, that [`write_new_file`] could put a file at `path`: nothing but a
/// regular file is there (and nothing at all without `force`), and its folder exists and
/// takes a new file (a temporary one is made and removed). A tool that measures or derives
/// for a long time calls it first, so a bad path fails before the work, not after it.
pub fn check_new_file(path: &Path, force: bool) -> Result<(), NewFileError> {
    check_target(path, force)?;
    let temp = temp_name(&folder_of(path), path);
    create_new(&temp, 0o600).map_err(NewFileError::Io)?;
    let _ = fs::remove_file(&temp);
    Ok(())
}

fn check_target(path: &Path, force: bool) -> Result<(), NewFileError> {
    // symlink_metadata: a symlink is judged itself, never the file it points to.
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => {
            Err(NewFileError::NotRegular(file_kind(&meta.file_type())))
        }
        Ok(_) if !force => Err(NewFileError::Exists),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(NewFileError::Io(e)),
    }
}

fn file_kind(kind: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_block_device() || kind.is_char_device() {
            return "a device";
        }
        if kind.is_fifo() {
            return "a fifo";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_symlink() {
        "a symbolic link"
    } else if kind.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_name(dir: &Path, target: &Path) -> PathBuf {
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    let name = target.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    dir.join(format!(".{name}.{}.tmp", hex::encode(random)))
}

fn create_new(path: &Path, mode: u32) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_one_newline_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        fs::write(&path, "pass word \n\n").unwrap();
        assert_eq!(read_secret_file("password", &path).unwrap().as_str(), "pass word \n");
        fs::write(&path, "secret\r\n").unwrap();
        assert_eq!(read_secret_file("password", &path).unwrap().as_str(), "secret");
    }

    #[cfg(unix)]
    #[test]
    fn force_never_replaces_what_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target.txt");
        fs::write(&target, b"precious").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), &dangling).unwrap();
        for force in [false, true] {
            for path in [&link, &dangling] {
                let error = write_secret_file(path, b"new", force).unwrap_err();
                assert!(matches!(error, KeyError::NotRegularFile { what: "a symbolic link", .. }), "{error}");
                assert!(fs::symlink_metadata(path).unwrap().file_type().is_symlink(), "still a link");
            }
            let error = write_secret_file(dir.path(), b"new", force).unwrap_err();
            assert!(matches!(error, KeyError::NotRegularFile { what: "a directory", .. }), "{error}");
            let error = write_secret_file(Path::new("/dev/null"), b"new", force).unwrap_err();
            assert!(matches!(error, KeyError::NotRegularFile { what: "a device", .. }), "{error}");
        }
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        assert!(!dir.path().join("nowhere").exists(), "nothing written through the dangling link");
        assert!(Path::new("/dev/null").exists());
    }

    #[test]
    fn never_overwrites_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.json");
        write_secret_file(&path, b"first", false).unwrap();
        let error = write_secret_file(&path, b"second", false).unwrap_err();
        assert!(matches!(error, KeyError::FileExists { .. }));
        assert_eq!(fs::read(&path).unwrap(), b"first");
        write_secret_file(&path, b"third", true).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"third");
        let leftovers: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary files left behind");
        assert!(check_new_file(&dir.path().join("nodir/c.json"), false).is_err(), "no such folder");
        assert!(matches!(check_new_file(&path, false), Err(NewFileError::Exists)));
        check_new_file(&path, true).unwrap();
        check_new_file(&dir.path().join("new.json"), false).unwrap();
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1, "the check leaves nothing behind");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
