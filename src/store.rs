//! The vault file on disk: finding it, locking it, and replacing it atomically.
//!
//! Every write takes an exclusive lock on the vault file, writes a temporary file in the same
//! folder, fsyncs it, renames it over the vault and fsyncs the folder. Readers never lock: the
//! rename means they see the old file or the new one, never a mix.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::vault::Vault;

pub const FILE_NAME: &str = "mpvault.json";

/// The vault named by `--vault`/`MPVAULT_VAULT`, or the nearest `mpvault.json` above `start`.
pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(Error::not_found(
                format!("there is no vault at {}", path.display()),
                "check --vault / MPVAULT_VAULT, or run `mpvault init` to create one",
            ))
        };
    }
    start
        .ancestors()
        .map(|dir| dir.join(FILE_NAME))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            Error::not_found(
                format!(
                    "no {FILE_NAME} found in {} or any folder above it",
                    start.display()
                ),
                "run `mpvault init` to create a vault here, or name one with --vault",
            )
        })
}

/// Reads and parses the vault without locking.
pub fn load(path: &Path) -> Result<Vault> {
    let file = File::open(path).map_err(|e| Error::io_at("read", path, e))?;
    Vault::parse(&read_bounded(file, path)?)
}

/// Reads at most one byte more than a vault may have, so a huge file is refused by
/// `Vault::parse` without being read whole.
fn read_bounded(file: impl Read, path: &Path) -> Result<Vec<u8>> {
    let limit = crate::vault::limits::MAX_FILE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    file.take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io_at("read", path, e))?;
    Ok(bytes)
}

/// Writes a new vault; refuses to replace an existing file.
pub fn create(path: &Path, vault: &Vault) -> Result<()> {
    let temp = write_temp(path, &vault.to_json())?;
    temp.persist_noclobber(path).map_err(|e| {
        if e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::exists(
                format!("{} already exists", path.display()),
                "use the existing vault, or remove it first if you really mean to start over",
            )
        } else {
            Error::io_at("create", path, e.error)
        }
    })?;
    sync_dir(path)
}

/// Locks the vault, applies `change`, and writes the result if it differs.
/// If `change` fails, the file is left exactly as it was.
pub fn update<T>(path: &Path, change: impl FnOnce(&mut Vault) -> Result<T>) -> Result<T> {
    let (_lock, original) = lock(path)?;
    let mut vault = Vault::parse(&original)?;
    let result = change(&mut vault)?;
    let json = vault.to_json();
    // What mpvault writes, it must read again: a change that would cross a bound of
    // `vault::limits` is refused here rather than leaving a vault that every command refuses.
    crate::vault::limits::check_written(json.as_bytes())
        .and_then(|()| crate::vault::limits::check(&vault))
        .map_err(|what| {
            Error::invalid(
                format!("this change would leave a vault mpvault refuses to read: {what}"),
                "remove apps, members or values you no longer need first",
            )
        })?;
    if json.as_bytes() != original.as_slice() {
        let temp = write_temp(path, &json)?;
        temp.persist(path)
            .map_err(|e| Error::io_at("replace", path, e.error))?;
        sync_dir(path)?;
    }
    Ok(result)
}

/// Takes the exclusive lock and reads the file through the locked handle. A writer that
/// waited on a file another writer has since renamed away retries on the new one.
fn lock(path: &Path) -> Result<(File, Vec<u8>)> {
    loop {
        let file = File::open(path).map_err(|e| Error::io_at("open", path, e))?;
        file.lock().map_err(|e| Error::io_at("lock", path, e))?;
        if !same_file(&file, path)? {
            continue;
        }
        let bytes = read_bounded(&file, path)?;
        return Ok((file, bytes));
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> Result<bool> {
    use std::os::unix::fs::MetadataExt;
    let held = file
        .metadata()
        .map_err(|e| Error::io_at("inspect", path, e))?;
    match fs::metadata(path) {
        Ok(now) => Ok(now.ino() == held.ino() && now.dev() == held.dev()),
        Err(e) => Err(Error::io_at("inspect", path, e)),
    }
}

#[cfg(not(unix))]
fn same_file(_file: &File, _path: &Path) -> Result<bool> {
    Ok(true)
}

fn write_temp(path: &Path, contents: &str) -> Result<tempfile::NamedTempFile> {
    let dir = parent(path);
    let mut temp = tempfile::Builder::new()
        .prefix(".mpvault.")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(|e| Error::io_at("create a temporary file in", dir, e))?;
    keep_permissions(path, temp.as_file());
    temp.write_all(contents.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io_at("write", temp.path(), e))?;
    Ok(temp)
}

/// A vault holds no plaintext, so it keeps whatever mode the team gave it (tempfile makes 0600).
fn keep_permissions(path: &Path, temp: &File) {
    let mode = fs::metadata(path).map(|m| m.permissions());
    #[cfg(unix)]
    let mode = mode.or_else(|_| {
        use std::os::unix::fs::PermissionsExt;
        Ok::<_, std::io::Error>(fs::Permissions::from_mode(0o644))
    });
    if let Ok(mode) = mode {
        let _ = temp.set_permissions(mode);
    }
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// Makes the rename durable.
fn sync_dir(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let dir = parent(path);
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| Error::io_at("sync", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Files with secrets are never written through a symbolic link: a link planted where an
/// export goes would send the secrets wherever it points. (The rename in `write_private`
/// replaces a link rather than following it; this says so clearly instead.)
pub fn refuse_symlink(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink_error(path)),
        _ => Ok(()),
    }
}

pub fn symlink_error(path: &Path) -> Error {
    Error::invalid(
        format!(
            "{} is a symbolic link, and mpvault never writes secrets through a link",
            path.display()
        ),
        "name the real file with -o, or remove the link",
    )
}

/// Appends to a file holding plaintext secrets (`$GITHUB_ENV`), creating it with mode 0600.
/// The open itself refuses a symbolic link (`O_NOFOLLOW`), so no link can be swapped in
/// between a check and the write; anything but a regular file is refused too.
pub fn append_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut options = fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed());
    }
    let mut file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
            return symlink_error(path);
        }
        Error::io_at("open", path, e)
    })?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io_at("inspect", path, e))?;
    if !meta.is_file() {
        return Err(Error::invalid(
            format!("{} is not a regular file", path.display()),
            "name a file to append to with -o",
        ));
    }
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| Error::io_at("append to", path, e))
}

/// Writes a file holding plaintext secrets: mode 0600, never replacing a file unless `force`.
pub fn write_private(path: &Path, contents: &[u8], force: bool) -> Result<()> {
    refuse_symlink(path)?;
    if path.exists() && !force {
        return Err(Error::exists(
            format!("{} already exists", path.display()),
            "pass --force to overwrite it, or choose another path with -o",
        ));
    }
    let mut temp = tempfile::Builder::new()
        .prefix(".mpvault.")
        .tempfile_in(parent(path))
        .map_err(|e| Error::io_at("create a temporary file beside", path, e))?;
    temp.write_all(contents)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io_at("write", path, e))?;
    if force {
        temp.persist(path)
            .map_err(|e| Error::io_at("write", path, e.error))?;
    } else {
        temp.persist_noclobber(path)
            .map_err(|e| Error::io_at("write", path, e.error))?;
    }
    sync_dir(path)
}
