# bash completion for evlock-trade; generated from its clap definition.
_evlock_trade() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i opts
    if (( COMP_CWORD > 0 )); then prev="${COMP_WORDS[COMP_CWORD-1]}"; fi
    COMPREPLY=()
    for (( i = 1; i < COMP_CWORD; i++ )); do
        word="${COMP_WORDS[i]}"
        case "${path}:${word}" in
            ':deploy') path='deploy' ;;
            ':register-meter') path='register-meter' ;;
            ':offer') path='offer' ;;
            ':buy') path='buy' ;;
            ':report') path='report' ;;
            ':settle') path='settle' ;;
            ':cancel') path='cancel' ;;
            ':withdraw') path='withdraw' ;;
            ':status') path='status' ;;
            ':watch') path='watch' ;;
            ':deliver') path='deliver' ;;
            ':serve') path='serve' ;;
            ':help') path='help' ;;
            'help:deploy') path='help deploy' ;;
            'help:register-meter') path='help register-meter' ;;
            'help:offer') path='help offer' ;;
            'help:buy') path='help buy' ;;
            'help:report') path='help report' ;;
            'help:settle') path='help settle' ;;
            'help:cancel') path='help cancel' ;;
            'help:withdraw') path='help withdraw' ;;
            'help:status') path='help status' ;;
            'help:watch') path='help watch' ;;
            'help:deliver') path='help deliver' ;;
            'help:serve') path='help serve' ;;
            'help:help') path='help help' ;;
        esac
    done
    case "${path}:${prev}" in
        ':--contract')
            COMPREPLY=()
            return 0 ;;
        ':--rpc')
            COMPREPLY=()
            return 0 ;;
        ':--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        ':--retries')
            COMPREPLY=()
            return 0 ;;
        ':--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'deploy:--delivery-blocks')
            COMPREPLY=()
            return 0 ;;
        'deploy:--from')
            COMPREPLY=()
            return 0 ;;
        'deploy:--nonce')
            COMPREPLY=()
            return 0 ;;
        'deploy:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'deploy:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'deploy:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'deploy:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'deploy:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'deploy:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'deploy:--gas')
            COMPREPLY=()
            return 0 ;;
        'deploy:--contract')
            COMPREPLY=()
            return 0 ;;
        'deploy:--rpc')
            COMPREPLY=()
            return 0 ;;
        'deploy:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deploy:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deploy:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deploy:--retries')
            COMPREPLY=()
            return 0 ;;
        'deploy:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--meter')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--owner')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--from')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--nonce')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'register-meter:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--gas')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--contract')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--rpc')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'register-meter:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'register-meter:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'register-meter:--retries')
            COMPREPLY=()
            return 0 ;;
        'register-meter:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'offer:--energy')
            COMPREPLY=()
            return 0 ;;
        'offer:--price')
            COMPREPLY=()
            return 0 ;;
        'offer:--expires-in')
            COMPREPLY=()
            return 0 ;;
        'offer:--expiry-block')
            COMPREPLY=()
            return 0 ;;
        'offer:--from')
            COMPREPLY=()
            return 0 ;;
        'offer:--nonce')
            COMPREPLY=()
            return 0 ;;
        'offer:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'offer:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'offer:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'offer:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'offer:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'offer:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'offer:--gas')
            COMPREPLY=()
            return 0 ;;
        'offer:--contract')
            COMPREPLY=()
            return 0 ;;
        'offer:--rpc')
            COMPREPLY=()
            return 0 ;;
        'offer:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'offer:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'offer:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'offer:--retries')
            COMPREPLY=()
            return 0 ;;
        'offer:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'buy:--offer')
            COMPREPLY=()
            return 0 ;;
        'buy:--max-price')
            COMPREPLY=()
            return 0 ;;
        'buy:--escrow')
            COMPREPLY=()
            return 0 ;;
        'buy:--from')
            COMPREPLY=()
            return 0 ;;
        'buy:--nonce')
            COMPREPLY=()
            return 0 ;;
        'buy:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'buy:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'buy:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'buy:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'buy:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'buy:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'buy:--gas')
            COMPREPLY=()
            return 0 ;;
        'buy:--contract')
            COMPREPLY=()
            return 0 ;;
        'buy:--rpc')
            COMPREPLY=()
            return 0 ;;
        'buy:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'buy:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'buy:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'buy:--retries')
            COMPREPLY=()
            return 0 ;;
        'buy:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'report:--trade')
            COMPREPLY=()
            return 0 ;;
        'report:--wh')
            COMPREPLY=()
            return 0 ;;
        'report:--every')
            COMPREPLY=()
            return 0 ;;
        'report:--energy')
            COMPREPLY=()
            return 0 ;;
        'report:--start-mwh')
            COMPREPLY=()
            return 0 ;;
        'report:--from')
            COMPREPLY=()
            return 0 ;;
        'report:--nonce')
            COMPREPLY=()
            return 0 ;;
        'report:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'report:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'report:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'report:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'report:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'report:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'report:--gas')
            COMPREPLY=()
            return 0 ;;
        'report:--on-error')
            COMPREPLY=( $(compgen -W 'stop skip' -- "${cur}") )
            return 0 ;;
        'report:--max-line')
            COMPREPLY=()
            return 0 ;;
        'report:--contract')
            COMPREPLY=()
            return 0 ;;
        'report:--rpc')
            COMPREPLY=()
            return 0 ;;
        'report:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'report:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'report:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'report:--retries')
            COMPREPLY=()
            return 0 ;;
        'report:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'settle:--trade')
            COMPREPLY=()
            return 0 ;;
        'settle:--from')
            COMPREPLY=()
            return 0 ;;
        'settle:--nonce')
            COMPREPLY=()
            return 0 ;;
        'settle:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'settle:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'settle:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'settle:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'settle:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'settle:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'settle:--gas')
            COMPREPLY=()
            return 0 ;;
        'settle:--contract')
            COMPREPLY=()
            return 0 ;;
        'settle:--rpc')
            COMPREPLY=()
            return 0 ;;
        'settle:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'settle:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'settle:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'settle:--retries')
            COMPREPLY=()
            return 0 ;;
        'settle:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'cancel:--offer')
            COMPREPLY=()
            return 0 ;;
        'cancel:--from')
            COMPREPLY=()
            return 0 ;;
        'cancel:--nonce')
            COMPREPLY=()
            return 0 ;;
        'cancel:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'cancel:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'cancel:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'cancel:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'cancel:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'cancel:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'cancel:--gas')
            COMPREPLY=()
            return 0 ;;
        'cancel:--contract')
            COMPREPLY=()
            return 0 ;;
        'cancel:--rpc')
            COMPREPLY=()
            return 0 ;;
        'cancel:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'cancel:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'cancel:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'cancel:--retries')
            COMPREPLY=()
            return 0 ;;
        'cancel:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--from')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--nonce')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'withdraw:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--gas')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--contract')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--rpc')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'withdraw:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'withdraw:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'withdraw:--retries')
            COMPREPLY=()
            return 0 ;;
        'withdraw:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'status:--contract')
            COMPREPLY=()
            return 0 ;;
        'status:--rpc')
            COMPREPLY=()
            return 0 ;;
        'status:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'status:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'status:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'status:--retries')
            COMPREPLY=()
            return 0 ;;
        'status:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'watch:--from-block')
            COMPREPLY=()
            return 0 ;;
        'watch:--to-block')
            COMPREPLY=()
            return 0 ;;
        'watch:--poll')
            COMPREPLY=()
            return 0 ;;
        'watch:--contract')
            COMPREPLY=()
            return 0 ;;
        'watch:--rpc')
            COMPREPLY=()
            return 0 ;;
        'watch:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'watch:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'watch:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'watch:--retries')
            COMPREPLY=()
            return 0 ;;
        'watch:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'deliver:--trade')
            COMPREPLY=()
            return 0 ;;
        'deliver:--role')
            COMPREPLY=( $(compgen -W 'seller buyer' -- "${cur}") )
            return 0 ;;
        'deliver:--every')
            COMPREPLY=()
            return 0 ;;
        'deliver:--journal')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--settle-wait')
            COMPREPLY=()
            return 0 ;;
        'deliver:--key')
            COMPREPLY=()
            return 0 ;;
        'deliver:--password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--pkcs11-module')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--pin-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--fee-payer-key')
            COMPREPLY=()
            return 0 ;;
        'deliver:--fee-payer-password-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--fee-payer-pin-file')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--device')
            COMPREPLY=()
            return 0 ;;
        'deliver:--switch')
            COMPREPLY=()
            return 0 ;;
        'deliver:--certificate')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--technician')
            COMPREPLY=()
            return 0 ;;
        'deliver:--interval')
            COMPREPLY=()
            return 0 ;;
        'deliver:--clock')
            COMPREPLY=( $(compgen -W 'wall virtual' -- "${cur}") )
            return 0 ;;
        'deliver:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'deliver:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'deliver:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'deliver:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'deliver:--gas')
            COMPREPLY=()
            return 0 ;;
        'deliver:--contract')
            COMPREPLY=()
            return 0 ;;
        'deliver:--rpc')
            COMPREPLY=()
            return 0 ;;
        'deliver:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--retries')
            COMPREPLY=()
            return 0 ;;
        'deliver:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'serve:--from')
            COMPREPLY=()
            return 0 ;;
        'serve:--nonce')
            COMPREPLY=()
            return 0 ;;
        'serve:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'serve:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'serve:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'serve:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'serve:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'serve:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'serve:--gas')
            COMPREPLY=()
            return 0 ;;
        'serve:--bind')
            COMPREPLY=()
            return 0 ;;
        'serve:--from-block')
            COMPREPLY=()
            return 0 ;;
        'serve:--poll')
            COMPREPLY=()
            return 0 ;;
        'serve:--tls-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'serve:--tls-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'serve:--client-ca')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'serve:--explorer')
            COMPREPLY=()
            return 0 ;;
        'serve:--max-line')
            COMPREPLY=()
            return 0 ;;
        'serve:--contract')
            COMPREPLY=()
            return 0 ;;
        'serve:--rpc')
            COMPREPLY=()
            return 0 ;;
        'serve:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'serve:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'serve:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'serve:--retries')
            COMPREPLY=()
            return 0 ;;
        'serve:--request-timeout')
            COMPREPLY=()
            return 0 ;;
    esac
    case "${path}" in
        '') opts='--contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help -V --version deploy register-meter offer buy report settle cancel withdraw status watch deliver serve help' ;;
        'deploy') opts='--delivery-blocks --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'register-meter') opts='--meter --owner --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'offer') opts='--energy --price --expires-in --expiry-block --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'buy') opts='--offer --max-price --escrow --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'report') opts='--trade --wh --every --energy --start-mwh --ignore-alarms --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --on-error --max-line --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'settle') opts='--trade --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'cancel') opts='--offer --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'withdraw') opts='--from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'status') opts='offer trade credit balance --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'watch') opts='--from-block --to-block --follow --poll --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'deliver') opts='--trade --role --every --journal --settle-wait --ignore-alarms --key --password-file --no-input --pkcs11-module --pin-file --fee-payer-key --fee-payer-password-file --fee-payer-pin-file --device --switch --certificate --technician --interval --clock --tx-type --chain-id --gas-price --priority-fee --gas --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'serve') opts='--from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --bind --from-block --poll --tls-cert --tls-key --client-ca --allow-actions --explorer --max-line --contract --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='deploy register-meter offer buy report settle cancel withdraw status watch deliver serve help' ;;
        'help deploy') opts='' ;;
        'help register-meter') opts='' ;;
        'help offer') opts='' ;;
        'help buy') opts='' ;;
        'help report') opts='' ;;
        'help settle') opts='' ;;
        'help cancel') opts='' ;;
        'help withdraw') opts='' ;;
        'help status') opts='' ;;
        'help watch') opts='' ;;
        'help deliver') opts='' ;;
        'help serve') opts='' ;;
        'help help') opts='' ;;
    esac
    COMPREPLY=( $(compgen -W "${opts}" -- "${cur}") )
    return 0
}

complete -F _evlock_trade -o bashdefault -o default evlock-trade
