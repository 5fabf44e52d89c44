# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_evlock_trade_global_optspecs
    string join \n contract= market-version= rpc= ca-cert= client-cert= client-key= retries= request-timeout= pretty v/verbose q/quiet generate= h/help V/version
end

function __fish_evlock_trade_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_evlock_trade_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_evlock_trade_using_subcommand
    set -l cmd (__fish_evlock_trade_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -s V -l version -d 'Print version'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "deploy" -d 'Deploy a market; the sender becomes its registrar'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "register-meter" -d 'Bind a commissioned meter to its owner (registrar only)'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "offer" -d 'Offer energy at a price per Wh'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "buy" -d 'Buy an offer, escrowing exactly energy × price'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "report" -d 'Report the Wh delivered: once with --wh, or as a stream from `reading` records on stdin'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "settle" -d 'Settle a trade: both meters reported the whole energy, or its deadline passed'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "cancel" -d 'Cancel an offer nobody bought (the seller only)'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "withdraw" -d 'Withdraw everything the market owes the sender'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "meter" -d 'Version 2: bind a meter with its owner\'s consent, revoke it, set its signing address'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "registrar" -d 'Version 2: hand the registrar role over (propose, then accept)'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "receipts" -d 'Version 2: put signed `delivery_receipt` records (stdin) on chain, or settle with them'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "status" -d 'Read an offer, a trade, a meter, an account\'s credit or its balance (a `status` record)'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "watch" -d 'Write the market\'s events as `event` records, from a block on'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "deliver" -d 'Run a delivery: close the relay, meter, report (version 2: sign receipts), stop on an alarm or when delivered, then settle (signs and submits itself; journaled so a killed session resumes)'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "serve" -d 'Serve the operator\'s console: a live web page of the market and the meters'
complete -c evlock-trade -n "__fish_evlock_trade_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l delivery-blocks -d 'Blocks a trade has for delivery, counted from the buy (the contract keeps 1 to 2^40 - 256)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l grace-blocks -d 'Version 2: blocks after a trade\'s deadline in which only its seller may settle it unfinished (time for the seller\'s side to put the buyer\'s latest receipt on chain)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deploy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l meter -d 'The meter\'s account' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l owner -d 'The account that owns it (the seller or buyer it reports for)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand register-meter" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l energy -d 'The energy, e.g. `500Wh`, `1.5kWh`' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l price -d 'The price per Wh (or per kWh), e.g. `2ston/Wh`' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l expires-in -d 'How long the offer stays open, from the current block, e.g. `600blocks`' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l expiry-block -d 'The last block it can be bought at (instead of --expires-in; needed offline)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l min-buyer-credit -d 'Version 2: the lowest trading credit a buyer needs (default: none)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand offer" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l offer -d 'The offer' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l max-price -d 'The highest price per Wh you accept (protects against a changed offer; default: the offer\'s price as read now)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l escrow -d 'The escrow to send, e.g. `1000ston` (default: energy × price read from the offer; needed offline)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l min-seller-credit -d 'Version 2: the lowest trading credit the seller must have (default: none)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand buy" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l trade -d 'The trade' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l wh -d 'Report this cumulative value once (in Wh, or with a unit: `1.5kWh`), instead of reading a stream' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l every -d 'How often to report from the stream: a time (`10s`, by the readings\' clocks) or an energy step (`50Wh`). The last report, at the trade\'s energy, is always sent' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l energy -d 'The trade\'s energy (default: read from the trade; needed offline)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l start-mwh -d 'The meter\'s energy total (mWh) when the trade started (default: the first reading)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l on-error -d 'What to do with a bad input record: stop the stream or skip the record' -r -f -a "stop\t'Report the line and stop the stream (the default: nothing is done past a bad line)'
skip\t'Report the line and go on with the next one; the tool still exits non-zero at the end'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l max-line -d 'The longest input line accepted, in bytes; a longer line is an `error` record and is skipped without being held in memory' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l ignore-alarms -d 'Keep reporting after an `alarm` record (by default an alarm stops the stream, exit 1)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l trade -d 'The trade' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand settle" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l offer -d 'The offer' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand cancel" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand withdraw" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -f -a "propose" -d 'Propose a commissioned meter for its owner (registrar only); it counts once accepted'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -f -a "accept" -d 'Accept a meter proposed for the sender'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -f -a "revoke" -d 'Revoke a meter (its owner or the registrar): trades opened later refuse it, open ones keep its receipts'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -f -a "set-signer" -d 'Set the address a meter\'s receipts are signed by (its owner only), e.g. after the meter account\'s key was rotated'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and not __fish_seen_subcommand_from propose accept revoke set-signer help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l meter -d 'The meter\'s account' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l owner -d 'The account it is proposed for' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from propose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l meter -d 'The meter\'s account' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from accept" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l meter -d 'The meter\'s account' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from revoke" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l meter -d 'The meter\'s account' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l signer -d 'The new signing key\'s address (the meter\'s own address again: its account key)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from set-signer" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from help" -f -a "propose" -d 'Propose a commissioned meter for its owner (registrar only); it counts once accepted'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from help" -f -a "accept" -d 'Accept a meter proposed for the sender'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from help" -f -a "revoke" -d 'Revoke a meter (its owner or the registrar): trades opened later refuse it, open ones keep its receipts'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from help" -f -a "set-signer" -d 'Set the address a meter\'s receipts are signed by (its owner only), e.g. after the meter account\'s key was rotated'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand meter; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -f -a "propose" -d 'Offer the registrar role to an account (registrar only; the zero address withdraws)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -f -a "accept" -d 'Take the registrar role offered to the sender'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and not __fish_seen_subcommand_from propose accept help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l registrar -d 'The proposed registrar' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from propose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from accept" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from help" -f -a "propose" -d 'Offer the registrar role to an account (registrar only; the zero address withdraws)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from help" -f -a "accept" -d 'Take the registrar role offered to the sender'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand registrar; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -f -a "submit" -d 'One `submitReceipts` transaction with the latest receipt of every meter and trade (with a node: only those the contract takes and that raise a side\'s figure)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -f -a "settle" -d 'One `settleWithReceipts` transaction: the trade\'s latest receipt of each side, then the settlement (receipts of other trades are left out)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and not __fish_seen_subcommand_from submit settle help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l on-error -d 'What to do with a bad input record: stop the stream or skip the record' -r -f -a "stop\t'Report the line and stop the stream (the default: nothing is done past a bad line)'
skip\t'Report the line and go on with the next one; the tool still exits non-zero at the end'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l max-line -d 'The longest input line accepted, in bytes; a longer line is an `error` record and is skipped without being held in memory' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from submit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l trade -d 'The trade' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l on-error -d 'What to do with a bad input record: stop the stream or skip the record' -r -f -a "stop\t'Report the line and stop the stream (the default: nothing is done past a bad line)'
skip\t'Report the line and go on with the next one; the tool still exits non-zero at the end'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l max-line -d 'The longest input line accepted, in bytes; a longer line is an `error` record and is skipped without being held in memory' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from settle" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from help" -f -a "submit" -d 'One `submitReceipts` transaction with the latest receipt of every meter and trade (with a node: only those the contract takes and that raise a side\'s figure)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from help" -f -a "settle" -d 'One `settleWithReceipts` transaction: the trade\'s latest receipt of each side, then the settlement (receipts of other trades are left out)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand receipts; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l from-block -d 'The first block to read: a number, or `latest` for the head block (default: with --follow, the next block, so only new events; without, block 0, the whole history)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l to-block -d 'The last block to read (default: the head, or forever with --follow)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l poll -d 'How often to look for new blocks when following' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l follow -d 'Keep following new blocks'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand watch" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l trade -d 'The trade' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l role -d 'Which side\'s meter this is' -r -f -a "seller\t'The seller\'s meter (energy out of the battery)'
buyer\t'The buyer\'s meter (energy into the load or battery)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l every -d 'How often to report: a time (`60s`) or an energy step (`50Wh`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l journal -d 'The journal (default: `evlock-deliver-TRADE-ROLE.ndjson` in the current folder)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l settle-wait -d 'After delivering, wait this long for the other meter to finish so the trade settles complete; after that it is left for its deadline. (A version 2 seller waits until it may settle, complete or not.)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l counterpart-receipts -d 'Version 2, the seller: the buyer meter\'s `delivery_receipt` records, a file the link appends to; the relay stays closed only while they keep up with the delivery' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l receipts-to -d 'Version 2: the link peer (the other side\'s meter) this session\'s receipts are for, set as their `meta.to` so the operator↔meter link routes them there' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l max-unacknowledged -d 'Version 2, the seller: how far what the buyer acknowledged may trail what was delivered, e.g. `10Wh` (default: one reporting step)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l key -d 'The key: a keystore path or `keystore:PATH`, `optee:SLOT` (a TrustZone key; with the optee feature), or `pkcs11:token=LABEL;object=LABEL` (a key on a PKCS#11 token)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l password-file -d 'File holding the keystore password (one trailing newline is ignored)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l pkcs11-module -d 'The PKCS#11 module (the token vendor\'s .so, e.g. /usr/lib/softhsm/libsofthsm2.so) for `--key pkcs11:…`' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l pin-file -d 'File holding the token\'s user PIN (one trailing newline is ignored); without it, a hidden prompt. The PIN is tried once' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l fee-payer-key -d 'An operator key that pays the gas (fee delegation), signing second' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l fee-payer-password-file -d 'The fee payer key\'s password file' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l fee-payer-pin-file -d 'The fee payer token\'s PIN file, when --fee-payer-key is a `pkcs11:` key' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l device -d 'The meter\'s device URI, e.g. `modbus:/dev/ttyUSB0?profile=sdm120`, `ina228:/dev/i2c-1?addr=0x40&shunt_ohms=0.015`, `sim:home?fault=reset@60s`' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l switch -d 'The relay in front of the battery or load, e.g. `gpio:/dev/gpiochip0?line=17` or `sim:home`: its state goes into every reading and enables the wiring checks' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l certificate -d 'A calibration certificate (from `evlock-calibrate commission`): its signature is verified, its gain/offset correct amps and watts, its register baseline is what the `recalibrated` check compares against' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l technician -d 'Refuse the certificate unless this address signed it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l interval -d 'The time between readings (`0` = as fast as the device answers)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l clock -d 'The clock pacing the readings (`virtual` for the simulator: no sleeping)' -r -f -a "wall\t'Real time: sleep to a fixed schedule'
virtual\t'Virtual time (simulator, tests): no sleeping, `at` advances by the interval'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l ignore-alarms -d 'Keep delivering through meter alarms (they are still written)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l unprotected -d 'Version 2, the seller: deliver without --counterpart-receipts, the relay closed whatever the buyer\'s meter acknowledges (a buyer gone quiet then pays only for what reached the chain). Without either flag a version 2 seller is refused (exit 2)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l no-input -d 'Never prompt: fail when something must be asked that no option or file answers'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand deliver" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l from -d 'The sender: whose nonce to use and whose key will sign (evlock-sign fills it from the key when left out, but then --nonce is needed)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l nonce -d 'The first nonce (default: the sender\'s pending count); a stream counts up from it' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l fee-payer -d 'Make the transactions fee-delegated: this account pays the gas (it signs second, with `evlock-sign --role fee-payer`). Only with --tx-type kaia' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l fee-ratio -d 'With --fee-payer: the share of the fee the fee payer pays, 1–99 %' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l tx-type -d 'The transaction types: Kaia\'s smart-contract types (`kaia`, fee delegation possible), or `legacy` / `eip1559` for any EVM chain (Ethereum nodes, anvil, forks)' -r -f -a "kaia\t'Kaia\'s `smart_contract_deploy` / `smart_contract_execution` (fee-delegated with a fee payer): Kaia and evlock-devnet only'
legacy\t'Legacy (EIP-155) transactions: any EVM chain'
eip1559\t'EIP-1559 transactions: any EVM chain with a base fee (and Kaia)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l chain-id -d 'The chain id (default: the node\'s)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l gas-price -d 'The gas price, e.g. `25ston`; with eip1559 the max fee per gas (default: the node\'s gas price; twice it for eip1559)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l priority-fee -d 'With eip1559: the max priority fee (tip) per gas (default: the node\'s `eth_maxPriorityFeePerGas`)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l gas -d 'The gas limit of each transaction (default: estimated by the node, plus 25 %)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l bind -d 'Where to listen. Loopback by default; serving other machines wants TLS and --client-ca' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l from-block -d 'The first block whose market events are read: 0 (the default) reads the whole history; on a long chain give the market\'s deployment block. Offers and trades made before it are read from the contract when their events refer to them' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l poll -d 'How often to look for new blocks' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l tls-cert -d 'Serve HTTPS with this certificate chain (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l tls-key -d 'The HTTPS certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l client-ca -d 'Require every client to present a certificate issued by this CA (PEM): the operator CA that issues the link\'s certificates. Needs --tls-cert and --tls-key' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l explorer -d 'Link transactions to a block explorer: its URL prefix, e.g. `https://kaiascan.io/tx/` (default: the console\'s own /tx/HASH page, read from the node)' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l max-line -d 'The longest input line accepted from stdin, in bytes; a longer one is reported and skipped' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l contract -d 'The EnergyMarket contract' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l market-version -d 'The contract\'s version: `auto` asks the node (offline: 1, or 2 for the commands only version 2 has); `1` or `2` insists (a node that says otherwise is an error). `deploy` deploys this version (auto: 1)' -r -f -a "auto\t'Ask the node'
1\t'contracts/EnergyMarket.sol'
2\t'contracts/EnergyMarketV2.sol (signed delivery receipts)'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l rpc -d 'A JSON-RPC endpoint (http:// or https://). Repeat it, or separate URLs with commas, for fallbacks tried in order when one cannot be reached' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l ca-cert -d 'Also trust the CA certificates in this PEM file (added to the usual web roots)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l client-cert -d 'Client certificate (PEM chain) for endpoints that require mutual TLS' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l client-key -d 'The client certificate\'s private key (PEM)' -r -F
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l retries -d 'Retry rounds over the endpoints after transient failures (unreachable, timeout, HTTP 429/502/503/504), with a backoff doubling from 200 ms. JSON-RPC errors are never retried' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l request-timeout -d 'The longest one HTTP request may take' -r
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l generate -d 'Print a man page or shell completions for this tool and exit' -r -f -a "man\t'A roff man page (section 1)'
bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'"
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l allow-actions -d 'Serve the offer and buy forms. They only build unsigned `tx` records to download; the sender is the form\'s account (--from fills it in)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -l pretty -d 'Indent JSON records for humans (one record is then several lines)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -s v -l verbose -d 'More diagnostics on stderr (-v info, -vv debug, -vvv trace). RUST_LOG also works'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -s q -l quiet -d 'Fewer diagnostics on stderr (-q errors only, -qq nothing at all, not even errors: only the exit code tells)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "deploy" -d 'Deploy a market; the sender becomes its registrar'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "register-meter" -d 'Bind a commissioned meter to its owner (registrar only)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "offer" -d 'Offer energy at a price per Wh'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "buy" -d 'Buy an offer, escrowing exactly energy × price'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "report" -d 'Report the Wh delivered: once with --wh, or as a stream from `reading` records on stdin'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "settle" -d 'Settle a trade: both meters reported the whole energy, or its deadline passed'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "cancel" -d 'Cancel an offer nobody bought (the seller only)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "withdraw" -d 'Withdraw everything the market owes the sender'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "meter" -d 'Version 2: bind a meter with its owner\'s consent, revoke it, set its signing address'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "registrar" -d 'Version 2: hand the registrar role over (propose, then accept)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "receipts" -d 'Version 2: put signed `delivery_receipt` records (stdin) on chain, or settle with them'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "status" -d 'Read an offer, a trade, a meter, an account\'s credit or its balance (a `status` record)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "watch" -d 'Write the market\'s events as `event` records, from a block on'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "deliver" -d 'Run a delivery: close the relay, meter, report (version 2: sign receipts), stop on an alarm or when delivered, then settle (signs and submits itself; journaled so a killed session resumes)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "serve" -d 'Serve the operator\'s console: a live web page of the market and the meters'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and not __fish_seen_subcommand_from deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and __fish_seen_subcommand_from meter" -f -a "propose" -d 'Propose a commissioned meter for its owner (registrar only); it counts once accepted'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and __fish_seen_subcommand_from meter" -f -a "accept" -d 'Accept a meter proposed for the sender'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and __fish_seen_subcommand_from meter" -f -a "revoke" -d 'Revoke a meter (its owner or the registrar): trades opened later refuse it, open ones keep its receipts'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and __fish_seen_subcommand_from meter" -f -a "set-signer" -d 'Set the address a meter\'s receipts are signed by (its owner only), e.g. after the meter account\'s key was rotated'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and __fish_seen_subcommand_from registrar" -f -a "propose" -d 'Offer the registrar role to an account (registrar only; the zero address withdraws)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and __fish_seen_subcommand_from registrar" -f -a "accept" -d 'Take the registrar role offered to the sender'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and __fish_seen_subcommand_from receipts" -f -a "submit" -d 'One `submitReceipts` transaction with the latest receipt of every meter and trade (with a node: only those the contract takes and that raise a side\'s figure)'
complete -c evlock-trade -n "__fish_evlock_trade_using_subcommand help; and __fish_seen_subcommand_from receipts" -f -a "settle" -d 'One `settleWithReceipts` transaction: the trade\'s latest receipt of each side, then the settlement (receipts of other trades are left out)'
