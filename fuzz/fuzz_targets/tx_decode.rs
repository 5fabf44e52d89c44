//! Fuzz target `tx_decode`: see `evlock_fuzz::tx_decode`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::tx_decode(data));
