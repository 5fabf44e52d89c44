// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title EnergyMarketV2 — peer-to-peer energy trades settled on meters' signed delivery
///        receipts (the Evlock trading system, version 2).
/// @notice As in version 1, a seller offers energy at a price per Wh, a buyer escrows exactly
///         energy × price, settlement pays the seller for min(seller side, buyer side) and
///         refunds the rest, a complete trade raises both parties' credit by 1 and a trade cut
///         short lowers both by 3, and money only leaves through withdraw(). New in version 2:
///         - Meters sign EIP-712 `DeliveryReceipt(tradeId, meter, cumulativeWh)` off chain;
///           anyone submits them (submitReceipts, settleWithReceipts). Each side keeps its
///           highest cumulative; a receipt at or below it is a no-op, one above the trade's
///           energy counts as the energy.
///         - An unfinished trade settles after its deadline only by its seller, or by anyone
///           after deadline + graceBlocks: the seller's session has that long to put the
///           buyer meter's latest receipt on chain.
///         - Meters are bound with consent (the registrar proposes, the owner accepts), either
///           may revoke; a revoked meter still serves the trades opened before its revocation
///           (by trade id) and is never bound again. Each meter has a receipt-signing address
///           its owner may change. The registrar hands over in two steps.
///         - Delivery and grace windows are bounded; offers may require a minimum buyer credit
///           and buys a minimum seller credit.
/// @dev Rules: no tx.origin, no blockhash, no timestamps (deadlines are block numbers), loops
///      only over calldata the caller pays for, checked arithmetic, signatures through
///      OpenZeppelin's ECDSA (low-S only, v 27/28 only). Invariant: address(this).balance ==
///      totalEscrow + totalOwed. Storage is packed for gas: each account's balance and credit
///      share a slot, the totals and the counters share two.
contract EnergyMarketV2 is EIP712 {
    enum OfferStatus { None, Open, Bought, Cancelled, Expired }
    enum TradeStatus { None, Open, Settled }
    enum MeterStatus { None, Proposed, Active, Revoked }

    /// @notice A meter's signed statement: `meter` measured `cumulativeWh` for trade `tradeId`.
    struct Receipt {
        uint256 tradeId;
        address meter;
        uint256 cumulativeWh;
        uint8 v;
        bytes32 r;
        bytes32 s;
    }

    struct Offer {
        address seller;       // slot 0
        uint48 energyWh;
        uint40 expiryBlock;
        OfferStatus status;
        uint128 pricePerWh;   // slot 1
        int128 minBuyerCredit;
    }

    struct Trade {
        address seller;       // slot 0
        uint48 energyWh;
        TradeStatus status;
        address buyer;        // slot 1: both sides' cumulative beside the nonzero buyer
        uint48 sellerWh;
        uint48 buyerWh;
        uint128 pricePerWh;   // slot 2
        uint64 offerId;
        uint64 deadline;
    }

    struct Meter {
        address owner;        // slot 0
        MeterStatus status;
        /// Trades with an id up to this one may use the meter (max while active; the trade
        /// count at revocation once revoked; 0 if it was revoked before it was accepted).
        uint64 lastTrade;
        /// Whether `signer` is set; if not, the meter signs with its own key (slot 1 is then
        /// never read, which keeps a receipt's check one storage read cheaper).
        bool ownSigner;
        address signer;       // slot 1: the address its receipts must recover to
    }

    /// One account's book: what it can withdraw and its trading credit, in one slot so a
    /// settlement writes each party once.
    struct Account {
        uint128 balance;
        int128 credit;
    }

    /// @notice The EIP-712 type of a receipt's signed part.
    bytes32 public constant RECEIPT_TYPEHASH =
        keccak256("DeliveryReceipt(uint256 tradeId,address meter,uint256 cumulativeWh)");
    /// @notice The longest delivery window and grace window, in blocks (so no deadline can
    ///         overflow).
    uint256 public constant MAX_WINDOW_BLOCKS = type(uint32).max;

    /// @notice Who proposes meters, and who was offered the role (zero: nobody).
    address public registrar;
    address public pendingRegistrar;
    /// @notice Blocks a trade has for delivery, counted from the buy.
    uint256 public immutable deliveryBlocks;
    /// @notice Blocks after the deadline during which only the seller may settle an
    ///         unfinished trade.
    uint256 public immutable graceBlocks;

    /// @notice How many accepted, unrevoked meters an account owns.
    mapping(address => uint256) public meterCount;

    mapping(address => Account) private accounts_;
    mapping(address => Meter) private meters_;
    mapping(uint256 => Offer) private offers_;
    mapping(uint256 => Trade) private trades_;
    // Packed so that a buy and a settlement each rewrite one already-nonzero slot of totals.
    uint128 private totalEscrow_;
    uint128 private totalOwed_;
    uint64 private offerCount_;
    uint64 private tradeCount_;

    event MeterProposed(address indexed meter, address indexed owner);
    event MeterAccepted(address indexed meter, address indexed owner);
    event MeterRevoked(address indexed meter, address indexed owner, uint256 lastTrade);
    event MeterSignerChanged(address indexed meter, address indexed signer);
    event RegistrarProposed(address indexed registrar, address indexed proposed);
    event RegistrarChanged(address indexed previous, address indexed registrar);
    event OfferCreated(uint256 indexed offerId, address indexed seller, uint256 energyWh, uint256 pricePerWh, uint256 expiryBlock, int256 minBuyerCredit);
    event OfferCancelled(uint256 indexed offerId);
    event TradeOpened(uint256 indexed tradeId, uint256 indexed offerId, address indexed buyer, uint256 escrow, uint256 deadline);
    event Reported(uint256 indexed tradeId, address indexed meter, bool sellerSide, uint256 cumulativeWh);
    event ReceiptAccepted(uint256 indexed tradeId, address indexed meter, bool sellerSide, uint256 cumulativeWh);
    event TradeSettled(uint256 indexed tradeId, uint256 deliveredWh, uint256 sellerPaid, uint256 buyerRefund, bool complete);
    event Withdrawn(address indexed account, uint256 amount);

    constructor(uint256 deliveryBlocks_, uint256 graceBlocks_) EIP712("EnergyMarket", "2") {
        require(deliveryBlocks_ > 0 && deliveryBlocks_ <= MAX_WINDOW_BLOCKS, "delivery window out of range");
        require(graceBlocks_ > 0 && graceBlocks_ <= MAX_WINDOW_BLOCKS, "grace window out of range");
        registrar = msg.sender;
        deliveryBlocks = deliveryBlocks_;
        graceBlocks = graceBlocks_;
    }

    // ---- the registrar ----

    /// @notice Offers the registrar role to `proposed` (zero withdraws the offer). Only the
    ///         registrar.
    function proposeRegistrar(address proposed) external {
        require(msg.sender == registrar, "only the registrar");
        pendingRegistrar = proposed;
        emit RegistrarProposed(registrar, proposed);
    }

    /// @notice Takes the registrar role offered to the caller.
    function acceptRegistrar() external {
        require(msg.sender == pendingRegistrar && msg.sender != address(0), "only the proposed registrar");
        emit RegistrarChanged(registrar, msg.sender);
        registrar = msg.sender;
        pendingRegistrar = address(0);
    }

    // ---- meters ----

    /// @notice Vouches for a commissioned meter of `owner`; it signs receipts with its own
    ///         key until the owner sets another signer. Only the registrar; the owner must
    ///         accept it before it counts.
    function proposeMeter(address meter, address owner) external {
        require(msg.sender == registrar, "only the registrar");
        require(meter != address(0) && owner != address(0), "zero address");
        require(meters_[meter].status == MeterStatus.None, "meter already bound");
        meters_[meter] = Meter({owner: owner, status: MeterStatus.Proposed, lastTrade: 0, ownSigner: false, signer: address(0)});
        emit MeterProposed(meter, owner);
    }

    /// @notice The owner accepts a meter proposed for it.
    function acceptMeter(address meter) external {
        Meter storage m = meters_[meter];
        require(m.status == MeterStatus.Proposed, "meter not proposed");
        require(m.owner == msg.sender, "only the meter's owner");
        m.status = MeterStatus.Active;
        m.lastTrade = type(uint64).max;
        meterCount[msg.sender] += 1;
        emit MeterAccepted(meter, msg.sender);
    }

    /// @notice The owner or the registrar revokes a meter for every trade opened from now on;
    ///         trades already open keep accepting its receipts and reports. Final: the address
    ///         is never bound again.
    function revokeMeter(address meter) external {
        Meter storage m = meters_[meter];
        require(m.status == MeterStatus.Proposed || m.status == MeterStatus.Active, "meter not bound");
        require(msg.sender == m.owner || msg.sender == registrar, "only the owner or the registrar");
        if (m.status == MeterStatus.Active) {
            meterCount[m.owner] -= 1;
            m.lastTrade = tradeCount_;
        }
        m.status = MeterStatus.Revoked;
        emit MeterRevoked(meter, m.owner, m.lastTrade);
    }

    /// @notice The owner sets the address a meter's receipts must be signed by (after a key
    ///         rotation of the meter's account).
    function setMeterSigner(address meter, address signer) external {
        Meter storage m = meters_[meter];
        require(m.status == MeterStatus.Proposed || m.status == MeterStatus.Active, "meter not bound");
        require(m.owner == msg.sender, "only the meter's owner");
        require(signer != address(0), "zero address");
        m.ownSigner = signer != meter;
        m.signer = m.ownSigner ? signer : address(0);
        emit MeterSignerChanged(meter, signer);
    }

    /// @notice A meter: owner, status (0 none, 1 proposed, 2 active, 3 revoked), signing
    ///         address, and the last trade id it may serve.
    function meters(address meter)
        external
        view
        returns (address owner, uint8 status, address signer, uint256 lastTrade)
    {
        Meter storage m = meters_[meter];
        return (m.owner, uint8(m.status), m.ownSigner ? m.signer : meter, m.lastTrade);
    }

    /// @notice The owner a meter is bound to and active for (zero: none), as in version 1.
    function meterOwner(address meter) external view returns (address) {
        Meter storage m = meters_[meter];
        return m.status == MeterStatus.Active ? m.owner : address(0);
    }

    // ---- offers and trades ----

    /// @notice Offers energyWh at pricePerWh (peb), open until expiryBlock (inclusive), to
    ///         buyers whose credit is at least minBuyerCredit.
    function offer(uint256 energyWh, uint256 pricePerWh, uint256 expiryBlock, int256 minBuyerCredit)
        external
        returns (uint256 offerId)
    {
        require(meterCount[msg.sender] > 0, "seller has no registered meter");
        require(energyWh > 0 && energyWh <= type(uint48).max, "energy out of range");
        require(pricePerWh > 0 && pricePerWh <= type(uint128).max, "price out of range");
        require(expiryBlock >= block.number && expiryBlock <= type(uint40).max, "expiry out of range");
        require(minBuyerCredit >= type(int128).min && minBuyerCredit <= type(int128).max, "credit out of range");
        offerId = ++offerCount_;
        offers_[offerId] = Offer({
            seller: msg.sender,
            energyWh: uint48(energyWh),
            expiryBlock: uint40(expiryBlock),
            status: OfferStatus.Open,
            pricePerWh: uint128(pricePerWh),
            minBuyerCredit: int128(minBuyerCredit)
        });
        emit OfferCreated(offerId, msg.sender, energyWh, pricePerWh, expiryBlock, minBuyerCredit);
    }

    /// @notice Withdraws an offer nobody has bought. Only its seller.
    function cancel(uint256 offerId) external {
        Offer storage o = offers_[offerId];
        require(o.status != OfferStatus.None, "unknown offer");
        require(o.seller == msg.sender, "only the seller");
        require(o.status == OfferStatus.Open, "offer not open");
        o.status = OfferStatus.Cancelled;
        emit OfferCancelled(offerId);
    }

    /// @notice Buys an open offer, escrowing exactly energy × price. maxPricePerWh guards
    ///         against a price changed in front of the buyer; minSellerCredit is the lowest
    ///         seller credit the buyer accepts.
    function buy(uint256 offerId, uint256 maxPricePerWh, int256 minSellerCredit)
        external
        payable
        returns (uint256 tradeId)
    {
        Offer storage o = offers_[offerId];
        require(o.status != OfferStatus.None, "unknown offer");
        require(o.status == OfferStatus.Open, "offer not open");
        require(block.number <= o.expiryBlock, "offer expired");
        address seller = o.seller;
        require(seller != msg.sender, "cannot buy own offer");
        require(meterCount[msg.sender] > 0, "buyer has no registered meter");
        require(o.pricePerWh <= maxPricePerWh, "price above maximum");
        require(accounts_[msg.sender].credit >= o.minBuyerCredit, "buyer credit too low");
        require(accounts_[seller].credit >= minSellerCredit, "seller credit too low");
        uint256 escrow = uint256(o.energyWh) * o.pricePerWh;
        require(msg.value == escrow, "escrow must equal energy times price");
        // Money held is sent money: below 2^128 peb, so the packed totals and books fit.
        require(escrow <= type(uint128).max, "escrow out of range");
        o.status = OfferStatus.Bought;
        tradeId = ++tradeCount_;
        // Both windows are at most 2^32 blocks: the sum fits a uint64 for any real block.
        uint256 deadline = block.number + deliveryBlocks;
        trades_[tradeId] = Trade({
            seller: seller,
            energyWh: o.energyWh,
            status: TradeStatus.Open,
            buyer: msg.sender,
            sellerWh: 0,
            buyerWh: 0,
            pricePerWh: o.pricePerWh,
            offerId: uint64(offerId),
            deadline: uint64(deadline)
        });
        totalEscrow_ += uint128(escrow);
        emit TradeOpened(tradeId, offerId, msg.sender, escrow, deadline);
    }

    /// @notice Which side of trade `tradeId` (seller: true) meter `meter` may speak for;
    ///         reverts when it may not.
    function _side(Trade storage t, uint256 tradeId, address meter) private view returns (bool sellerSide) {
        Meter storage m = meters_[meter];
        require(m.status == MeterStatus.Active || m.status == MeterStatus.Revoked, "meter not registered");
        require(tradeId <= m.lastTrade, "meter revoked");
        if (m.owner == t.seller) return true;
        require(m.owner == t.buyer, "meter not party to trade");
        return false;
    }

    /// @notice A registered meter of the seller or the buyer reports the cumulative Wh
    ///         delivered so far, during the delivery window (the fallback and public trail
    ///         beside receipts). Reports never decrease and never exceed the trade's energy.
    function report(uint256 tradeId, uint256 cumulativeWh) external {
        Trade storage t = trades_[tradeId];
        require(t.status != TradeStatus.None, "unknown trade");
        require(t.status == TradeStatus.Open, "trade not open");
        require(block.number <= t.deadline, "delivery window closed");
        require(cumulativeWh <= t.energyWh, "report exceeds trade energy");
        bool sellerSide = _side(t, tradeId, msg.sender);
        if (sellerSide) {
            require(cumulativeWh >= t.sellerWh, "report decreased");
            t.sellerWh = uint48(cumulativeWh);
        } else {
            require(cumulativeWh >= t.buyerWh, "report decreased");
            t.buyerWh = uint48(cumulativeWh);
        }
        emit Reported(tradeId, msg.sender, sellerSide, cumulativeWh);
    }

    /// @notice The EIP-712 digest a meter signs for a receipt.
    function receiptDigest(uint256 tradeId, address meter, uint256 cumulativeWh) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RECEIPT_TYPEHASH, tradeId, meter, cumulativeWh)));
    }

    /// @notice Records a receipt: reverts if its signature or meter is not valid for its
    ///         trade; changes nothing if the trade is settled or the side already holds as
    ///         much (so nobody breaks a batch or a settle by landing first).
    function _accept(Receipt calldata rc) private {
        Trade storage t = trades_[rc.tradeId];
        require(t.status != TradeStatus.None, "unknown trade");
        bytes32 digest = receiptDigest(rc.tradeId, rc.meter, rc.cumulativeWh);
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(digest, rc.v, rc.r, rc.s);
        require(err == ECDSA.RecoverError.NoError, "invalid receipt signature");
        bool sellerSide = _side(t, rc.tradeId, rc.meter);
        Meter storage m = meters_[rc.meter];
        require(signer == (m.ownSigner ? m.signer : rc.meter), "receipt not signed by the meter");
        if (t.status != TradeStatus.Open) return;
        // A meter's last count may overshoot the trade: it counts as the whole energy.
        uint256 wh = rc.cumulativeWh < t.energyWh ? rc.cumulativeWh : t.energyWh;
        if (sellerSide) {
            if (wh <= t.sellerWh) return;
            t.sellerWh = uint48(wh);
        } else {
            if (wh <= t.buyerWh) return;
            t.buyerWh = uint48(wh);
        }
        emit ReceiptAccepted(rc.tradeId, rc.meter, sellerSide, wh);
    }

    /// @notice Records signed delivery receipts (any trades, any sides). Anyone may submit.
    function submitReceipts(Receipt[] calldata receipts) external {
        for (uint256 i = 0; i < receipts.length; i++) {
            _accept(receipts[i]);
        }
    }

    /// @notice Settles a trade once both sides hold the full energy; an unfinished one after
    ///         its deadline by its seller, or by anyone after deadline + graceBlocks.
    function settle(uint256 tradeId) external {
        _settle(tradeId);
    }

    /// @notice Records receipts of trade `tradeId` (usually each side's latest) and settles
    ///         it in the same transaction, under settle()'s rules.
    function settleWithReceipts(uint256 tradeId, Receipt[] calldata receipts) external {
        for (uint256 i = 0; i < receipts.length; i++) {
            require(receipts[i].tradeId == tradeId, "receipt for another trade");
            _accept(receipts[i]);
        }
        _settle(tradeId);
    }

    function _settle(uint256 tradeId) private {
        Trade storage t = trades_[tradeId];
        require(t.status != TradeStatus.None, "unknown trade");
        require(t.status == TradeStatus.Open, "trade not open");
        address seller = t.seller;
        address buyer = t.buyer;
        uint256 energy = t.energyWh;
        uint256 sellerWh = t.sellerWh;
        uint256 buyerWh = t.buyerWh;
        bool complete = sellerWh == energy && buyerWh == energy;
        if (!complete) {
            require(block.number > t.deadline, "trade still in delivery");
            require(msg.sender == seller || block.number > t.deadline + graceBlocks, "trade in its grace window");
        }
        t.status = TradeStatus.Settled;
        uint256 delivered = sellerWh < buyerWh ? sellerWh : buyerWh;
        uint256 escrow = energy * t.pricePerWh;
        uint256 sellerPaid = delivered * t.pricePerWh;
        uint256 buyerRefund = escrow - sellerPaid;
        // escrow < 2^128 (checked at the buy); payments and refunds are parts of it.
        totalEscrow_ -= uint128(escrow);
        totalOwed_ += uint128(escrow);
        int128 change = complete ? int128(1) : int128(-3);
        Account storage s = accounts_[seller];
        (s.balance, s.credit) = (s.balance + uint128(sellerPaid), s.credit + change);
        Account storage b = accounts_[buyer];
        (b.balance, b.credit) = (b.balance + uint128(buyerRefund), b.credit + change);
        emit TradeSettled(tradeId, delivered, sellerPaid, buyerRefund, complete);
    }

    /// @notice Sends the caller everything it is owed (pull payment).
    function withdraw() external {
        uint256 amount = accounts_[msg.sender].balance;
        require(amount > 0, "nothing to withdraw");
        // Effects (and the event) before the interaction: a re-entrant call finds nothing left.
        accounts_[msg.sender].balance = 0;
        totalOwed_ -= uint128(amount);
        emit Withdrawn(msg.sender, amount);
        (bool sent, ) = msg.sender.call{value: amount}("");
        require(sent, "transfer failed");
    }

    /// @notice What an account can withdraw.
    function balanceOf(address account) external view returns (uint256) {
        return accounts_[account].balance;
    }

    /// @notice Trading credit of an account: +1 per complete trade, −3 per trade cut short.
    function credit(address account) external view returns (int256) {
        return accounts_[account].credit;
    }

    /// @notice Money held for open trades, and money owed to accounts (not yet withdrawn).
    function totalEscrow() external view returns (uint256) {
        return totalEscrow_;
    }

    function totalOwed() external view returns (uint256) {
        return totalOwed_;
    }

    /// @notice How many offers and trades exist; ids start at 1.
    function offerCount() external view returns (uint256) {
        return offerCount_;
    }

    function tradeCount() external view returns (uint256) {
        return tradeCount_;
    }

    /// @notice An offer: seller, energy (Wh), price per Wh (peb), expiry block, status
    ///         (0 none, 1 open, 2 bought, 3 cancelled, 4 expired: open but past its expiry),
    ///         and the minimum buyer credit.
    function offers(uint256 offerId)
        external
        view
        returns (address seller, uint256 energyWh, uint256 pricePerWh, uint256 expiryBlock, uint8 status, int256 minBuyerCredit)
    {
        Offer storage o = offers_[offerId];
        OfferStatus s = o.status;
        if (s == OfferStatus.Open && block.number > o.expiryBlock) s = OfferStatus.Expired;
        return (o.seller, o.energyWh, o.pricePerWh, o.expiryBlock, uint8(s), o.minBuyerCredit);
    }

    /// @notice A trade: parties, energy, price, deadline, both sides' cumulative Wh and status
    ///         (0 none, 1 open, 2 settled).
    function trades(uint256 tradeId)
        external
        view
        returns (
            address seller,
            address buyer,
            uint256 offerId,
            uint256 energyWh,
            uint256 pricePerWh,
            uint256 deadline,
            uint256 sellerWh,
            uint256 buyerWh,
            uint8 status
        )
    {
        Trade storage t = trades_[tradeId];
        return (t.seller, t.buyer, t.offerId, t.energyWh, t.pricePerWh, t.deadline, t.sellerWh, t.buyerWh, uint8(t.status));
    }
}
