//! The station's two secret keys and the key file that holds them.
//!
//! `station.key` is 73 bytes: the magic `REKAMKEY`, a format version byte (1), the 32-byte
//! data-encryption key (ChaCha20-Poly1305) and the 32-byte index key (HMAC-SHA256 for lookups).
//! It is created with mode 0600 by an atomic write (temporary file, fsync, rename, fsync of the
//! directory) and refused when its mode lets the group or others read or write it.

use std::fs;
use std::io::{Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;

use rand::RngCore;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::StoreError;

const MAGIC: &[u8; 8] = b"REKAMKEY";
const VERSION: u8 = 1;
const FILE_LEN: usize = MAGIC.len() + 1 + 32 + 32;

/// The data-encryption key and the index key of a journal. Zeroized on drop; `Debug` shows
/// nothing secret.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct Keys {
    data: [u8; 32],
    index: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { .. }")
    }
}

impl Keys {
    /// Fresh random keys from the operating system's generator.
    ///
    /// # Errors
    /// [`StoreError::Random`] when the OS generator fails.
    pub fn generate() -> Result<Self, StoreError> {
        let mut keys = Self {
            data: [0; 32],
            index: [0; 32],
        };
        random_bytes(&mut keys.data)?;
        random_bytes(&mut keys.index)?;
        Ok(keys)
    }

    /// Keys from raw bytes (for tests and for a future external key source).
    #[must_use]
    pub fn from_bytes(data: [u8; 32], index: [u8; 32]) -> Self {
        Self { data, index }
    }

    pub(crate) fn data(&self) -> &[u8; 32] {
        &self.data
    }

    pub(crate) fn index(&self) -> &[u8; 32] {
        &self.index
    }

    /// Reads the key file, refusing it when the group or others may access it.
    pub(crate) fn read_file(path: &Path) -> Result<Self, StoreError> {
        let meta = fs::symlink_metadata(path).map_err(|e| StoreError::io("stat", path, e))?;
        if !meta.file_type().is_file() {
            return Err(StoreError::KeyFileNotRegular {
                path: path.to_path_buf(),
            });
        }
        let mode = meta.mode() & 0o7777;
        if mode & 0o077 != 0 {
            return Err(StoreError::KeyFilePermissions {
                path: path.to_path_buf(),
                mode,
            });
        }
        let mut file = fs::File::open(path).map_err(|e| StoreError::io("open", path, e))?;
        let mut buf = Zeroizing::new(Vec::with_capacity(FILE_LEN + 1));
        Read::by_ref(&mut file)
            .take(FILE_LEN as u64 + 1)
            .read_to_end(&mut buf)
            .map_err(|e| StoreError::io("read", path, e))?;
        let malformed = |reason| StoreError::KeyFileMalformed {
            path: path.to_path_buf(),
            reason,
        };
        if buf.len() != FILE_LEN {
            return Err(malformed("wrong length"));
        }
        if &buf[..MAGIC.len()] != MAGIC {
            return Err(malformed("bad magic"));
        }
        if buf[MAGIC.len()] != VERSION {
            return Err(malformed("unknown version"));
        }
        let body = &buf[MAGIC.len() + 1..];
        let mut keys = Self {
            data: [0; 32],
            index: [0; 32],
        };
        keys.data.copy_from_slice(&body[..32]);
        keys.index.copy_from_slice(&body[32..]);
        Ok(keys)
    }

    /// Writes the key file atomically with mode 0600. Fails if it already exists.
    pub(crate) fn write_file(&self, path: &Path) -> Result<(), StoreError> {
        let dir = path.parent().unwrap_or(Path::new("."));
        let tmp = path.with_extension("key.tmp");
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(StoreError::io("remove", &tmp, e)),
        }
        let mut buf = Zeroizing::new(Vec::with_capacity(FILE_LEN));
        buf.extend_from_slice(MAGIC);
        buf.push(VERSION);
        buf.extend_from_slice(&self.data);
        buf.extend_from_slice(&self.index);
        {
            let mut file = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)
                .map_err(|e| StoreError::io("create", &tmp, e))?;
            file.write_all(&buf)
                .map_err(|e| StoreError::io("write", &tmp, e))?;
            file.sync_all()
                .map_err(|e| StoreError::io("fsync", &tmp, e))?;
        }
        // A hard link fails if the target exists, unlike rename: two processes racing to create
        // the key cannot replace each other's.
        let linked = fs::hard_link(&tmp, path);
        let _ = fs::remove_file(&tmp);
        linked.map_err(|e| StoreError::io("link", path, e))?;
        sync_dir(dir)
    }
}

/// Fills `buf` from the OS generator.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<(), StoreError> {
    rand::rngs::OsRng
        .try_fill_bytes(buf)
        .map_err(|e| StoreError::Random(e.to_string()))
}

/// Makes a directory entry change (create, rename, link) durable.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("fsync", dir, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn key_file_round_trip_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.key");
        let keys = Keys::generate().unwrap();
        keys.write_file(&path).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let back = Keys::read_file(&path).unwrap();
        assert_eq!(back.data(), keys.data());
        assert_eq!(back.index(), keys.index());
        // Never overwrites an existing key.
        assert!(Keys::generate().unwrap().write_file(&path).is_err());
        assert_eq!(Keys::read_file(&path).unwrap().data(), keys.data());
    }

    #[test]
    fn malformed_and_open_key_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("station.key");
        fs::write(&path, b"short").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert!(matches!(
            Keys::read_file(&path),
            Err(StoreError::KeyFileMalformed { .. })
        ));
        fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
        assert!(matches!(
            Keys::read_file(&path),
            Err(StoreError::KeyFilePermissions { mode: 0o640, .. })
        ));
    }

    #[test]
    fn debug_shows_no_key_material() {
        let keys = Keys::from_bytes([0xAB; 32], [0xCD; 32]);
        let text = format!("{keys:?}");
        assert!(!text.contains("171") && !text.to_lowercase().contains("ab"));
    }
}
