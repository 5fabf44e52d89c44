complete -c evlock-sense -l on-error -d 'What to do with a bad input record: stop the stream or skip the record' -r -f -a "stop\t'Report the line and stop the stream (the default: nothing is done past a bad line)'
skip\t'Report the line and go on with the next one; the tool still exits non-zero at the end'"
complete -c evlock-sense -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-sense -l device -d 'The meter\'s device URI, e.g. `modbus:/dev/ttyUSB0?profile=sdm120`, `ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015`, `sim:home?fault=reset@60s`' -r
complete -c evlock-sense -l interval -d 'The time between readings (`0` = as fast as the device answers)' -r
complete -c evlock-sense -l count -d 'Stop after N readings (failed reads count); without it, run until interrupted' -r
complete -c evlock-sense -l switch -d 'The relay in front of the load, e.g. `gpio:/dev/gpiochip0?line=17` or `sim:home`: its state goes into every reading and enables the wiring checks' -r
complete -c evlock-sense -l certificate -d 'A calibration certificate (from `evlock-calibrate commission`): its signature is verified, its gain/offset correct amps and watts, its register baseline is what the `recalibrated` check compares against' -r -F
complete -c evlock-sense -l technician -d 'Refuse the certificate unless this address signed it' -r
complete -c evlock-sense -l clock -d 'The clock pacing the readings' -r -f -a "wall\t'Real time: sleep to a fixed schedule'
virtual\t'Virtual time (simulator, tests): no sleeping, `at` advances by the interval'"
complete -c evlock-sense -l frozen-after -d '`frozen` after N readings in a row each repeat the previous one bit for bit (default 10; 60 for Modbus meters, which refresh about once a second)' -r
complete -c evlock-sense -l min-current -d 'A load is connected: with the relay closed, less than this current (e.g. `0.5A`) is `no_current_while_closed`. Off by default' -r
complete -c evlock-sense -l open-current -d 'With the relay open, more than this current is `current_while_open` (default 0.05 A; 0.15 A for the ACS712, whose noise alone reaches 0.06 A)' -r
complete -c evlock-sense -l max-volts -d 'The highest voltage the device can measure, V (default: from the device\'s datasheet)' -r
complete -c evlock-sense -l max-amps -d 'The highest current the device can measure, A (default: from the device\'s datasheet, or the INA22x\'s shunt)' -r
complete -c evlock-sense -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-sense -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-sense -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing)'
complete -c evlock-sense -l fail-on-alarm -d 'Exit 1 at the end if any alarm was raised'
complete -c evlock-sense -l stop-on-alarm -d 'Stop at the first alarm (after writing it and its reading) and exit 1'
complete -c evlock-sense -l self-test -d 'Run the device\'s self-test instead: one `self_test` record per check, exit 1 if any fails'
complete -c evlock-sense -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-sense -s V -l version -d 'Print version'
