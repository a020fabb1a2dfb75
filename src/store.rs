//! The vault file on disk: finding it, locking it, and replacing it atomically.
//!
//! Every write takes an exclusive lock on the vault file, writes a temporary file in the same
//! folder, fsyncs it, renames it over the vault and fsyncs the folder. Readers never lock: the
//! rename means they see the old file or the new one, never a mix.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::vault::{Scope, Vault};

pub const FILE_NAME: &str = "mpvault.json";

/// The vault named by `--vault`/`MPVAULT_VAULT`, or the nearest `mpvault.json` above `start`.
/// A vault that is a symbolic link is refused, wherever it was found.
pub fn locate(explicit: Option<&Path>, start: &Path) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return match fs::symlink_metadata(path) {
            Ok(meta) if meta.is_symlink() => Err(vault_symlink(path)),
            Ok(meta) if meta.is_file() => Ok(path.to_path_buf()),
            _ => Err(Error::not_found(
                format!("there is no vault at {}", path.display()),
                "check --vault / MPVAULT_VAULT, or run `mpvault init` to create one",
            )),
        };
    }
    for candidate in start.ancestors().map(|dir| dir.join(FILE_NAME)) {
        match fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.is_symlink() => return Err(vault_symlink(&candidate)),
            Ok(meta) if meta.is_file() => return Ok(candidate),
            _ => {}
        }
    }
    Err(Error::not_found(
        format!(
            "no {FILE_NAME} found in {} or any folder above it",
            start.display()
        ),
        "run `mpvault init` to create a vault here, or name one with --vault",
    ))
}

/// A vault is read and written only as the file itself: a link committed in its place can
/// point at a look-alike vault, which this clone would otherwise meet at a path of its own.
fn vault_symlink(path: &Path) -> Error {
    Error::corrupt(
        format!(
            "{} is a symbolic link, and mpvault reads and writes a vault only as the file itself",
            path.display()
        ),
        "replace it with the file itself: restore the vault from git (`git log -- mpvault.json` shows who made the link), or name the real file with --vault",
    )
}

/// Opens the vault for reading, refusing a symbolic link in the open itself (`O_NOFOLLOW`),
/// so no link swapped in after `locate` is followed.
fn open_vault(path: &Path, action: &str) -> Result<File> {
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits().cast_signed());
    }
    options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
            return vault_symlink(path);
        }
        Error::io_at(action, path, e)
    })
}

/// Reads and parses the vault without locking, with the values of the apps `scope` reaches.
pub fn load(path: &Path, scope: &Scope) -> Result<Vault> {
    let file = open_vault(path, "read")?;
    Vault::parse_scoped(&read_bounded(&file, path)?, scope)
}

/// Reads at most one byte more than a vault may have, so a huge file is refused by
/// `Vault::parse` without being read whole.
fn read_bounded(file: &File, path: &Path) -> Result<Vec<u8>> {
    let limit = crate::vault::limits::MAX_FILE_BYTES as u64 + 1;
    // Sized for the file as it is, so a large vault is read without growing (and copying)
    // the buffer on the way.
    let len = file.metadata().map_or(0, |m| m.len().min(limit));
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1);
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
    // What mpvault writes, it must read again: a change that would cross a bound of
    // `vault::limits` is refused here rather than leaving a vault that every command refuses.
    let too_far = |what: String| {
        Error::invalid(
            format!("this change would leave a vault mpvault refuses to read: {what}"),
            "remove apps, members or values you no longer need first",
        )
    };
    crate::vault::limits::check(&vault).map_err(too_far)?;
    // Streamed into a temporary file, compared with the original on the way, so a large vault
    // is never held in memory twice; the file is made only once the new text differs. Serde
    // writes token by token, so the comparison runs on whole buffers.
    let mut out = Streamed::new(path, &original);
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut out);
    let streamed = vault
        .write_json(&mut buffered)
        .and_then(|()| buffered.flush());
    drop(buffered);
    streamed.map_err(|e| out.error(e))?;
    if !crate::vault::limits::surely_within_bounds(out.written, out.longest_line()) {
        crate::vault::limits::check_bytes(vault.to_json().as_bytes()).map_err(too_far)?;
    }
    if let Some(temp) = out.finish()? {
        temp.as_file()
            .sync_all()
            .map_err(|e| Error::io_at("write", temp.path(), e))?;
        temp.persist(path)
            .map_err(|e| Error::io_at("replace", path, e.error))?;
        sync_dir(path)?;
    }
    Ok(result)
}

/// The new text of the vault on its way to disk. While it equals the original nothing is
/// written; at the first difference a temporary file beside the vault takes what came so far,
/// then the rest. It also measures the longest line, for `limits::surely_within_bounds`.
struct Streamed<'a> {
    path: &'a Path,
    original: &'a [u8],
    temp: Option<tempfile::NamedTempFile>,
    /// Why the temporary file could not be made: told as it is, not as a failed write.
    failed: Option<Error>,
    written: usize,
    line_start: usize,
    longest_line: usize,
}

impl<'a> Streamed<'a> {
    fn new(path: &'a Path, original: &'a [u8]) -> Self {
        Streamed {
            path,
            original,
            temp: None,
            failed: None,
            written: 0,
            line_start: 0,
            longest_line: 0,
        }
    }

    fn longest_line(&self) -> usize {
        self.longest_line.max(self.written - self.line_start)
    }

    fn error(&mut self, e: std::io::Error) -> Error {
        self.failed
            .take()
            .unwrap_or_else(|| Error::io_at("write", self.path, e))
    }

    fn start_temp(&mut self) -> std::io::Result<&mut tempfile::NamedTempFile> {
        let temp = match self.temp.take() {
            Some(temp) => temp,
            None => {
                let mut temp = temp_file(self.path).map_err(|e| {
                    let io = std::io::Error::other(e.to_string());
                    self.failed = Some(e);
                    io
                })?;
                temp.write_all(&self.original[..self.written])?;
                temp
            }
        };
        Ok(self.temp.insert(temp))
    }

    /// The temporary file holding the new text, or `None` when it equals the original.
    fn finish(mut self) -> Result<Option<tempfile::NamedTempFile>> {
        if self.written != self.original.len() {
            if let Err(e) = self.start_temp() {
                return Err(self.error(e));
            }
        }
        Ok(self.temp)
    }
}

impl Write for Streamed<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let unchanged = self.temp.is_none()
            && self.original.get(self.written..self.written + buf.len()) == Some(buf);
        if !unchanged {
            self.start_temp()?.write_all(buf)?;
        }
        for at in memchr::memchr_iter(b'\n', buf) {
            let end = self.written + at;
            self.longest_line = self.longest_line.max(end - self.line_start);
            self.line_start = end + 1;
        }
        self.written += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.as_mut().map_or(Ok(()), Write::flush)
    }
}

/// Takes the exclusive lock and reads the file through the locked handle. A writer that
/// waited on a file another writer has since renamed away retries on the new one.
fn lock(path: &Path) -> Result<(File, Vec<u8>)> {
    loop {
        let file = open_vault(path, "open")?;
        file.lock().map_err(|e| Error::io_at("lock", path, e))?;
        if !same_file(&file, path)? {
            continue;
        }
        // The lock makes this the only writer of the vault: a temporary file beside it is
        // what a writer killed mid-write left.
        remove_leftovers(path);
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
    let mut temp = temp_file(path)?;
    temp.write_all(contents.as_bytes())
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| Error::io_at("write", temp.path(), e))?;
    Ok(temp)
}

/// A temporary file beside the vault, with the vault's permissions, to be renamed over it.
fn temp_file(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = parent(path);
    let prefix = temp_prefix(path);
    let temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM)
        .tempfile_in(dir)
        .map_err(|e| Error::io_at("create a temporary file in", dir, e))?;
    keep_permissions(path, temp.as_file());
    Ok(temp)
}

const TEMP_SUFFIX: &str = ".tmp";
const TEMP_RANDOM: usize = 6;

/// The temporary files of a write to `path` are `.<its name>.mpvault-XXXXXX.tmp` beside it, so a
/// leftover says which file it belonged to, and one of an export is an `.env…` file to the
/// pre-commit guard.
fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let dot = if name.starts_with('.') { "" } else { "." };
    format!("{dot}{name}.mpvault-")
}

/// Removes the temporary files a writer of `path` killed mid-write left (a partial vault, or
/// a partial export with secrets); the caller is the only writer of `path` now.
fn remove_leftovers(path: &Path) {
    let prefix = temp_prefix(path);
    let Ok(entries) = fs::read_dir(parent(path)) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(random) = name
            .to_str()
            .and_then(|n| n.strip_prefix(prefix.as_str()))
            .and_then(|n| n.strip_suffix(TEMP_SUFFIX))
        else {
            continue;
        };
        let ours = random.len() == TEMP_RANDOM && random.bytes().all(|b| b.is_ascii_alphanumeric());
        if ours && entry.file_type().is_ok_and(|t| t.is_file()) {
            let _ = fs::remove_file(entry.path());
        }
    }
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

/// Opens a file the user names to read (`import`'s `.env` file) only when it is a regular file
/// reached without a symbolic link: a link committed to a repository could point at
/// `/proc/self/environ` or at a file outside it, and a pipe or device could make the read wait
/// or never end. Returns the file and its size, so the caller bounds it before reading.
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    refuse_linked_folder(path)?;
    refuse_read_link(path)?;
    let mut options = fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // NONBLOCK: opening a pipe nobody writes to returns at once, and is refused below.
        let flags = rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK;
        options.custom_flags(flags.bits().cast_signed());
    }
    let file = options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) {
            return read_link_error(path, path);
        }
        if e.kind() == std::io::ErrorKind::NotFound {
            return Error::not_found(
                format!("{} does not exist", path.display()),
                "name the file itself, with its path from here",
            );
        }
        Error::io_at("open", path, e)
    })?;
    let meta = file
        .metadata()
        .map_err(|e| Error::io_at("inspect", path, e))?;
    if !meta.is_file() {
        return Err(Error::invalid(
            format!(
                "{} is not a regular file (a folder, device or pipe), and mpvault reads only regular files",
                path.display()
            ),
            "name the file itself",
        ));
    }
    refuse_kernel_file(&file, path)?;
    Ok((file, meta.len()))
}

/// The path as given, last part: a link is refused with its own sentence (the open's
/// `O_NOFOLLOW` also refuses one swapped in afterwards).
fn refuse_read_link(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(read_link_error(path, path)),
        _ => Ok(()),
    }
}

/// The folders of a relative path, which a repository may hold as links (`env -> /proc/self`).
/// An absolute path was typed by the user, whose system may have linked folders (`/var` on
/// macOS); its last part is still checked, and the file itself by `open_regular`.
fn refuse_linked_folder(path: &Path) -> Result<()> {
    if path.is_absolute() {
        return Ok(());
    }
    let mut folder = PathBuf::new();
    let parts: Vec<_> = path.components().collect();
    for part in parts.iter().take(parts.len().saturating_sub(1)) {
        folder.push(part);
        if fs::symlink_metadata(&folder).is_ok_and(|m| m.file_type().is_symlink()) {
            return Err(read_link_error(path, &folder));
        }
    }
    Ok(())
}

fn read_link_error(path: &Path, link: &Path) -> Error {
    let what = if path == link {
        format!("{} is a symbolic link", path.display())
    } else {
        format!(
            "{} is reached through the symbolic link {}",
            path.display(),
            link.display()
        )
    };
    Error::invalid(
        format!("{what}, and mpvault reads a file only as itself, never through a link"),
        format!(
            "check where it points (`ls -l {}`), then name that file itself if it is the one you meant",
            link.display()
        ),
    )
}

/// `/proc` and `/sys` files call themselves regular, but the kernel makes them up:
/// `/proc/self/environ` is the reader's own environment.
#[cfg(target_os = "linux")]
fn refuse_kernel_file(file: &File, path: &Path) -> Result<()> {
    const SYSFS_MAGIC: rustix::fs::FsWord = 0x6265_6572;
    let fs = rustix::fs::fstatfs(file).map_err(|e| Error::io_at("inspect", path, e.into()))?;
    if fs.f_type == rustix::fs::PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC {
        return Err(Error::invalid(
            format!(
                "{} is not a regular file but one the kernel makes up (under /proc or /sys), and mpvault reads only regular files",
                path.display()
            ),
            "name the file itself",
        ));
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn refuse_kernel_file(_file: &File, _path: &Path) -> Result<()> {
    Ok(())
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
    remove_leftovers(path);
    let prefix = temp_prefix(path);
    let mut temp = tempfile::Builder::new()
        .prefix(&prefix)
        .suffix(TEMP_SUFFIX)
        .rand_bytes(TEMP_RANDOM)
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

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: &str = include_str!("../tests/vectors/format-3/mpvault.json");

    fn vault_in(dir: &Path, text: &str) -> PathBuf {
        let path = dir.join(FILE_NAME);
        fs::write(&path, text).unwrap();
        path
    }

    /// Regression: an export killed mid-write left its plaintext temporary file for good.
    #[test]
    fn a_killed_writers_temporary_file_is_removed_by_the_next_write_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(".env.production");
        for name in [
            ".env.production.mpvault-AbC123.tmp",
            ".env.production.backup.tmp",
            ".env.production.mpvault-AbC123.tmp.keep",
            ".env.mpvault-AbC123.tmp",
        ] {
            fs::write(dir.path().join(name), "SECRET=1").unwrap();
        }
        write_private(&path, b"A=1\n", false).unwrap();
        assert_eq!(
            names_in(dir.path()),
            [
                ".env.mpvault-AbC123.tmp",
                ".env.production",
                ".env.production.backup.tmp",
                ".env.production.mpvault-AbC123.tmp.keep",
            ]
        );
    }

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[cfg(unix)]
    fn inode(path: &Path) -> u64 {
        use std::os::unix::fs::MetadataExt;
        fs::metadata(path).unwrap().ino()
    }

    #[test]
    fn an_unchanged_vault_is_not_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = vault_in(dir.path(), VECTOR);
        #[cfg(unix)]
        let before = inode(&path);
        update(&path, |_| Ok(())).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), VECTOR);
        #[cfg(unix)]
        assert_eq!(inode(&path), before, "replaced although nothing changed");
        assert_eq!(names_in(dir.path()), [FILE_NAME]);
    }

    /// The new text equals the start of the old one: the end still has to go.
    #[test]
    fn a_vault_whose_new_text_is_a_prefix_of_the_old_is_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = vault_in(dir.path(), &format!("{VECTOR}\n\n"));
        update(&path, |_| Ok(())).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), VECTOR);
        assert_eq!(names_in(dir.path()), [FILE_NAME]);
    }

    #[test]
    fn a_change_is_written_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = vault_in(dir.path(), VECTOR);
        let changed = update(&path, |vault| {
            // Near the start: the rest streams on into the temporary file.
            vault.created_at = "2030-01-01T00:00:00Z".into();
            vault.revision += 1;
            Ok(vault.to_json())
        })
        .unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), changed);
        assert_ne!(changed, VECTOR);
        assert_eq!(names_in(dir.path()), [FILE_NAME]);
    }
}
