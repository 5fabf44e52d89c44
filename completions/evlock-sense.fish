# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_evlock_sense_global_optspecs
    string join \n profile= count= fail-on-alarm stop-on-alarm give-up-after= self-test device= switch= certificate= technician= interval= clock= frozen-after= min-current= open-current= max-volts= max-amps= pretty v/verbose q/quiet generate= h/help V/version
end

function __fish_evlock_sense_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_evlock_sense_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_evlock_sense_using_subcommand
    set -l cmd (__fish_evlock_sense_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l profile -d 'A Modbus meter profile file (TOML: registers, types, word order, scale, units) for a meter that is not built in; the same as `profile=FILE` in the URI' -r -F
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l count -d 'Stop after N readings (failed reads count); without it, run until interrupted' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l give-up-after -d 'Give up with exit 3 after N failed reads in a row (0: never; the stream keeps retrying and `device_silent` stays raised)' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l device -d 'The meter\'s device URI, e.g. `modbus:/dev/ttyUSB0?profile=sdm120`, `ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015`, `sim:home?fault=reset@60s`' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l switch -d 'The relay in front of the battery or load, e.g. `gpio:/dev/gpiochip0?line=17` or `sim:home`: its state goes into every reading and enables the wiring checks' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l certificate -d 'A calibration certificate (from `evlock-calibrate commission`): its signature is verified, its gain/offset correct amps and watts, its register baseline is what the `recalibrated` check compares against' -r -F
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l technician -d 'Refuse the certificate unless this address signed it' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l interval -d 'The time between readings (`0` = as fast as the device answers)' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l clock -d 'The clock pacing the readings (`virtual` for the simulator: no sleeping)' -r -f -a "wall\t'Real time: sleep to a fixed schedule'
virtual\t'Virtual time (simulator, tests): no sleeping, `at` advances by the interval'"
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l frozen-after -d '`frozen` after N readings in a row each repeat the previous one bit for bit (default 10; 60 for Modbus meters, which refresh about once a second)' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l min-current -d 'A load is connected: with the relay closed, less than this current (e.g. `0.5A`) is `no_current_while_closed`. Off by default' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l open-current -d 'With the relay open, more than this current is `current_while_open` (default 0.05 A; 0.15 A for the ACS712, whose noise alone reaches 0.06 A)' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l max-volts -d 'The highest voltage the device can measure, V (default: from the device\'s datasheet)' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l max-amps -d 'The highest current the device can measure, A (default: from the device\'s datasheet, or the INA22x\'s shunt)' -r
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l fail-on-alarm -d 'Exit 1 at the end if any alarm was raised'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l stop-on-alarm -d 'Stop at the first alarm (after writing it and its reading) and exit 1'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l self-test -d 'Run the device\'s self-test instead: one `self_test` record per check, exit 1 if any fails'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -s V -l version -d 'Print version'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -f -a "scan" -d 'Find the Modbus slaves on a serial line: one `modbus_slave` record per address that answers (exit 1 when none does)'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -f -a "read" -d 'Read raw registers from a Modbus slave: one `registers` record, decoded with --type'
complete -c evlock-sense -n "__fish_evlock_sense_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand scan" -l device -d 'The serial line and its settings, e.g. `modbus:/dev/ttyUSB0?baud=9600&parity=N`' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand scan" -l addresses -d 'The addresses to try, e.g. `1-247` or `5`' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand scan" -l timeout -d 'How long to wait for each address (a silent one costs this much)' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand scan" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand scan" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand scan" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand scan" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand scan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l device -d 'The serial line and its settings, e.g. `modbus:/dev/ttyUSB0?profile=pzem004t&addr=1`' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l address -d 'The slave address (default: the URI\'s `addr`, else 1)' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l function -d 'Input registers (function 0x04, measurements) or holding registers (0x03, settings)' -r -f -a "input\t'Function 0x04: input registers'
holding\t'Function 0x03: holding registers'"
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l start -d 'The first register, decimal or 0x-hex' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l count -d 'How many registers (default: the --type\'s width, else 1)' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l type -d 'Decode the registers as u16, i16, u32, i32 or f32' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l word-order -d 'The order of a 32-bit value\'s two registers: big (high word first, Eastron) or little (low word first, PZEM-004T)' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l scale -d 'Multiply the decoded value by this, e.g. 0.1 for a PZEM\'s voltage' -r
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand read" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand help; and not __fish_seen_subcommand_from scan read help" -f -a "scan" -d 'Find the Modbus slaves on a serial line: one `modbus_slave` record per address that answers (exit 1 when none does)'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand help; and not __fish_seen_subcommand_from scan read help" -f -a "read" -d 'Read raw registers from a Modbus slave: one `registers` record, decoded with --type'
complete -c evlock-sense -n "__fish_evlock_sense_using_subcommand help; and not __fish_seen_subcommand_from scan read help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
