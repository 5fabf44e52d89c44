# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_evlock_sign_global_optspecs
    string join \n role= chain-id= policy= audit-log= key= account= password-file= no-input pkcs11-module= pin-file= on-error= max-line= pretty v/verbose q/quiet generate= h/help V/version
end

function __fish_evlock_sign_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_evlock_sign_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_evlock_sign_using_subcommand
    set -l cmd (__fish_evlock_sign_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l role -d 'Whose signature to add' -r -f -a "sender\t'The sending account signs a `tx` record'
fee-payer\t'The fee payer adds its signature to a sender-signed `signed_tx` record'"
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l chain-id -d 'Refuse transactions for any other chain id; fills chain_id where a record has none' -r
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l policy -d 'A signing policy (TOML) every request must pass' -r -F
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l audit-log -d 'Append one NDJSON line per request (approved or denied), fsynced before signing output' -r -F
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l key -d 'The key: a keystore path or `keystore:PATH`, `optee:SLOT` (a TrustZone key; with the optee feature), or `pkcs11:token=LABEL;object=LABEL` (a key on a PKCS#11 token). Give it again to sign with the keys of several sources for one (multisig) account' -r
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l account -d 'The account the keys sign for, when their source does not name it: a hardware key or a plain keystore of a decoupled or multisig account (default: the account the keystore names, or the key\'s own address)' -r
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l password-file -d 'File holding the keystore password (one trailing newline is ignored). Once for every keystore, or once per --key, in the same order' -r -F
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l pkcs11-module -d 'The PKCS#11 module (the token vendor\'s .so, e.g. /usr/lib/softhsm/libsofthsm2.so) for `--key pkcs11:…`' -r -F
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l pin-file -d 'File holding the token\'s user PIN (one trailing newline is ignored); without it, a hidden prompt. The PIN is tried once' -r -F
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l on-error -d 'What to do with a bad input record: stop the stream or skip the record' -r -f -a "stop\t'Report the line and stop the stream (the default: nothing is done past a bad line)'
skip\t'Report the line and go on with the next one; the tool still exits non-zero at the end'"
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l max-line -d 'The longest input line accepted, in bytes; a longer line is an `error` record and is skipped without being held in memory' -r
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l no-input -d 'Never prompt: fail when something must be asked that no option or file answers'
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -s V -l version -d 'Print version'
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -f -a "decode" -d 'Decode raw transactions (an argument, or stdin: hex lines or records with `raw`)'
complete -c evlock-sign -n "__fish_evlock_sign_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand decode" -l on-error -d 'What to do with a bad input record: stop the stream or skip the record' -r -f -a "stop\t'Report the line and stop the stream (the default: nothing is done past a bad line)'
skip\t'Report the line and go on with the next one; the tool still exits non-zero at the end'"
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand decode" -l max-line -d 'The longest input line accepted, in bytes; a longer line is an `error` record and is skipped without being held in memory' -r
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand decode" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand decode" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand decode" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand decode" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand decode" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand help; and not __fish_seen_subcommand_from decode help" -f -a "decode" -d 'Decode raw transactions (an argument, or stdin: hex lines or records with `raw`)'
complete -c evlock-sign -n "__fish_evlock_sign_using_subcommand help; and not __fish_seen_subcommand_from decode help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
