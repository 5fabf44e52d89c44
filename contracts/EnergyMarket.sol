// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity 0.8.37;

/// @title EnergyMarket — peer-to-peer energy trades with escrow, two-meter delivery reports
///        and pull payments (the Evlock trading system).
/// @notice A registrar binds commissioned meters to their owners. A seller offers energy at a
///         price per Wh; a buyer buys an offer, escrowing exactly energy × price. During
///         delivery the seller's and the buyer's meters report cumulative Wh. Settlement pays
///         the seller for min(seller's report, buyer's report) and refunds the buyer the rest;
///         a complete trade raises both parties' credit by 1, a trade cut short lowers both
///         by 3. Money only leaves through withdraw().
/// @dev Rules: no tx.origin, no blockhash, no timestamps (deadlines are block numbers), no
///      unbounded loops, checked arithmetic. Invariant: address(this).balance ==
///      totalEscrow + totalOwed. Storage is packed so that a report reads two trade slots and
///      rewrites one already-nonzero slot (a report stays under 35,000 gas).
contract EnergyMarket {
    enum OfferStatus { None, Open, Bought, Cancelled }
    enum TradeStatus { None, Open, Settled }

    struct Offer {
        address seller;       // slot 0
        uint48 energyWh;
        uint40 expiryBlock;
        OfferStatus status;
        uint128 pricePerWh;   // slot 1
    }

    struct Trade {
        address seller;       // slot 0
        uint48 energyWh;
        uint40 deadline;
        TradeStatus status;
        address buyer;        // slot 1: written by every report, nonzero from the start
        uint48 sellerWh;
        uint48 buyerWh;
        uint128 pricePerWh;   // slot 2
        uint64 offerId;
    }

    /// @notice Who may register meters.
    address public immutable registrar;
    /// @notice Blocks a trade has for delivery, counted from the buy.
    uint40 public immutable deliveryBlocks;

    /// @notice The owner account a meter is bound to (zero: not registered).
    mapping(address => address) public meterOwner;
    /// @notice How many registered meters an account owns.
    mapping(address => uint256) public meterCount;
    /// @notice Trading credit of each account: +1 per complete trade, −3 per trade cut short.
    mapping(address => int256) public credit;
    /// @notice What each account can withdraw.
    mapping(address => uint256) public balanceOf;

    mapping(uint256 => Offer) private offers_;
    mapping(uint256 => Trade) private trades_;
    /// @notice How many offers and trades exist; ids start at 1.
    uint256 public offerCount;
    uint256 public tradeCount;
    /// @notice Money held for open trades, and money owed to accounts (not yet withdrawn).
    uint256 public totalEscrow;
    uint256 public totalOwed;

    event MeterRegistered(address indexed meter, address indexed owner);
    event OfferCreated(uint256 indexed offerId, address indexed seller, uint256 energyWh, uint256 pricePerWh, uint256 expiryBlock);
    event OfferCancelled(uint256 indexed offerId);
    event TradeOpened(uint256 indexed tradeId, uint256 indexed offerId, address indexed buyer, uint256 escrow, uint256 deadline);
    event Reported(uint256 indexed tradeId, address indexed meter, bool sellerSide, uint256 cumulativeWh);
    event TradeSettled(uint256 indexed tradeId, uint256 deliveredWh, uint256 sellerPaid, uint256 buyerRefund, bool complete);
    event CreditChanged(address indexed account, int256 credit);
    event Withdrawn(address indexed account, uint256 amount);

    constructor(uint40 deliveryBlocks_) {
        require(deliveryBlocks_ > 0, "delivery window must be positive");
        registrar = msg.sender;
        deliveryBlocks = deliveryBlocks_;
    }

    /// @notice Binds a commissioned meter to its owner. Only the registrar.
    function registerMeter(address meter, address owner) external {
        require(msg.sender == registrar, "only the registrar");
        require(meter != address(0) && owner != address(0), "zero address");
        require(meterOwner[meter] == address(0), "meter already registered");
        meterOwner[meter] = owner;
        meterCount[owner] += 1;
        emit MeterRegistered(meter, owner);
    }

    /// @notice Offers energyWh at pricePerWh (peb), open until expiryBlock (inclusive).
    function offer(uint256 energyWh, uint256 pricePerWh, uint256 expiryBlock) external returns (uint256 offerId) {
        require(meterCount[msg.sender] > 0, "seller has no registered meter");
        require(energyWh > 0 && energyWh <= type(uint48).max, "energy out of range");
        require(pricePerWh > 0 && pricePerWh <= type(uint128).max, "price out of range");
        require(expiryBlock >= block.number && expiryBlock <= type(uint40).max, "expiry out of range");
        offerId = ++offerCount;
        offers_[offerId] = Offer({
            seller: msg.sender,
            energyWh: uint48(energyWh),
            expiryBlock: uint40(expiryBlock),
            status: OfferStatus.Open,
            pricePerWh: uint128(pricePerWh)
        });
        emit OfferCreated(offerId, msg.sender, energyWh, pricePerWh, expiryBlock);
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
    ///         against a price changed in front of the buyer.
    function buy(uint256 offerId, uint256 maxPricePerWh) external payable returns (uint256 tradeId) {
        Offer storage o = offers_[offerId];
        require(o.status != OfferStatus.None, "unknown offer");
        require(o.status == OfferStatus.Open, "offer not open");
        require(block.number <= o.expiryBlock, "offer expired");
        require(o.seller != msg.sender, "cannot buy own offer");
        require(meterCount[msg.sender] > 0, "buyer has no registered meter");
        require(o.pricePerWh <= maxPricePerWh, "price above maximum");
        uint256 escrow = uint256(o.energyWh) * o.pricePerWh;
        require(msg.value == escrow, "escrow must equal energy times price");
        o.status = OfferStatus.Bought;
        tradeId = ++tradeCount;
        uint40 deadline = uint40(block.number) + deliveryBlocks;
        trades_[tradeId] = Trade({
            seller: o.seller,
            energyWh: o.energyWh,
            deadline: deadline,
            status: TradeStatus.Open,
            buyer: msg.sender,
            sellerWh: 0,
            buyerWh: 0,
            pricePerWh: o.pricePerWh,
            offerId: uint64(offerId)
        });
        totalEscrow += escrow;
        emit TradeOpened(tradeId, offerId, msg.sender, escrow, deadline);
    }

    /// @notice A registered meter of the seller or the buyer reports the cumulative Wh
    ///         delivered so far. Reports never decrease and never exceed the trade's energy.
    function report(uint256 tradeId, uint256 cumulativeWh) external {
        Trade storage t = trades_[tradeId];
        require(t.status != TradeStatus.None, "unknown trade");
        require(t.status == TradeStatus.Open, "trade not open");
        require(block.number <= t.deadline, "delivery window closed");
        require(cumulativeWh <= t.energyWh, "report exceeds trade energy");
        address owner = meterOwner[msg.sender];
        require(owner != address(0), "meter not registered");
        bool sellerSide = owner == t.seller;
        if (sellerSide) {
            require(cumulativeWh >= t.sellerWh, "report decreased");
            t.sellerWh = uint48(cumulativeWh);
        } else {
            require(owner == t.buyer, "meter not party to trade");
            require(cumulativeWh >= t.buyerWh, "report decreased");
            t.buyerWh = uint48(cumulativeWh);
        }
        emit Reported(tradeId, msg.sender, sellerSide, cumulativeWh);
    }

    /// @notice Settles a trade once both meters reported the full energy, or after its
    ///         deadline. Anyone may call it.
    function settle(uint256 tradeId) external {
        Trade storage t = trades_[tradeId];
        require(t.status != TradeStatus.None, "unknown trade");
        require(t.status == TradeStatus.Open, "trade not open");
        bool complete = t.sellerWh == t.energyWh && t.buyerWh == t.energyWh;
        require(complete || block.number > t.deadline, "trade still in delivery");
        t.status = TradeStatus.Settled;
        uint256 delivered = t.sellerWh < t.buyerWh ? t.sellerWh : t.buyerWh;
        uint256 escrow = uint256(t.energyWh) * t.pricePerWh;
        uint256 sellerPaid = delivered * t.pricePerWh;
        uint256 buyerRefund = escrow - sellerPaid;
        totalEscrow -= escrow;
        totalOwed += escrow;
        balanceOf[t.seller] += sellerPaid;
        balanceOf[t.buyer] += buyerRefund;
        int256 change = complete ? int256(1) : int256(-3);
        credit[t.seller] += change;
        credit[t.buyer] += change;
        emit TradeSettled(tradeId, delivered, sellerPaid, buyerRefund, complete);
        emit CreditChanged(t.seller, credit[t.seller]);
        emit CreditChanged(t.buyer, credit[t.buyer]);
    }

    /// @notice Sends the caller everything it is owed (pull payment).
    function withdraw() external {
        uint256 amount = balanceOf[msg.sender];
        require(amount > 0, "nothing to withdraw");
        // Effects before the interaction: a re-entrant call finds nothing left.
        balanceOf[msg.sender] = 0;
        totalOwed -= amount;
        (bool sent, ) = msg.sender.call{value: amount}("");
        require(sent, "transfer failed");
        emit Withdrawn(msg.sender, amount);
    }

    /// @notice An offer: seller, energy (Wh), price per Wh (peb), expiry block, status
    ///         (0 none, 1 open, 2 bought, 3 cancelled).
    function offers(uint256 offerId)
        external
        view
        returns (address seller, uint256 energyWh, uint256 pricePerWh, uint256 expiryBlock, uint8 status)
    {
        Offer storage o = offers_[offerId];
        return (o.seller, o.energyWh, o.pricePerWh, o.expiryBlock, uint8(o.status));
    }

    /// @notice A trade: parties, energy, price, deadline, both reports and status
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
