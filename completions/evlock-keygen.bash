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
            ':list') path='list' ;;
            ':help') path='help' ;;
            'help:new') path='help new' ;;
            'help:import') path='help import' ;;
            'help:derive') path='help derive' ;;
            'help:inspect') path='help inspect' ;;
            'help:change-password') path='help change-password' ;;
            'help:list') path='help list' ;;
            'help:help') path='help help' ;;
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
        '') opts='--pretty -v --verbose -q --quiet -h --help -V --version new import derive inspect change-password list help' ;;
        'new') opts='--key --pkcs11-module --pin-file --words --mnemonic-out --show-mnemonic --discard-mnemonic --count --start --hd-path --passphrase-file -o --out-dir --light-kdf --force --account --password-file --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'import') opts='--mnemonic-file --private-key-file --keystore --source-password-file --count --start --hd-path --passphrase-file -o --out-dir --light-kdf --force --account --password-file --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'derive') opts='--mnemonic-file --count --start --hd-path --passphrase-file --pretty -v --verbose -q --quiet -h --help' ;;
        'inspect') opts='--verify --password-file --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'change-password') opts='--new-password-file --light-kdf --password-file --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'list') opts='--key --pkcs11-module --pin-file --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='new import derive inspect change-password list help' ;;
        'help new') opts='' ;;
        'help import') opts='' ;;
        'help derive') opts='' ;;
        'help inspect') opts='' ;;
        'help change-password') opts='' ;;
        'help list') opts='' ;;
        'help help') opts='' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_keygen -o bashdefault -o default evlock-keygen
