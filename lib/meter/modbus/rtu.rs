//! Modbus RTU framing: the CRC, request frames, reply frames and the line timing.
//!
//! Sources: *MODBUS Application Protocol Specification V1.1b3* (function codes, PDU layouts,
//! exception replies: §6.3, §6.4, §6.6, §6.12, §7) and *MODBUS over Serial Line
//! Specification and Implementation Guide V1.02* (RTU framing and timing: §2.5.1.1; the CRC:
//! §2.5.1.2 and §6.2.2). Nothing here does I/O: the client and the slave simulator both build
//! and check their frames with these functions.

use std::fmt;
use std::time::Duration;

/// Function 0x03, Read Holding Registers (Application Protocol §6.3).
pub const READ_HOLDING_REGISTERS: u8 = 0x03;
/// Function 0x04, Read Input Registers (Application Protocol §6.4).
pub const READ_INPUT_REGISTERS: u8 = 0x04;
/// Function 0x06, Write Single Register (Application Protocol §6.6).
pub const WRITE_SINGLE_REGISTER: u8 = 0x06;
/// Function 0x10, Write Multiple Registers (Application Protocol §6.12).
pub const WRITE_MULTIPLE_REGISTERS: u8 = 0x10;
/// The PZEM-004T v3 energy reset, a vendor function (PZEM-004T V3.0 manual §2.5): the request
/// and the correct reply are both `address, 0x42, CRC`.
pub const PZEM_RESET_ENERGY: u8 = 0x42;

/// The most registers one read may ask for: 1 to 125 (0x7D), Application Protocol §6.3/§6.4.
pub const MAX_READ_REGISTERS: u16 = 125;
/// The most registers one write may carry: 1 to 123 (0x7B), Application Protocol §6.12.
pub const MAX_WRITE_REGISTERS: u16 = 123;
/// The longest RTU frame: 256 bytes (Serial Line §2.5.1).
pub const MAX_FRAME: usize = 256;
/// The highest unicast slave address; 0 is broadcast, 248–255 are reserved (Serial Line §2.2).
pub const MAX_SLAVE_ADDRESS: u8 = 247;

/// Which register table a read addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReadFunction {
    /// Function 0x03: holding registers (configuration, read-write).
    Holding,
    /// Function 0x04: input registers (measurements, read-only).
    Input,
}

impl ReadFunction {
    /// The function code on the wire.
    pub fn code(self) -> u8 {
        match self {
            ReadFunction::Holding => READ_HOLDING_REGISTERS,
            ReadFunction::Input => READ_INPUT_REGISTERS,
        }
    }
}

impl TryFrom<u8> for ReadFunction {
    type Error = String;

    fn try_from(code: u8) -> Result<Self, String> {
        match code {
            READ_HOLDING_REGISTERS => Ok(ReadFunction::Holding),
            READ_INPUT_REGISTERS => Ok(ReadFunction::Input),
            other => Err(format!(
                "function {other:#04x} does not read registers (3 = holding registers, 4 = input registers)"
            )),
        }
    }
}

impl fmt::Display for ReadFunction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadFunction::Holding => write!(f, "0x03 (read holding registers)"),
            ReadFunction::Input => write!(f, "0x04 (read input registers)"),
        }
    }
}

/// CRC-16/MODBUS of `bytes`: polynomial 0xA001 (reflected 0x8005), initial value 0xFFFF
/// (Serial Line §6.2.2). On the wire the low byte goes first.
pub fn crc16(bytes: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in bytes {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            let carry = crc & 1 != 0;
            crc >>= 1;
            if carry {
                crc ^= 0xA001;
            }
        }
    }
    crc
}

/// Appends the CRC of `frame`, low byte first.
pub fn append_crc(frame: &mut Vec<u8>) {
    let crc = crc16(frame);
    frame.extend_from_slice(&crc.to_le_bytes());
}

/// Checks the CRC at the end of a complete frame; on a mismatch returns
/// `(crc in the frame, crc computed)`.
pub fn check_crc(frame: &[u8]) -> Result<(), (u16, u16)> {
    if frame.len() < 3 {
        return Err((0, 0));
    }
    let (body, tail) = frame.split_at(frame.len() - 2);
    let got = u16::from_le_bytes([tail[0], tail[1]]);
    let computed = crc16(body);
    if got == computed { Ok(()) } else { Err((got, computed)) }
}

/// A request a master sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Read `count` registers from `start` (function 0x03 or 0x04).
    Read {
        /// Holding or input registers.
        function: ReadFunction,
        /// The first register's address (0-based, as on the wire).
        start: u16,
        /// How many registers, 1 to 125.
        count: u16,
    },
    /// Write one holding register (function 0x06).
    WriteSingle {
        /// The register's address.
        register: u16,
        /// Its new value.
        value: u16,
    },
    /// Write consecutive holding registers (function 0x10).
    WriteMultiple {
        /// The first register's address.
        start: u16,
        /// The values, 1 to 123 of them.
        values: Vec<u16>,
    },
    /// A vendor command with no data whose correct reply echoes it, such as the PZEM-004T's
    /// energy reset (0x42).
    Command {
        /// The function code.
        function: u8,
    },
}

impl Request {
    /// The request's function code.
    pub fn function(&self) -> u8 {
        match self {
            Request::Read { function, .. } => function.code(),
            Request::WriteSingle { .. } => WRITE_SINGLE_REGISTER,
            Request::WriteMultiple { .. } => WRITE_MULTIPLE_REGISTERS,
            Request::Command { function } => *function,
        }
    }

    /// Why this request cannot be sent, if it cannot (counts out of range, address overflow).
    pub fn problem(&self) -> Option<String> {
        match self {
            Request::Read { start, count, .. } => {
                if *count == 0 || *count > MAX_READ_REGISTERS {
                    Some(format!("a read asks for 1 to {MAX_READ_REGISTERS} registers, not {count}"))
                } else if u32::from(*start) + u32::from(*count) > 0x1_0000 {
                    Some(format!("registers {start:#06x} + {count} run past 0xffff"))
                } else {
                    None
                }
            }
            Request::WriteMultiple { start, values } => {
                let count = values.len();
                if count == 0 || count > usize::from(MAX_WRITE_REGISTERS) {
                    Some(format!("a write carries 1 to {MAX_WRITE_REGISTERS} registers, not {count}"))
                } else if usize::from(*start) + count > 0x1_0000 {
                    Some(format!("registers {start:#06x} + {count} run past 0xffff"))
                } else {
                    None
                }
            }
            Request::Command { function } if *function & 0x80 != 0 || *function == 0 => {
                Some(format!("{function:#04x} is not a valid function code (1 to 127)"))
            }
            _ => None,
        }
    }

    /// The complete RTU frame (address, PDU, CRC) for slave `address`.
    pub fn encode(&self, address: u8) -> Vec<u8> {
        let mut frame = Vec::with_capacity(16);
        frame.push(address);
        frame.push(self.function());
        match self {
            Request::Read { start, count, .. } => {
                frame.extend_from_slice(&start.to_be_bytes());
                frame.extend_from_slice(&count.to_be_bytes());
            }
            Request::WriteSingle { register, value } => {
                frame.extend_from_slice(&register.to_be_bytes());
                frame.extend_from_slice(&value.to_be_bytes());
            }
            Request::WriteMultiple { start, values } => {
                frame.extend_from_slice(&start.to_be_bytes());
                frame.extend_from_slice(&(values.len() as u16).to_be_bytes());
                frame.push((values.len() * 2) as u8);
                for value in values {
                    frame.extend_from_slice(&value.to_be_bytes());
                }
            }
            Request::Command { .. } => {}
        }
        append_crc(&mut frame);
        frame
    }

    /// The length of the correct (non-exception) reply, when it does not depend on the reply.
    pub fn reply_len(&self) -> usize {
        match self {
            // address, function, byte count, 2 bytes per register, CRC
            Request::Read { count, .. } => 5 + 2 * usize::from(*count),
            // address, function, register/start, value/count, CRC (§6.6, §6.12)
            Request::WriteSingle { .. } | Request::WriteMultiple { .. } => 8,
            Request::Command { .. } => 4,
        }
    }
}

/// How much of a reply has to arrive before it is complete, judged from what has arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// The frame is complete at this many bytes (perhaps revised once more header arrives).
    Bytes(usize),
    /// The function byte matches neither the request nor its exception: the length is unknown.
    Unknown,
}

/// What to wait for when the reply to a request with function `function` starts with `head`.
///
/// A reply is the request's function with data, or the function with bit 7 set and one
/// exception code (Application Protocol §7): five bytes in RTU.
pub fn expect_reply(function: u8, head: &[u8]) -> Expect {
    if head.len() < 2 {
        return Expect::Bytes(2);
    }
    let got = head[1];
    if got == function | 0x80 {
        return Expect::Bytes(5);
    }
    if got != function {
        return Expect::Unknown;
    }
    match function {
        READ_HOLDING_REGISTERS | READ_INPUT_REGISTERS => match head.get(2) {
            None => Expect::Bytes(3),
            Some(&byte_count) => Expect::Bytes(5 + usize::from(byte_count)),
        },
        WRITE_SINGLE_REGISTER | WRITE_MULTIPLE_REGISTERS => Expect::Bytes(8),
        _ => Expect::Bytes(4),
    }
}

/// A decoded correct reply, or an exception reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The registers a read returned.
    Registers(Vec<u16>),
    /// A write or command was acknowledged.
    Done,
    /// The slave refused with this exception code.
    Exception(u8),
}

/// Why a complete frame is not a valid reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The CRC does not match.
    Crc {
        /// The CRC in the frame.
        got: u16,
        /// The CRC of its bytes.
        computed: u16,
    },
    /// Wrong address, function, length or echo.
    Garbage(String),
}

/// Checks a complete reply frame from slave `address` to `request` and decodes it. The CRC is
/// checked first: until it passes, no other byte can be trusted.
pub fn parse_reply(request: &Request, address: u8, frame: &[u8]) -> Result<Reply, FrameError> {
    if frame.len() < 4 {
        return Err(FrameError::Garbage(format!("a {}-byte frame is too short", frame.len())));
    }
    check_crc(frame).map_err(|(got, computed)| FrameError::Crc { got, computed })?;
    let body = &frame[..frame.len() - 2];
    if body[0] != address {
        return Err(FrameError::Garbage(format!("reply from slave {}, asked slave {address}", body[0])));
    }
    let function = request.function();
    if body[1] == function | 0x80 {
        if body.len() != 3 {
            return Err(FrameError::Garbage(format!(
                "exception reply of {} bytes (expected 5)",
                frame.len()
            )));
        }
        return Ok(Reply::Exception(body[2]));
    }
    if body[1] != function {
        return Err(FrameError::Garbage(format!(
            "reply has function {:#04x}, asked {function:#04x}",
            body[1]
        )));
    }
    match request {
        Request::Read { count, .. } => {
            let Some(&byte_count) = body.get(2) else {
                return Err(FrameError::Garbage("a read reply without its byte count".into()));
            };
            let byte_count = usize::from(byte_count);
            let data = &body[3..];
            if byte_count != 2 * usize::from(*count) || data.len() != byte_count {
                return Err(FrameError::Garbage(format!(
                    "asked for {count} registers, the reply carries {} bytes (byte count {byte_count})",
                    data.len()
                )));
            }
            Ok(Reply::Registers(data.chunks_exact(2).map(|w| u16::from_be_bytes([w[0], w[1]])).collect()))
        }
        Request::WriteSingle { .. } | Request::WriteMultiple { .. } | Request::Command { .. } => {
            // A correct write reply echoes the request's address/value or address/count fields.
            let sent = request.encode(address);
            let echo_len = request.reply_len() - 2;
            if body.len() != echo_len || body[..] != sent[..echo_len] {
                return Err(FrameError::Garbage(format!(
                    "the reply {} does not echo the request {}",
                    hex(body),
                    hex(&sent[..sent.len() - 2])
                )));
            }
            Ok(Reply::Done)
        }
    }
}

/// Bits on the wire per character: start bit, 8 data bits, optional parity bit, stop bits.
pub fn bits_per_char(parity: bool, stop_bits: u8) -> u32 {
    1 + 8 + u32::from(parity) + u32::from(stop_bits)
}

/// The time one character takes on the line.
pub fn char_time(baud: u32, bits_per_char: u32) -> Duration {
    Duration::from_nanos(u64::from(bits_per_char) * 1_000_000_000 / u64::from(baud.max(1)))
}

/// The RTU inter-frame gap t3.5: 3.5 character times, or a fixed 1.75 ms above 19200 baud
/// (Serial Line §2.5.1.1, "the implementation of RTU reception driver").
pub fn inter_frame_gap(baud: u32, bits_per_char: u32) -> Duration {
    if baud > 19_200 { Duration::from_micros(1_750) } else { char_time(baud, bits_per_char) * 7 / 2 }
}

/// Bytes as spaced hex (`01 04 00 00`), for error messages; long frames are cut.
pub fn hex(bytes: &[u8]) -> String {
    const SHOWN: usize = 24;
    let mut text: Vec<String> = bytes.iter().take(SHOWN).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > SHOWN {
        text.push(format!("… ({} bytes)", bytes.len()));
    }
    text.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_pzem_manual_read_example() {
        // PZEM-004T V3.0 manual §2.3: reading 10 input registers from slave 1 is
        // 01 04 00 00 00 0A followed by the CRC, sent low byte first: 70 0D.
        let frame = Request::Read { function: ReadFunction::Input, start: 0, count: 10 }.encode(1);
        assert_eq!(frame, [0x01, 0x04, 0x00, 0x00, 0x00, 0x0A, 0x70, 0x0D]);
        assert_eq!(crc16(&frame[..6]), 0x0D70);
        assert!(check_crc(&frame).is_ok());
    }

    #[test]
    fn crc_matches_published_vectors() {
        // The CRC-16/MODBUS check value of "123456789" is 0x4B37 (the CRC catalogue's check).
        assert_eq!(crc16(b"123456789"), 0x4B37);
        // Serial Line §6.2.2 example frame: 02 07 has CRC 0x1241, sent as 41 12.
        let mut frame = vec![0x02, 0x07];
        append_crc(&mut frame);
        assert_eq!(frame, [0x02, 0x07, 0x41, 0x12]);
        // A SolarNetwork capture of an SDM120 baud change and its reply.
        assert!(
            check_crc(&[0x01, 0x10, 0x00, 0x1C, 0x00, 0x02, 0x04, 0x40, 0x00, 0x00, 0x00, 0xE7, 0x36])
                .is_ok()
        );
        assert!(check_crc(&[0x01, 0x10, 0x00, 0x1C, 0x00, 0x02, 0x80, 0x0E]).is_ok());
    }

    #[test]
    fn a_flipped_bit_fails_the_crc() {
        let mut frame = Request::WriteSingle { register: 2, value: 5 }.encode(1);
        frame[4] ^= 0x01;
        let (got, computed) = check_crc(&frame).unwrap_err();
        assert_ne!(got, computed);
    }

    #[test]
    fn requests_encode_as_the_spec_lays_them_out() {
        let single = Request::WriteSingle { register: 0x0002, value: 0x0005 }.encode(0x11);
        assert_eq!(&single[..6], [0x11, 0x06, 0x00, 0x02, 0x00, 0x05]);
        let multiple = Request::WriteMultiple { start: 0x001C, values: vec![0x4000, 0x0000] }.encode(1);
        assert_eq!(
            multiple,
            [0x01, 0x10, 0x00, 0x1C, 0x00, 0x02, 0x04, 0x40, 0x00, 0x00, 0x00, 0xE7, 0x36],
            "matches the SDM120 capture"
        );
        let reset = Request::Command { function: PZEM_RESET_ENERGY }.encode(1);
        assert_eq!(reset.len(), 4);
        assert_eq!(&reset[..2], [0x01, 0x42]);
    }

    #[test]
    fn request_limits_are_checked() {
        let read = |count| Request::Read { function: ReadFunction::Holding, start: 0, count };
        assert!(read(1).problem().is_none());
        assert!(read(125).problem().is_none());
        assert!(read(0).problem().unwrap().contains("1 to 125"));
        assert!(read(126).problem().unwrap().contains("not 126"));
        let past_end = Request::Read { function: ReadFunction::Input, start: 0xFFFF, count: 2 };
        assert!(past_end.problem().unwrap().contains("past 0xffff"));
        let write = Request::WriteMultiple { start: 0, values: vec![0; 124] };
        assert!(write.problem().unwrap().contains("1 to 123"));
        assert!(Request::Command { function: 0x82 }.problem().is_some());
    }

    #[test]
    fn the_pzem_manual_reply_parses() {
        // PZEM-004T V3.0 manual §2.3, the reply to the read above: 220.0 V, 1.000 A, 220.0 W,
        // 0 Wh, 50.0 Hz, PF 1.00, no alarm (the manual writes the CRC as HH LL).
        let mut frame = vec![
            0x01, 0x04, 0x14, 0x08, 0x98, 0x03, 0xE8, 0x00, 0x00, 0x08, 0x98, 0x00, 0x00, 0x00, 0x00, 0x00,
            0x00, 0x01, 0xF4, 0x00, 0x64, 0x00, 0x00,
        ];
        append_crc(&mut frame);
        let request = Request::Read { function: ReadFunction::Input, start: 0, count: 10 };
        assert_eq!(expect_reply(0x04, &frame[..2]), Expect::Bytes(3));
        assert_eq!(expect_reply(0x04, &frame[..3]), Expect::Bytes(25));
        let Reply::Registers(words) = parse_reply(&request, 1, &frame).unwrap() else { panic!("registers") };
        assert_eq!(words, [0x0898, 0x03E8, 0x0000, 0x0898, 0x0000, 0x0000, 0x0000, 0x01F4, 0x0064, 0x0000]);
    }

    #[test]
    fn bad_replies_are_named() {
        let request = Request::Read { function: ReadFunction::Input, start: 0, count: 2 };
        let mut wrong_address = vec![0x02, 0x04, 0x04, 0, 1, 0, 2];
        append_crc(&mut wrong_address);
        let FrameError::Garbage(reason) = parse_reply(&request, 1, &wrong_address).unwrap_err() else {
            panic!("garbage")
        };
        assert!(reason.contains("slave 2"), "{reason}");

        let mut short = vec![0x01, 0x04, 0x02, 0, 1];
        append_crc(&mut short);
        let FrameError::Garbage(reason) = parse_reply(&request, 1, &short).unwrap_err() else { panic!() };
        assert!(reason.contains("asked for 2 registers"), "{reason}");

        // Address and function with a valid CRC but nothing else: named, not a panic.
        let mut bare = vec![0x01, 0x04];
        append_crc(&mut bare);
        let FrameError::Garbage(reason) = parse_reply(&request, 1, &bare).unwrap_err() else { panic!() };
        assert!(reason.contains("byte count"), "{reason}");

        let mut other_function = vec![0x01, 0x03, 0x04, 0, 1, 0, 2];
        append_crc(&mut other_function);
        assert_eq!(expect_reply(0x04, &other_function), Expect::Unknown);
        let FrameError::Garbage(reason) = parse_reply(&request, 1, &other_function).unwrap_err() else {
            panic!()
        };
        assert!(reason.contains("function 0x03"), "{reason}");

        let mut exception = vec![0x01, 0x84, 0x02];
        append_crc(&mut exception);
        assert_eq!(expect_reply(0x04, &exception[..2]), Expect::Bytes(5));
        assert_eq!(parse_reply(&request, 1, &exception).unwrap(), Reply::Exception(0x02));

        let mut corrupt = exception.clone();
        corrupt[4] ^= 0xFF;
        assert!(matches!(parse_reply(&request, 1, &corrupt), Err(FrameError::Crc { .. })));
    }

    #[test]
    fn write_replies_must_echo() {
        let request = Request::WriteSingle { register: 1, value: 100 };
        let echo = request.encode(1);
        assert_eq!(parse_reply(&request, 1, &echo).unwrap(), Reply::Done);
        let mut altered = echo[..6].to_vec();
        altered[5] = 99;
        append_crc(&mut altered);
        let FrameError::Garbage(reason) = parse_reply(&request, 1, &altered).unwrap_err() else { panic!() };
        assert!(reason.contains("does not echo"), "{reason}");

        let multiple = Request::WriteMultiple { start: 0x1C, values: vec![0x4000, 0] };
        let mut ack = vec![0x01, 0x10, 0x00, 0x1C, 0x00, 0x02];
        append_crc(&mut ack);
        assert_eq!(parse_reply(&multiple, 1, &ack).unwrap(), Reply::Done);

        let reset = Request::Command { function: PZEM_RESET_ENERGY };
        assert_eq!(parse_reply(&reset, 7, &reset.encode(7)).unwrap(), Reply::Done);
    }

    #[test]
    fn timing_follows_the_serial_line_spec() {
        // 9600 baud, 8N1: 10 bits per character, 1.0417 ms each, t3.5 = 3.646 ms.
        let bits = bits_per_char(false, 1);
        assert_eq!(bits, 10);
        assert_eq!(char_time(9600, bits), Duration::from_nanos(1_041_666));
        assert_eq!(inter_frame_gap(9600, bits), Duration::from_nanos(3_645_831));
        // 8E1 at 19200 still scales: 11 bits, t3.5 = 2.005 ms.
        assert_eq!(inter_frame_gap(19_200, bits_per_char(true, 1)), Duration::from_nanos(2_005_206));
        // Above 19200 baud the gap is fixed at 1.75 ms.
        assert_eq!(inter_frame_gap(38_400, bits), Duration::from_micros(1_750));
        assert_eq!(inter_frame_gap(115_200, bits), Duration::from_micros(1_750));
    }
}
