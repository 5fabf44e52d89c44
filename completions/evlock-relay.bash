# bash completion for evlock-relay; generated from its clap definition.
_evlock_relay() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i opts
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        case "${path}:${word}" in
            ':submit') path='submit' ;;
            ':rpc') path='rpc' ;;
            ':help') path='help' ;;
            'help:submit') path='help submit' ;;
            'help:rpc') path='help rpc' ;;
            'help:help') path='help help' ;;
        esac
    done
    case "${path}:${prev}" in
        ':--rpc')
            COMPREPLY=()
            return 0 ;;
        ':--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--retries')
            COMPREPLY=()
            return 0 ;;
        ':--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'submit:--timeout')
            COMPREPLY=()
            return 0 ;;
        'submit:--confirmations')
            COMPREPLY=()
            return 0 ;;
        'submit:--poll')
            COMPREPLY=()
            return 0 ;;
        'submit:--on-error')
            COMPREPLY=( $(compgen -W 'stop skip' -- "${cur}") )
            return 0 ;;
        'submit:--max-line')
            COMPREPLY=()
            return 0 ;;
        'submit:--rpc')
            COMPREPLY=()
            return 0 ;;
        'submit:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'submit:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'submit:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'submit:--retries')
            COMPREPLY=()
            return 0 ;;
        'submit:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'rpc:--rpc')
            COMPREPLY=()
            return 0 ;;
        'rpc:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'rpc:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'rpc:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'rpc:--retries')
            COMPREPLY=()
            return 0 ;;
        'rpc:--request-timeout')
            COMPREPLY=()
            return 0 ;;
    esac
    case "${path}" in
        '') opts='--rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help -V --version submit rpc help' ;;
        'submit') opts='--wait --no-wait --timeout --confirmations --poll --check --on-error --max-line --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'rpc') opts='--rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='submit rpc help' ;;
        'help submit') opts='' ;;
        'help rpc') opts='' ;;
        'help help') opts='' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_relay -o bashdefault -o default evlock-relay
