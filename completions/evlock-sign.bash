# bash completion for evlock-sign; generated from its clap definition.
_evlock_sign() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i opts
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        case "${path}:${word}" in
            ':decode') path='decode' ;;
            ':help') path='help' ;;
            'help:decode') path='help decode' ;;
            'help:help') path='help help' ;;
        esac
    done
    case "${path}:${prev}" in
        ':--role')
            COMPREPLY=( $(compgen -W 'sender fee-payer' -- "${cur}") )
            return 0 ;;
        ':--chain-id')
            COMPREPLY=()
            return 0 ;;
        ':--policy')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--audit-log')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--key')
            COMPREPLY=()
            return 0 ;;
        ':--account')
            COMPREPLY=()
            return 0 ;;
        ':--password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--pkcs11-module')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--pin-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--on-error')
            COMPREPLY=( $(compgen -W 'stop skip' -- "${cur}") )
            return 0 ;;
        ':--max-line')
            COMPREPLY=()
            return 0 ;;
        'decode:--on-error')
            COMPREPLY=( $(compgen -W 'stop skip' -- "${cur}") )
            return 0 ;;
        'decode:--max-line')
            COMPREPLY=()
            return 0 ;;
    esac
    case "${path}" in
        '') opts='--role --chain-id --policy --audit-log --key --account --password-file --no-input --pkcs11-module --pin-file --on-error --max-line --pretty -v --verbose -q --quiet -h --help -V --version decode help' ;;
        'decode') opts='--on-error --max-line --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='decode help' ;;
        'help decode') opts='' ;;
        'help help') opts='' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_sign -o bashdefault -o default evlock-sign
