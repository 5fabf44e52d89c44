//! Fuzz target `tx_record`: see `evlock_fuzz::tx_record`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::tx_record(data));
