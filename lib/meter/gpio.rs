//! A relay switch on a GPIO line: how the paper's board connects the battery to the line.
//!
//! ```text
//! gpio:/dev/gpiochip0?line=17[&active_low=1][&initial=open|closed]
//! ```
//!
//! The line is requested as an output through the GPIO character device (gpio-cdev, bound to
//! embedded-hal by linux-embedded-hal's `CdevPin`). A request must drive the line at once, so
//! the relay starts `open` (de-energised: no energy flows, the safe state) unless
//! `initial=closed`. `active_low=1` is for relay boards that close on a low level. The relay's
//! state is read back from the line, not remembered.

use embedded_hal::digital::{InputPin, OutputPin, PinState};

use super::{DeviceUri, MeterError, Switch};

/// Every parameter a `gpio:` URI may carry.
const KNOWN_PARAMS: &[&str] = &["line", "active_low", "initial"];
/// The consumer label the kernel shows for the requested line (`gpioinfo`).
pub const CONSUMER: &str = "evlock-relay";

/// What a `gpio:` URI asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GpioSettings {
    /// The line's offset on its chip.
    pub line: u32,
    /// The relay closes on a low level.
    pub active_low: bool,
    /// Whether the relay is closed when the line is requested.
    pub initial_closed: bool,
}

impl GpioSettings {
    /// Reads and checks the URI's parameters.
    pub fn from_uri(uri: &DeviceUri) -> Result<Self, MeterError> {
        uri.check_params(KNOWN_PARAMS)?;
        let bad = |reason: String| MeterError::BadUri { uri: uri.to_string(), reason };
        let line = uri
            .param::<u32>("line")?
            .ok_or_else(|| bad("line is required (the GPIO line offset on the chip, e.g. line=17)".into()))?;
        let active_low = match uri.params.get("active_low").map(String::as_str) {
            None | Some("0") | Some("false") => false,
            Some("1") | Some("true") => true,
            Some(other) => return Err(bad(format!("parameter active_low={other}: expected 0 or 1"))),
        };
        let initial_closed = match uri.params.get("initial").map(String::as_str) {
            None | Some("open") => false,
            Some("closed") => true,
            Some(other) => return Err(bad(format!("parameter initial={other}: expected open or closed"))),
        };
        Ok(GpioSettings { line, active_low, initial_closed })
    }

    /// The line level that puts the relay in `closed`.
    pub fn level(&self, closed: bool) -> PinState {
        PinState::from(closed != self.active_low)
    }
}

/// A relay driven by any embedded-hal output pin that can read its level back.
pub struct RelayPin<P> {
    pin: P,
    active_low: bool,
    device: String,
}

impl<P: OutputPin + InputPin> RelayPin<P> {
    /// A relay on `pin`; `device` names it in errors.
    pub fn new(pin: P, active_low: bool, device: impl Into<String>) -> Self {
        RelayPin { pin, active_low, device: device.into() }
    }

    fn bus_error(&self, error: impl std::fmt::Debug) -> MeterError {
        MeterError::Bus { device: self.device.clone(), reason: format!("GPIO: {error:?}") }
    }
}

impl<P: OutputPin + InputPin + Send> Switch for RelayPin<P> {
    fn set_closed(&mut self, closed: bool) -> Result<(), MeterError> {
        let level = PinState::from(closed != self.active_low);
        self.pin.set_state(level).map_err(|e| self.bus_error(e))
    }

    fn is_closed(&mut self) -> Result<bool, MeterError> {
        let high = self.pin.is_high().map_err(|e| self.bus_error(e))?;
        Ok(high != self.active_low)
    }
}

/// Opens the switch `uri` names (Linux only).
pub fn open(uri: &DeviceUri) -> Result<Box<dyn Switch>, MeterError> {
    let settings = GpioSettings::from_uri(uri)?;
    linux::open(uri, settings)
}

#[cfg(target_os = "linux")]
mod linux {
    use linux_embedded_hal::CdevPin;
    use linux_embedded_hal::gpio_cdev::{Chip, LineRequestFlags};

    use super::*;

    pub(super) fn open(uri: &DeviceUri, settings: GpioSettings) -> Result<Box<dyn Switch>, MeterError> {
        let path = uri.path.as_str();
        // gpio-cdev's errors hide the io::ErrorKind: open the node first for a clear answer.
        std::fs::File::open(path).map_err(|e| MeterError::from_open(path, e))?;
        let bus = |what: &str, error: &dyn std::fmt::Display| MeterError::Bus {
            device: uri.to_string(),
            reason: format!("{what}: {error}"),
        };
        let mut chip =
            Chip::new(path).map_err(|e| bus(&format!("{path} does not answer as a GPIO chip"), &e))?;
        if settings.line >= chip.num_lines() {
            return Err(MeterError::BadUri {
                uri: uri.to_string(),
                reason: format!(
                    "line={}: {path} ({}) has lines 0…{}",
                    settings.line,
                    chip.label(),
                    chip.num_lines().saturating_sub(1)
                ),
            });
        }
        let line = chip.get_line(settings.line).map_err(|e| bus("getting the line", &e))?;
        // Requested without the kernel's ACTIVE_LOW flag: `RelayPin` does the inversion, and
        // CdevPin would otherwise invert a second time.
        let initial = u8::from(settings.level(settings.initial_closed) == PinState::High);
        let handle = line.request(LineRequestFlags::OUTPUT, initial, CONSUMER).map_err(|e| {
            bus(&format!("requesting line {} (is it used by another program?)", settings.line), &e)
        })?;
        let pin = CdevPin::new(handle).map_err(|e| bus("reading the line's info", &e))?;
        Ok(Box::new(RelayPin::new(pin, settings.active_low, uri.as_str())))
    }
}

#[cfg(not(target_os = "linux"))]
mod linux {
    use super::*;

    pub(super) fn open(uri: &DeviceUri, _settings: GpioSettings) -> Result<Box<dyn Switch>, MeterError> {
        Err(MeterError::Unsupported { driver: "gpio".into(), what: "GPIO outside Linux".into() })
    }
}

#[cfg(test)]
mod tests {
    use embedded_hal_mock::eh1::digital::{Mock as PinMock, State, Transaction};

    use super::*;
    use crate::exit::{ErrorClass, ExitCode};
    use crate::meter::open_switch;

    fn uri(text: &str) -> DeviceUri {
        text.parse().unwrap()
    }

    #[test]
    fn settings_come_from_the_uri() {
        let plain = GpioSettings::from_uri(&uri("gpio:/dev/gpiochip0?line=17")).unwrap();
        assert_eq!(plain, GpioSettings { line: 17, active_low: false, initial_closed: false });
        assert_eq!(plain.level(true), PinState::High);
        let inverted =
            GpioSettings::from_uri(&uri("gpio:/dev/gpiochip0?line=4&active_low=1&initial=closed")).unwrap();
        assert_eq!(inverted, GpioSettings { line: 4, active_low: true, initial_closed: true });
        assert_eq!(inverted.level(true), PinState::Low);
        assert_eq!(inverted.level(false), PinState::High);
    }

    #[test]
    fn bad_uris_are_refused_with_reasons() {
        for (text, needle) in [
            ("gpio:/dev/gpiochip0", "line is required"),
            ("gpio:/dev/gpiochip0?line=abc", "line=abc"),
            ("gpio:/dev/gpiochip0?line=-1", "line=-1"),
            ("gpio:/dev/gpiochip0?line=1&active_low=maybe", "active_low=maybe"),
            ("gpio:/dev/gpiochip0?line=1&initial=ajar", "initial=ajar"),
            ("gpio:/dev/gpiochip0?line=1&pin=2", "unknown parameter \"pin\""),
        ] {
            let err = open_switch(&uri(text)).err().unwrap_or_else(|| panic!("{text} accepted"));
            assert!(matches!(err, MeterError::BadUri { .. }), "{text}: {err}");
            assert!(err.to_string().contains(needle), "{text}: {err}");
            assert_eq!(err.exit_code(), ExitCode::Device);
        }
    }

    #[test]
    fn the_relay_drives_and_reads_back_the_line() {
        let mut pin = PinMock::new(&[
            Transaction::set(State::High),
            Transaction::get(State::High),
            Transaction::set(State::Low),
            Transaction::get(State::Low),
        ]);
        let mut relay = RelayPin::new(pin.clone(), false, "gpio:test");
        relay.set_closed(true).unwrap();
        assert!(relay.is_closed().unwrap());
        relay.set_closed(false).unwrap();
        assert!(!relay.is_closed().unwrap());
        pin.done();
    }

    #[test]
    fn an_active_low_relay_closes_on_a_low_level() {
        let mut pin = PinMock::new(&[
            Transaction::set(State::Low),
            Transaction::get(State::Low),
            Transaction::set(State::High),
            Transaction::get(State::High),
        ]);
        let mut relay = RelayPin::new(pin.clone(), true, "gpio:test");
        relay.set_closed(true).unwrap();
        assert!(relay.is_closed().unwrap());
        relay.set_closed(false).unwrap();
        assert!(!relay.is_closed().unwrap());
        pin.done();
    }

    #[test]
    fn a_pin_error_is_a_bus_error() {
        use embedded_hal_mock::eh1::MockError;
        let mut pin = PinMock::new(&[
            Transaction::set(State::High).with_error(MockError::Io(std::io::ErrorKind::NotConnected))
        ]);
        let mut relay = RelayPin::new(pin.clone(), false, "gpio:test");
        let err = relay.set_closed(true).unwrap_err();
        assert!(matches!(err, MeterError::Bus { .. }), "{err}");
        pin.done();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_missing_chip_is_not_found_and_a_non_chip_is_a_bus_error() {
        let err = open_switch(&uri("gpio:/dev/gpiochip-evlock-none?line=17")).err().unwrap();
        assert!(matches!(err, MeterError::NotFound { .. }), "{err}");
        assert_eq!(err.exit_code(), ExitCode::Device);
        let err = open_switch(&uri("gpio:/dev/null?line=17")).err().unwrap();
        assert!(matches!(err, MeterError::Bus { .. }), "{err}");
        assert!(err.to_string().contains("does not answer as a GPIO chip"), "{err}");
    }
}
