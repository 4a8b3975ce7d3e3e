//! The blocking halves of the module-level functions (`readFile`, `writeFile`, `stat`, ...).
//! Each runs on tokio's blocking pool, never on the scheduler thread, and reports failures
//! as [`FsError`] naming the function the script called.

use std::ffi::OsString;
use std::fs::{self, File, FileType, Metadata, OpenOptions};
use std::hash::BuildHasher;
use std::io::{self, ErrorKind, Read, Write};
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::FsError;
use crate::job::Cancel;
use crate::paths::ScriptPath;

/// Long copies go in chunks of this size, checking between chunks whether anyone still waits.
const COPY_CHUNK: usize = 1024 * 1024;
/// How many random names `writeFile{atomic}` and `tempdir` try before giving up.
const NAME_ATTEMPTS: u32 = 16;
/// Permissions of new files and of `tempdir`'s directory (before the umask).
const NEW_FILE_MODE: u32 = 0o666;
const TEMP_DIR_MODE: u32 = 0o700;

fn cancelled() -> io::Error {
    io::Error::new(ErrorKind::Interrupted, "cancelled")
}

fn is_a_directory() -> io::Error {
    io::Error::from_raw_os_error(libc::EISDIR)
}

/// A random 64-bit number for unique names (std's hasher keys are random per instance).
fn random() -> u64 {
    std::collections::hash_map::RandomState::new().hash_one(std::process::id())
}

/// Reads a whole file.
pub(crate) fn read_file(p: &ScriptPath, cancel: &Cancel) -> Result<Vec<u8>, FsError> {
    let fail = |e| FsError::io("readFile", &p.shown, e);
    let mut file = File::open(&p.path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(fail(is_a_directory()));
    }
    // The size is a hint only (files in /proc report 0, files can grow while read).
    let hint = usize::try_from(meta.len()).unwrap_or(0).min(COPY_CHUNK * 64);
    let mut data = Vec::with_capacity(hint);
    loop {
        let n = (&mut file).take(COPY_CHUNK as u64).read_to_end(&mut data).map_err(fail)?;
        if n == 0 {
            return Ok(data);
        }
        if cancel.is_set() {
            return Err(fail(cancelled()));
        }
    }
}

fn write_chunks(file: &mut File, data: &[u8], cancel: &Cancel) -> io::Result<()> {
    for chunk in data.chunks(COPY_CHUNK) {
        if cancel.is_set() {
            return Err(cancelled());
        }
        file.write_all(chunk)?;
    }
    Ok(())
}

/// Writes a whole file, replacing its content. With `atomic`, the data goes to a temporary
/// file beside it, which is synced and renamed over the target only when complete, so
/// readers see the old content or the new, never a mix, and a failure leaves the old file.
pub(crate) fn write_file(p: &ScriptPath, data: &[u8], atomic: bool, cancel: &Cancel) -> Result<(), FsError> {
    let fail = |e| FsError::io("writeFile", &p.shown, e);
    if !atomic {
        let mut file = File::create(&p.path).map_err(fail)?;
        return write_chunks(&mut file, data, cancel).map_err(fail);
    }
    let name = p.path.file_name().ok_or_else(|| fail(is_a_directory()))?;
    let dir = match p.path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // The replacement keeps the old file's permissions.
    let permissions = fs::metadata(&p.path).ok().filter(Metadata::is_file).map(|m| m.permissions());
    let (mut file, temp) = create_unique(|n| {
        let mut temp_name = OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{n:016x}.tmp"));
        dir.join(temp_name)
    })
    .map_err(fail)?;
    let written = write_chunks(&mut file, data, cancel)
        .and_then(|()| match permissions {
            Some(permissions) => file.set_permissions(permissions),
            None => Ok(()),
        })
        .and_then(|()| file.sync_all())
        .and_then(|()| if cancel.is_set() { Err(cancelled()) } else { Ok(()) })
        .and_then(|()| fs::rename(&temp, &p.path));
    if let Err(e) = written {
        drop(file);
        let _ = fs::remove_file(&temp);
        return Err(fail(e));
    }
    // Make the rename itself durable; a directory that cannot be synced is no failure.
    if let Ok(dir) = File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Creates a new file at the first free name `name(random)` gives.
fn create_unique(name: impl Fn(u64) -> PathBuf) -> io::Result<(File, PathBuf)> {
    let mut last = None;
    for _ in 0..NAME_ATTEMPTS {
        let path = name(random());
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, NEW_FILE_MODE);
        match options.open(&path) {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::from(ErrorKind::AlreadyExists)))
}

/// What `stat` reports.
pub(crate) struct Stat {
    pub(crate) kind: &'static str,
    pub(crate) size: u64,
    pub(crate) mode: u32,
    pub(crate) modified: Option<f64>,
    pub(crate) accessed: Option<f64>,
    pub(crate) created: Option<f64>,
    pub(crate) uid: u32,
    pub(crate) gid: u32,
}

/// The names scripts see for file types.
pub(crate) fn kind(file_type: FileType) -> &'static str {
    if file_type.is_file() {
        return "file";
    }
    if file_type.is_dir() {
        return "directory";
    }
    if file_type.is_symlink() {
        return "link";
    }
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        return "fifo";
    }
    if file_type.is_socket() {
        return "socket";
    }
    if file_type.is_char_device() {
        return "char";
    }
    if file_type.is_block_device() {
        return "block";
    }
    "other"
}

/// Seconds since the Unix epoch, negative before it.
fn seconds(time: io::Result<SystemTime>) -> Option<f64> {
    let time = time.ok()?;
    Some(match time.duration_since(UNIX_EPOCH) {
        Ok(after) => after.as_secs_f64(),
        Err(before) => -before.duration().as_secs_f64(),
    })
}

pub(crate) fn stat(p: &ScriptPath) -> Result<Stat, FsError> {
    let meta = fs::metadata(&p.path).map_err(|e| FsError::io("stat", &p.shown, e))?;
    use std::os::unix::fs::MetadataExt;
    let (mode, uid, gid) = (meta.mode() & 0o7777, meta.uid(), meta.gid());
    Ok(Stat {
        kind: kind(meta.file_type()),
        size: meta.len(),
        mode,
        modified: seconds(meta.modified()),
        accessed: seconds(meta.accessed()),
        created: seconds(meta.created()),
        uid,
        gid,
    })
}

/// A directory's entries (without `.` and `..`), sorted by name, with their types.
pub(crate) fn list(p: &ScriptPath, cancel: &Cancel) -> Result<Vec<(OsString, &'static str)>, FsError> {
    let fail = |e| FsError::io("list", &p.shown, e);
    let mut entries = Vec::new();
    for entry in fs::read_dir(&p.path).map_err(fail)? {
        if cancel.is_set() {
            return Err(fail(cancelled()));
        }
        let entry = entry.map_err(fail)?;
        // The type comes from the directory entry itself on most file systems (no extra stat).
        let kind = entry.file_type().map(kind).unwrap_or("other");
        entries.push((entry.file_name(), kind));
    }
    entries.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

pub(crate) fn mkdir(p: &ScriptPath, recursive: bool) -> Result<(), FsError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(recursive);
    builder.create(&p.path).map_err(|e| FsError::io("mkdir", &p.shown, e))
}

/// Removes a file, a link or an empty directory; with `recursive`, a directory and everything in it.
pub(crate) fn remove(p: &ScriptPath, recursive: bool) -> Result<(), FsError> {
    let fail = |e| FsError::io("remove", &p.shown, e);
    let meta = fs::symlink_metadata(&p.path).map_err(fail)?;
    let removed = if !meta.is_dir() {
        fs::remove_file(&p.path)
    } else if recursive {
        fs::remove_dir_all(&p.path)
    } else {
        fs::remove_dir(&p.path)
    };
    removed.map_err(fail)
}

pub(crate) fn rename(from: &ScriptPath, to: &ScriptPath) -> Result<(), FsError> {
    fs::rename(&from.path, &to.path).map_err(|source| FsError::Rename {
        from: from.shown.clone(),
        to: to.shown.clone(),
        source,
    })
}

/// Creates a fresh private directory `<system temp dir>/<prefix>-<random>` and returns its path.
pub(crate) fn tempdir(prefix: &ScriptPath) -> Result<PathBuf, FsError> {
    let base = std::env::temp_dir();
    let fail = |e| FsError::io("tempdir", &base.display().to_string(), e);
    let mut last = None;
    for _ in 0..NAME_ATTEMPTS {
        let mut name = prefix.path.clone().into_os_string();
        name.push(format!("-{:012x}", random() & 0xffff_ffff_ffff));
        let path = base.join(name);
        let mut builder = fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, TEMP_DIR_MODE);
        match builder.create(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(fail(e)),
        }
    }
    Err(fail(last.unwrap_or_else(|| io::Error::from(ErrorKind::AlreadyExists))))
}

/// Whether an open file is a directory (`open` refuses those, as reading one cannot work).
pub(crate) fn is_dir(file: &File) -> bool {
    file.metadata().map(|m| m.is_dir()).unwrap_or(false)
}
