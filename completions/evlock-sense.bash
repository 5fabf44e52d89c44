_evlock__sense() {
    local i cur prev opts cmd
    COMPREPLY=()
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        cur="$2"
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
    fi
    prev="$3"
    cmd=""
    opts=""

    for i in "${COMP_WORDS[@]:0:COMP_CWORD}"
    do
        case "${cmd},${i}" in
            ",$1")
                cmd="evlock__sense"
                ;;
            *)
                ;;
        esac
    done

    case "${cmd}" in
        evlock__sense)
            opts="-v -q -h -V --pretty --verbose --quiet --on-error --generate --device --interval --count --switch --certificate --technician --fail-on-alarm --stop-on-alarm --clock --self-test --frozen-after --min-current --open-current --max-volts --max-amps --help --version"
            if [[ ${cur} == -* || ${COMP_CWORD} -eq 1 ]] ; then
                COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
                return 0
            fi
            case "${prev}" in
                --on-error)
                    COMPREPLY=($(compgen -W "stop skip" -- "${cur}"))
                    return 0
                    ;;
                --generate)
                    COMPREPLY=($(compgen -W "man bash zsh fish" -- "${cur}"))
                    return 0
                    ;;
                --device)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --interval)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --count)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --switch)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --certificate)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --technician)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --clock)
                    COMPREPLY=($(compgen -W "wall virtual" -- "${cur}"))
                    return 0
                    ;;
                --frozen-after)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --min-current)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --open-current)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-volts)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                --max-amps)
                    COMPREPLY=($(compgen -f "${cur}"))
                    return 0
                    ;;
                *)
                    COMPREPLY=()
                    ;;
            esac
            COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
            return 0
            ;;
    esac
}

if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -F _evlock__sense -o nosort -o bashdefault -o default evlock-sense
else
    complete -F _evlock__sense -o bashdefault -o default evlock-sense
fi
