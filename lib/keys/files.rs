//! Secret files: read with one trailing newline stripped; written 0600 by atomic rename.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use super::KeyError;

/// Reads a secret text file (password, mnemonic, passphrase, private key), stripping exactly
/// one trailing `\n` or `\r\n` so that `echo secret > file` works and nothing else changes.
pub fn read_secret_file(what: &'static str, path: &Path) -> Result<Zeroizing<String>, KeyError> {
    let error = |source| KeyError::ReadSecretFile { what, path: path.to_path_buf(), source };
    let mut file = File::open(path).map_err(error)?;
    let mut text = Zeroizing::new(String::new());
    file.read_to_string(&mut text).map_err(error)?;
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
        NewFileError::Io(source) => KeyError::WriteFile { path: path.to_path_buf(), source },
    })
}

/// Why [`write_new_file`] did not write.
#[derive(Debug)]
pub enum NewFileError {
    /// The file exists and `force` was not given.
    Exists,
    /// Writing failed (nothing is left behind).
    Io(io::Error),
}

/// Writes `contents` to `path` atomically with `mode` (on Unix): a temporary file in the same
/// folder is written and fsynced, then renamed over the target with `force`, else hard-linked,
/// which fails if the name exists even when another process creates it meanwhile. The folder
/// is fsynced too, so the new entry is durable.
pub fn write_new_file(path: &Path, contents: &[u8], mode: u32, force: bool) -> Result<(), NewFileError> {
    if !force && path.exists() {
        return Err(NewFileError::Exists);
    }
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
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
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
    }
}
