//! Paths from Lua strings. Lua strings are bytes; on Linux every byte string except one with
//! NUL is a valid path, so paths are taken as bytes and shown lossily only in messages.

use std::os::unix::ffi::OsStrExt;
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
        ScriptPath { path: os_path(bytes), shown }
    }
}

fn os_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

/// A path back to Lua as bytes (lossless: a Linux path is bytes).
pub(crate) fn to_bytes(path: &std::path::Path) -> Vec<u8> {
    path.as_os_str().as_bytes().to_vec()
}
