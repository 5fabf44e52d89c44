//! Fuzz target `policy`: see `evlock_fuzz::policy`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::policy(data));
