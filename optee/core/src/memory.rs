//! Secure storage in memory, for running the core on a host (tests, benchmarks): objects in
//! a map, kept to [`SecureStorage`]'s contract (a create never overwrites), and a switch that
//! makes every call fail as OP-TEE's storage does when it is unavailable.

extern crate std;

use std::collections::BTreeMap;
use std::vec::Vec;

use crate::{SecureStorage, StorageError};

/// OP-TEE's `TEE_ERROR_STORAGE_NOT_AVAILABLE`, what every call returns while [`MemoryStorage::fail`] is set.
pub const TEE_ERROR_STORAGE_NOT_AVAILABLE: u32 = 0xF010_0003;

/// Objects in a map.
#[derive(Debug, Default, Clone)]
pub struct MemoryStorage {
    /// The objects by id.
    pub objects: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Every call fails like unavailable storage while this is set.
    pub fail: bool,
}

impl MemoryStorage {
    fn check(&self) -> Result<(), StorageError> {
        if self.fail { Err(StorageError::Failed(TEE_ERROR_STORAGE_NOT_AVAILABLE)) } else { Ok(()) }
    }
}

impl SecureStorage for MemoryStorage {
    fn read(&mut self, id: &[u8], buf: &mut [u8]) -> Result<Option<usize>, StorageError> {
        self.check()?;
        Ok(self.objects.get(id).map(|data| {
            let n = data.len().min(buf.len());
            buf[..n].copy_from_slice(&data[..n]);
            data.len()
        }))
    }

    fn create(&mut self, id: &[u8], data: &[u8]) -> Result<(), StorageError> {
        self.check()?;
        if self.objects.contains_key(id) {
            return Err(StorageError::Exists);
        }
        self.objects.insert(id.to_vec(), data.to_vec());
        Ok(())
    }

    fn delete(&mut self, id: &[u8]) -> Result<bool, StorageError> {
        self.check()?;
        Ok(self.objects.remove(id).is_some())
    }

    fn for_each_id(&mut self, each: &mut dyn FnMut(&[u8]) -> bool) -> Result<(), StorageError> {
        self.check()?;
        for id in self.objects.keys() {
            if !each(id) {
                break;
            }
        }
        Ok(())
    }
}
