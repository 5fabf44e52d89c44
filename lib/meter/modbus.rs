//! Modbus RTU meters over serial, described by profiles.

use super::{DeviceUri, Meter, MeterError};

/// Opens the meter `uri` names.
pub fn open(uri: &DeviceUri) -> Result<Box<dyn Meter>, MeterError> {
    Err(MeterError::Unsupported { driver: uri.scheme.clone(), what: "this driver (not built yet)".into() })
}
