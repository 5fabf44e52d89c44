//! A relay switch on a GPIO line (gpio-cdev through linux-embedded-hal).

use super::{DeviceUri, MeterError, Switch};

/// Opens the switch `uri` names.
pub fn open(uri: &DeviceUri) -> Result<Box<dyn Switch>, MeterError> {
    Err(MeterError::Unsupported { driver: uri.scheme.clone(), what: "this driver (not built yet)".into() })
}
