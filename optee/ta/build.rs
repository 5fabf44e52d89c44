//! Writes the TA header (UUID, stack and heap sizes) and, with a TA dev kit, the link setup.

use optee_utee_build::{Error, HeaderFileGenerator, TaConfig};

fn main() -> Result<(), Error> {
    let config = TaConfig::new_default_with_cargo_env(evlock_tee_proto::UUID)?
        .ta_stack_size(32 * 1024)
        .ta_data_size(64 * 1024);
    println!("cargo:rerun-if-env-changed=TA_DEV_KIT_DIR");
    if std::env::var_os("TA_DEV_KIT_DIR").is_some() {
        return optee_utee_build::build(config);
    }
    // Without a dev kit only the header is written: enough for `cargo check --features
    // no-dev-kit`, never for a TA that OP-TEE would load.
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("user_ta_header.rs"), HeaderFileGenerator::new().generate(&config)?)?;
    println!("cargo:warning=TA_DEV_KIT_DIR is not set: type-checking only, nothing is linked");
    Ok(())
}
