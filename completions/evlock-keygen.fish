# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_evlock_keygen_global_optspecs
    string join \n pretty v/verbose q/quiet generate= h/help V/version
end

function __fish_evlock_keygen_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_evlock_keygen_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_evlock_keygen_using_subcommand
    set -l cmd (__fish_evlock_keygen_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -s V -l version -d 'Print version'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -f -a "new" -d 'Create a new mnemonic and write an encrypted keystore for each derived account; or, with --key optee:SLOT or pkcs11:…, a key inside the TEE or on the token'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -f -a "import" -d 'Write keystores from a mnemonic file, a raw private-key file or another keystore'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -f -a "derive" -d 'Print the addresses of a mnemonic\'s accounts (no keystore is written)'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -f -a "inspect" -d 'Show the address and format of keystores; --verify checks the password and the address'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -f -a "change-password" -d 'Re-encrypt a v3 keystore under a new password, in place'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -f -a "tls" -d 'Certificates for mutual TLS between operator and meters: `tls ca`, `tls issue`, `tls inspect`'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -f -a "list" -d 'List the keys a TEE (--key optee:) or a PKCS#11 token (--key pkcs11:…) holds'
complete -c evlock-keygen -n "__fish_evlock_keygen_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l key -d 'Make the key inside a device instead: `optee:SLOT` (TrustZone, with the optee feature) or `pkcs11:token=LABEL;object=LABEL`. The private key never leaves it; the `key` record has only the address, the public key and the URI. No mnemonic, no keystore' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l pkcs11-module -d 'The PKCS#11 module (the token vendor\'s .so, e.g. /usr/lib/softhsm/libsofthsm2.so) for `--key pkcs11:…`' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l pin-file -d 'File holding the token\'s user PIN (one trailing newline is ignored); without it, a hidden prompt. The PIN is tried once' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l words -d 'Mnemonic length' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l mnemonic-out -d 'Write the mnemonic to this file, created 0600 (never to stdout records or logs)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l count -d 'Number of accounts' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l start -d 'First account index' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l hd-path -d 'Base derivation path; account i is BASE/i' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l passphrase-file -d 'File holding the BIP-39 passphrase (the "25th word"), if the wallet uses one' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -s o -l out-dir -d 'Folder for the keystore files (named ADDRESS.json)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l account -d 'The account the key signs for, when it is not the key\'s own address: a decoupled Kaia account whose key an account_update sets (or set) to this one. The keystore written is then a KIP-3 v4 file that names the account (as Kaia wallets and caver-js write them), so evlock-sign signs as that account. One key only' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l password-file -d 'File holding the keystore password (one trailing newline is ignored)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l show-mnemonic -d 'Show the mnemonic on the terminal (only when stdout is a terminal)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l discard-mnemonic -d 'Keep no copy of the mnemonic: the keystores are then the only copy of the keys'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l light-kdf -d 'Cheaper scrypt (n=4096) for boards without 256 MiB to spare; weaker against guessing'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l force -d 'Overwrite existing files'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l no-input -d 'Never prompt: fail when something must be asked that no option or file answers'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand new" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l mnemonic-file -d 'A file holding a BIP-39 mnemonic ("-" for stdin)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l private-key-file -d 'A file holding a raw private key in hex ("-" for stdin)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l keystore -d 'Another keystore (v3 or KIP-3 v4); its signing key is re-encrypted as v3' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l source-password-file -d 'File holding the password of the --keystore being imported' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l count -d 'Number of accounts' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l start -d 'First account index' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l hd-path -d 'Base derivation path; account i is BASE/i' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l passphrase-file -d 'File holding the BIP-39 passphrase (the "25th word"), if the wallet uses one' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -s o -l out-dir -d 'Folder for the keystore files (named ADDRESS.json)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l account -d 'The account the key signs for, when it is not the key\'s own address: a decoupled Kaia account whose key an account_update sets (or set) to this one. The keystore written is then a KIP-3 v4 file that names the account (as Kaia wallets and caver-js write them), so evlock-sign signs as that account. One key only' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l password-file -d 'File holding the keystore password (one trailing newline is ignored)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l light-kdf -d 'Cheaper scrypt (n=4096) for boards without 256 MiB to spare; weaker against guessing'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l force -d 'Overwrite existing files'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l no-input -d 'Never prompt: fail when something must be asked that no option or file answers'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -l mnemonic-file -d 'A file holding a BIP-39 mnemonic ("-" for stdin)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -l count -d 'Number of accounts' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -l start -d 'First account index' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -l hd-path -d 'Base derivation path; account i is BASE/i' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -l passphrase-file -d 'File holding the BIP-39 passphrase (the "25th word"), if the wallet uses one' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand derive" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand inspect" -l password-file -d 'File holding the keystore password (one trailing newline is ignored)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand inspect" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand inspect" -l verify -d 'Decrypt the keystore to check the password and that the key is the file\'s account (exit 5 when either is wrong)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand inspect" -l no-input -d 'Never prompt: fail when something must be asked that no option or file answers'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand inspect" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand inspect" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand inspect" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand inspect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -l new-password-file -d 'File holding the new password' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -l password-file -d 'File holding the keystore password (one trailing newline is ignored)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -l light-kdf -d 'Cheaper scrypt (n=4096) for the re-encrypted file'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -l no-input -d 'Never prompt: fail when something must be asked that no option or file answers'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand change-password" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -f -a "ca" -d 'Create an operator CA: a self-signed CA certificate and its key'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -f -a "issue" -d 'Issue a client (meter) or server (operator) certificate under the CA'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -f -a "inspect" -d 'Print a `certificate` record for each certificate file (PEM)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and not __fish_seen_subcommand_from ca issue inspect help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -l name -d 'The CA\'s name (its common name), e.g. "Operator CA"' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -l cert -d 'Where to write the CA certificate' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -l key -d 'Where to write the CA key (0600)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -l days -d 'How many days the certificate is valid' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -l valid-from -d 'The start of validity, RFC 3339 (default: now), e.g. 2026-01-01T00:00:00Z' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -l force -d 'Overwrite existing certificate and key files'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from ca" -s h -l help -d 'Print help'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l ca -d 'The CA certificate to issue under' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l ca-key -d 'The CA\'s key (default: the --ca file with the extension `.key`)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l name -d 'The certificate\'s name: its common name and DNS SAN, and the peer\'s name on the link (what `listen --allow` and `meta.to` name), e.g. meter-17' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l account -d 'The Kaia account to bind into the certificate (a URI SAN kaia:0x…)' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l host -d 'Another DNS name or IP address the certificate answers to (server certificates: the names meters dial). Repeatable' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l cert -d 'Where to write the certificate (default NAME.pem)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l key -d 'Where to write the key, 0600 (default NAME.key)' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l days -d 'How many days the certificate is valid' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l valid-from -d 'The start of validity, RFC 3339 (default: now), e.g. 2026-01-01T00:00:00Z' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l server -d 'A server certificate (for `evlock-relay listen`)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l client -d 'A client certificate (for `evlock-relay connect`; the default). With --server: both'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l force -d 'Overwrite existing certificate and key files'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from issue" -s h -l help -d 'Print help'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from inspect" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from inspect" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from inspect" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from inspect" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from inspect" -s h -l help -d 'Print help'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from help" -f -a "ca" -d 'Create an operator CA: a self-signed CA certificate and its key'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from help" -f -a "issue" -d 'Issue a client (meter) or server (operator) certificate under the CA'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from help" -f -a "inspect" -d 'Print a `certificate` record for each certificate file (PEM)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand tls; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand list" -l key -d 'The backend: `optee:` (every slot) or `pkcs11:token=LABEL` (every secp256k1 key on the token; add `;object=LABEL` for one)' -r
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand list" -l pkcs11-module -d 'The PKCS#11 module (the token vendor\'s .so, e.g. /usr/lib/softhsm/libsofthsm2.so) for `--key pkcs11:…`' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand list" -l pin-file -d 'File holding the token\'s user PIN (one trailing newline is ignored); without it, a hidden prompt. The PIN is tried once' -r -F
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand list" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand list" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand list" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand list" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and not __fish_seen_subcommand_from new import derive inspect change-password tls list help" -f -a "new" -d 'Create a new mnemonic and write an encrypted keystore for each derived account; or, with --key optee:SLOT or pkcs11:…, a key inside the TEE or on the token'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and not __fish_seen_subcommand_from new import derive inspect change-password tls list help" -f -a "import" -d 'Write keystores from a mnemonic file, a raw private-key file or another keystore'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and not __fish_seen_subcommand_from new import derive inspect change-password tls list help" -f -a "derive" -d 'Print the addresses of a mnemonic\'s accounts (no keystore is written)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and not __fish_seen_subcommand_from new import derive inspect change-password tls list help" -f -a "inspect" -d 'Show the address and format of keystores; --verify checks the password and the address'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and not __fish_seen_subcommand_from new import derive inspect change-password tls list help" -f -a "change-password" -d 'Re-encrypt a v3 keystore under a new password, in place'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and not __fish_seen_subcommand_from new import derive inspect change-password tls list help" -f -a "tls" -d 'Certificates for mutual TLS between operator and meters: `tls ca`, `tls issue`, `tls inspect`'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and not __fish_seen_subcommand_from new import derive inspect change-password tls list help" -f -a "list" -d 'List the keys a TEE (--key optee:) or a PKCS#11 token (--key pkcs11:…) holds'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and not __fish_seen_subcommand_from new import derive inspect change-password tls list help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and __fish_seen_subcommand_from tls" -f -a "ca" -d 'Create an operator CA: a self-signed CA certificate and its key'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and __fish_seen_subcommand_from tls" -f -a "issue" -d 'Issue a client (meter) or server (operator) certificate under the CA'
complete -c evlock-keygen -n "__fish_evlock_keygen_using_subcommand help; and __fish_seen_subcommand_from tls" -f -a "inspect" -d 'Print a `certificate` record for each certificate file (PEM)'
