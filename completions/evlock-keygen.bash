# bash completion for evlock-keygen; generated from its clap definition.
_evlock_keygen() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i opts
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        case "${path}:${word}" in
            ':new') path='new' ;;
            ':import') path='import' ;;
            ':derive') path='derive' ;;
            ':inspect') path='inspect' ;;
            ':change-password') path='change-password' ;;
            ':tls') path='tls' ;;
            ':list') path='list' ;;
            ':help') path='help' ;;
            'tls:ca') path='tls ca' ;;
            'tls:issue') path='tls issue' ;;
            'tls:inspect') path='tls inspect' ;;
            'tls:help') path='tls help' ;;
            'tls help:ca') path='tls help ca' ;;
            'tls help:issue') path='tls help issue' ;;
            'tls help:inspect') path='tls help inspect' ;;
            'tls help:help') path='tls help help' ;;
            'help:new') path='help new' ;;
            'help:import') path='help import' ;;
            'help:derive') path='help derive' ;;
            'help:inspect') path='help inspect' ;;
            'help:change-password') path='help change-password' ;;
            'help:tls') path='help tls' ;;
            'help:list') path='help list' ;;
            'help:help') path='help help' ;;
            'help tls:ca') path='help tls ca' ;;
            'help tls:issue') path='help tls issue' ;;
            'help tls:inspect') path='help tls inspect' ;;
        esac
    done
    case "${path}:${prev}" in
        'new:--key')
            COMPREPLY=()
            return 0 ;;
        'new:--pkcs11-module')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'new:--pin-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'new:--words')
            COMPREPLY=()
            return 0 ;;
        'new:--mnemonic-out')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'new:--count')
            COMPREPLY=()
            return 0 ;;
        'new:--start')
            COMPREPLY=()
            return 0 ;;
        'new:--hd-path')
            COMPREPLY=()
            return 0 ;;
        'new:--passphrase-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'new:-o'|'new:--out-dir')
            COMPREPLY=( $(compgen -d -- "${cur}") )
            return 0 ;;
        'new:--account')
            COMPREPLY=()
            return 0 ;;
        'new:--password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'import:--mnemonic-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'import:--private-key-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'import:--keystore')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'import:--source-password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'import:--count')
            COMPREPLY=()
            return 0 ;;
        'import:--start')
            COMPREPLY=()
            return 0 ;;
        'import:--hd-path')
            COMPREPLY=()
            return 0 ;;
        'import:--passphrase-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'import:-o'|'import:--out-dir')
            COMPREPLY=( $(compgen -d -- "${cur}") )
            return 0 ;;
        'import:--account')
            COMPREPLY=()
            return 0 ;;
        'import:--password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'derive:--mnemonic-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'derive:--count')
            COMPREPLY=()
            return 0 ;;
        'derive:--start')
            COMPREPLY=()
            return 0 ;;
        'derive:--hd-path')
            COMPREPLY=()
            return 0 ;;
        'derive:--passphrase-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'inspect:--password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'change-password:--new-password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'change-password:--password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'tls ca:--name')
            COMPREPLY=()
            return 0 ;;
        'tls ca:--cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'tls ca:--key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'tls ca:--days')
            COMPREPLY=()
            return 0 ;;
        'tls ca:--valid-from')
            COMPREPLY=()
            return 0 ;;
        'tls issue:--ca')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'tls issue:--ca-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'tls issue:--name')
            COMPREPLY=()
            return 0 ;;
        'tls issue:--account')
            COMPREPLY=()
            return 0 ;;
        'tls issue:--host')
            COMPREPLY=()
            return 0 ;;
        'tls issue:--cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'tls issue:--key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'tls issue:--days')
            COMPREPLY=()
            return 0 ;;
        'tls issue:--valid-from')
            COMPREPLY=()
            return 0 ;;
        'list:--key')
            COMPREPLY=()
            return 0 ;;
        'list:--pkcs11-module')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'list:--pin-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
    esac
    case "${path}" in
        '') opts='--pretty -v --verbose -q --quiet -h --help -V --version new import derive inspect change-password tls list help' ;;
        'new') opts='--key --pkcs11-module --pin-file --words --mnemonic-out --show-mnemonic --discard-mnemonic --count --start --hd-path --passphrase-file -o --out-dir --light-kdf --force --account --password-file --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'import') opts='--mnemonic-file --private-key-file --keystore --source-password-file --count --start --hd-path --passphrase-file -o --out-dir --light-kdf --force --account --password-file --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'derive') opts='--mnemonic-file --count --start --hd-path --passphrase-file --pretty -v --verbose -q --quiet -h --help' ;;
        'inspect') opts='--verify --password-file --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'change-password') opts='--new-password-file --light-kdf --password-file --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'tls') opts='--pretty -v --verbose -q --quiet -h --help ca issue inspect help' ;;
        'tls ca') opts='--name --cert --key --days --valid-from --force --pretty -v --verbose -q --quiet -h --help' ;;
        'tls issue') opts='--ca --ca-key --name --account --host --server --client --cert --key --days --valid-from --force --pretty -v --verbose -q --quiet -h --help' ;;
        'tls inspect') opts='--pretty -v --verbose -q --quiet -h --help' ;;
        'tls help') opts='ca issue inspect help' ;;
        'tls help ca') opts='' ;;
        'tls help issue') opts='' ;;
        'tls help inspect') opts='' ;;
        'tls help help') opts='' ;;
        'list') opts='--key --pkcs11-module --pin-file --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='new import derive inspect change-password tls list help' ;;
        'help new') opts='' ;;
        'help import') opts='' ;;
        'help derive') opts='' ;;
        'help inspect') opts='' ;;
        'help change-password') opts='' ;;
        'help tls') opts='ca issue inspect' ;;
        'help tls ca') opts='' ;;
        'help tls issue') opts='' ;;
        'help tls inspect') opts='' ;;
        'help list') opts='' ;;
        'help help') opts='' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_keygen -o bashdefault -o default evlock-keygen
