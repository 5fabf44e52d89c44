// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @title ReentrantWithdrawerV2 — a test-only attacker of EnergyMarketV2's pull payments.
/// @notice A market party (its meter is proposed for this contract, and it accepts it through
///         act()) that trades through act(), then withdraws with receive() armed: while the
///         market pays it, receive() re-enters the market with the calls the test chose
///         (withdraw again, settle, settleWithReceipts, buy with the payment being received, …)
///         and records each one's revert reason ("" if it went through).
/// @dev Never deploy outside tests. Only `operator` (the deployer) may drive it.
contract ReentrantWithdrawerV2 {
    address public immutable market;
    address public immutable operator;

    bool public armed;
    bool private inside_;
    bytes[] private reentries_;
    bool[] private withPayment_;

    /// @notice Every payment receive() got, summed, and how many there were.
    uint256 public received;
    uint256 public payments;
    /// @notice Nested calls that went through, and each nested call's revert reason.
    uint256 public reentrySuccesses;
    string[] public reasons;

    constructor(address market_) {
        market = market_;
        operator = msg.sender;
    }

    modifier onlyOperator() {
        require(msg.sender == operator, "only the operator");
        _;
    }

    /// @notice Calls the market as this contract with the value sent; a revert bubbles up.
    function act(bytes calldata data) external payable onlyOperator {
        (bool ok, bytes memory ret) = market.call{value: msg.value}(data);
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    /// @notice Withdraws with receive() armed to re-enter with `calls` (each sending the
    ///         payment being received when `withPayment` says so).
    function attack(bytes[] calldata calls, bool[] calldata withPayment) external onlyOperator {
        require(calls.length == withPayment.length, "one flag per call");
        delete reentries_;
        delete withPayment_;
        for (uint256 i = 0; i < calls.length; i++) {
            reentries_.push(calls[i]);
            withPayment_.push(withPayment[i]);
        }
        armed = true;
        (bool ok, bytes memory ret) = market.call(abi.encodeWithSignature("withdraw()"));
        armed = false;
        if (!ok) {
            assembly {
                revert(add(ret, 0x20), mload(ret))
            }
        }
    }

    /// @notice Sends this contract's whole balance to the operator.
    function sweep() external onlyOperator {
        (bool sent, ) = operator.call{value: address(this).balance}("");
        require(sent, "sweep failed");
    }

    /// @notice How many nested calls were recorded.
    function reasonCount() external view returns (uint256) {
        return reasons.length;
    }

    receive() external payable {
        received += msg.value;
        payments += 1;
        if (!armed || msg.sender != market || inside_) return;
        inside_ = true;
        for (uint256 i = 0; i < reentries_.length; i++) {
            (bool ok, bytes memory ret) = market.call{value: withPayment_[i] ? msg.value : 0}(reentries_[i]);
            if (ok) reentrySuccesses += 1;
            reasons.push(ok ? "" : reasonOf(ret));
        }
        inside_ = false;
    }

    /// @notice The Error(string) reason in revert data, or "<no reason>".
    function reasonOf(bytes memory ret) private pure returns (string memory) {
        if (ret.length < 68 || bytes4(ret) != 0x08c379a0) return "<no reason>";
        assembly {
            ret := add(ret, 0x04)
        }
        return abi.decode(ret, (string));
    }
}
