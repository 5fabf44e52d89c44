//! Fuzz target `keystore`: see `evlock_fuzz::keystore`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::keystore(data));
