complete -c evlock-devnet -l port -d 'TCP port on 127.0.0.1 (0 picks a free one)' -r
complete -c evlock-devnet -l chain-id -d 'The chain id' -r
complete -c evlock-devnet -l mnemonic-file -d 'The dev mnemonic (default: the documented `test test … junk`)' -r -F
complete -c evlock-devnet -l accounts -d 'How many dev accounts to fund (at most 1000)' -r
complete -c evlock-devnet -l balance -d 'Each dev account\'s balance' -r
complete -c evlock-devnet -l fund -d 'Fund another account too (repeatable), e.g. --fund 0xAbC…=5KAIA' -r
complete -c evlock-devnet -l gas-price -d 'The chain\'s gas price' -r
complete -c evlock-devnet -l block-time -d 'Mine a block every DURATION (1ms or more) instead of one per transaction; 0 means on demand, one block per transaction (the default)' -r
complete -c evlock-devnet -l state -d 'Persist the chain in FILE (loaded at start, appended after every block)' -r -F
complete -c evlock-devnet -l tls-cert -d 'Serve HTTPS with this PEM certificate chain (needs --tls-key)' -r -F
complete -c evlock-devnet -l tls-key -d 'The PEM private key of --tls-cert' -r -F
complete -c evlock-devnet -l client-ca -d 'Require client certificates issued by this PEM CA (mutual TLS)' -r -F
complete -c evlock-devnet -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-devnet -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-devnet -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-devnet -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-devnet -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-devnet -s V -l version -d 'Print version'
