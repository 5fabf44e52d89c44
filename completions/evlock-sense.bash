# bash completion for evlock-sense; generated from its clap definition.
_evlock_sense() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i opts
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        case "${path}:${word}" in
            ':scan') path='scan' ;;
            ':read') path='read' ;;
            ':help') path='help' ;;
            'help:scan') path='help scan' ;;
            'help:read') path='help read' ;;
            'help:help') path='help help' ;;
        esac
    done
    case "${path}:${prev}" in
        ':--profile')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--count')
            COMPREPLY=()
            return 0 ;;
        ':--give-up-after')
            COMPREPLY=()
            return 0 ;;
        ':--device')
            COMPREPLY=()
            return 0 ;;
        ':--switch')
            COMPREPLY=()
            return 0 ;;
        ':--certificate')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--technician')
            COMPREPLY=()
            return 0 ;;
        ':--interval')
            COMPREPLY=()
            return 0 ;;
        ':--clock')
            COMPREPLY=( $(compgen -W 'wall virtual' -- "${cur}") )
            return 0 ;;
        ':--frozen-after')
            COMPREPLY=()
            return 0 ;;
        ':--min-current')
            COMPREPLY=()
            return 0 ;;
        ':--open-current')
            COMPREPLY=()
            return 0 ;;
        ':--max-volts')
            COMPREPLY=()
            return 0 ;;
        ':--max-amps')
            COMPREPLY=()
            return 0 ;;
        'scan:--device')
            COMPREPLY=()
            return 0 ;;
        'scan:--addresses')
            COMPREPLY=()
            return 0 ;;
        'scan:--timeout')
            COMPREPLY=()
            return 0 ;;
        'read:--device')
            COMPREPLY=()
            return 0 ;;
        'read:--address')
            COMPREPLY=()
            return 0 ;;
        'read:--function')
            COMPREPLY=( $(compgen -W 'input holding' -- "${cur}") )
            return 0 ;;
        'read:--start')
            COMPREPLY=()
            return 0 ;;
        'read:--count')
            COMPREPLY=()
            return 0 ;;
        'read:--type')
            COMPREPLY=()
            return 0 ;;
        'read:--word-order')
            COMPREPLY=()
            return 0 ;;
        'read:--scale')
            COMPREPLY=()
            return 0 ;;
    esac
    case "${path}" in
        '') opts='--profile --count --fail-on-alarm --stop-on-alarm --give-up-after --self-test --device --switch --certificate --technician --interval --clock --frozen-after --min-current --open-current --max-volts --max-amps --pretty -v --verbose -q --quiet -h --help -V --version scan read help' ;;
        'scan') opts='--device --addresses --timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'read') opts='--device --address --function --start --count --type --word-order --scale --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='scan read help' ;;
        'help scan') opts='' ;;
        'help read') opts='' ;;
        'help help') opts='' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_sense -o bashdefault -o default evlock-sense
