//! Every command of the TA core and every refusal, over an in-memory secure storage and
//! a seeded entropy source, both through the typed methods and through the bytes the
//! client sends ([`Core::handle`]).

use evlock_ta_core::memory::MemoryStorage;
use evlock_ta_core::{Core, Entropy, EntropyError, HandleError, OBJECT_PREFIX};
use evlock_tee_proto::{
    Command, MAX_REQUEST, MAX_RESPONSE, PUBLIC_KEY_LEN, Refusal, Request, Response, Signature,
};
use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, VerifyingKey};

/// Bytes from a counter-seeded xorshift, after an optional prefix of fixed draws.
struct SeededEntropy {
    state: u64,
    draws: Vec<[u8; 32]>,
    broken: bool,
}

impl SeededEntropy {
    fn new(seed: u64) -> Self {
        SeededEntropy { state: seed | 1, draws: Vec::new(), broken: false }
    }
}

impl Entropy for SeededEntropy {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), EntropyError> {
        if self.broken {
            return Err(EntropyError);
        }
        if !self.draws.is_empty() && buf.len() == 32 {
            buf.copy_from_slice(&self.draws.remove(0));
            return Ok(());
        }
        for byte in buf.iter_mut() {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            *byte = self.state as u8;
        }
        Ok(())
    }
}

fn core() -> Core<MemoryStorage, SeededEntropy> {
    Core::new(MemoryStorage::default(), SeededEntropy::new(7))
}

fn digest(n: u8) -> [u8; 32] {
    let mut d = [0u8; 32];
    for (i, b) in d.iter_mut().enumerate() {
        *b = n.wrapping_mul(31).wrapping_add(i as u8);
    }
    d
}

/// The public key a signature recovers to over `digest`.
fn recover(signature: &Signature, digest: &[u8]) -> [u8; PUBLIC_KEY_LEN] {
    let mut bytes = [0u8; 64];
    bytes[..32].copy_from_slice(&signature.r);
    bytes[32..].copy_from_slice(&signature.s);
    let sig = EcdsaSignature::from_slice(&bytes).unwrap();
    let recid = RecoveryId::from_byte(signature.recovery_id).unwrap();
    let key = VerifyingKey::recover_from_prehash(digest, &sig, recid).unwrap();
    key.to_sec1_point(false).as_bytes().try_into().unwrap()
}

const HALF_N: [u8; 32] = [
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x5d,
    0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
];

#[test]
fn generate_returns_the_public_key_of_the_stored_secret() {
    let mut core = core();
    let public = core.generate("meter-1").unwrap();
    assert_eq!(public[0], 4);
    let stored = &core.storage().objects[&b"evlock.key.meter-1".to_vec()];
    assert_eq!(stored.len(), 33);
    assert_eq!(stored[0], 1, "the record's format byte");
    let key = k256::ecdsa::SigningKey::from_slice(&stored[1..]).unwrap();
    assert_eq!(key.verifying_key().to_sec1_point(false).as_bytes(), public);
    assert_eq!(core.public_key("meter-1").unwrap(), public);
}

#[test]
fn generate_refuses_a_slot_that_exists_and_keeps_its_key() {
    let mut core = core();
    let first = core.generate("meter-1").unwrap();
    assert_eq!(core.generate("meter-1"), Err(Refusal::SlotExists));
    assert_eq!(core.public_key("meter-1").unwrap(), first);
    // Another slot gets another key.
    assert_ne!(core.generate("meter-2").unwrap(), first);
}

#[test]
fn generate_draws_again_when_the_bytes_are_no_valid_key() {
    let mut entropy = SeededEntropy::new(3);
    entropy.draws = vec![[0u8; 32], [0xff; 32]];
    let mut core = Core::new(MemoryStorage::default(), entropy);
    let public = core.generate("k").unwrap();
    let stored = &core.storage().objects[&b"evlock.key.k".to_vec()];
    assert!(stored[1..].iter().any(|b| *b != 0) && stored[1..].iter().any(|b| *b != 0xff));
    assert_eq!(core.public_key("k").unwrap(), public);
}

#[test]
fn generate_refuses_when_the_tee_has_no_entropy_and_stores_nothing() {
    let mut entropy = SeededEntropy::new(3);
    entropy.broken = true;
    let mut core = Core::new(MemoryStorage::default(), entropy);
    assert_eq!(core.generate("k"), Err(Refusal::Entropy));
    assert!(core.storage().objects.is_empty());
    // Only invalid draws, every try: refused too, nothing stored.
    let mut entropy = SeededEntropy::new(3);
    entropy.draws = vec![[0u8; 32]; 8];
    let mut core = Core::new(MemoryStorage::default(), entropy);
    assert_eq!(core.generate("k"), Err(Refusal::Entropy));
    assert!(core.storage().objects.is_empty());
}

#[test]
fn failing_storage_is_refused_as_storage() {
    let mut core = Core::new(MemoryStorage { fail: true, ..Default::default() }, SeededEntropy::new(1));
    assert_eq!(core.generate("k"), Err(Refusal::Storage));
    assert_eq!(core.public_key("k"), Err(Refusal::Storage));
    assert_eq!(core.sign("k", &digest(1)), Err(Refusal::Storage));
    assert_eq!(core.delete("k"), Err(Refusal::Storage));
    assert_eq!(core.list(&mut |_| {}), Err(Refusal::Storage));
}

#[test]
fn bad_slot_names_are_refused_by_every_command() {
    let mut core = core();
    for bad in ["", "a/b", "x y", &"x".repeat(33), "é"] {
        assert_eq!(core.generate(bad), Err(Refusal::BadSlotName), "{bad:?}");
        assert_eq!(core.public_key(bad), Err(Refusal::BadSlotName));
        assert_eq!(core.sign(bad, &digest(1)), Err(Refusal::BadSlotName));
        assert_eq!(core.delete(bad), Err(Refusal::BadSlotName));
    }
    assert!(core.storage().objects.is_empty());
}

#[test]
fn sign_recovers_to_the_slot_key_and_is_always_low_s() {
    let mut core = core();
    let public = core.generate("meter-1").unwrap();
    let mut parities = [0usize; 2];
    for n in 0..64u8 {
        let d = digest(n);
        let signature = core.sign("meter-1", &d).unwrap();
        assert!(signature.s <= HALF_N, "high-S for digest {n}");
        assert!(signature.recovery_id <= 1);
        parities[usize::from(signature.recovery_id)] += 1;
        assert_eq!(recover(&signature, &d), public, "digest {n}");
        // RFC 6979: the same digest gives the same signature.
        assert_eq!(core.sign("meter-1", &d).unwrap(), signature);
    }
    assert!(parities[0] > 0 && parities[1] > 0, "both recovery ids occur: {parities:?}");
}

#[test]
fn sign_refuses_a_digest_that_is_not_32_bytes() {
    let mut core = core();
    core.generate("k").unwrap();
    for len in [0usize, 1, 31, 33, 64, 255] {
        assert_eq!(core.sign("k", &vec![1u8; len]), Err(Refusal::BadDigest), "{len} bytes");
    }
}

#[test]
fn sign_and_public_key_refuse_an_unknown_slot() {
    let mut core = core();
    core.generate("a").unwrap();
    assert_eq!(core.sign("b", &digest(1)), Err(Refusal::UnknownSlot));
    assert_eq!(core.public_key("b"), Err(Refusal::UnknownSlot));
}

#[test]
fn a_corrupt_key_record_is_refused_not_used() {
    let mut core = core();
    core.generate("k").unwrap();
    let mut storage = MemoryStorage::default();
    storage.objects.insert(b"evlock.key.short".to_vec(), vec![1, 2, 3]);
    storage.objects.insert(b"evlock.key.format".to_vec(), [vec![9u8], vec![5u8; 32]].concat());
    storage.objects.insert(b"evlock.key.zero".to_vec(), vec![1u8; 1].into_iter().chain([0u8; 32]).collect());
    let mut core = Core::new(storage, SeededEntropy::new(1));
    for slot in ["short", "format", "zero"] {
        assert_eq!(core.sign(slot, &digest(1)), Err(Refusal::CorruptKey), "{slot}");
        assert_eq!(core.public_key(slot), Err(Refusal::CorruptKey), "{slot}");
    }
}

#[test]
fn delete_removes_the_slot_and_its_key() {
    let mut core = core();
    core.generate("a").unwrap();
    core.generate("b").unwrap();
    core.delete("a").unwrap();
    assert_eq!(core.sign("a", &digest(1)), Err(Refusal::UnknownSlot));
    assert_eq!(core.delete("a"), Err(Refusal::UnknownSlot));
    assert!(core.sign("b", &digest(1)).is_ok());
    assert_eq!(core.storage().objects.len(), 1);
    // The slot can be generated anew: a new key.
    core.generate("a").unwrap();
}

#[test]
fn list_names_the_core_slots_only() {
    let mut storage = MemoryStorage::default();
    storage.objects.insert(b"another-ta-object".to_vec(), vec![1]);
    storage.objects.insert(b"evlock.key.bad/name".to_vec(), vec![1]);
    let mut core = Core::new(storage, SeededEntropy::new(5));
    let mut names = Vec::new();
    core.list(&mut |name| names.push(name.to_string())).unwrap();
    assert!(names.is_empty());
    for slot in ["meter-1", "fee.payer", "b"] {
        core.generate(slot).unwrap();
    }
    core.list(&mut |name| names.push(name.to_string())).unwrap();
    names.sort();
    assert_eq!(names, ["b", "fee.payer", "meter-1"]);
}

// ---- through the bytes ----

fn invoke(core: &mut Core<MemoryStorage, SeededEntropy>, request: &Request) -> Vec<u8> {
    let mut input = [0u8; MAX_REQUEST];
    let len = request.encode(&mut input).unwrap();
    let mut output = [0u8; MAX_RESPONSE];
    let n = core.handle(request.command().id(), &input[..len], &mut output).unwrap();
    output[..n].to_vec()
}

#[test]
fn every_command_through_the_encoded_request_and_response() {
    let mut core = core();
    let bytes = invoke(&mut core, &Request::Generate { slot: "meter-1" });
    let Response::PublicKey(public) = Response::decode(Command::Generate, &bytes).unwrap() else {
        panic!("{bytes:?}")
    };
    let bytes = invoke(&mut core, &Request::PublicKey { slot: "meter-1" });
    assert_eq!(Response::decode(Command::PublicKey, &bytes).unwrap(), Response::PublicKey(public));
    let d = digest(9);
    let bytes = invoke(&mut core, &Request::Sign { slot: "meter-1", digest: &d });
    let Response::Signature(signature) = Response::decode(Command::Sign, &bytes).unwrap() else {
        panic!("{bytes:?}")
    };
    assert_eq!(recover(&signature, &d), public);
    let bytes = invoke(&mut core, &Request::List);
    let Response::Slots(slots) = Response::decode(Command::List, &bytes).unwrap() else { panic!() };
    assert_eq!(slots.iter().collect::<Vec<_>>(), ["meter-1"]);
    let bytes = invoke(&mut core, &Request::Delete { slot: "meter-1" });
    assert_eq!(Response::decode(Command::Delete, &bytes).unwrap(), Response::Deleted);
    let bytes = invoke(&mut core, &Request::List);
    let Response::Slots(slots) = Response::decode(Command::List, &bytes).unwrap() else { panic!() };
    assert!(slots.is_empty());
}

#[test]
fn every_refusal_through_the_bytes() {
    let mut core = core();
    invoke(&mut core, &Request::Generate { slot: "k" });
    let short = [1u8; 31];
    let cases: Vec<(Request, Refusal)> = vec![
        (Request::Generate { slot: "k" }, Refusal::SlotExists),
        (Request::Generate { slot: "a b" }, Refusal::BadSlotName),
        (Request::PublicKey { slot: "none" }, Refusal::UnknownSlot),
        (Request::Sign { slot: "k", digest: &short }, Refusal::BadDigest),
        (Request::Sign { slot: "none", digest: &[0u8; 32] }, Refusal::UnknownSlot),
        (Request::Delete { slot: "none" }, Refusal::UnknownSlot),
    ];
    for (request, refusal) in cases {
        let bytes = invoke(&mut core, &request);
        assert_eq!(
            Response::decode(request.command(), &bytes).unwrap(),
            Response::Refused(refusal),
            "{request:?}"
        );
    }
    let mut output = [0u8; MAX_RESPONSE];
    let n = core.handle(99, &[1], &mut output).unwrap();
    assert_eq!(&output[..n], [1, Refusal::UnknownCommand.code()]);
    for garbage in [&[][..], &[2][..], &[1, 200, 1][..], &[1, 1, b'k', 9][..]] {
        let n = core.handle(Command::Generate.id(), garbage, &mut output).unwrap();
        assert_eq!(&output[..n], [1, Refusal::BadRequest.code()], "{garbage:?}");
    }
}

#[test]
fn a_list_that_does_not_fit_is_refused_and_a_tiny_buffer_is_an_error() {
    let mut core = core();
    for i in 0..4 {
        core.generate(&format!("slot-{i}")).unwrap();
    }
    let mut input = [0u8; 8];
    let len = Request::List.encode(&mut input).unwrap();
    let mut output = [0u8; 20];
    let n = core.handle(Command::List.id(), &input[..len], &mut output).unwrap();
    assert_eq!(&output[..n], [1, Refusal::TooManySlots.code()]);
    let mut one = [0u8; 1];
    assert_eq!(core.handle(Command::List.id(), &input[..len], &mut one), Err(HandleError::OutputTooSmall));
    let len = Request::PublicKey { slot: "slot-0" }.encode(&mut input).unwrap();
    assert_eq!(
        core.handle(Command::PublicKey.id(), &input[..len], &mut output),
        Err(HandleError::OutputTooSmall)
    );
}

#[test]
fn no_response_ever_carries_a_private_key() {
    let mut core = core();
    let mut responses = Vec::new();
    for slot in ["a", "b"] {
        responses.push(invoke(&mut core, &Request::Generate { slot }));
        responses.push(invoke(&mut core, &Request::PublicKey { slot }));
        for n in 0..8 {
            responses.push(invoke(&mut core, &Request::Sign { slot, digest: &digest(n) }));
        }
    }
    responses.push(invoke(&mut core, &Request::List));
    let secrets: Vec<Vec<u8>> = core
        .storage()
        .objects
        .iter()
        .filter(|(id, _)| id.starts_with(OBJECT_PREFIX))
        .map(|(_, record)| record[1..].to_vec())
        .collect();
    assert_eq!(secrets.len(), 2);
    for response in &responses {
        for secret in &secrets {
            assert!(!response.windows(32).any(|w| w == secret.as_slice()), "a response holds a secret");
        }
    }
}

/// The TA's whole command set is the five of [`Command::ALL`], none of which returns a key's
/// secret: every other command id, with a slot holding a key and any argument bytes, is
/// refused as unknown and leaves the slot as it was (SECURITY.md rows 6 and 30).
#[test]
fn no_command_beyond_the_five_is_answered() {
    let mut core = core();
    let public = invoke(&mut core, &Request::Generate { slot: "meter-1" });
    let known: Vec<u32> = Command::ALL.iter().map(|c| c.id()).collect();
    assert_eq!(known, [1, 2, 3, 4, 5]);
    let mut input = [0u8; MAX_REQUEST];
    let slot_request = Request::PublicKey { slot: "meter-1" }.encode(&mut input).unwrap();
    let mut output = [0u8; MAX_RESPONSE];
    for id in (0..=1024).chain([u32::MAX, 1 << 16, 1 << 31]).filter(|id| !known.contains(id)) {
        assert_eq!(Command::from_id(id), None, "{id}");
        for args in [&input[..slot_request], &[][..], &[1, 0][..]] {
            let n = core.handle(id, args, &mut output).unwrap();
            assert_eq!(&output[..n], [1, Refusal::UnknownCommand.code()], "command {id}");
        }
    }
    assert_eq!(invoke(&mut core, &Request::PublicKey { slot: "meter-1" }), public, "the slot is as it was");
}
