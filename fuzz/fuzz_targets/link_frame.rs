//! Fuzz target `link_frame`: see `evlock_fuzz::link_frame`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::link_frame(data));
