# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_evlock_relay_global_optspecs
    string join \n rpc= ca-cert= client-cert= client-key= retries= request-timeout= pretty v/verbose q/quiet generate= h/help V/version
end

function __fish_evlock_relay_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_evlock_relay_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_evlock_relay_using_subcommand
    set -l cmd (__fish_evlock_relay_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -s V -l version -d 'Print version'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -f -a "submit" -d 'Send signed transactions (stdin: `signed_tx` records, records with `raw`, or hex lines) and write a `receipt` record for each'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -f -a "listen" -d 'The operator\'s end of the mutual-TLS link to its meters: records from meters to stdout (with meta.peer), records from stdin to the meter their meta.to names'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -f -a "connect" -d 'A meter\'s end of the link: stdin to the operator, what the operator sends to stdout (or through --exec CMD)'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -f -a "rpc" -d 'Make one JSON-RPC call and write its result as an `rpc_result` record'
complete -c evlock-relay -n "__fish_evlock_relay_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l timeout -d 'How long to wait for each receipt (and its confirmations), e.g. `30s`, `2m`' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l confirmations -d 'Blocks that must hold or follow the transaction\'s block (1: once it is in a block)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l poll -d 'The longest pause between two receipt polls (polling starts at 25 ms and slows down)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l on-error -d 'What to do with a bad input record: stop the stream or skip the record' -r -f -a "stop\t'Report the line and stop the stream (the default: nothing is done past a bad line)'
skip\t'Report the line and go on with the next one; the tool still exits non-zero at the end'"
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l max-line -d 'The longest input line accepted, in bytes; a longer line is an `error` record and is skipped without being held in memory' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l wait -d 'Wait for each receipt (the default)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l no-wait -d 'Do not wait: write a record with the hash and `status: pending`'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l check -d 'With --no-wait: after the stream, wait (up to --timeout each) until every transaction is mined; exit 1 if one reverted, 4 if one was not mined in time'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand submit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l bind -d 'The address to listen on, e.g. 0.0.0.0:7443 (port 0 picks one: see --address-file)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l from -d 'Fleet mode: reach the meters through this MQTT 5 broker, mqtts://HOST[:PORT], with --cert/--key as this operator\'s client certificate and --client-ca (or --ca) as the CA of the broker\'s certificate' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l share -d 'Fleet mode shared by several operator processes: subscribe as one of GROUP ($share/GROUP/evlock/meters/+/up), each taking the records the broker deals it, acknowledged one by one; for meters run with `connect --shared`. Stdin is not read' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l cert -d 'The operator\'s certificate (PEM chain), from `evlock-keygen tls issue --server`' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l key -d 'Its private key (PEM)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l client-ca -d 'The CA that meters\' certificates must chain to (with --from: the broker\'s)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l outbox -d 'The state folder: the outbox for meters that are away, the marks of what was received' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l allow -d 'Only these peers: a name (`*` matches any run, e.g. meter-*) or an account (0x…). Repeatable; without it every certificate from --client-ca is allowed' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l route -d 'Forward records whose meta.to names another peer: FROM:TO[:KIND,…], e.g. \'meter-*:meter-*:receipt\'. Repeatable; without it nothing is forwarded' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l rate -d 'Records per second per peer, with an optional burst (N/s,BURST), or `none`. A peer above it is slowed down, not cut' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l max-per-peer -d 'Connections per certificate' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l max-connections -d 'Connections in all (handshakes included)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l outbox-max-records -d 'Records waiting per peer in the outbox before more are refused' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l outbox-max-bytes -d 'Bytes waiting per peer in the outbox before more are refused (e.g. 64MiB)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l address-file -d 'Write the address actually bound to FILE once listening (with port 0)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l max-line -d 'The longest record line accepted, in bytes (from stdin and from the peer)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l handshake-timeout -d 'The TLS handshake and the peer\'s hello must be done within this' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l idle-timeout -d 'Cut a connection on which nothing arrives for this long (pings keep a quiet link up)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l events -d 'Also write a `link` record to stdout whenever a meter connects or disconnects, with its certificate\'s name and account and the time (for `evlock-trade serve`; other tools refuse the kind, so leave it off where they read the output)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand listen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l to -d 'The operator\'s listener, HOST:PORT, or an MQTT 5 broker, mqtts://HOST[:PORT] (fleet mode: publish to evlock/meters/NAME/up, read evlock/meters/NAME/down)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l ca -d 'The CA the operator\'s certificate must chain to (the only one trusted)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l cert -d 'This meter\'s certificate (PEM chain), from `evlock-keygen tls issue`' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l key -d 'Its private key (PEM)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l spool -d 'The state folder: the spool of unacknowledged records, the marks of what was received' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l server-name -d 'The name the operator\'s certificate must carry (default: the host of --to)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l give-up-after -d 'Give up (exit 4) after this long without a link; 0s: after the first failure. Default: never' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l retry-min -d 'The first pause between attempts; it doubles (with jitter) up to --retry-max' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l retry-max -d 'The longest pause between attempts' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l resend-after -d 'With --shared: send a record again when no operator acknowledged it within this long' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l exec -d 'Run CMD (with sh -c) between the link\'s output and input: its stdin gets what the operator sends, its stdout is sent to the operator. Ends when CMD ends' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l on-error -d 'What a bad input line does: stop reading (exit 2 once the rest is acknowledged) or skip it' -r -f -a "stop\t'Report the line and stop the stream (the default: nothing is done past a bad line)'
skip\t'Report the line and go on with the next one; the tool still exits non-zero at the end'"
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l spool-max-records -d 'Records waiting in the spool before the input waits' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l spool-max-bytes -d 'Bytes waiting in the spool before the input waits (e.g. 64MiB)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l max-line -d 'The longest record line accepted, in bytes (from stdin and from the peer)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l handshake-timeout -d 'The TLS handshake and the peer\'s hello must be done within this' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l idle-timeout -d 'Cut a connection on which nothing arrives for this long (pings keep a quiet link up)' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l exit-on-eof -d 'End (exit 0) once stdin has ended and the operator has acknowledged everything (after linking at least once)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l shared -d 'Fleet mode with operators on a shared subscription (`listen --share`): each record acknowledged on its own by whichever operator took it; nothing comes back but acks'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand connect" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand rpc" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand help; and not __fish_seen_subcommand_from submit listen connect rpc help" -f -a "submit" -d 'Send signed transactions (stdin: `signed_tx` records, records with `raw`, or hex lines) and write a `receipt` record for each'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand help; and not __fish_seen_subcommand_from submit listen connect rpc help" -f -a "listen" -d 'The operator\'s end of the mutual-TLS link to its meters: records from meters to stdout (with meta.peer), records from stdin to the meter their meta.to names'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand help; and not __fish_seen_subcommand_from submit listen connect rpc help" -f -a "connect" -d 'A meter\'s end of the link: stdin to the operator, what the operator sends to stdout (or through --exec CMD)'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand help; and not __fish_seen_subcommand_from submit listen connect rpc help" -f -a "rpc" -d 'Make one JSON-RPC call and write its result as an `rpc_result` record'
complete -c evlock-relay -n "__fish_evlock_relay_using_subcommand help; and not __fish_seen_subcommand_from submit listen connect rpc help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
