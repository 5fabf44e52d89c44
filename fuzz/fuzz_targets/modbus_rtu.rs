//! Fuzz target `modbus_rtu`: see `evlock_fuzz::modbus_rtu`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::modbus_rtu(data));
