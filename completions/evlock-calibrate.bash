# bash completion for evlock-calibrate; generated from its clap definition.
_evlock_calibrate() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i opts
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        case "${path}:${word}" in
            ':commission') path='commission' ;;
            ':check') path='check' ;;
            ':report') path='report' ;;
            ':help') path='help' ;;
            'help:commission') path='help commission' ;;
            'help:check') path='help check' ;;
            'help:report') path='help report' ;;
            'help:help') path='help help' ;;
        esac
    done
    case "${path}:${prev}" in
        'commission:--device')
            COMPREPLY=()
            return 0 ;;
        'commission:--switch')
            COMPREPLY=()
            return 0 ;;
        'commission:--reference')
            COMPREPLY=()
            return 0 ;;
        'commission:--expect')
            COMPREPLY=()
            return 0 ;;
        'commission:--points')
            COMPREPLY=()
            return 0 ;;
        'commission:--warmup')
            COMPREPLY=()
            return 0 ;;
        'commission:--settle')
            COMPREPLY=()
            return 0 ;;
        'commission:--interval')
            COMPREPLY=()
            return 0 ;;
        'commission:--samples')
            COMPREPLY=()
            return 0 ;;
        'commission:--clock')
            COMPREPLY=( $(compgen -W 'wall virtual' -- "${cur}") )
            return 0 ;;
        'commission:--class')
            COMPREPLY=()
            return 0 ;;
        'commission:--zero-limit')
            COMPREPLY=()
            return 0 ;;
        'commission:--out')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'commission:--key')
            COMPREPLY=()
            return 0 ;;
        'commission:--password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'commission:--pkcs11-module')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'commission:--pin-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'check:--device')
            COMPREPLY=()
            return 0 ;;
        'check:--switch')
            COMPREPLY=()
            return 0 ;;
        'check:--reference')
            COMPREPLY=()
            return 0 ;;
        'check:--expect')
            COMPREPLY=()
            return 0 ;;
        'check:--points')
            COMPREPLY=()
            return 0 ;;
        'check:--warmup')
            COMPREPLY=()
            return 0 ;;
        'check:--settle')
            COMPREPLY=()
            return 0 ;;
        'check:--interval')
            COMPREPLY=()
            return 0 ;;
        'check:--samples')
            COMPREPLY=()
            return 0 ;;
        'check:--clock')
            COMPREPLY=( $(compgen -W 'wall virtual' -- "${cur}") )
            return 0 ;;
        'check:--certificate')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'check:--technician')
            COMPREPLY=()
            return 0 ;;
        'report:--certificate')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'report:--check')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'report:--svg')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
    esac
    case "${path}" in
        '') opts='--pretty -v --verbose -q --quiet -h --help -V --version commission check report help' ;;
        'commission') opts='--device --switch --reference --expect --points --warmup --settle --interval --samples --clock --class --zero-limit --out --force --key --password-file --no-input --pkcs11-module --pin-file --pretty -v --verbose -q --quiet -h --help' ;;
        'check') opts='--device --switch --reference --expect --points --warmup --settle --interval --samples --clock --certificate --technician --no-input --pretty -v --verbose -q --quiet -h --help' ;;
        'report') opts='--certificate --check --svg --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='commission check report help' ;;
        'help commission') opts='' ;;
        'help check') opts='' ;;
        'help report') opts='' ;;
        'help help') opts='' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_calibrate -o bashdefault -o default evlock-calibrate
