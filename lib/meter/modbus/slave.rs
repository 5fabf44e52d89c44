//! A Modbus RTU slave simulator: a PZEM-004T v3 and an Eastron SDM120 with the register maps
//! of their manuals, served on any byte stream (the master side of a pseudo-terminal in the
//! tests and the bench), with faults to switch on.
//!
//! The register layouts here are written from the manuals, independently of the profile
//! files, so a test reading the simulator through a profile checks the profile against the
//! manual rather than against itself.
//!
//! [`Slave::on_pty`] is the rig the tests, the benches and the demos use: a simulator on a
//! fresh pseudo-terminal whose device side a driver opens as it would `/dev/ttyUSB0`.
//!
//! ```no_run
//! use evlock::meter::modbus::slave::{SimDevice, SimValues, Slave};
//! let line = Slave::on_pty(vec![SimDevice::pzem004t(1, &SimValues::sample())]).unwrap();
//! let uri = line.uri("profile=pzem004t&addr=1"); // modbus:/dev/pts/N?profile=pzem004t&addr=1
//! // open `uri` with evlock::meter::open_meter and read …
//! line.slave.corrupt_crc(1); // the next reply fails its CRC
//! ```

use std::collections::BTreeMap;
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use super::rtu::{
    self, PZEM_RESET_ENERGY, READ_HOLDING_REGISTERS, READ_INPUT_REGISTERS, WRITE_MULTIPLE_REGISTERS,
    WRITE_SINGLE_REGISTER,
};

/// Exception 0x01: the function is not supported.
pub const ILLEGAL_FUNCTION: u8 = 0x01;
/// Exception 0x02: a register is not mapped.
pub const ILLEGAL_DATA_ADDRESS: u8 = 0x02;
/// Exception 0x03: a count or value is out of range.
pub const ILLEGAL_DATA_VALUE: u8 = 0x03;

/// What the simulated meter measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SimValues {
    /// Voltage, V.
    pub volts: f64,
    /// Current, A.
    pub amps: f64,
    /// Active power, W.
    pub watts: f64,
    /// Energy total, Wh (imported).
    pub energy_wh: f64,
    /// Line frequency, Hz.
    pub frequency_hz: f64,
    /// Power factor.
    pub power_factor: f64,
}

impl Default for SimValues {
    /// 230 V, 50 Hz, no load, nothing counted yet.
    fn default() -> Self {
        SimValues {
            volts: 230.0,
            amps: 0.0,
            watts: 0.0,
            energy_wh: 0.0,
            frequency_hz: 50.0,
            power_factor: 1.0,
        }
    }
}

impl SimValues {
    /// A household load the tests and benches read back: 230.1 V, 1.234 A, 271.3 W, 12 345 Wh
    /// counted, 50.1 Hz, power factor 0.96 (every value off a round number, so a wrong scale
    /// or word order shows).
    pub fn sample() -> Self {
        SimValues {
            volts: 230.1,
            amps: 1.234,
            watts: 271.3,
            energy_wh: 12345.0,
            frequency_hz: 50.1,
            power_factor: 0.96,
        }
    }
}

/// The meter a [`SimDevice`] imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimModel {
    /// Peacefair PZEM-004T v3.0.
    Pzem004t,
    /// Eastron SDM120-Modbus.
    Sdm120,
}

/// One simulated meter on the bus: its address and register tables.
#[derive(Debug, Clone, PartialEq)]
pub struct SimDevice {
    model: SimModel,
    address: u8,
    input: BTreeMap<u16, u16>,
    holding: BTreeMap<u16, u16>,
}

// PZEM-004T V3.0 manual §2.3 (input) and §2.4 (holding) registers.
const PZEM_VOLTAGE: u16 = 0x0000;
const PZEM_CURRENT_LOW: u16 = 0x0001;
const PZEM_POWER_LOW: u16 = 0x0003;
const PZEM_ENERGY_LOW: u16 = 0x0005;
const PZEM_FREQUENCY: u16 = 0x0007;
const PZEM_POWER_FACTOR: u16 = 0x0008;
const PZEM_ALARM: u16 = 0x0009;
const PZEM_ALARM_THRESHOLD: u16 = 0x0001;
const PZEM_ADDRESS: u16 = 0x0002;
/// The simulator's power alarm threshold until a test writes another (W).
pub const PZEM_DEFAULT_ALARM_W: u16 = 2300;

// Eastron SDM120 Modbus protocol: input registers (30001 = 0x0000, …), floats, high word first.
const SDM_VOLTAGE: u16 = 0x0000;
const SDM_CURRENT: u16 = 0x0006;
const SDM_POWER: u16 = 0x000C;
const SDM_APPARENT: u16 = 0x0012;
const SDM_REACTIVE: u16 = 0x0018;
const SDM_POWER_FACTOR: u16 = 0x001E;
const SDM_FREQUENCY: u16 = 0x0046;
const SDM_IMPORT_KWH: u16 = 0x0048;
const SDM_EXPORT_KWH: u16 = 0x004A;
const SDM_TOTAL_KWH: u16 = 0x0156;
// Holding registers (40019, 40021, 40029).
const SDM_PARITY_STOP: u16 = 0x0012;
const SDM_METER_ID: u16 = 0x0014;
const SDM_BAUD: u16 = 0x001C;

impl SimDevice {
    /// A PZEM-004T v3 at `address` measuring `values`.
    pub fn pzem004t(address: u8, values: &SimValues) -> SimDevice {
        let mut holding = BTreeMap::new();
        holding.insert(PZEM_ALARM_THRESHOLD, PZEM_DEFAULT_ALARM_W);
        holding.insert(PZEM_ADDRESS, u16::from(address));
        let mut device = SimDevice { model: SimModel::Pzem004t, address, input: BTreeMap::new(), holding };
        device.set_values(values);
        device
    }

    /// An SDM120 at `address` measuring `values` (line settings registers at their factory
    /// defaults: 2400 baud, one stop bit, no parity).
    pub fn sdm120(address: u8, values: &SimValues) -> SimDevice {
        // Eastron meters return zero for parameters they do not measure, so a read across
        // the gaps between parameters succeeds.
        let mut input = BTreeMap::new();
        for register in (0x0000..0x0050).chain(0x0156..0x015A) {
            input.insert(register, 0);
        }
        let mut holding: BTreeMap<u16, u16> = (0x0000..0x0020).map(|r| (r, 0)).collect();
        put_f32(&mut holding, SDM_PARITY_STOP, 0.0);
        put_f32(&mut holding, SDM_METER_ID, f32::from(address));
        put_f32(&mut holding, SDM_BAUD, 0.0);
        let mut device = SimDevice { model: SimModel::Sdm120, address, input, holding };
        device.set_values(values);
        device
    }

    /// The model.
    pub fn model(&self) -> SimModel {
        self.model
    }

    /// The slave address it answers to.
    pub fn address(&self) -> u8 {
        self.address
    }

    /// Sets what the meter measures, encoded as its manual says.
    pub fn set_values(&mut self, values: &SimValues) {
        match self.model {
            SimModel::Pzem004t => {
                // §2.3: 0.1 V, 0.001 A, 0.1 W, 1 Wh, 0.1 Hz, 0.01 per LSB; 32-bit values are
                // stored low word at the lower address.
                let input = &mut self.input;
                input.insert(PZEM_VOLTAGE, (values.volts * 10.0).round() as u16);
                put_u32_low_first(input, PZEM_CURRENT_LOW, (values.amps * 1000.0).round() as u32);
                put_u32_low_first(input, PZEM_POWER_LOW, (values.watts * 10.0).round() as u32);
                put_u32_low_first(input, PZEM_ENERGY_LOW, values.energy_wh.round() as u32);
                input.insert(PZEM_FREQUENCY, (values.frequency_hz * 10.0).round() as u16);
                input.insert(PZEM_POWER_FACTOR, (values.power_factor * 100.0).round() as u16);
                self.update_pzem_alarm();
            }
            SimModel::Sdm120 => {
                let input = &mut self.input;
                let apparent = values.volts * values.amps;
                let reactive = (apparent * apparent - values.watts * values.watts).max(0.0).sqrt();
                put_f32(input, SDM_VOLTAGE, values.volts as f32);
                put_f32(input, SDM_CURRENT, values.amps as f32);
                put_f32(input, SDM_POWER, values.watts as f32);
                put_f32(input, SDM_APPARENT, apparent as f32);
                put_f32(input, SDM_REACTIVE, reactive as f32);
                put_f32(input, SDM_POWER_FACTOR, values.power_factor as f32);
                put_f32(input, SDM_FREQUENCY, values.frequency_hz as f32);
                let import_kwh = values.energy_wh / 1000.0;
                put_f32(input, SDM_IMPORT_KWH, import_kwh as f32);
                put_f32(input, SDM_EXPORT_KWH, 0.0);
                put_f32(input, SDM_TOTAL_KWH, import_kwh as f32);
            }
        }
    }

    /// The energy total the device holds, Wh.
    pub fn energy_wh(&self) -> f64 {
        match self.model {
            SimModel::Pzem004t => {
                let low = self.input[&PZEM_ENERGY_LOW];
                let high = self.input[&(PZEM_ENERGY_LOW + 1)];
                f64::from((u32::from(high) << 16) | u32::from(low))
            }
            SimModel::Sdm120 => f64::from(get_f32(&self.input, SDM_TOTAL_KWH)) * 1000.0,
        }
    }

    /// An input register's raw value.
    pub fn input_register(&self, register: u16) -> Option<u16> {
        self.input.get(&register).copied()
    }

    /// A holding register's raw value.
    pub fn holding_register(&self, register: u16) -> Option<u16> {
        self.holding.get(&register).copied()
    }

    /// Overwrites a holding register, as a recalibration attack would.
    pub fn set_holding_register(&mut self, register: u16, value: u16) {
        self.holding.insert(register, value);
        if self.model == SimModel::Pzem004t {
            self.update_pzem_alarm();
        }
    }

    fn update_pzem_alarm(&mut self) {
        let watts_raw = u32::from(self.input.get(&PZEM_POWER_LOW).copied().unwrap_or(0))
            | (u32::from(self.input.get(&(PZEM_POWER_LOW + 1)).copied().unwrap_or(0)) << 16);
        let threshold_w = u32::from(self.holding.get(&PZEM_ALARM_THRESHOLD).copied().unwrap_or(u16::MAX));
        let alarm = watts_raw > threshold_w * 10;
        self.input.insert(PZEM_ALARM, if alarm { 0xFFFF } else { 0x0000 });
    }

    /// Answers one request PDU (function and data); `None` for no answer.
    fn answer(&mut self, function: u8, data: &[u8]) -> Result<Vec<u8>, u8> {
        match function {
            READ_HOLDING_REGISTERS | READ_INPUT_REGISTERS => {
                let [s0, s1, c0, c1] = *data else { return Err(ILLEGAL_DATA_VALUE) };
                let (start, count) = (u16::from_be_bytes([s0, s1]), u16::from_be_bytes([c0, c1]));
                if count == 0 || count > rtu::MAX_READ_REGISTERS {
                    return Err(ILLEGAL_DATA_VALUE);
                }
                let table = if function == READ_INPUT_REGISTERS { &self.input } else { &self.holding };
                let mut pdu = vec![function, (count * 2) as u8];
                for offset in 0..count {
                    let register = start.checked_add(offset).ok_or(ILLEGAL_DATA_ADDRESS)?;
                    let value = table.get(&register).ok_or(ILLEGAL_DATA_ADDRESS)?;
                    pdu.extend_from_slice(&value.to_be_bytes());
                }
                Ok(pdu)
            }
            WRITE_SINGLE_REGISTER => {
                let [r0, r1, v0, v1] = *data else { return Err(ILLEGAL_DATA_VALUE) };
                let (register, value) = (u16::from_be_bytes([r0, r1]), u16::from_be_bytes([v0, v1]));
                self.write(register, &[value])?;
                let mut pdu = vec![function];
                pdu.extend_from_slice(data);
                Ok(pdu)
            }
            WRITE_MULTIPLE_REGISTERS => {
                if data.len() < 5 {
                    return Err(ILLEGAL_DATA_VALUE);
                }
                let start = u16::from_be_bytes([data[0], data[1]]);
                let count = u16::from_be_bytes([data[2], data[3]]);
                let values: Vec<u16> =
                    data[5..].chunks_exact(2).map(|w| u16::from_be_bytes([w[0], w[1]])).collect();
                if count == 0
                    || usize::from(count) != values.len()
                    || usize::from(data[4]) != values.len() * 2
                {
                    return Err(ILLEGAL_DATA_VALUE);
                }
                self.write(start, &values)?;
                let mut pdu = vec![function];
                pdu.extend_from_slice(&data[..4]);
                Ok(pdu)
            }
            PZEM_RESET_ENERGY if self.model == SimModel::Pzem004t && data.is_empty() => {
                // §2.5: the energy accumulator is zeroed and the command echoed.
                put_u32_low_first(&mut self.input, PZEM_ENERGY_LOW, 0);
                Ok(vec![function])
            }
            _ => Err(ILLEGAL_FUNCTION),
        }
    }

    fn write(&mut self, start: u16, values: &[u16]) -> Result<(), u8> {
        for (offset, value) in values.iter().enumerate() {
            let register = start.checked_add(offset as u16).ok_or(ILLEGAL_DATA_ADDRESS)?;
            if !self.holding.contains_key(&register) {
                return Err(ILLEGAL_DATA_ADDRESS);
            }
            if self.model == SimModel::Pzem004t && register == PZEM_ADDRESS && !(1..=0xF7).contains(value) {
                return Err(ILLEGAL_DATA_VALUE);
            }
        }
        for (offset, value) in values.iter().enumerate() {
            self.set_holding_register(start + offset as u16, *value);
        }
        Ok(())
    }
}

fn put_u32_low_first(table: &mut BTreeMap<u16, u16>, register: u16, value: u32) {
    table.insert(register, value as u16);
    table.insert(register + 1, (value >> 16) as u16);
}

fn put_f32(table: &mut BTreeMap<u16, u16>, register: u16, value: f32) {
    let bits = value.to_bits();
    table.insert(register, (bits >> 16) as u16);
    table.insert(register + 1, bits as u16);
}

fn get_f32(table: &BTreeMap<u16, u16>, register: u16) -> f32 {
    let high = table.get(&register).copied().unwrap_or(0);
    let low = table.get(&(register + 1)).copied().unwrap_or(0);
    f32::from_bits((u32::from(high) << 16) | u32::from(low))
}

/// Faults applied to the next requests addressed to a simulated device; each count goes
/// down by one per request it affects. When several are set, the first in field order wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Faults {
    /// Requests to ignore (the master times out).
    pub silent: u32,
    /// Requests to refuse with `exception_code`.
    pub exceptions: u32,
    /// The exception code for `exceptions`.
    pub exception_code: u8,
    /// Requests to answer with a well-formed frame that is not a valid reply (wrong length
    /// for reads, wrong function otherwise).
    pub garbage: u32,
    /// Requests to answer from `foreign_address` instead of the device's own.
    pub foreign_replies: u32,
    /// The address used by `foreign_replies`.
    pub foreign_address: u8,
    /// Replies whose CRC is corrupted.
    pub corrupt_crc: u32,
}

/// What the simulator has seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SlaveStats {
    /// Frames with a good CRC addressed to one of the devices.
    pub requests: u64,
    /// Replies sent.
    pub replies: u64,
    /// Frames dropped for a bad CRC.
    pub bad_frames: u64,
}

#[derive(Debug, Default)]
struct State {
    devices: BTreeMap<u8, SimDevice>,
    faults: Faults,
    stats: SlaveStats,
}

impl State {
    /// The reply frame to a complete request frame, or `None` to stay silent.
    fn handle(&mut self, frame: &[u8]) -> Option<Vec<u8>> {
        if rtu::check_crc(frame).is_err() {
            // Serial Line §2.4.1: a frame with a bad CRC is discarded without a reply.
            self.stats.bad_frames += 1;
            return None;
        }
        let address = frame[0];
        let (function, data) = (frame[1], &frame[2..frame.len() - 2]);
        let device = self.devices.get_mut(&address)?;
        self.stats.requests += 1;
        let faults = &mut self.faults;
        if faults.silent > 0 {
            faults.silent -= 1;
            return None;
        }
        let mut reply_address = address;
        let pdu = if faults.exceptions > 0 {
            faults.exceptions -= 1;
            vec![function | 0x80, faults.exception_code]
        } else if faults.garbage > 0 {
            faults.garbage -= 1;
            match function {
                // One register more than asked for, with a byte count that says so.
                READ_HOLDING_REGISTERS | READ_INPUT_REGISTERS => {
                    let count = data.get(2..4).map_or(1, |c| u16::from_be_bytes([c[0], c[1]])).min(100) + 1;
                    let mut pdu = vec![function, (count * 2) as u8];
                    pdu.resize(2 + usize::from(count) * 2, 0xA5);
                    pdu
                }
                _ => vec![0x2B, 0xDE, 0xAD],
            }
        } else {
            let pdu = device.answer(function, data).unwrap_or_else(|code| vec![function | 0x80, code]);
            // A PZEM that was given a new address answers from it from the next request on.
            if device.model == SimModel::Pzem004t {
                let new_address = device.holding_register(PZEM_ADDRESS).unwrap_or(u16::from(address)) as u8;
                if new_address != address {
                    let mut moved = self.devices.remove(&address).expect("device present");
                    moved.address = new_address;
                    self.devices.insert(new_address, moved);
                }
            }
            pdu
        };
        let faults = &mut self.faults;
        if faults.foreign_replies > 0 {
            faults.foreign_replies -= 1;
            reply_address = faults.foreign_address;
        }
        let mut reply = Vec::with_capacity(pdu.len() + 3);
        reply.push(reply_address);
        reply.extend_from_slice(&pdu);
        rtu::append_crc(&mut reply);
        if faults.corrupt_crc > 0 {
            faults.corrupt_crc -= 1;
            let last = reply.len() - 1;
            reply[last] ^= 0xFF;
        }
        self.stats.replies += 1;
        Some(reply)
    }
}

/// The length of the request frame that starts `head`, when it can be told.
fn request_len(head: &[u8]) -> Option<usize> {
    match *head.get(1)? {
        READ_HOLDING_REGISTERS | READ_INPUT_REGISTERS | WRITE_SINGLE_REGISTER => Some(8),
        WRITE_MULTIPLE_REGISTERS => head.get(6).map(|&n| 9 + usize::from(n)),
        PZEM_RESET_ENERGY => Some(4),
        _ => None,
    }
}

/// A running simulator: a thread serving a byte stream. Dropping it stops the thread.
pub struct Slave {
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Slave {
    /// Serves `devices` on `stream` in a new thread until [`stop`](Self::stop).
    ///
    /// The stream should time out its reads (a `serialport` port does, 100 ms for
    /// `TTYPort::pair()`): the thread checks for a stop between reads, and a pause in the
    /// input ends a frame whose length cannot be told from its function code.
    pub fn spawn<S: Read + Write + Send + 'static>(stream: S, devices: Vec<SimDevice>) -> Slave {
        let state =
            State { devices: devices.into_iter().map(|d| (d.address, d)).collect(), ..State::default() };
        let state = Arc::new(Mutex::new(state));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::Builder::new()
            .name("modbus-slave".into())
            .spawn({
                let (state, stop) = (state.clone(), stop.clone());
                move || serve(stream, &state, &stop)
            })
            .expect("spawning the simulator thread");
        Slave { state, stop, thread: Some(thread) }
    }

    /// Serves `devices` on the master side of a fresh pseudo-terminal pair; the returned
    /// line's [`path`](PtyLine::path) is the device side a driver opens.
    pub fn on_pty(devices: Vec<SimDevice>) -> io::Result<PtyLine> {
        let (master, device_side) = serialport::TTYPort::pair().map_err(io::Error::other)?;
        let path = serialport::SerialPort::name(&device_side)
            .ok_or_else(|| io::Error::other("the pseudo-terminal has no path"))?;
        Ok(PtyLine { slave: Slave::spawn(master, devices), path, _device_side: device_side })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in the serving thread cannot leave the maps half-written in a way that
        // matters to a test; keep serving the state.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Corrupts the CRC of the next `n` replies.
    pub fn corrupt_crc(&self, n: u32) {
        self.lock().faults.corrupt_crc = n;
    }

    /// Ignores the next `n` requests.
    pub fn stay_silent(&self, n: u32) {
        self.lock().faults.silent = n;
    }

    /// Refuses the next `n` requests with exception `code`.
    pub fn raise_exception(&self, code: u8, n: u32) {
        let mut state = self.lock();
        state.faults.exceptions = n;
        state.faults.exception_code = code;
    }

    /// Answers the next `n` requests with frames that are not valid replies.
    pub fn send_garbage(&self, n: u32) {
        self.lock().faults.garbage = n;
    }

    /// Answers the next `n` requests from slave address `address`.
    pub fn reply_from(&self, address: u8, n: u32) {
        let mut state = self.lock();
        state.faults.foreign_replies = n;
        state.faults.foreign_address = address;
    }

    /// The faults still pending.
    pub fn faults(&self) -> Faults {
        self.lock().faults
    }

    /// Sets what the device at `address` measures. Returns false when no device has it.
    pub fn set_values(&self, address: u8, values: &SimValues) -> bool {
        self.with_device(address, |d| d.set_values(values)).is_some()
    }

    /// Runs `f` on the device at `address`.
    pub fn with_device<T>(&self, address: u8, f: impl FnOnce(&mut SimDevice) -> T) -> Option<T> {
        self.lock().devices.get_mut(&address).map(f)
    }

    /// The energy total of the device at `address`, Wh.
    pub fn energy_wh(&self, address: u8) -> Option<f64> {
        self.with_device(address, |d| d.energy_wh())
    }

    /// What the simulator has seen so far.
    pub fn stats(&self) -> SlaveStats {
        self.lock().stats
    }

    /// Stops serving and waits for the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Slave {
    fn drop(&mut self) {
        self.halt();
    }
}

/// A simulator on a pseudo-terminal ([`Slave::on_pty`]). Its device side stays open as long
/// as the line lives, so the master never reads EIO between two opens of the path.
pub struct PtyLine {
    /// The simulator, to set values and faults.
    pub slave: Slave,
    path: String,
    _device_side: serialport::TTYPort,
}

impl PtyLine {
    /// The device side's path, e.g. `/dev/pts/7`.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A `modbus:` device URI for the line with `query`, e.g. `profile=pzem004t&addr=1`.
    pub fn uri(&self, query: &str) -> String {
        if query.is_empty() {
            format!("modbus:{}", self.path)
        } else {
            format!("modbus:{}?{query}", self.path)
        }
    }
}

fn serve<S: Read + Write>(mut stream: S, state: &Mutex<State>, stop: &AtomicBool) {
    let mut pending: Vec<u8> = Vec::with_capacity(rtu::MAX_FRAME);
    let mut chunk = [0u8; rtu::MAX_FRAME];
    while !stop.load(Ordering::SeqCst) {
        match stream.read(&mut chunk) {
            Ok(0) => std::thread::sleep(Duration::from_millis(2)),
            Ok(n) => pending.extend_from_slice(&chunk[..n]),
            Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {
                // The line went quiet: a frame whose length could not be told ends here.
                if !pending.is_empty() {
                    let frame = std::mem::take(&mut pending);
                    respond(&mut stream, state, &frame);
                }
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A pseudo-terminal master reads EIO while no one has the device side open.
            Err(_) => {
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
        }
        while let Some(len) = request_len(&pending) {
            if pending.len() < len {
                break;
            }
            let frame: Vec<u8> = pending.drain(..len).collect();
            if rtu::check_crc(&frame).is_err() {
                // Out of step: drop everything buffered and resynchronise on the next frame.
                pending.clear();
            }
            respond(&mut stream, state, &frame);
        }
        if pending.len() > rtu::MAX_FRAME {
            pending.clear();
        }
    }
}

fn respond<S: Write>(stream: &mut S, state: &Mutex<State>, frame: &[u8]) {
    if frame.len() < 4 {
        return;
    }
    let reply = state.lock().unwrap_or_else(|p| p.into_inner()).handle(frame);
    if let Some(reply) = reply
        && let Err(e) = stream.write_all(&reply).and_then(|()| stream.flush())
    {
        log::debug!("modbus simulator: reply not sent: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meter::modbus::rtu::{ReadFunction, Request};

    fn state_with(devices: Vec<SimDevice>) -> State {
        State { devices: devices.into_iter().map(|d| (d.address, d)).collect(), ..State::default() }
    }

    #[test]
    fn pzem_answers_the_manual_example_byte_for_byte() {
        // PZEM-004T V3.0 manual §2.3: 220.0 V, 1.000 A, 220.0 W, 0 Wh, 50.0 Hz, PF 1.00.
        let values = SimValues {
            volts: 220.0,
            amps: 1.0,
            watts: 220.0,
            energy_wh: 0.0,
            frequency_hz: 50.0,
            power_factor: 1.0,
        };
        let mut state = state_with(vec![SimDevice::pzem004t(1, &values)]);
        let request = [0x01, 0x04, 0x00, 0x00, 0x00, 0x0A, 0x70, 0x0D];
        let reply = state.handle(&request).unwrap();
        let mut expected = vec![
            0x01, 0x04, 0x14, 0x08, 0x98, 0x03, 0xE8, 0x00, 0x00, 0x08, 0x98, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x01, 0xF4, 0x00, 0x64, 0x00, 0x00,
        ];
        rtu::append_crc(&mut expected);
        assert_eq!(reply, expected);
    }

    #[test]
    fn sdm120_stores_big_endian_floats() {
        let values = SimValues { volts: 230.0, ..SimValues::default() };
        let device = SimDevice::sdm120(1, &values);
        assert_eq!(device.input_register(0x0000), Some(0x4366));
        assert_eq!(device.input_register(0x0001), Some(0x0000));
        assert_eq!(device.holding_register(0x0014), Some(0x3F80), "meter id 1.0");
    }

    #[test]
    fn faults_and_exceptions() {
        let mut state = state_with(vec![SimDevice::pzem004t(1, &SimValues::default())]);
        let read = Request::Read { function: ReadFunction::Input, start: 0, count: 10 }.encode(1);
        let other = Request::Read { function: ReadFunction::Input, start: 0, count: 10 }.encode(2);
        assert_eq!(state.handle(&other), None, "no device at 2");
        let mut bad = read.clone();
        bad[7] ^= 1;
        assert_eq!(state.handle(&bad), None, "bad CRC is dropped");
        assert_eq!(state.stats.bad_frames, 1);

        state.faults.silent = 1;
        assert_eq!(state.handle(&read), None);
        state.faults.exceptions = 1;
        state.faults.exception_code = 0x04;
        assert_eq!(&state.handle(&read).unwrap()[..3], [0x01, 0x84, 0x04]);
        state.faults.corrupt_crc = 1;
        assert!(rtu::check_crc(&state.handle(&read).unwrap()).is_err());
        assert!(rtu::check_crc(&state.handle(&read).unwrap()).is_ok(), "only one corrupted");

        let unmapped = Request::Read { function: ReadFunction::Input, start: 0x0100, count: 1 }.encode(1);
        assert_eq!(&state.handle(&unmapped).unwrap()[..3], [0x01, 0x84, ILLEGAL_DATA_ADDRESS]);
        let too_many = Request::Read { function: ReadFunction::Input, start: 0, count: 126 }.encode(1);
        assert_eq!(&state.handle(&too_many).unwrap()[..3], [0x01, 0x84, ILLEGAL_DATA_VALUE]);
    }

    #[test]
    fn pzem_reset_and_address_change() {
        let values = SimValues { energy_wh: 12345.0, ..SimValues::default() };
        let mut state = state_with(vec![SimDevice::pzem004t(1, &values)]);
        assert_eq!(state.devices[&1].energy_wh(), 12345.0);
        let reset = Request::Command { function: PZEM_RESET_ENERGY }.encode(1);
        assert_eq!(state.handle(&reset).unwrap(), reset, "echoed");
        assert_eq!(state.devices[&1].energy_wh(), 0.0);

        let readdress = Request::WriteSingle { register: PZEM_ADDRESS, value: 5 }.encode(1);
        assert_eq!(state.handle(&readdress).unwrap(), readdress);
        assert!(state.devices.contains_key(&5) && !state.devices.contains_key(&1));
        let invalid = Request::WriteSingle { register: PZEM_ADDRESS, value: 0x00F8 }.encode(5);
        assert_eq!(&state.handle(&invalid).unwrap()[..3], [0x05, 0x86, ILLEGAL_DATA_VALUE]);
    }

    #[test]
    fn request_lengths() {
        assert_eq!(request_len(&[1]), None);
        assert_eq!(request_len(&[1, 4]), Some(8));
        assert_eq!(request_len(&[1, 0x10, 0, 0, 0, 2]), None);
        assert_eq!(request_len(&[1, 0x10, 0, 0, 0, 2, 4]), Some(13));
        assert_eq!(request_len(&[1, 0x42]), Some(4));
        assert_eq!(request_len(&[1, 0x2B]), None);
    }
}
