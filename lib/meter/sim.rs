//! The simulator: a battery, a solar panel, a load and the relay, with fault injection.

use super::{DeviceUri, Load, Meter, MeterError, Switch};

/// Opens the simulated meter `uri` names.
pub fn open_meter(uri: &DeviceUri) -> Result<Box<dyn Meter>, MeterError> {
    Err(MeterError::Unsupported { driver: uri.scheme.clone(), what: "this driver (not built yet)".into() })
}

/// Opens the simulated relay of the world `uri` names.
pub fn open_switch(uri: &DeviceUri) -> Result<Box<dyn Switch>, MeterError> {
    Err(MeterError::Unsupported { driver: uri.scheme.clone(), what: "this driver (not built yet)".into() })
}

/// Opens the load of the world `uri` names.
pub fn open_load(uri: &DeviceUri) -> Result<Box<dyn Load>, MeterError> {
    Err(MeterError::Unsupported { driver: uri.scheme.clone(), what: "this driver (not built yet)".into() })
}
