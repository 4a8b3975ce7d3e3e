//! Paths from Lua strings. Lua strings are bytes; on Unix every byte string except one with
//! NUL is a valid path, so paths are taken as bytes and shown lossily only in messages.

use std::path::PathBuf;

/// A path argument: what to hand the OS, and how to name it in messages.
#[derive(Clone, Debug)]
pub(crate) struct ScriptPath {
    pub(crate) path: PathBuf,
    pub(crate) shown: String,
}

impl ScriptPath {
    pub(crate) fn new(bytes: &[u8]) -> ScriptPath {
        let shown = String::from_utf8_lossy(bytes).into_owned();
        ScriptPath { path: os_path(bytes, &shown), shown }
    }
}

#[cfg(unix)]
fn os_path(bytes: &[u8], _shown: &str) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn os_path(_bytes: &[u8], shown: &str) -> PathBuf {
    PathBuf::from(shown)
}

/// A path back to Lua as bytes (lossless on Unix).
#[cfg(unix)]
pub(crate) fn to_bytes(path: &std::path::Path) -> Vec<u8> {
    use std::os::unix::ffi::OsStrExt;
    path.as_os_str().as_bytes().to_vec()
}

#[cfg(not(unix))]
pub(crate) fn to_bytes(path: &std::path::Path) -> Vec<u8> {
    path.to_string_lossy().into_owned().into_bytes()
}
