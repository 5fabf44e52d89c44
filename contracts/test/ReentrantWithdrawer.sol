// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @notice The part of EnergyMarket the attacker drives.
interface IEnergyMarket {
    function offer(uint256 energyWh, uint256 pricePerWh, uint256 expiryBlock) external returns (uint256);
    function buy(uint256 offerId, uint256 maxPricePerWh) external payable returns (uint256);
    function settle(uint256 tradeId) external;
    function withdraw() external;
}

/// @title ReentrantWithdrawer — a test-only attacker of EnergyMarket's pull payments.
/// @notice A market party (the registrar binds one of its meters to this contract) that offers
///         and buys through its own functions, then withdraws what it is owed. While the market
///         pays it, its receive() calls back into the market: withdraw() again (the classic
///         re-entrancy drain), settle() on a trade and buy() of an offer. Each nested call's
///         outcome is recorded so a test can assert it reverted (and why) or paid nothing.
/// @dev Never deploy outside tests. Only `operator` (the deployer) may drive it.
contract ReentrantWithdrawer {
    IEnergyMarket public immutable market;
    address public immutable operator;

    /// @notice Whether receive() attacks (set for the duration of attack()).
    bool public armed;
    /// @notice How deep receive() may recurse into withdraw() (bounded: a successful drain
    ///         must not loop until the gas runs out and hide the evidence in a revert).
    uint256 public maxDepth;
    uint256 private depth_;
    /// @notice The trade settle() is re-entered on, and the offer buy() is re-entered on.
    uint256 public targetTradeId;
    uint256 public targetOfferId;

    /// @notice Every payment receive() got, summed, and how many there were.
    uint256 public received;
    uint256 public payments;
    /// @notice Nested calls tried and nested calls that went through.
    uint256 public reentryAttempts;
    uint256 public reentrySuccesses;
    /// @notice The revert reason of the last nested call of each kind ("" if it succeeded
    ///         or was not tried; "<no reason>" for a revert without an Error(string)).
    string public withdrawReentryReason;
    string public settleReentryReason;
    string public buyReentryReason;

    constructor(IEnergyMarket market_) {
        market = market_;
        operator = msg.sender;
    }

    modifier onlyOperator() {
        require(msg.sender == operator, "only the operator");
        _;
    }

    /// @notice Offers energy as this contract (it must own a registered meter).
    function offer(uint256 energyWh, uint256 pricePerWh, uint256 expiryBlock) external onlyOperator returns (uint256) {
        return market.offer(energyWh, pricePerWh, expiryBlock);
    }

    /// @notice Buys an offer as this contract, passing the escrow sent with this call on.
    function buy(uint256 offerId, uint256 maxPricePerWh) external payable onlyOperator returns (uint256) {
        return market.buy{value: msg.value}(offerId, maxPricePerWh);
    }

    /// @notice Withdraws with receive() armed: every payment triggers the nested calls.
    function attack(uint256 tradeId, uint256 offerId, uint256 maxDepth_) external onlyOperator {
        armed = true;
        maxDepth = maxDepth_;
        targetTradeId = tradeId;
        targetOfferId = offerId;
        market.withdraw();
        armed = false;
    }

    /// @notice Withdraws without attacking.
    function withdraw() external onlyOperator {
        market.withdraw();
    }

    /// @notice Sends this contract's whole balance to the operator.
    function sweep() external onlyOperator {
        (bool sent, ) = operator.call{value: address(this).balance}("");
        require(sent, "sweep failed");
    }

    receive() external payable {
        received += msg.value;
        payments += 1;
        if (!armed || msg.sender != address(market) || depth_ >= maxDepth) return;
        depth_ += 1;

        reentryAttempts += 1;
        try market.withdraw() {
            reentrySuccesses += 1;
            withdrawReentryReason = "";
        } catch Error(string memory reason) {
            withdrawReentryReason = reason;
        } catch {
            withdrawReentryReason = "<no reason>";
        }

        reentryAttempts += 1;
        try market.settle(targetTradeId) {
            reentrySuccesses += 1;
            settleReentryReason = "";
        } catch Error(string memory reason) {
            settleReentryReason = reason;
        } catch {
            settleReentryReason = "<no reason>";
        }

        // Spend the payment being received on an offer before the market's books move on.
        reentryAttempts += 1;
        try market.buy{value: msg.value}(targetOfferId, type(uint256).max) {
            reentrySuccesses += 1;
            buyReentryReason = "";
        } catch Error(string memory reason) {
            buyReentryReason = reason;
        } catch {
            buyReentryReason = "<no reason>";
        }

        depth_ -= 1;
    }
}
