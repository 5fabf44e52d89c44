//! Fuzz target `delivery_receipt`: see `evlock_fuzz::delivery_receipt`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::delivery_receipt(data));
