//! `evlock-keygen`: mnemonics, HD accounts and encrypted keystores.

use std::io::Read;
use std::path::{Path, PathBuf};

use alloy_primitives::Address;
use clap::{ArgGroup, Args, Parser, Subcommand};
use zeroize::Zeroizing;

use super::common::{PasswordArgs, TokenArgs};
use crate::cli::docs::{command_help, tool_help};
use crate::cli::{GlobalArgs, Tool};
use crate::exit::{ExitCode, Failure};
use crate::keys::files::{read_secret_file, write_secret_file};
use crate::keys::hd::{BasePath, DEFAULT_BASE_PATH, derive_key};
use crate::keys::keystore::{Format, Kdf, Keystore, ROLES, encrypt_v3_for, encrypt_v4_for};
use crate::keys::mnemonic::Phrase;
use crate::keys::{KeyError, SecretKey};
use crate::signer::{HeldKey, KeyUri};
use crate::wire::Output;
use crate::wire::{KeyRecord, address_arg};

const EXAMPLES: &str = r#"
# A new 24-word wallet with 3 accounts; the mnemonic goes to a 0600 file
evlock-keygen new --words 24 --count 3 --out-dir keys \
  --mnemonic-out seed.txt --password-file pw.txt

# The addresses of a mnemonic, without writing keystores
evlock-keygen derive --mnemonic-file seed.txt --count 10

# Import a raw private key or another wallet's keystore
evlock-keygen import --private-key-file key.hex --password-file pw.txt
evlock-keygen import --keystore kaikas.json --source-password-file old.txt \
  --password-file pw.txt

# Which account is this, which keys sign for it in which role, and
# does my password open it?
evlock-keygen inspect --verify --password-file pw.txt keys/0xAbC….json

# The link's certificates: an operator CA, the operator's server, a meter
evlock-keygen tls ca --name "Operator CA"           # ca.pem, ca.key (0600)
evlock-keygen tls issue --ca ca.pem --name operator --server \
  --host operator.example
evlock-keygen tls issue --ca ca.pem --name meter-17 \
  --account 0x9858EfFD232B4033E47d90003D41EC34EcaEda94
evlock-keygen tls inspect meter-17.pem

# A new key for an existing account (after an account_update gave it
# this key): a KIP-3 keystore that names the account (decoupled)
evlock-keygen import --private-key-file new.hex \
  --account 0x5A0043070275d9f6054307Ee7348bD660849D90f \
  --password-file pw.txt
"#;

const NOTES: &str = "\
Passwords and PINs are never taken on the command line: --password-file FILE (--pin-file
FILE), the file named by EVLOCK_PASSWORD_FILE (EVLOCK_PIN_FILE), or a hidden prompt when stdin
is a terminal (--no-input forbids it).";

const NEW_EXAMPLES: &str = r#"
# A new 24-word wallet with 3 accounts; the mnemonic goes to a 0600 file
evlock-keygen new --words 24 --count 3 --out-dir keys \
  --mnemonic-out seed.txt --password-file pw.txt

# Same, for a small board (scrypt n=4096 instead of 262144)
evlock-keygen new --light-kdf --out-dir keys --mnemonic-out seed.txt \
  --password-file pw.txt

# Show the words once on this terminal instead of writing them to a file
evlock-keygen new --show-mnemonic --out-dir keys --password-file pw.txt

# A key that never leaves its device: made in TrustZone (OP-TEE) or on a
# PKCS#11 token
evlock-keygen new --key optee:meter-1
evlock-keygen new --key 'pkcs11:token=operator;object=fee-payer' \
  --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --pin-file op.pin
"#;

const LIST_EXAMPLES: &str = r#"
# What keys does the TEE hold? And the token?
evlock-keygen list --key optee:
evlock-keygen list --key 'pkcs11:token=operator' \
  --pkcs11-module /usr/lib/softhsm/libsofthsm2.so --pin-file op.pin
"#;

const IMPORT_EXAMPLES: &str = r#"
# The first 3 accounts of a mnemonic, as keystores in keys/
evlock-keygen import --mnemonic-file seed.txt --count 3 --out-dir keys \
  --password-file pw.txt

# A raw private key (hex) from a file, or from stdin with -
evlock-keygen import --private-key-file key.hex --password-file pw.txt

# Another wallet's keystore (v3 or Kaia KIP-3 v4), re-encrypted as v3
evlock-keygen import --keystore kaikas.json --source-password-file old.txt \
  --password-file pw.txt

# The new key of a decoupled account (its key was rotated by an
# account_update): a KIP-3 keystore that names the account
evlock-keygen import --private-key-file new.hex \
  --account 0x5A0043070275d9f6054307Ee7348bD660849D90f \
  --password-file pw.txt
"#;

const DERIVE_EXAMPLES: &str = r#"
# Addresses 0..9 of a mnemonic on Kaia's path m/44'/8217'/0'/0/i
evlock-keygen derive --mnemonic-file seed.txt --count 10

# The same mnemonic on the Ethereum wallets' path
evlock-keygen derive --mnemonic-file seed.txt --hd-path "m/44'/60'/0'/0"
"#;

const INSPECT_EXAMPLES: &str = r#"
# Which accounts are these keystores (a v3 file names its address)
evlock-keygen inspect keys/*.json

# Does the password open it? (exit 5 when it does not) Which roles
# does each key sign in, and is the account decoupled from it?
evlock-keygen inspect --verify --password-file pw.txt keys/0xAbC….json
"#;

const CHANGE_PASSWORD_EXAMPLES: &str = r#"
# Re-encrypt a keystore in place under a new password
evlock-keygen change-password --password-file old.txt \
  --new-password-file new.txt keys/0xAbC….json
"#;

/// Create and manage Kaia account keys: BIP-39 mnemonics, BIP-44 accounts, encrypted keystores.
///
/// Writes one `key` record (NDJSON) per account on stdout. Keystores are Web3 Secret Storage
/// v3 files (readable by geth, ethers, Kaia wallets), created 0600 and never overwritten
/// without --force. Reads v3 (scrypt, pbkdf2) and Kaia KIP-3 v4 keystores.
#[derive(Debug, Parser)]
#[command(
    name = "evlock-keygen",
    version,
    after_long_help = tool_help(EXAMPLES, NOTES),
    subcommand_required = false,
    arg_required_else_help = true
)]
pub struct Keygen {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    globals: GlobalArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a new mnemonic and write an encrypted keystore for each derived account; or,
    /// with --key optee:SLOT or pkcs11:…, a key inside the TEE or on the token.
    #[command(after_long_help = command_help(NEW_EXAMPLES, ""))]
    New(NewArgs),
    /// Write keystores from a mnemonic file, a raw private-key file or another keystore.
    #[command(after_long_help = command_help(IMPORT_EXAMPLES, ""))]
    Import(ImportArgs),
    /// Print the addresses of a mnemonic's accounts (no keystore is written).
    #[command(after_long_help = command_help(DERIVE_EXAMPLES, ""))]
    Derive(DeriveArgs),
    /// Show the address and format of keystores; --verify checks the password and the address.
    ///
    /// With --verify, a v3 keystore whose `address` field is not its key's address is not
    /// verified: its record has `"verified": false` and the key's own address as
    /// `key_address`, and the tool exits 5. A KIP-3 keystore of a decoupled account (its key
    /// was changed) is verified, with `key_address` naming the key's own address.
    #[command(after_long_help = command_help(INSPECT_EXAMPLES, ""))]
    Inspect(InspectArgs),
    /// Re-encrypt a v3 keystore under a new password, in place.
    #[command(after_long_help = command_help(CHANGE_PASSWORD_EXAMPLES, ""))]
    ChangePassword(ChangePasswordArgs),
    /// Certificates for mutual TLS between operator and meters: `tls ca`, `tls issue`,
    /// `tls inspect`.
    #[command(subcommand, after_long_help = command_help(super::keygen_tls::EXAMPLES, ""))]
    Tls(super::keygen_tls::TlsCommand),
    /// List the keys a TEE (--key optee:) or a PKCS#11 token (--key pkcs11:…) holds.
    #[command(after_long_help = command_help(LIST_EXAMPLES, ""))]
    List(ListArgs),
}

#[derive(Debug, Clone, Args)]
struct DerivationOpts {
    /// Number of accounts.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    count: u32,
    /// First account index.
    #[arg(long, default_value_t = 0)]
    start: u32,
    /// Base derivation path; account i is BASE/i.
    #[arg(long, default_value = DEFAULT_BASE_PATH, value_name = "BASE")]
    hd_path: BasePath,
    /// File holding the BIP-39 passphrase (the "25th word"), if the wallet uses one.
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
struct WriteOpts {
    /// Folder for the keystore files (named ADDRESS.json).
    #[arg(long, short = 'o', default_value = ".", value_name = "DIR")]
    out_dir: PathBuf,
    /// Cheaper scrypt (n=4096) for boards without 256 MiB to spare; weaker against guessing.
    #[arg(long)]
    light_kdf: bool,
    /// Overwrite existing files.
    #[arg(long)]
    force: bool,
    /// The account the key signs for, when it is not the key's own address: a decoupled Kaia
    /// account whose key an account_update sets (or set) to this one. The keystore written is
    /// then a KIP-3 v4 file that names the account (as Kaia wallets and caver-js write them),
    /// so evlock-sign signs as that account. One key only.
    #[arg(long, value_name = "ADDRESS", value_parser = address_arg)]
    account: Option<Address>,
}

impl WriteOpts {
    fn kdf(&self) -> Kdf {
        if self.light_kdf { Kdf::Light } else { Kdf::Standard }
    }
}

#[derive(Debug, Args)]
#[command(group = ArgGroup::new("mnemonic_destination").args(["mnemonic_out", "show_mnemonic", "discard_mnemonic"]))]
struct NewArgs {
    /// Make the key inside a device instead: `optee:SLOT` (TrustZone, with the optee
    /// feature) or `pkcs11:token=LABEL;object=LABEL`. The private key never leaves it; the
    /// `key` record has only the address, the public key and the URI. No mnemonic, no keystore.
    #[arg(
        long,
        value_name = "URI",
        conflicts_with_all = ["mnemonic_destination", "words", "count", "start", "hd_path", "passphrase_file", "out_dir", "light_kdf", "force"]
    )]
    key: Option<String>,
    #[command(flatten)]
    token: TokenArgs,
    /// Mnemonic length.
    #[arg(long, default_value_t = 12, value_parser = parse_word_count)]
    words: usize,
    /// Write the mnemonic to this file, created 0600 (never to stdout records or logs).
    #[arg(long, value_name = "FILE")]
    mnemonic_out: Option<PathBuf>,
    /// Show the mnemonic on the terminal (only when stdout is a terminal).
    #[arg(long)]
    show_mnemonic: bool,
    /// Keep no copy of the mnemonic: the keystores are then the only copy of the keys.
    #[arg(long)]
    discard_mnemonic: bool,
    #[command(flatten)]
    derivation: DerivationOpts,
    #[command(flatten)]
    write: WriteOpts,
    #[command(flatten)]
    password: PasswordArgs,
}

#[derive(Debug, Args)]
#[command(group = ArgGroup::new("source").required(true).args(["mnemonic_file", "private_key_file", "keystore"]))]
struct ImportArgs {
    /// A file holding a BIP-39 mnemonic ("-" for stdin).
    #[arg(long, value_name = "FILE")]
    mnemonic_file: Option<PathBuf>,
    /// A file holding a raw private key in hex ("-" for stdin).
    #[arg(long, value_name = "FILE")]
    private_key_file: Option<PathBuf>,
    /// Another keystore (v3 or KIP-3 v4); its signing key is re-encrypted as v3.
    #[arg(long, value_name = "FILE")]
    keystore: Option<PathBuf>,
    /// File holding the password of the --keystore being imported.
    #[arg(long, value_name = "FILE")]
    source_password_file: Option<PathBuf>,
    #[command(flatten)]
    derivation: DerivationOpts,
    #[command(flatten)]
    write: WriteOpts,
    #[command(flatten)]
    password: PasswordArgs,
}

#[derive(Debug, Args)]
struct DeriveArgs {
    /// A file holding a BIP-39 mnemonic ("-" for stdin).
    #[arg(long, value_name = "FILE")]
    mnemonic_file: PathBuf,
    #[command(flatten)]
    derivation: DerivationOpts,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// Keystore files.
    #[arg(required = true, value_name = "KEYSTORE")]
    keystores: Vec<PathBuf>,
    /// Decrypt the keystore to check the password and that the key is the file's account
    /// (exit 5 when either is wrong).
    #[arg(long)]
    verify: bool,
    #[command(flatten)]
    password: PasswordArgs,
}

#[derive(Debug, Args)]
struct ListArgs {
    /// The backend: `optee:` (every slot) or `pkcs11:token=LABEL` (every secp256k1 key on
    /// the token; add `;object=LABEL` for one).
    #[arg(long, value_name = "URI")]
    key: String,
    #[command(flatten)]
    token: TokenArgs,
}

#[derive(Debug, Args)]
struct ChangePasswordArgs {
    /// The v3 keystore to re-encrypt in place.
    #[arg(value_name = "KEYSTORE")]
    keystore: PathBuf,
    /// File holding the new password.
    #[arg(long, env = "EVLOCK_NEW_PASSWORD_FILE", hide_env_values = true, value_name = "FILE")]
    new_password_file: Option<PathBuf>,
    /// Cheaper scrypt (n=4096) for the re-encrypted file.
    #[arg(long)]
    light_kdf: bool,
    #[command(flatten)]
    password: PasswordArgs,
}

impl Tool for Keygen {
    const NAME: &'static str = "evlock-keygen";
    const SEE_ALSO: &'static [&'static str] = &["evlock-sign", "evlock-devnet", "evlock-calibrate"];

    fn globals(&self) -> &GlobalArgs {
        &self.globals
    }

    fn run(self, out: &mut Output) -> Result<ExitCode, Failure> {
        match self.command {
            None => Err(Failure::usage("a subcommand is required (see --help)")),
            Some(Command::New(args)) => new(args, out),
            Some(Command::Import(args)) => import(args, out),
            Some(Command::Derive(args)) => derive(args, out),
            Some(Command::Inspect(args)) => inspect(args, out),
            Some(Command::ChangePassword(args)) => change_password(args, out),
            Some(Command::Tls(command)) => super::keygen_tls::run(command, out),
            Some(Command::List(args)) => list(args, out),
        }
    }
}

fn new(args: NewArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    if let Some(key) = &args.key {
        let uri: KeyUri = key.parse()?;
        let held = uri.generate(&args.token.access(args.password.source()))?;
        log::info!("created {} in {}", held.address.to_checksum(None), held.uri);
        out.emit(&held_record(&held))?;
        return Ok(ExitCode::Success);
    }
    if !(args.mnemonic_out.is_some() || args.show_mnemonic || args.discard_mnemonic) {
        return Err(Failure::usage(
            "say where the mnemonic goes: --mnemonic-out FILE, --show-mnemonic or --discard-mnemonic \
             (or make the key in a device with --key optee:SLOT|pkcs11:…)",
        ));
    }
    if args.show_mnemonic && !out.is_terminal() {
        return Err(Failure::usage(
            "--show-mnemonic needs stdout to be a terminal; use --mnemonic-out FILE in scripts",
        ));
    }
    let password = args.password.source().obtain("Password for the new keystores", true)?;
    let passphrase = read_passphrase(&args.derivation)?;
    let phrase = Phrase::generate(args.words)?;
    // The mnemonic is saved before anything else, so a failure later never loses it.
    if let Some(path) = &args.mnemonic_out {
        let mut text = phrase.words();
        text.push('\n');
        write_secret_file(path, text.as_bytes(), args.write.force)?;
        log::info!("mnemonic written to {}", path.display());
    }
    let seed = phrase.to_seed(&passphrase);
    write_accounts(&seed, &args.derivation, &args.write, &password, out)?;
    if args.show_mnemonic {
        out.show_secret_on_terminal("Mnemonic (write it down; it is shown once)", &phrase.words())?;
    }
    Ok(ExitCode::Success)
}

fn import(args: ImportArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    if let Some(path) = &args.mnemonic_file {
        let phrase = Phrase::parse(&read_secret_input("mnemonic", path)?).map_err(|e| naming(path, e))?;
        let passphrase = read_passphrase(&args.derivation)?;
        let password = args.password.source().obtain("Password for the new keystores", true)?;
        let seed = phrase.to_seed(&passphrase);
        write_accounts(&seed, &args.derivation, &args.write, &password, out)?;
    } else if let Some(path) = &args.private_key_file {
        let key =
            SecretKey::from_hex(&read_secret_input("private key", path)?).map_err(|e| naming(path, e))?;
        let password = args.password.source().obtain("Password for the new keystore", true)?;
        let record = write_keystore(&key, &args.write, &password, None)?;
        out.emit(&record)?;
    } else if let Some(path) = &args.keystore {
        let source = Keystore::load(path)?;
        let source_password = args
            .password
            .other_file(args.source_password_file.clone(), "--source-password-file")
            .obtain(&format!("Password of {}", path.display()), false)?;
        let key = source.decrypt_signing_key(source_password.as_bytes())?;
        if source.key_count() > 1 {
            log::warn!(
                "{} holds {} keys: the keystore written holds its first transaction key only",
                path.display(),
                source.key_count()
            );
        }
        // A decoupled account's keystore stays one: the written file names the same account.
        let mut write = args.write.clone();
        if write.account.is_none()
            && let Some(account) = source.address().filter(|a| *a != key.address())
        {
            log::info!(
                "{} signs for account {account}, which is not the key's own address {} (a decoupled Kaia \
                 account): the keystore written is a KIP-3 file that names that account",
                path.display(),
                key.address()
            );
            write.account = Some(account);
        }
        let password = args.password.source().obtain("Password for the new keystore", true)?;
        let record = write_keystore(&key, &write, &password, None)?;
        out.emit(&record)?;
    }
    Ok(ExitCode::Success)
}

fn derive(args: DeriveArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let phrase = Phrase::parse(&read_secret_input("mnemonic", &args.mnemonic_file)?)
        .map_err(|e| naming(&args.mnemonic_file, e))?;
    let passphrase = read_passphrase(&args.derivation)?;
    let seed = phrase.to_seed(&passphrase);
    for (index, path) in account_paths(&args.derivation)? {
        let key = derive_key(&*seed, &path)?;
        out.emit(&KeyRecord { path: Some(path), index: Some(index), ..key_record(&key) })?;
    }
    Ok(ExitCode::Success)
}

fn inspect(args: InspectArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let password =
        if args.verify { Some(args.password.source().obtain("Keystore password", false)?) } else { None };
    let mut mismatch = None;
    for path in &args.keystores {
        let keystore = Keystore::load(path)?;
        let format = keystore.format().as_str().to_string();
        let keystore_path = Some(path.display().to_string());
        match &password {
            Some(password) => {
                let positions: Vec<usize> = (0..keystore.key_count()).collect();
                // The roles each key signs in, by Kaia's role order (an empty role falls back
                // to the transaction keys).
                let roles_of = |position: usize| -> Vec<String> {
                    (0..ROLES.len())
                        .filter(|role| keystore.role_keys(*role).contains(&position))
                        .map(|role| ROLES[role].to_string())
                        .collect()
                };
                for (position, decrypted) in keystore.decrypt(password.as_bytes())?.into_iter().enumerate() {
                    let own = decrypted.key.address();
                    // A KIP-3 file names its account, which may be decoupled from its keys (the
                    // account's key was changed). A v3 file's `address` is the key's own, or
                    // it is wrong or a caver-js encryptV3 file of a decoupled account: evlock-sign
                    // signs for the account it names, but that cannot be verified here.
                    let account = keystore.address().unwrap_or(own);
                    let decoupled = account != own;
                    let verified = !decoupled || keystore.format() == Format::Kip3V4;
                    if !verified {
                        log::error!(
                            "{} names the account {account}, but its key is that of {own}: evlock-sign signs \
                             for {account} with it, which is right only if an account update gave {account} this \
                             key (a decoupled account); `evlock-keygen import --keystore` it to write a KIP-3 \
                             keystore that says so",
                            path.display()
                        );
                        mismatch.get_or_insert((path.clone(), account, own));
                    }
                    out.emit(&KeyRecord {
                        index: (keystore.key_count() > 1).then_some(decrypted.index as u32),
                        role: decrypted.role.map(str::to_string),
                        roles: Some(roles_of(positions[position])),
                        keystore: keystore_path.clone(),
                        format: Some(format.clone()),
                        verified: Some(verified),
                        decoupled: Some(decoupled),
                        ..key_record_for(&decrypted.key, account)
                    })?;
                }
            }
            None => {
                let address = keystore.address().ok_or_else(|| {
                    Failure::usage(format!(
                        "{} names no address (it is optional in v3); use --verify to decrypt it",
                        path.display()
                    ))
                })?;
                out.emit(&KeyRecord {
                    address: address.to_checksum(None),
                    public_key: None,
                    uri: None,
                    path: None,
                    index: None,
                    keystore: keystore_path,
                    format: Some(format),
                    role: None,
                    key_address: None,
                    roles: None,
                    decoupled: None,
                    verified: Some(false),
                    meta: None,
                })?;
            }
        }
    }
    match mismatch {
        Some((path, account, key)) => Err(KeyError::AddressMismatch { path, account, key }.into()),
        None => Ok(ExitCode::Success),
    }
}

fn change_password(args: ChangePasswordArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    let keystore = Keystore::load(&args.keystore)?;
    if keystore.format() == Format::Kip3V4 {
        return Err(KeyError::UnsupportedKeystore {
            path: args.keystore.clone(),
            reason: "change-password rewrites v3 keystores; `evlock-keygen import --keystore` this KIP-3 file first".into(),
        }
        .into());
    }
    let old = args.password.source().obtain("Current password", false)?;
    // Decrypt before asking for anything else: a wrong password leaves the file untouched.
    let key = keystore.decrypt_signing_key(old.as_bytes())?;
    let new = args
        .password
        .other_file(args.new_password_file.clone(), "--new-password-file")
        .obtain("New password", true)?;
    let kdf = if args.light_kdf { Kdf::Light } else { Kdf::Standard };
    // A decoupled account's keystore keeps naming its account.
    let account = keystore.address().unwrap_or(key.address());
    let json = Zeroizing::new(encrypt_v3_for(&key, account, new.as_bytes(), kdf)?);
    write_secret_file(&args.keystore, json.as_bytes(), true)?;
    out.emit(&KeyRecord {
        keystore: Some(args.keystore.display().to_string()),
        format: Some(Format::V3Scrypt.as_str().into()),
        ..key_record_for(&key, account)
    })?;
    Ok(ExitCode::Success)
}

fn list(args: ListArgs, out: &mut Output) -> Result<ExitCode, Failure> {
    // `optee:` alone names every slot of the TA.
    let uri: KeyUri = if args.key == "optee:" { KeyUri::Optee(String::new()) } else { args.key.parse()? };
    let source =
        crate::keys::password::PasswordSource { file: None, no_input: true, flag: "--password-file" };
    let held = uri.list(&args.token.access(source))?;
    if held.is_empty() {
        log::info!("{} holds no secp256k1 key", args.key);
    }
    for key in &held {
        out.emit(&held_record(key))?;
    }
    Ok(ExitCode::Success)
}

/// The `key` record of a key held in a device: address, public key and URI, nothing else.
fn held_record(held: &HeldKey) -> KeyRecord {
    KeyRecord {
        address: held.address.to_checksum(None),
        public_key: Some(format!("0x{}", hex::encode(held.public_key))),
        uri: Some(held.uri.clone()),
        path: None,
        index: None,
        keystore: None,
        format: None,
        role: None,
        roles: None,
        decoupled: None,
        verified: None,
        key_address: None,
        meta: None,
    }
}

/// Derives and writes a keystore for each account of the derivation options.
fn write_accounts(
    seed: &[u8; 64],
    derivation: &DerivationOpts,
    write: &WriteOpts,
    password: &str,
    out: &mut Output,
) -> Result<(), Failure> {
    if write.account.is_some() && derivation.count > 1 {
        return Err(Failure::usage("--account names the account of one key: use it with --count 1"));
    }
    for (index, path) in account_paths(derivation)? {
        let key = derive_key(seed, &path)?;
        let record = write_keystore(&key, write, password, Some((index, path)))?;
        out.emit(&record)?;
    }
    Ok(())
}

fn write_keystore(
    key: &SecretKey,
    write: &WriteOpts,
    password: &str,
    path: Option<(u32, String)>,
) -> Result<KeyRecord, Failure> {
    if password.is_empty() {
        log::warn!("the keystore password is empty");
    }
    let account = write.account.unwrap_or(key.address());
    // A decoupled account's key goes into a KIP-3 file, the format that names an account its
    // key is not the address of (a v3 file whose address is not its key's reads as wrong).
    let (json, format) = if account == key.address() {
        (encrypt_v3_for(key, account, password.as_bytes(), write.kdf())?, Format::V3Scrypt)
    } else {
        (encrypt_v4_for(key, account, password.as_bytes(), write.kdf())?, Format::Kip3V4)
    };
    let json = Zeroizing::new(json);
    std::fs::create_dir_all(&write.out_dir)
        .map_err(|source| KeyError::WriteFile { path: write.out_dir.clone(), source })?;
    let file = write.out_dir.join(format!("{}.json", key.address().to_checksum(None)));
    write_secret_file(&file, json.as_bytes(), write.force)?;
    let (index, path) = path.unzip();
    Ok(KeyRecord {
        path,
        index,
        keystore: Some(file.display().to_string()),
        format: Some(format.as_str().into()),
        ..key_record_for(key, account)
    })
}

fn account_paths(derivation: &DerivationOpts) -> Result<Vec<(u32, String)>, KeyError> {
    let end =
        derivation.start.checked_add(derivation.count).filter(|end| *end <= 1 << 31).ok_or_else(|| {
            KeyError::InvalidPath {
                path: derivation.hd_path.account(0).unwrap_or_default(),
                reason: format!("--start {} plus --count {} passes 2^31", derivation.start, derivation.count),
            }
        })?;
    (derivation.start..end).map(|i| Ok((i, derivation.hd_path.account(i)?))).collect()
}

fn key_record(key: &SecretKey) -> KeyRecord {
    key_record_for(key, key.address())
}

/// The record of a key that signs for `account`: a decoupled one names its own address too.
fn key_record_for(key: &SecretKey, account: Address) -> KeyRecord {
    let own = key.address();
    KeyRecord {
        address: account.to_checksum(None),
        public_key: Some(format!("0x{}", hex::encode(key.public_key_uncompressed()))),
        uri: None,
        path: None,
        index: None,
        keystore: None,
        format: None,
        role: None,
        key_address: (own != account).then(|| own.to_checksum(None)),
        roles: None,
        decoupled: (own != account).then_some(true),
        verified: None,
        meta: None,
    }
}

fn parse_word_count(text: &str) -> Result<usize, String> {
    match text {
        "12" => Ok(12),
        "24" => Ok(24),
        _ => Err("use 12 or 24".into()),
    }
}

fn read_passphrase(derivation: &DerivationOpts) -> Result<Zeroizing<String>, KeyError> {
    match &derivation.passphrase_file {
        Some(path) => read_secret_input("passphrase", path),
        None => Ok(Zeroizing::new(String::new())),
    }
}

/// A bad mnemonic or private key, with the file it came from (not its content: it is secret).
fn naming(path: &Path, error: KeyError) -> KeyError {
    let with_path = |why: String| match path == Path::new("-") {
        true => format!("stdin: {why}"),
        false => format!("{}: {why}", path.display()),
    };
    match error {
        KeyError::InvalidMnemonic(why) => KeyError::InvalidMnemonic(with_path(why)),
        KeyError::InvalidPrivateKey(why) => KeyError::InvalidPrivateKey(with_path(why)),
        other => other,
    }
}

/// A secret file, or stdin for `-`.
fn read_secret_input(what: &'static str, path: &Path) -> Result<Zeroizing<String>, KeyError> {
    if path != Path::new("-") {
        return read_secret_file(what, path);
    }
    let mut text = Zeroizing::new(String::new());
    std::io::stdin().read_to_string(&mut text).map_err(|source| KeyError::ReadSecretFile {
        what,
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Zeroizing::new(text.trim_end_matches(['\n', '\r']).to_string()))
}
