//! Fuzz target `devnet_rpc`: see `evlock_fuzz::devnet_rpc`.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| evlock_fuzz::devnet_rpc(data));
