//! The link's frames: one JSON object per line with a `"link"` type (see [the protocol](super)).
//!
//! ```
//! use evlock::link::frame::Frame;
//! let frame = Frame::parse(r#"{"link":"data","seq":7,"record":{"kind":"reading","v":1}}"#).unwrap();
//! assert!(matches!(frame, Frame::Data { seq: 7, .. }));
//! assert_eq!(Frame::data_line(7, r#"{"kind":"reading","v":1}"#),
//!            r#"{"link":"data","seq":7,"record":{"kind":"reading","v":1}}"#);
//! assert_eq!(Frame::Ack { stream: "s1".into(), seq: 7 }.to_line(), r#"{"link":"ack","stream":"s1","seq":7}"#);
//! ```

use serde_json::{Map, Value, json};

/// The protocol version in `hello`.
pub const PROTOCOL_VERSION: u64 = 1;

/// The ALPN protocol name meters offer.
pub const ALPN: &[u8] = b"evlock-link/1";

/// What a frame may add to a record on the wire: the frame limit is the record limit plus this.
pub const FRAME_OVERHEAD: usize = 1024;

/// One frame.
#[derive(Debug, Clone, PartialEq)]
pub enum Frame {
    /// The first frame of each side: its outgoing stream.
    Hello {
        /// The protocol version (1).
        v: u64,
        /// The sender's stream id.
        stream: String,
    },
    /// One record of the sender's stream.
    Data {
        /// Its number, from 1.
        seq: u64,
        /// The record (a JSON object).
        record: Value,
    },
    /// Everything of the peer's `stream` up to `seq` is written and flushed.
    Ack {
        /// The peer's stream.
        stream: String,
        /// The highest record written.
        seq: u64,
    },
    /// Shared mode ([`super::mqtt`]): these records of the peer's `stream` are written, each
    /// on its own (not cumulative).
    Acks {
        /// The peer's stream.
        stream: String,
        /// The records.
        seqs: Vec<u64>,
    },
    /// Record `seq` was taken but will not be written.
    Refused {
        /// The record's number.
        seq: u64,
        /// A stable snake_case code.
        code: String,
        /// Why, for humans.
        message: String,
    },
    /// Are you there?
    Ping,
    /// Yes.
    Pong,
    /// The sender closes the connection.
    Bye {
        /// Why (`closing` for a plain stop).
        code: String,
        /// Why, for humans.
        message: String,
    },
}

fn take_u64(map: &Map<String, Value>, field: &str) -> Result<u64, String> {
    map.get(field).and_then(Value::as_u64).ok_or_else(|| format!("`{field}` must be a non-negative integer"))
}

fn take_string(map: &mut Map<String, Value>, field: &str) -> Result<String, String> {
    match map.remove(field) {
        Some(Value::String(s)) => Ok(s),
        _ => Err(format!("`{field}` must be a string")),
    }
}

impl Frame {
    /// Parses one line (without its newline).
    pub fn parse(text: &str) -> Result<Frame, String> {
        let mut map = match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => return Err("a frame must be a JSON object".into()),
            Err(e) => return Err(format!("not JSON ({e})")),
        };
        let kind = match map.get("link") {
            Some(Value::String(kind)) => kind.clone(),
            _ => return Err("a frame needs a string `link` field".into()),
        };
        Ok(match kind.as_str() {
            "data" => {
                let seq = take_u64(&map, "seq")?;
                match map.remove("record") {
                    Some(record @ Value::Object(_)) => Frame::Data { seq, record },
                    _ => return Err("`record` must be a JSON object".into()),
                }
            }
            "ack" => Frame::Ack { seq: take_u64(&map, "seq")?, stream: take_string(&mut map, "stream")? },
            "acks" => {
                let seqs = map
                    .get("seqs")
                    .and_then(Value::as_array)
                    .and_then(|seqs| seqs.iter().map(Value::as_u64).collect::<Option<Vec<u64>>>())
                    .ok_or("`seqs` must be a list of non-negative integers")?;
                Frame::Acks { seqs, stream: take_string(&mut map, "stream")? }
            }
            "hello" => Frame::Hello { v: take_u64(&map, "v")?, stream: take_string(&mut map, "stream")? },
            "refused" => Frame::Refused {
                seq: take_u64(&map, "seq")?,
                code: take_string(&mut map, "code")?,
                message: take_string(&mut map, "message").unwrap_or_default(),
            },
            "ping" => Frame::Ping,
            "pong" => Frame::Pong,
            "bye" => Frame::Bye {
                code: take_string(&mut map, "code").unwrap_or_else(|_| "closing".into()),
                message: take_string(&mut map, "message").unwrap_or_default(),
            },
            other => return Err(format!("unknown frame type {other:?}")),
        })
    }

    /// The frame as one line (without the newline).
    pub fn to_line(&self) -> String {
        let value = match self {
            Frame::Hello { v, stream } => json!({"link": "hello", "v": v, "stream": stream}),
            Frame::Data { seq, record } => json!({"link": "data", "seq": seq, "record": record}),
            Frame::Ack { stream, seq } => json!({"link": "ack", "stream": stream, "seq": seq}),
            Frame::Acks { stream, seqs } => json!({"link": "acks", "stream": stream, "seqs": seqs}),
            Frame::Refused { seq, code, message } => {
                json!({"link": "refused", "seq": seq, "code": code, "message": message})
            }
            Frame::Ping => json!({"link": "ping"}),
            Frame::Pong => json!({"link": "pong"}),
            Frame::Bye { code, message } => json!({"link": "bye", "code": code, "message": message}),
        };
        value.to_string()
    }

    /// Shared mode's `data` frame ([`super::mqtt`]): it also names the sender's stream and
    /// its floor (every record below `floor` is acknowledged), since each may reach another
    /// receiver and none saw the sender's `hello`.
    pub fn shared_data_line(stream: &str, floor: u64, seq: u64, record_json: &str) -> String {
        let mut line = String::with_capacity(record_json.len() + 100);
        line.push_str(r#"{"link":"data","stream":"#);
        line.push_str(&Value::from(stream).to_string());
        line.push_str(r#","floor":"#);
        line.push_str(&floor.to_string());
        line.push_str(r#","seq":"#);
        line.push_str(&seq.to_string());
        line.push_str(r#","record":"#);
        line.push_str(record_json);
        line.push('}');
        line
    }

    /// A `data` frame around a record that is already compact JSON (the spool keeps records
    /// as text, so sending never re-encodes them).
    pub fn data_line(seq: u64, record_json: &str) -> String {
        let mut line = String::with_capacity(record_json.len() + 40);
        line.push_str(r#"{"link":"data","seq":"#);
        line.push_str(&seq.to_string());
        line.push_str(r#","record":"#);
        line.push_str(record_json);
        line.push('}');
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_round_trips() {
        let frames = [
            Frame::Hello { v: 1, stream: "a1".into() },
            Frame::Data { seq: 3, record: json!({"kind": "x", "v": 1, "meta": {"to": "m"}}) },
            Frame::Ack { stream: "a1".into(), seq: 0 },
            Frame::Acks { stream: "a1".into(), seqs: vec![3, 5, 4] },
            Frame::Refused { seq: 4, code: "peer_mismatch".into(), message: "no".into() },
            Frame::Ping,
            Frame::Pong,
            Frame::Bye { code: "idle_timeout".into(), message: "quiet for 60s".into() },
        ];
        for frame in frames {
            assert_eq!(Frame::parse(&frame.to_line()).unwrap(), frame);
        }
    }

    // Found by the link_frame fuzz target: without serde_json's correctly rounded float parser
    // (`float_roundtrip`), 7.777777777777777e52 (the float nearest to 52 sevens and a zero, as
    // written in its shortest form) read as the float below it, so a record's figure could
    // change in the last place at a hop.
    #[test]
    fn a_records_numbers_cross_the_link_unchanged() {
        let texts =
            ["7.777777777777777e52", "0.1", "1e-7", "2.2250738585072014e-308", "1.7976931348623157e308"];
        for text in texts.into_iter().chain(["5e-324", "123456.789", "0.30000000000000004"]) {
            let number: f64 = text.parse().unwrap();
            let first =
                Frame::Data { seq: 1, record: json!({ "kind": "reading", "v": 1, "energy_wh": number }) };
            let mut frame = first.clone();
            for hop in 0..3 {
                frame = Frame::parse(&frame.to_line()).unwrap();
                assert_eq!(frame, first, "{text}, hop {hop}");
            }
            let Frame::Data { record, .. } = frame else { panic!("{frame:?}") };
            assert_eq!(record["energy_wh"].as_f64().unwrap().to_bits(), number.to_bits(), "{text}");
        }
    }

    #[test]
    fn data_lines_built_from_record_text_are_the_frames_own_lines() {
        let record = json!({"kind": "reading", "v": 1, "energy_wh": 0.5, "meta": {"to": "m\"1"}});
        let text = record.to_string();
        let frame = Frame::Data { seq: 42, record: record.clone() };
        assert_eq!(Frame::data_line(42, &text), frame.to_line());
        assert_eq!(Frame::parse(&Frame::data_line(42, &text)).unwrap(), frame);

        // Shared mode's line: the same data frame, plus the sender's stream (escaped) and floor.
        let line = Frame::shared_data_line("op\"1", 40, 42, &text);
        assert_eq!(Frame::parse(&line).unwrap(), frame);
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(
            value,
            json!({"link": "data", "stream": "op\"1", "floor": 40, "seq": 42, "record": record})
        );
    }

    #[test]
    fn bad_frames_say_what_is_wrong() {
        assert!(Frame::parse("[1]").unwrap_err().contains("JSON object"));
        assert!(Frame::parse("{}").unwrap_err().contains("`link`"));
        assert!(Frame::parse(r#"{"link":"data","seq":-1,"record":{}}"#).unwrap_err().contains("seq"));
        assert!(Frame::parse(r#"{"link":"data","seq":1,"record":"x"}"#).unwrap_err().contains("record"));
        assert!(Frame::parse(r#"{"link":"nope"}"#).unwrap_err().contains("unknown frame type"));
        assert!(Frame::parse("{\"link\":").unwrap_err().contains("not JSON"));
        // Unknown fields are ignored (a later version may add some).
        assert_eq!(Frame::parse(r#"{"link":"ping","extra":1}"#).unwrap(), Frame::Ping);
    }
}
