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
            ':meter') path='meter' ;;
            ':registrar') path='registrar' ;;
            ':receipts') path='receipts' ;;
            ':status') path='status' ;;
            ':watch') path='watch' ;;
            ':deliver') path='deliver' ;;
            ':serve') path='serve' ;;
            ':help') path='help' ;;
            'meter:propose') path='meter propose' ;;
            'meter:accept') path='meter accept' ;;
            'meter:revoke') path='meter revoke' ;;
            'meter:set-signer') path='meter set-signer' ;;
            'meter:help') path='meter help' ;;
            'meter help:propose') path='meter help propose' ;;
            'meter help:accept') path='meter help accept' ;;
            'meter help:revoke') path='meter help revoke' ;;
            'meter help:set-signer') path='meter help set-signer' ;;
            'meter help:help') path='meter help help' ;;
            'registrar:propose') path='registrar propose' ;;
            'registrar:accept') path='registrar accept' ;;
            'registrar:help') path='registrar help' ;;
            'registrar help:propose') path='registrar help propose' ;;
            'registrar help:accept') path='registrar help accept' ;;
            'registrar help:help') path='registrar help help' ;;
            'receipts:submit') path='receipts submit' ;;
            'receipts:settle') path='receipts settle' ;;
            'receipts:help') path='receipts help' ;;
            'receipts help:submit') path='receipts help submit' ;;
            'receipts help:settle') path='receipts help settle' ;;
            'receipts help:help') path='receipts help help' ;;
            'help:deploy') path='help deploy' ;;
            'help:register-meter') path='help register-meter' ;;
            'help:offer') path='help offer' ;;
            'help:buy') path='help buy' ;;
            'help:report') path='help report' ;;
            'help:settle') path='help settle' ;;
            'help:cancel') path='help cancel' ;;
            'help:withdraw') path='help withdraw' ;;
            'help:meter') path='help meter' ;;
            'help:registrar') path='help registrar' ;;
            'help:receipts') path='help receipts' ;;
            'help:status') path='help status' ;;
            'help:watch') path='help watch' ;;
            'help:deliver') path='help deliver' ;;
            'help:serve') path='help serve' ;;
            'help:help') path='help help' ;;
            'help meter:propose') path='help meter propose' ;;
            'help meter:accept') path='help meter accept' ;;
            'help meter:revoke') path='help meter revoke' ;;
            'help meter:set-signer') path='help meter set-signer' ;;
            'help registrar:propose') path='help registrar propose' ;;
            'help registrar:accept') path='help registrar accept' ;;
            'help receipts:submit') path='help receipts submit' ;;
            'help receipts:settle') path='help receipts settle' ;;
        esac
    done
    case "${path}:${prev}" in
        ':--contract')
            COMPREPLY=()
            return 0 ;;
        ':--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'deploy:--grace-blocks')
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
        'deploy:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'register-meter:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'offer:--min-buyer-credit')
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
        'offer:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'buy:--min-seller-credit')
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
        'buy:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'report:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'settle:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'cancel:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'withdraw:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'meter:--contract')
            COMPREPLY=()
            return 0 ;;
        'meter:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'meter:--rpc')
            COMPREPLY=()
            return 0 ;;
        'meter:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter:--retries')
            COMPREPLY=()
            return 0 ;;
        'meter:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--meter')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--owner')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--from')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--nonce')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'meter propose:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--gas')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--contract')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'meter propose:--rpc')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter propose:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter propose:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter propose:--retries')
            COMPREPLY=()
            return 0 ;;
        'meter propose:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--meter')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--from')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--nonce')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'meter accept:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--gas')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--contract')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'meter accept:--rpc')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter accept:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter accept:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter accept:--retries')
            COMPREPLY=()
            return 0 ;;
        'meter accept:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--meter')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--from')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--nonce')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'meter revoke:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--gas')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--contract')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'meter revoke:--rpc')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter revoke:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter revoke:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter revoke:--retries')
            COMPREPLY=()
            return 0 ;;
        'meter revoke:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--meter')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--signer')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--from')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--nonce')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'meter set-signer:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--gas')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--contract')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'meter set-signer:--rpc')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter set-signer:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter set-signer:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'meter set-signer:--retries')
            COMPREPLY=()
            return 0 ;;
        'meter set-signer:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'registrar:--contract')
            COMPREPLY=()
            return 0 ;;
        'registrar:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'registrar:--rpc')
            COMPREPLY=()
            return 0 ;;
        'registrar:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar:--retries')
            COMPREPLY=()
            return 0 ;;
        'registrar:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--registrar')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--from')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--nonce')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'registrar propose:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--gas')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--contract')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'registrar propose:--rpc')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar propose:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar propose:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar propose:--retries')
            COMPREPLY=()
            return 0 ;;
        'registrar propose:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--from')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--nonce')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'registrar accept:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--gas')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--contract')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'registrar accept:--rpc')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar accept:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar accept:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'registrar accept:--retries')
            COMPREPLY=()
            return 0 ;;
        'registrar accept:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'receipts:--contract')
            COMPREPLY=()
            return 0 ;;
        'receipts:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'receipts:--rpc')
            COMPREPLY=()
            return 0 ;;
        'receipts:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts:--retries')
            COMPREPLY=()
            return 0 ;;
        'receipts:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--from')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--nonce')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'receipts submit:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--gas')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--on-error')
            COMPREPLY=( $(compgen -W 'stop skip' -- "${cur}") )
            return 0 ;;
        'receipts submit:--max-line')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--contract')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'receipts submit:--rpc')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts submit:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts submit:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts submit:--retries')
            COMPREPLY=()
            return 0 ;;
        'receipts submit:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--trade')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--from')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--nonce')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--fee-payer')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--fee-ratio')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--tx-type')
            COMPREPLY=( $(compgen -W 'kaia legacy eip1559' -- "${cur}") )
            return 0 ;;
        'receipts settle:--chain-id')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--gas-price')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--priority-fee')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--gas')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--on-error')
            COMPREPLY=( $(compgen -W 'stop skip' -- "${cur}") )
            return 0 ;;
        'receipts settle:--max-line')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--contract')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
            return 0 ;;
        'receipts settle:--rpc')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--ca-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts settle:--client-cert')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts settle:--client-key')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'receipts settle:--retries')
            COMPREPLY=()
            return 0 ;;
        'receipts settle:--request-timeout')
            COMPREPLY=()
            return 0 ;;
        'status:--contract')
            COMPREPLY=()
            return 0 ;;
        'status:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'watch:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'deliver:--counterpart-receipts')
            COMPREPLY=( $(compgen -f -- "${cur}") )
            return 0 ;;
        'deliver:--receipts-to')
            COMPREPLY=()
            return 0 ;;
        'deliver:--max-unacknowledged')
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
        'deliver:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        'serve:--market-version')
            COMPREPLY=( $(compgen -W 'auto 1 2' -- "${cur}") )
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
        '') opts='--contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help -V --version deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help' ;;
        'deploy') opts='--delivery-blocks --grace-blocks --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'register-meter') opts='--meter --owner --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'offer') opts='--energy --price --expires-in --expiry-block --min-buyer-credit --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'buy') opts='--offer --max-price --escrow --min-seller-credit --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'report') opts='--trade --wh --every --energy --start-mwh --ignore-alarms --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --on-error --max-line --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'settle') opts='--trade --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'cancel') opts='--offer --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'withdraw') opts='--from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'meter') opts='--contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help propose accept revoke set-signer help' ;;
        'meter propose') opts='--meter --owner --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'meter accept') opts='--meter --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'meter revoke') opts='--meter --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'meter set-signer') opts='--meter --signer --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'meter help') opts='propose accept revoke set-signer help' ;;
        'meter help propose') opts='' ;;
        'meter help accept') opts='' ;;
        'meter help revoke') opts='' ;;
        'meter help set-signer') opts='' ;;
        'meter help help') opts='' ;;
        'registrar') opts='--contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help propose accept help' ;;
        'registrar propose') opts='--registrar --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'registrar accept') opts='--from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'registrar help') opts='propose accept help' ;;
        'registrar help propose') opts='' ;;
        'registrar help accept') opts='' ;;
        'registrar help help') opts='' ;;
        'receipts') opts='--contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help submit settle help' ;;
        'receipts submit') opts='--from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --on-error --max-line --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'receipts settle') opts='--trade --from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --on-error --max-line --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'receipts help') opts='submit settle help' ;;
        'receipts help submit') opts='' ;;
        'receipts help settle') opts='' ;;
        'receipts help help') opts='' ;;
        'status') opts='offer trade meter credit balance --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'watch') opts='--from-block --to-block --follow --poll --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'deliver') opts='--trade --role --every --journal --settle-wait --ignore-alarms --counterpart-receipts --unprotected --receipts-to --max-unacknowledged --key --password-file --no-input --pkcs11-module --pin-file --fee-payer-key --fee-payer-password-file --fee-payer-pin-file --device --switch --certificate --technician --interval --clock --tx-type --chain-id --gas-price --priority-fee --gas --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'serve') opts='--from --nonce --fee-payer --fee-ratio --tx-type --chain-id --gas-price --priority-fee --gas --bind --from-block --poll --tls-cert --tls-key --client-ca --allow-actions --explorer --max-line --contract --market-version --rpc --ca-cert --client-cert --client-key --retries --request-timeout --pretty -v --verbose -q --quiet -h --help' ;;
        'help') opts='deploy register-meter offer buy report settle cancel withdraw meter registrar receipts status watch deliver serve help' ;;
        'help deploy') opts='' ;;
        'help register-meter') opts='' ;;
        'help offer') opts='' ;;
        'help buy') opts='' ;;
        'help report') opts='' ;;
        'help settle') opts='' ;;
        'help cancel') opts='' ;;
        'help withdraw') opts='' ;;
        'help meter') opts='propose accept revoke set-signer' ;;
        'help meter propose') opts='' ;;
        'help meter accept') opts='' ;;
        'help meter revoke') opts='' ;;
        'help meter set-signer') opts='' ;;
        'help registrar') opts='propose accept' ;;
        'help registrar propose') opts='' ;;
        'help registrar accept') opts='' ;;
        'help receipts') opts='submit settle' ;;
        'help receipts submit') opts='' ;;
        'help receipts settle') opts='' ;;
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
