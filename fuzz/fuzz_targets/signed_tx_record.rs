//! Fuzz target `signed_tx_record`: see `evlock_fuzz::signed_tx_record`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::signed_tx_record(data));
