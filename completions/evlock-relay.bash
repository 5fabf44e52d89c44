# bash completion for evlock-relay; generated from its clap definition.
_evlock_relay() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i opts
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        case "${path}:${word}" in
            ':submit') path='submit' ;;
            ':listen') path='listen' ;;
            ':connect') path='connect' ;;
            ':rpc') path='rpc' ;;
            ':help') path='help' ;;
            'help:submit') path='help submit' ;;
            'help:listen') path='help listen' ;;
            'help:connect') path='help connect' ;;
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
        'listen:--bind')
            COMPREPLY=()
            return 0 ;;
        'listen:--from')
            COMPREPLY=()
            return 0 ;;
        'listen:--share')
            COMPREPLY=()
            return 0 ;;
        'listen:--cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'listen:--key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'listen:--client-ca')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'listen:--outbox')
            COMPREPLY=( $(compgen -d -- "${cur}") )
            return 0 ;;
        'listen:--allow')
            COMPREPLY=()
            return 0 ;;
        'listen:--route')
            COMPREPLY=()
            return 0 ;;
        'listen:--rate')
            COMPREPLY=()
            return 0 ;;
        'listen:--max-per-peer')
            COMPREPLY=()
            return 0 ;;
        'listen:--max-connections')
            COMPREPLY=()
            return 0 ;;
        'listen:--outbox-max-records')
            COMPREPLY=()
            return 0 ;;
        'listen:--outbox-max-bytes')
            COMPREPLY=()
            return 0 ;;
        'listen:--address-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'listen:--max-line')
            COMPREPLY=()
            return 0 ;;
        'listen:--handshake-timeout')
            COMPREPLY=()
            return 0 ;;
        'listen:--idle-timeout')
            COMPREPLY=()
            return 0 ;;
        'listen:--rpc')
            COMPREPLY=()
            return 0 ;;
        'listen:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'listen:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'listen:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'listen:--retries')
            COMPREPLY=()
            return 0 ;;
        'listen:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'connect:--to')
            COMPREPLY=()
            return 0 ;;
        'connect:--ca')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'connect:--cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'connect:--key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'connect:--spool')
            COMPREPLY=( $(compgen -d -- "${cur}") )
            return 0 ;;
        'connect:--server-name')
            COMPREPLY=()
            return 0 ;;
        'connect:--give-up-after')
            COMPREPLY=()
            return 0 ;;
        'connect:--retry-min')
            COMPREPLY=()
            return 0 ;;
        'connect:--retry-max')
            COMPREPLY=()
            return 0 ;;
        'connect:--resend-after')
            COMPREPLY=()
            return 0 ;;
        'connect:--exec')
            COMPREPLY=()
            return 0 ;;
        'connect:--on-error')
            COMPREPLY=( $(compgen -W 'stop skip' -- "${cur}") )
            return 0 ;;
        'connect:--spool-max-records')
            COMPREPLY=()
            return 0 ;;
        'connect:--spool-max-bytes')
            COMPREPLY=()
            return 0 ;;
        'connect:--max-line')
            COMPREPLY=()
            return 0 ;;
        'connect:--handshake-timeout')
            COMPREPLY=()
            return 0 ;;
        'connect:--idle-timeout')
            COMPREPLY=()
            return 0 ;;
        'connect:--rpc')
            COMPREPLY=()
            return 0 ;;
        'connect:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'connect:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'connect:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'connect:--retries')
            COMPREPLY=()
            return 0 ;;
        'connect:--request-timeout')
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
        '') opts='--rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help -V --version submit listen connect rpc help' ;;
        'submit') opts='--wait --no-wait --timeout --confirmations --poll --check --on-error --max-line --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'listen') opts='--bind --from --share --cert --key --client-ca --outbox --allow --route --rate --max-per-peer --max-connections --outbox-max-records --outbox-max-bytes --address-file --events --max-line --handshake-timeout --idle-timeout --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'connect') opts='--to --ca --cert --key --spool --server-name --give-up-after --retry-min --retry-max --exit-on-eof --shared --resend-after --exec --on-error --spool-max-records --spool-max-bytes --max-line --handshake-timeout --idle-timeout --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'rpc') opts='--rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='submit listen connect rpc help' ;;
        'help submit') opts='' ;;
        'help listen') opts='' ;;
        'help connect') opts='' ;;
        'help rpc') opts='' ;;
        'help help') opts='' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_relay -o bashdefault -o default evlock-relay
