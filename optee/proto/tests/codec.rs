//! Every request and response: its fixed bytes, and the round trip through encode and decode.
//! A change to the encoding fails here before a client and an installed TA can disagree.

use evlock_tee_proto::{
    CodecError, Command, MAX_REQUEST, MAX_RESPONSE, Refusal, Request, Response, Signature, SlotsWriter,
    VERSION, check_slot_name,
};

fn hex(text: &str) -> Vec<u8> {
    let clean: String = text.split_whitespace().collect();
    (0..clean.len()).step_by(2).map(|i| u8::from_str_radix(&clean[i..i + 2], 16).unwrap()).collect()
}

fn encode_request(request: &Request) -> Vec<u8> {
    let mut out = [0u8; MAX_REQUEST];
    let len = request.encode(&mut out).unwrap();
    out[..len].to_vec()
}

fn encode_response(response: &Response) -> Vec<u8> {
    let mut out = [0u8; MAX_RESPONSE];
    let len = response.encode(&mut out).unwrap();
    out[..len].to_vec()
}

const DIGEST: [u8; 32] = [0x11; 32];

fn requests() -> Vec<(Request<'static>, u32, Vec<u8>)> {
    vec![
        (Request::Generate { slot: "meter-1" }, 1, hex("01 07 6d657465722d31")),
        (Request::PublicKey { slot: "meter-1" }, 2, hex("01 07 6d657465722d31")),
        (
            Request::Sign { slot: "m", digest: &DIGEST },
            3,
            hex("01 01 6d 20 1111111111111111111111111111111111111111111111111111111111111111"),
        ),
        (Request::List, 4, hex("01")),
        (Request::Delete { slot: "old.key_2" }, 5, hex("01 09 6f6c642e6b65795f32")),
    ]
}

#[test]
fn every_request_has_its_fixed_bytes_and_round_trips() {
    for (request, id, bytes) in requests() {
        assert_eq!(request.command().id(), id, "{request:?}");
        assert_eq!(encode_request(&request), bytes, "{request:?}");
        assert_eq!(Request::decode(id, &bytes).unwrap(), request);
    }
}

#[test]
fn a_digest_of_another_length_still_reaches_the_ta_to_be_refused_there() {
    let short = [7u8; 31];
    let bytes = encode_request(&Request::Sign { slot: "m", digest: &short });
    assert_eq!(bytes.len(), 1 + 2 + 1 + 31);
    assert_eq!(Request::decode(3, &bytes).unwrap(), Request::Sign { slot: "m", digest: &short });
}

fn public_key() -> [u8; 65] {
    let mut key = [0u8; 65];
    key[0] = 4;
    key[1..33].fill(0xaa);
    key[33..].fill(0xbb);
    key
}

#[test]
fn every_response_has_its_fixed_bytes_and_round_trips() {
    let mut names = [0u8; 64];
    let mut writer = SlotsWriter::new(&mut names).unwrap();
    writer.push("a").unwrap();
    writer.push("meter-1").unwrap();
    let len = writer.finish();
    let Response::Slots(slots) = Response::decode(Command::List, &names[..len]).unwrap() else {
        panic!("a slot list")
    };
    let signature = Signature { r: [0x22; 32], s: [0x33; 32], recovery_id: 1 };
    let cases: Vec<(Command, Response, Vec<u8>)> = vec![
        (
            Command::Generate,
            Response::PublicKey(public_key()),
            hex(&format!("01 00 04 {} {}", "aa".repeat(32), "bb".repeat(32))),
        ),
        (
            Command::PublicKey,
            Response::PublicKey(public_key()),
            hex(&format!("01 00 04 {} {}", "aa".repeat(32), "bb".repeat(32))),
        ),
        (
            Command::Sign,
            Response::Signature(signature),
            hex(&format!("01 00 {} {} 01", "22".repeat(32), "33".repeat(32))),
        ),
        (Command::List, Response::Slots(slots), hex("01 00 0002 01 61 07 6d657465722d31")),
        (Command::Delete, Response::Deleted, hex("01 00")),
    ];
    for (command, response, bytes) in cases {
        assert_eq!(encode_response(&response), bytes, "{command:?}");
        assert_eq!(Response::decode(command, &bytes).unwrap(), response, "{command:?}");
    }
    assert_eq!(slots.iter().collect::<Vec<_>>(), ["a", "meter-1"]);
    assert_eq!(slots.len(), 2);
    assert_eq!(&names[..len], hex("01 00 0002 01 61 07 6d657465722d31"));
}

#[test]
fn every_refusal_has_its_code_and_round_trips_for_every_command() {
    let codes: Vec<u8> = Refusal::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(codes, (1..=10).collect::<Vec<u8>>());
    for refusal in Refusal::ALL {
        let bytes = encode_response(&Response::Refused(refusal));
        assert_eq!(bytes, [VERSION, refusal.code()]);
        for command in Command::ALL {
            assert_eq!(Response::decode(command, &bytes).unwrap(), Response::Refused(refusal));
        }
    }
    assert_eq!(Response::decode(Command::Sign, &[1, 11]), Err(CodecError::UnknownStatus(11)));
}

#[test]
fn an_empty_list_is_a_zero_count() {
    let mut out = [0u8; 8];
    let len = SlotsWriter::new(&mut out).unwrap().finish();
    assert_eq!(&out[..len], [1, 0, 0, 0]);
    let Response::Slots(slots) = Response::decode(Command::List, &out[..len]).unwrap() else { panic!() };
    assert!(slots.is_empty());
}

#[test]
fn malformed_bytes_are_refused_with_the_reason() {
    assert_eq!(Request::decode(9, &[1]), Err(CodecError::UnknownCommand(9)));
    assert_eq!(Request::decode(4, &[2]), Err(CodecError::Version(2)));
    assert_eq!(Request::decode(4, &[]), Err(CodecError::Truncated));
    assert_eq!(Request::decode(4, &[1, 0]), Err(CodecError::TrailingBytes));
    assert_eq!(Request::decode(1, &[1, 5, b'a']), Err(CodecError::Truncated));
    assert_eq!(Request::decode(1, &[1, 1, 0xff]), Err(CodecError::NotUtf8));
    assert_eq!(Request::decode(3, &hex("01 01 6d")), Err(CodecError::Truncated));
    assert_eq!(Response::decode(Command::Sign, &[1, 0, 1, 2]), Err(CodecError::Truncated));
    assert_eq!(Response::decode(Command::Delete, &[1, 0, 0]), Err(CodecError::TrailingBytes));
    assert_eq!(Response::decode(Command::List, &hex("01 00 0002 01 61")), Err(CodecError::Truncated));
}

#[test]
fn encoding_refuses_what_does_not_fit() {
    let long = [0u8; 256];
    let mut out = [0u8; MAX_REQUEST];
    assert_eq!(Request::Sign { slot: "m", digest: &long }.encode(&mut out), Err(CodecError::TooLong));
    let mut small = [0u8; 4];
    assert_eq!(Request::Generate { slot: "meter-1" }.encode(&mut small), Err(CodecError::NoRoom));
    let mut tiny = [0u8; 6];
    let mut writer = SlotsWriter::new(&mut tiny).unwrap();
    writer.push("a").unwrap();
    assert_eq!(writer.push("b"), Err(CodecError::NoRoom));
    let len = writer.finish();
    assert_eq!(&tiny[..len], [1, 0, 0, 1, 1, b'a']);
}

#[test]
fn command_ids_and_slot_names() {
    for command in Command::ALL {
        assert_eq!(Command::from_id(command.id()), Some(command));
    }
    assert_eq!(Command::from_id(0), None);
    assert!(check_slot_name("meter-1").is_ok());
    assert!(check_slot_name("a.b_c-D9").is_ok());
    assert!(check_slot_name(&"x".repeat(32)).is_ok());
    assert!(check_slot_name("").is_err());
    assert!(check_slot_name(&"x".repeat(33)).is_err());
    assert!(check_slot_name("a/b").is_err());
    assert!(check_slot_name("é").is_err());
}

#[test]
fn the_uuid_is_a_uuid() {
    let uuid = evlock_tee_proto::UUID;
    let groups: Vec<usize> = uuid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12]);
    assert!(uuid.chars().all(|c| c == '-' || c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
}
