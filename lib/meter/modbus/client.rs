//! The Modbus RTU master over a serial port: one request at a time, with the inter-frame gap,
//! a per-request timeout, retries on timeouts and CRC errors, and transport counters.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};

use super::rtu::{self, Expect, FrameError, MAX_SLAVE_ADDRESS, ReadFunction, Reply, Request};
use crate::meter::{Counters, MeterError};

/// The serial line settings (8 data bits, no flow control are fixed: Modbus RTU uses 8 bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SerialSettings {
    /// Baud rate.
    pub baud: u32,
    /// Parity.
    pub parity: Parity,
    /// Stop bits.
    pub stop_bits: StopBits,
}

impl Default for SerialSettings {
    /// 9600 baud 8N1, the PZEM-004T's fixed settings.
    fn default() -> Self {
        SerialSettings { baud: 9600, parity: Parity::None, stop_bits: StopBits::One }
    }
}

impl SerialSettings {
    /// Bits on the wire per character.
    pub fn bits_per_char(&self) -> u32 {
        let stop = match self.stop_bits {
            StopBits::One => 1,
            StopBits::Two => 2,
        };
        rtu::bits_per_char(self.parity != Parity::None, stop)
    }

    /// The RTU inter-frame gap t3.5 at these settings.
    pub fn inter_frame_gap(&self) -> Duration {
        rtu::inter_frame_gap(self.baud, self.bits_per_char())
    }

    /// How long `bytes` characters take on the line.
    pub fn transmission_time(&self, bytes: usize) -> Duration {
        rtu::char_time(self.baud, self.bits_per_char()) * bytes as u32
    }
}

/// A Modbus RTU master on one serial port.
pub struct ModbusClient {
    port: Box<dyn SerialPort>,
    path: String,
    settings: SerialSettings,
    timeout: Duration,
    retries: u32,
    gap: Duration,
    // When the line was last busy (our request sent, or a reply received): the next request
    // waits until t3.5 has passed since, so the slave sees a frame boundary.
    line_busy_until: Instant,
    counters: Counters,
}

impl std::fmt::Debug for ModbusClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ModbusClient")
            .field("path", &self.path)
            .field("settings", &self.settings)
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("counters", &self.counters)
            .finish()
    }
}

impl ModbusClient {
    /// Opens the serial port at `path`. `timeout` bounds each request's wait for its reply;
    /// `retries` is how often a request is repeated after a timeout or a CRC error.
    pub fn open(
        path: &str,
        settings: &SerialSettings,
        timeout: Duration,
        retries: u32,
    ) -> Result<ModbusClient, MeterError> {
        let port = serialport::new(path, settings.baud)
            .data_bits(DataBits::Eight)
            .parity(settings.parity)
            .stop_bits(settings.stop_bits)
            .flow_control(FlowControl::None)
            .timeout(timeout)
            .open()
            .map_err(|e| open_error(path, e))?;
        Ok(ModbusClient {
            port,
            path: path.to_owned(),
            settings: *settings,
            timeout,
            retries,
            gap: settings.inter_frame_gap(),
            line_busy_until: Instant::now(),
            counters: Counters::default(),
        })
    }

    /// The device path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The line settings.
    pub fn settings(&self) -> &SerialSettings {
        &self.settings
    }

    /// The per-request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Changes the per-request timeout.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// Changes how often a request is repeated after a timeout or CRC error.
    pub fn set_retries(&mut self, retries: u32) {
        self.retries = retries;
    }

    /// The transport counters since the port was opened.
    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// Reads `count` registers from `start` on slave `address`.
    pub fn read_registers(
        &mut self,
        address: u8,
        function: ReadFunction,
        start: u16,
        count: u16,
    ) -> Result<Vec<u16>, MeterError> {
        if u32::from(start) + u32::from(count) > 0x1_0000 {
            return Err(MeterError::RegisterRange { start, count: count.into() });
        }
        match self.transact(address, &Request::Read { function, start, count })? {
            Reply::Registers(words) => Ok(words),
            // transact turns exceptions into errors and writes into Done; a read gets words.
            other => Err(self.garbage(format!("unexpected reply {other:?} to a read"))),
        }
    }

    /// Writes one holding register (function 0x06).
    pub fn write_register(&mut self, address: u8, register: u16, value: u16) -> Result<(), MeterError> {
        self.transact(address, &Request::WriteSingle { register, value }).map(drop)
    }

    /// Writes consecutive holding registers (function 0x10).
    pub fn write_registers(&mut self, address: u8, start: u16, values: &[u16]) -> Result<(), MeterError> {
        self.transact(address, &Request::WriteMultiple { start, values: values.to_vec() }).map(drop)
    }

    /// Sends a data-less vendor command whose correct reply echoes it (the PZEM-004T's 0x42
    /// energy reset).
    pub fn command(&mut self, address: u8, function: u8) -> Result<(), MeterError> {
        self.transact(address, &Request::Command { function }).map(drop)
    }

    /// Sends `request` to slave `address` and returns its reply, repeating it after timeouts
    /// and CRC errors up to the retry limit. Exception replies become
    /// [`MeterError::Exception`].
    pub fn transact(&mut self, address: u8, request: &Request) -> Result<Reply, MeterError> {
        self.transact_with(address, request, self.retries)
    }

    /// As [`transact`](Self::transact), with an explicit retry count (a scan uses none).
    pub fn transact_with(
        &mut self,
        address: u8,
        request: &Request,
        retries: u32,
    ) -> Result<Reply, MeterError> {
        if address == 0 || address > MAX_SLAVE_ADDRESS {
            return Err(MeterError::Unsupported {
                driver: "modbus".into(),
                what: format!("slave address {address} (unicast addresses are 1 to {MAX_SLAVE_ADDRESS})"),
            });
        }
        if let Some(problem) = request.problem() {
            return Err(MeterError::Unsupported { driver: "modbus".into(), what: problem });
        }
        let frame = request.encode(address);
        let mut attempt = 0;
        loop {
            self.counters.requests += 1;
            let error = match self.attempt(address, request, &frame) {
                Ok(Reply::Exception(code)) => {
                    self.counters.exceptions += 1;
                    return Err(MeterError::Exception {
                        device: self.path.clone(),
                        function: request.function(),
                        code,
                    });
                }
                Ok(reply) => return Ok(reply),
                Err(error @ MeterError::Timeout { .. }) => {
                    self.counters.timeouts += 1;
                    error
                }
                Err(error @ MeterError::Crc { .. }) => {
                    self.counters.crc_errors += 1;
                    error
                }
                Err(other) => return Err(other),
            };
            if attempt >= retries {
                return Err(error);
            }
            attempt += 1;
            self.counters.retries += 1;
            log::debug!("{}: {error}; retry {attempt} of {retries}", self.path);
        }
    }

    fn attempt(&mut self, address: u8, request: &Request, frame: &[u8]) -> Result<Reply, MeterError> {
        // Respect t3.5 after the last frame so the slave sees this one start.
        let now = Instant::now();
        if self.line_busy_until > now {
            std::thread::sleep(self.line_busy_until - now);
        }
        // Drop whatever a late reply or line noise left in the input buffer.
        self.port.clear(ClearBuffer::Input).map_err(|e| self.io(io::Error::from(e)))?;
        self.port.write_all(frame).map_err(|e| self.io(e))?;
        self.port.flush().map_err(|e| self.io(e))?;
        let sent = Instant::now();
        self.line_busy_until = sent + self.gap;

        let reply = self.receive(request.function(), sent + self.timeout)?;
        self.line_busy_until = Instant::now() + self.gap;
        rtu::parse_reply(request, address, &reply).map_err(|e| match e {
            FrameError::Crc { got, computed } => MeterError::Crc { device: self.path.clone(), got, computed },
            FrameError::Garbage(reason) => self.garbage(reason),
        })
    }

    /// Reads one reply frame, as long as its header says it is, until `deadline`.
    fn receive(&mut self, function: u8, deadline: Instant) -> Result<Vec<u8>, MeterError> {
        let mut frame = Vec::with_capacity(rtu::MAX_FRAME);
        let mut chunk = [0u8; rtu::MAX_FRAME];
        loop {
            let wanted = match rtu::expect_reply(function, &frame) {
                Expect::Bytes(n) => n,
                Expect::Unknown => {
                    self.drain_into(&mut frame, &mut chunk);
                    return Err(self.garbage(format!(
                        "reply has function {:#04x} to a request with {function:#04x}: {}",
                        frame[1],
                        rtu::hex(&frame)
                    )));
                }
            };
            if frame.len() >= wanted {
                return Ok(frame);
            }
            if frame.len() >= rtu::MAX_FRAME {
                return Err(self.garbage(format!("a reply longer than {} bytes", rtu::MAX_FRAME)));
            }
            let now = Instant::now();
            if now >= deadline {
                if !frame.is_empty() {
                    log::debug!("{}: incomplete reply {}", self.path, rtu::hex(&frame));
                }
                return Err(MeterError::Timeout { device: self.path.clone(), timeout: self.timeout });
            }
            self.port.set_timeout(deadline - now).map_err(|e| self.io(io::Error::from(e)))?;
            let room = (wanted - frame.len()).min(chunk.len());
            match self.port.read(&mut chunk[..room]) {
                Ok(0) => std::thread::sleep(Duration::from_millis(1)),
                Ok(n) => frame.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock) => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io(e)),
            }
        }
    }

    /// Collects what else arrives until the line has been quiet a little, so a bad frame is
    /// reported whole and does not spill into the next request.
    fn drain_into(&mut self, frame: &mut Vec<u8>, chunk: &mut [u8]) {
        let quiet = self.gap.max(Duration::from_millis(20));
        if self.port.set_timeout(quiet).is_err() {
            return;
        }
        while frame.len() < rtu::MAX_FRAME {
            match self.port.read(chunk) {
                Ok(n) if n > 0 => frame.extend_from_slice(&chunk[..n]),
                _ => break,
            }
        }
    }

    fn io(&self, source: io::Error) -> MeterError {
        MeterError::Io { path: self.path.clone(), source }
    }

    fn garbage(&self, reason: String) -> MeterError {
        MeterError::Garbage { device: self.path.clone(), reason }
    }
}

/// Maps a serialport open error: a missing node or a denied permission get their own
/// variants; a busy port says so.
fn open_error(path: &str, error: serialport::Error) -> MeterError {
    match error.kind() {
        serialport::ErrorKind::NoDevice => MeterError::Io {
            path: path.to_owned(),
            source: io::Error::other(format!("{} (is another program using the port?)", error.description)),
        },
        _ => MeterError::from_open(path, io::Error::from(error)),
    }
}
