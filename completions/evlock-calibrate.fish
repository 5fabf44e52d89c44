# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_evlock_calibrate_global_optspecs
    string join \n pretty v/verbose q/quiet generate= h/help V/version
end

function __fish_evlock_calibrate_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_evlock_calibrate_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_evlock_calibrate_using_subcommand
    set -l cmd (__fish_evlock_calibrate_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -s V -l version -d 'Print version'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -f -a "commission" -d 'Commission a meter: measure it against reference loads and write a signed certificate'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -f -a "check" -d 'Check a meter against its certificate: signature, registers, load points'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -f -a "report" -d 'Print a certificate (and a check\'s results) as a table; draw the errors as SVG'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l device -d 'The meter under test' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l switch -d 'The relay in front of the load (opened for the zero point, closed for load points); its programmable load is used when the device has one (the simulator\'s)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l reference -d 'A reference meter measured alongside, e.g. `sim:bench?role=reference` or a calibrated Modbus meter in series' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l expect -d 'The reference currents are known (calibrated loads), e.g. `0A,1A,2A,5A`: they are also the load points; a 0 A entry stands for the zero point, which is always measured' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l points -d 'The load points with --reference (default for commission: 1A,2A,5A; for check: the certificate\'s)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l warmup -d 'Read the meters this long before the first point (sensors drift while warming up)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l settle -d 'Wait this long after each change of load or relay' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l interval -d 'The time between two readings of a point' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l samples -d 'Readings averaged per point' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l clock -d 'The clock: `virtual` for the simulator (no waiting)' -r -f -a "wall\t'Real time: sleep to a fixed schedule'
virtual\t'Virtual time (simulator, tests): no sleeping, `at` advances by the interval'"
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l class -d 'The accuracy class, %: load points must be within ±CLASS % of the reference. One of the standard classes 0.1, 0.2, 0.5, 1, 2, 3 (IEC 62053, ANSI C12.20)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l zero-limit -d 'The zero point\'s limit (default: CLASS % of the smallest load point)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l out -d 'Where to write the certificate (only when every point passes)' -r -F
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l key -d 'The key: a keystore path or `keystore:PATH`, `optee:SLOT` (a TrustZone key; with the optee feature), or `pkcs11:token=LABEL;object=LABEL` (a key on a PKCS#11 token)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l password-file -d 'File holding the keystore password (one trailing newline is ignored)' -r -F
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l pkcs11-module -d 'The PKCS#11 module (the token vendor\'s .so, e.g. /usr/lib/softhsm/libsofthsm2.so) for `--key pkcs11:…`' -r -F
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l pin-file -d 'File holding the token\'s user PIN (one trailing newline is ignored); without it, a hidden prompt. The PIN is tried once' -r -F
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l force -d 'Replace an existing certificate file'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l no-input -d 'Never prompt: fail when something must be asked that no option or file answers'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand commission" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l device -d 'The meter under test' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l switch -d 'The relay in front of the load (opened for the zero point, closed for load points); its programmable load is used when the device has one (the simulator\'s)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l reference -d 'A reference meter measured alongside, e.g. `sim:bench?role=reference` or a calibrated Modbus meter in series' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l expect -d 'The reference currents are known (calibrated loads), e.g. `0A,1A,2A,5A`: they are also the load points; a 0 A entry stands for the zero point, which is always measured' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l points -d 'The load points with --reference (default for commission: 1A,2A,5A; for check: the certificate\'s)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l warmup -d 'Read the meters this long before the first point (sensors drift while warming up)' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l settle -d 'Wait this long after each change of load or relay' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l interval -d 'The time between two readings of a point' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l samples -d 'Readings averaged per point' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l clock -d 'The clock: `virtual` for the simulator (no waiting)' -r -f -a "wall\t'Real time: sleep to a fixed schedule'
virtual\t'Virtual time (simulator, tests): no sleeping, `at` advances by the interval'"
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l certificate -d 'The meter\'s calibration certificate' -r -F
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l technician -d 'Refuse the certificate unless this address signed it' -r
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l no-input -d 'Never prompt: fail when a load would have to be connected by hand'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand report" -l certificate -d 'The certificate to show' -r -F
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand report" -l check -d 'The NDJSON output of a `check`, shown next to the commissioning\'s points' -r -F
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand report" -l svg -d 'Also draw error % against load current, with the class limits, into this SVG file' -r -F
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand report" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand report" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand report" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand report" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand help; and not __fish_seen_subcommand_from commission check report help" -f -a "commission" -d 'Commission a meter: measure it against reference loads and write a signed certificate'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand help; and not __fish_seen_subcommand_from commission check report help" -f -a "check" -d 'Check a meter against its certificate: signature, registers, load points'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand help; and not __fish_seen_subcommand_from commission check report help" -f -a "report" -d 'Print a certificate (and a check\'s results) as a table; draw the errors as SVG'
complete -c evlock-calibrate -n "__fish_evlock_calibrate_using_subcommand help; and not __fish_seen_subcommand_from commission check report help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
