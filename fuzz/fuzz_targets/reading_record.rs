//! Fuzz target `reading_record`: see `evlock_fuzz::reading_record`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::reading_record(data));
