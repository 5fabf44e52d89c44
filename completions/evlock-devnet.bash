# bash completion for evlock-devnet; generated from its clap definition.
_evlock_devnet() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i opts
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        case "${path}:${word}" in
        esac
    done
    case "${path}:${prev}" in
        ':--port')
            COMPREPLY=()
            return 0 ;;
        ':--chain-id')
            COMPREPLY=()
            return 0 ;;
        ':--mnemonic-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--accounts')
            COMPREPLY=()
            return 0 ;;
        ':--balance')
            COMPREPLY=()
            return 0 ;;
        ':--fund')
            COMPREPLY=()
            return 0 ;;
        ':--gas-price')
            COMPREPLY=()
            return 0 ;;
        ':--block-time')
            COMPREPLY=()
            return 0 ;;
        ':--state')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--tls-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--tls-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--client-ca')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
    esac
    case "${path}" in
        '') opts='--port --chain-id --mnemonic-file --accounts --balance --fund --gas-price --block-time --state --tls-cert --tls-key --client-ca --pretty -v --verbose -q --quiet -h --help -V --version' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_devnet -o bashdefault -o default evlock-devnet
