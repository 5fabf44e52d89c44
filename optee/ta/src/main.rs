//! evlock's OP-TEE trusted application: the thin entry layer.
//!
//! It maps the TEE's entry points onto [`evlock_ta_core::Core`]: parameter 0 (memref input)
//! holds the request, parameter 1 (memref output) receives the response, the command id
//! selects the command (see `evlock_tee_proto`). Keys live in OP-TEE's private secure
//! storage (`TEE_STORAGE_PRIVATE`, bound to this TA's UUID); entropy comes from
//! `TEE_GenerateRandom`. Nothing here decides anything: the core does, and it is host-tested.

#![no_std]
#![no_main]

extern crate alloc;

use evlock_ta_core::{Core, Entropy, EntropyError, HandleError, OBJECT_ID_MAX, SecureStorage, StorageError};
use evlock_tee_proto::{MAX_REQUEST, MAX_RESPONSE};
use optee_utee::prelude::*;
use optee_utee::{
    DataFlag, ErrorKind, GenericObject, ObjectEnumHandle, ObjectStorageConstants, PersistentObject, Random,
    Result,
};

/// OP-TEE's private persistent objects of this TA.
struct TeeStorage;

fn failed(error: optee_utee::Error) -> StorageError {
    StorageError::Failed(error.raw_code())
}

impl SecureStorage for TeeStorage {
    fn read(&mut self, id: &[u8], buf: &mut [u8]) -> core::result::Result<Option<usize>, StorageError> {
        let flags = DataFlag::ACCESS_READ | DataFlag::SHARE_READ;
        let mut object = match PersistentObject::open(ObjectStorageConstants::Private, id, flags) {
            Ok(object) => object,
            Err(e) if e.kind() == ErrorKind::ItemNotFound => return Ok(None),
            Err(e) => return Err(failed(e)),
        };
        let size = object.info().map_err(failed)?.data_size();
        object.read(buf).map_err(failed)?;
        Ok(Some(size))
    }

    fn create(&mut self, id: &[u8], data: &[u8]) -> core::result::Result<(), StorageError> {
        // No OVERWRITE flag: an existing object makes this fail with ACCESS_CONFLICT.
        let flags = DataFlag::ACCESS_READ;
        match PersistentObject::create(ObjectStorageConstants::Private, id, flags, None, data) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::AccessConflict => Err(StorageError::Exists),
            Err(e) => Err(failed(e)),
        }
    }

    fn delete(&mut self, id: &[u8]) -> core::result::Result<bool, StorageError> {
        let flags = DataFlag::ACCESS_READ | DataFlag::ACCESS_WRITE_META;
        match PersistentObject::open(ObjectStorageConstants::Private, id, flags) {
            Ok(object) => object.close_and_delete().map(|()| true).map_err(failed),
            Err(e) if e.kind() == ErrorKind::ItemNotFound => Ok(false),
            Err(e) => Err(failed(e)),
        }
    }

    fn for_each_id(&mut self, each: &mut dyn FnMut(&[u8]) -> bool) -> core::result::Result<(), StorageError> {
        let mut objects = ObjectEnumHandle::allocate().map_err(failed)?;
        match objects.start(ObjectStorageConstants::Private as u32) {
            Ok(()) => {}
            // No object at all yet.
            Err(e) if e.kind() == ErrorKind::ItemNotFound => return Ok(()),
            Err(e) => return Err(failed(e)),
        }
        // Room for any object id of this TA (OP-TEE allows 64 bytes), ours or not.
        let mut id = [0u8; 64];
        const _: () = assert!(OBJECT_ID_MAX <= 64);
        loop {
            match objects.get_next(None, &mut id) {
                Ok(len) => {
                    if !each(&id[..len as usize]) {
                        return Ok(());
                    }
                }
                Err(e) if e.kind() == ErrorKind::ItemNotFound => return Ok(()),
                Err(e) => return Err(failed(e)),
            }
        }
    }
}

/// `TEE_GenerateRandom` (it panics the TA rather than return a failure).
struct TeeEntropy;

impl Entropy for TeeEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> core::result::Result<(), EntropyError> {
        Random::generate(buf);
        Ok(())
    }
}

#[ta_create]
fn create() -> Result<()> {
    Ok(())
}

#[ta_open_session]
fn open_session(_params: &mut ParametersNone) -> Result<()> {
    Ok(())
}

#[ta_close_session]
fn close_session() {}

#[ta_destroy]
fn destroy() {}

#[ta_invoke_command]
fn invoke_command(
    cmd_id: u32,
    params: &mut (ParameterMemrefInput<'_>, ParameterMemrefOutput<'_>, ParameterNone, ParameterNone),
) -> Result<()> {
    let (request, response, _, _) = params;
    if request.buffer_len() > MAX_REQUEST {
        return Err(ErrorKind::BadParameters.into());
    }
    // Copied out of shared memory first: the normal world cannot change it while it is read.
    let mut input = [0u8; MAX_REQUEST];
    let len = request.read_at(0, &mut input)?;
    let mut output = [0u8; MAX_RESPONSE];
    let mut core = Core::new(TeeStorage, TeeEntropy);
    let written = match core.handle(cmd_id, &input[..len], &mut output) {
        Ok(written) => written,
        Err(HandleError::OutputTooSmall) => return Err(ErrorKind::ShortBuffer.into()),
    };
    let capacity = response.buffer_len().min(MAX_RESPONSE);
    if written > capacity {
        return Err(ErrorKind::ShortBuffer.into());
    }
    response.set_output(&output[..written])
}

include!(concat!(env!("OUT_DIR"), "/user_ta_header.rs"));
