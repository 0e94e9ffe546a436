"""Demo history: two years of the demo company's business, so that every management chart shows something.

Runs right after the core demo (people, customers, product lines, products) and before every other
module's loader, so no demand waits yet and the stock each historical order needs is taken by that order
alone. It plays the twenty-four months before the current one and the current one up to yesterday as a
sequence of dated acts, in time order, each through the services and as the role that does it (a rep
captures nothing but follows up, converts, quotes, enters and confirms; the warehouse receives and ships;
finance invoices and books payments; management freezes each month's forecast), with the suite's clock
stopped at the act's moment (`core.clock.frozen_at`): every date and timestamp the services write (order,
shipment, stock move, invoice, payment and its allocation, lead, opportunity and its stage history,
audit) is the historical one, and the journal, the sales entries and the audit follow as in real use.

What it plays, with a fixed seed: about eight to fourteen orders a month (more in spring and autumn, fewer
around the Spring Festival, growing year over year), most of them won through an opportunity opened a few
weeks before (a quote submitted and accepted) and the rest entered directly; as many opportunities again
lost along the way; twenty to forty leads a month from the marketing channels, followed up, some converted
into new customers whose first deal is won or lost, the rest disqualified after a few weeks. An order's
goods are received just before it is confirmed, shipped two to six days later (a few late, a few of the
last weeks still waiting), invoiced within three days and paid twenty to sixty days after that (about one
invoice in ten never, for the aging). Sales targets for last year and this year per sales user follow.

Loading twice changes nothing: the history's leads (their e-mail domain) and orders (customer reference
`HIST-`) are the marker, and the whole demo load is one transaction."""

from __future__ import annotations

import heapq
import itertools
import random
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select

from core import clock
from core.formatting import CHINA
from core.models import Customer, Product, ProductKind, Role, User
from core.money import ZERO, round_money
from core.uow import UnitOfWork
from crm.demo import acting, lead_rules
from crm.leads import conversion
from crm.leads import services as leads
from crm.leads.models import Lead, LeadSource, LeadStatus
from crm.orders import services as orders
from crm.orders.models import SalesOrder
from crm.pipeline import services as pipeline
from crm.pipeline.models import LostReason
from crm.quotes import services as quotes
from finance.credit.exposure import credit_status
from finance.invoicing import services as invoicing
from finance.payments import services as payments
from inventory import shipping
from inventory.services import adjust_stock, balance_of, default_warehouse_id
from reports import forecast, targets
from reports.models import Measure, SalesEntry

MONTHS = 24
SEED = 2029
ORDER_REFERENCE = "HIST-{:04d}"
LEAD_DOMAIN = "hist-leads.example.cn"
RECEIVED = "Demo history: goods received"
VAT = Decimal("1.13")  # for the credit margin only: the order's own total decides
#: how busy each calendar month is: the Spring Festival in January and February, the spring and autumn
#: seasons of construction and plant maintenance
SEASON = {1: Decimal("0.8"), 2: Decimal("0.6"), 3: Decimal("1.1"), 4: Decimal("1.25"), 5: Decimal("1.2"),
          6: Decimal("1.0"), 7: Decimal("0.9"), 8: Decimal("0.85"), 9: Decimal("1.15"), 10: Decimal("1.1"),
          11: Decimal("1.25"), 12: Decimal("1.0")}
GROWTH = Decimal("1.15")  # a year
ORDERS_A_MONTH = 8  # besides the first orders of the customers won from leads
LEADS_A_MONTH = 22
CHANNELS = {"website": 30, "trade_show": 14, "referral": 14, "b2b_marketplace": 16, "cold_call": 8,
            "advertising": 7, "social_media": 7, "partner": 4}
CAPTURED_BY = {"website": LeadSource.WEB_FORM, "advertising": LeadSource.WEB_FORM,
               "social_media": LeadSource.WEB_FORM, "trade_show": LeadSource.IMPORT,
               "b2b_marketplace": LeadSource.API}
LEAD_REGIONS = {"East China": 35, "South China": 25, "North China": 14, "Central China": 12, "Southwest": 8,
                "Northeast": 6}
INDUSTRIES = {"chemical": "Chemical", "water": "Water Treatment", "hvac": "HVAC Engineering",
              "mining": "Mining Machinery", "food": "Food Processing", "paper": "Paper"}
SYLLABLES = (["Hua", "Jin", "Tian", "Hong", "Xin", "Zhong", "Rui", "Dong", "Sheng", "Bao", "Long", "Heng", "Yuan",
              "Feng", "Kai"],
             ["xin", "long", "yu", "da", "yuan", "ke", "tai", "fang", "shi", "li", "cheng", "sheng", "hai", "tong",
              "rong"])
LEAD_CITIES = ["Kunshan", "Changzhou", "Jiaxing", "Zhuhai", "Xiamen", "Hefei", "Jinan", "Nanchang", "Wuxi",
               "Shaoxing", "Zhongshan", "Luoyang", "Zibo", "Yantai", "Liuzhou", "Mianyang"]
SURNAMES = ["Zhang", "Wang", "Li", "Zhao", "Chen", "Yang", "Huang", "Zhou", "Wu", "Xu", "Sun", "Ma", "Zhu", "Hu"]
TITLES = ["Purchasing manager", "Engineer", "Plant manager", "Buyer", "Project manager", "Assistant",
          "Technical director", "Maintenance supervisor"]
DEAL_NAMES = ["Pump room upgrade", "Booster set replacement", "Cooling water pumps", "Dosing line extension",
              "Fire pump set", "Process pump replacement", "Valve replacement", "Spare parts framework",
              "Drainage pumps", "Boiler feed pumps", "Wastewater lift station", "Plant expansion, phase 2"]
TIER_WEIGHT = {"A": 4, "B": 2, "C": 1}


def load_history(uow: UnitOfWork) -> str:
    """The demo company's last two years (see the module's docstring); "" when loaded already or when
    the core demo's people are missing."""
    if uow.session.scalar(select(Lead.id).where(Lead.email.like(f"%@{LEAD_DOMAIN}")).limit(1)) is not None or \
            uow.session.scalar(select(SalesOrder.id).where(SalesOrder.customer_reference.like("HIST-%")).limit(1)):
        return ""
    users = {u.username: u for u in uow.session.scalars(select(User))}
    if not {"sales_rep", "sales_rep2", "sales_manager", "warehouse", "finance", "management", "admin"} <= set(users):
        return ""
    lead_rules(uow, users)  # the scoring and routing rules the front office uses: history leads are graded alike
    history = _History(uow, users, today=clock.today(), rng=random.Random(SEED))
    history.plan()
    history.run()
    history.set_targets()
    return history.summary()


# --------------------------------------------------------------------------- what the history sells


@dataclass(frozen=True)
class _Item:
    product_id: int
    price: Decimal  # the price the history sells at (a motor has no list price: cost plus a margin)
    given_price: bool


@dataclass
class _Catalogue:
    pumps: list[_Item]
    valves: list[_Item]
    spares: list[_Item]
    motors: list[_Item]
    services: list[_Item]
    goods: set[int] = field(default_factory=set)

    @classmethod
    def load(cls, uow: UnitOfWork) -> _Catalogue:
        found = cls([], [], [], [], [])
        for product in uow.session.scalars(select(Product).where(Product.active.is_(True)).order_by(Product.id)):
            if product.kind == ProductKind.SERVICE:
                if product.list_price > 0:
                    found.services.append(_Item(product.id, product.list_price, False))
                continue
            if product.product_line == "MOTORS" and product.standard_cost > 0:
                price = round_money(product.standard_cost * Decimal("1.45")).quantize(Decimal(1))
                found.motors.append(_Item(product.id, price, True))
                found.goods.add(product.id)
                continue
            if product.list_price <= 0:
                continue
            shelf = {"PUMPS": found.pumps, "VALVES": found.valves}.get(product.product_line or "", found.spares)
            shelf.append(_Item(product.id, product.list_price, False))
            found.goods.add(product.id)
        return found

    def basket(self, rng: random.Random, tier: str) -> list[dict[str, Any]]:
        """One to three lines of goods, small quantities (an A customer buys more), sometimes a service."""
        scale = {"A": 2, "B": 1, "C": 1}[tier]
        shelves = [(self.pumps, 45, (1, 3)), (self.valves, 20, (2, 8)), (self.spares, 25, (2, 12)),
                   (self.motors, 10, (1, 2))]
        shelves = [s for s in shelves if s[0]]
        lines: dict[int, dict[str, Any]] = {}
        for _ in range(rng.choice([1, 1, 2, 2, 2, 3])):
            items, _weight, (low, high) = rng.choices(shelves, weights=[s[1] for s in shelves])[0]
            item = rng.choice(items)
            if item.product_id in lines:
                continue
            line: dict[str, Any] = {"product_id": item.product_id, "qty": Decimal(rng.randint(low, high) * scale)}
            if item.given_price:
                line["unit_price"] = item.price
            lines[item.product_id] = line
        if self.services and any(i.product_id in lines for i in self.pumps) and rng.random() < 0.3:
            service = rng.choice(self.services)
            lines[service.product_id] = {"product_id": service.product_id, "qty": Decimal(rng.choice([4, 8, 8, 16]))}
        return list(lines.values())

    def untaxed(self, lines: list[dict[str, Any]]) -> Decimal:
        prices = {i.product_id: i.price for i in itertools.chain(self.pumps, self.valves, self.spares, self.motors,
                                                                 self.services)}
        return sum((line.get("unit_price", prices[line["product_id"]]) * line["qty"]
                    * (1 - line.get("discount", ZERO)) for line in lines), ZERO)


# --------------------------------------------------------------------------- the acts in time order


@dataclass(order=True)
class _Act:
    at: datetime
    seq: int
    run: Callable[..., None] = field(compare=False)
    args: tuple = field(compare=False, default=())


@dataclass
class _Buyer:
    customer_id: int
    owner_id: int | None
    tier: str
    credit_limit: Decimal


@dataclass
class _Deal:
    """An opportunity's plan: when it opened and closes, whether it is won, where a lost one stops."""

    opportunity_id: int
    customer_id: int
    owner_id: int
    lines: list[dict[str, Any]]
    opened: date
    closes: date
    won: bool
    stops_at: str  # the last open stage a lost deal reaches
    quote_id: int | None = None


STAGES = ("qualification", "needs_analysis", "quote", "negotiation")


class _History:
    """The plan of the history (acts by their moment) and the acts themselves."""

    def __init__(self, uow: UnitOfWork, users: dict[str, User], *, today: date, rng: random.Random) -> None:
        self.uow, self.session, self.users, self.today, self.rng = uow, uow.session, users, today, rng
        # a month more than the history shows: its first month collects what the month before invoiced
        self.first = _add_months(today.replace(day=1), -MONTHS - 1)
        self.until = datetime.combine(today, time(0), CHINA)  # nothing at or after today's start
        self.acts: list[_Act] = []
        self.seq = itertools.count()
        self.catalogue = _Catalogue.load(uow)
        self.warehouse_id = default_warehouse_id(self.session)
        self.by_id = {u.id: u for u in users.values()}
        self.reps = {u.id: u for u in users.values() if u.role in (Role.SALES_REP, Role.SALES_MANAGER)}
        self.buyers = {c.id: _Buyer(c.id, c.owner_id, c.tier, c.credit_limit or ZERO)
                       for c in self.session.scalars(select(Customer).where(
                           Customer.active.is_(True), Customer.lifecycle_stage != "target").order_by(Customer.id))}
        names = [(a + b, industry) for a in SYLLABLES[0] for b in SYLLABLES[1] for industry in INDUSTRIES]
        self.names = iter(self.rng.sample(names, len(names)))  # each lead's company a name of its own
        self.numbers = itertools.count(1)
        self.counts: dict[str, int] = defaultdict(int)

    # -- the calendar

    def schedule(self, at: datetime, run: Callable[..., None], *args: Any) -> None:
        if at < self.until:
            heapq.heappush(self.acts, _Act(at, next(self.seq), run, args))

    def moment(self, day: date) -> datetime:
        """A moment of the working day `day` (China time)."""
        minutes = self.rng.randint(9 * 60, 17 * 60 + 30)
        return datetime.combine(day, time(minutes // 60, minutes % 60), CHINA)

    def workday(self, day: date) -> date:
        """`day`, or the Monday after it when it falls on a weekend."""
        return day + timedelta(days=(7 - day.weekday()) % 7) if day.weekday() >= 5 else day

    def run(self) -> None:
        while self.acts:
            act = heapq.heappop(self.acts)
            with clock.frozen_at(act.at):
                act.run(*act.args)

    # -- the plan

    def plan(self) -> None:
        """Month by month, from the first of the history to two months ahead: the orders and won deals
        of the month, the deals lost in it, its leads and, at its start, the frozen forecast. Acts from
        today on are left out (`schedule`), so the deals of the months ahead that opened already are
        today's pipeline."""
        month, horizon = self.first, _add_months(self.today.replace(day=1), 3)
        while month < horizon:
            end = _add_months(month, 1) - timedelta(days=1)
            years = Decimal((month - self.first).days) / 365
            busy = SEASON[month.month] * (GROWTH ** years).quantize(Decimal("0.0001"))
            self.schedule(datetime.combine(month, time(0, 10), CHINA), self.snapshot, month)
            for _ in range(_around(self.rng, ORDERS_A_MONTH * busy, 1)):
                day = self.workday(self.day_in(month, end))
                opened = day - timedelta(days=self.rng.randint(25, 60))
                if self.rng.random() < 0.75 and opened >= self.first:
                    self.schedule(self.moment(opened), self.open_deal, opened, day, True)
                else:
                    self.schedule(self.moment(day), self.direct_order, day)
            for _ in range(_around(self.rng, ORDERS_A_MONTH * busy * Decimal("0.45"), 1)):
                day = self.workday(self.day_in(month, end))
                opened = max(day - timedelta(days=self.rng.randint(20, 60)), self.first)
                self.schedule(self.moment(opened), self.open_deal, opened, day, False)
            for _ in range(_around(self.rng, LEADS_A_MONTH * busy, 3)):
                day = self.day_in(month, end)
                minutes = self.rng.randint(0, 24 * 60 - 1) if self.rng.random() < 0.3 else \
                    self.rng.randint(8 * 60, 18 * 60)
                self.schedule(datetime.combine(day, time(minutes // 60, minutes % 60), CHINA), self.capture, day)
            month = _add_months(month, 1)

    def day_in(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    # -- management

    def snapshot(self, month: date) -> None:
        with acting(self.uow, self.users["management"]):
            forecast.snapshot_forecast(self.uow, forecast.month_key(month))

    # -- customers and their credit

    def buyer(self, *, owned: bool, gross: Decimal) -> _Buyer | None:
        """A customer to sell to (an owned one for a deal with a rep), whose exposure stays well within its
        credit limit with this much more."""
        pool = [b for b in self.buyers.values() if b.owner_id is not None or not owned]
        for _ in range(12):
            found = self.rng.choices(pool, weights=[TIER_WEIGHT.get(b.tier, 1) for b in pool])[0]
            if self.fits(found, gross, share=Decimal("0.5")):
                return found
        return None

    def fits(self, buyer: _Buyer, gross: Decimal, *, share: Decimal = Decimal(1)) -> bool:
        if buyer.credit_limit <= 0:
            return True
        status = credit_status(self.session, self.session.get(Customer, buyer.customer_id))
        return status.exposure + gross <= buyer.credit_limit * share

    def rep_for(self, buyer: _Buyer) -> User:
        if buyer.owner_id in self.reps:
            return self.reps[buyer.owner_id]
        return self.users["admin"]  # a customer nobody owns: the order desk (reps only read the public pool)

    # -- orders

    def direct_order(self, day: date) -> None:
        """A customer orders without a deal in the pipeline (a reorder): the rep enters it."""
        tier_lines = self.catalogue.basket(self.rng, "B")
        buyer = self.buyer(owned=self.rng.random() < 0.92, gross=self.catalogue.untaxed(tier_lines) * VAT * 2)
        if buyer is None:
            return
        lines = self.catalogue.basket(self.rng, buyer.tier) if buyer.tier == "A" else tier_lines
        requested, ships = self.fulfilment_dates(day)
        rep = self.rep_for(buyer)
        with acting(self.uow, rep):
            order = orders.create_order(self.uow, {
                "customer_id": buyer.customer_id, "customer_reference": ORDER_REFERENCE.format(next(self.numbers)),
                "requested_date": requested, "lines": lines}, on=day)
        self.confirm(order, rep, day, ships)

    def fulfilment_dates(self, day: date) -> tuple[date, date]:
        """The date the customer asks for and the date the goods leave: mostly in time, a few late, and
        a few of the last weeks' orders held up."""
        if self.rng.random() < 0.12:
            requested, ships = day + timedelta(days=self.rng.randint(2, 4)), day + timedelta(days=self.rng.randint(5, 9))
        else:
            requested, ships = day + timedelta(days=self.rng.randint(7, 21)), day + timedelta(days=self.rng.randint(2, 6))
        if (self.today - day).days < 30 and self.rng.random() < 0.15:
            ships += timedelta(days=self.rng.randint(10, 25))
        return requested, self.workday(ships)

    def confirm(self, order: SalesOrder, rep: User, day: date, ships: date) -> None:
        """The goods the order needs come in, then the rep confirms it (reserving them), and the
        shipment (or a cancellation) is planned."""
        needed: dict[int, Decimal] = defaultdict(Decimal)
        for line in order.lines:
            if line.product_id in self.catalogue.goods:
                needed[line.product_id] += line.qty
        with acting(self.uow, self.users["warehouse"]):
            for product_id, qty in sorted(needed.items()):
                balance = balance_of(self.session, product_id, self.warehouse_id)
                missing = qty - (balance.available if balance is not None else ZERO)
                if missing > 0:
                    adjust_stock(self.uow, {"product_id": product_id, "warehouse_id": self.warehouse_id,
                                            "qty": missing, "reason": RECEIVED})
        with acting(self.uow, rep):
            orders.confirm_order(self.uow, order.id, on=day)
        self.counts["orders"] += 1
        if self.rng.random() < 0.012:
            self.schedule(self.moment(self.workday(day + timedelta(days=self.rng.randint(1, 5)))), self.cancel,
                          order.id, rep.id)
        else:
            self.schedule(self.moment(ships), self.ship, order.id)

    def cancel(self, order_id: int, rep_id: int) -> None:
        with acting(self.uow, self.by_id[rep_id]):
            orders.cancel_order(self.uow, order_id)
        self.counts["cancelled"] += 1

    def ship(self, order_id: int) -> None:
        day = clock.today()
        with acting(self.uow, self.users["warehouse"]):
            shipment = shipping.create_shipment(self.uow, {"sales_order_id": order_id}, on=day)
            shipping.ship_shipment(self.uow, shipment.id, on=day)
        self.counts["shipped"] += 1
        self.schedule(self.moment(self.workday(day + timedelta(days=self.rng.randint(0, 3)))), self.invoice, order_id)

    def invoice(self, order_id: int) -> None:
        day = clock.today()
        with acting(self.uow, self.users["finance"]):
            invoice = invoicing.create_invoice(self.uow, {"sales_order_id": order_id, "post": True,
                                                          "invoice_date": day})
        self.counts["invoiced"] += 1
        chance = self.rng.random()
        if chance < 0.03:
            return  # never paid: it ages
        if chance < 0.12:  # a slow payer: paid months late, or still open
            paid_on = self.workday(day + timedelta(days=self.rng.randint(90, 240)))
        else:
            paid_on = self.workday(day + timedelta(days=self.rng.randint(20, 60)))
        if chance > 0.95:  # half first, the rest some weeks later
            half = round_money(invoice.total / 2)
            self.schedule(self.moment(paid_on), self.pay, invoice.customer_id, invoice.number, half)
            self.schedule(self.moment(self.workday(paid_on + timedelta(days=self.rng.randint(15, 30)))), self.pay,
                          invoice.customer_id, invoice.number, invoice.total - half)
        else:
            self.schedule(self.moment(paid_on), self.pay, invoice.customer_id, invoice.number, invoice.total)

    def pay(self, customer_id: int, number: str, amount: Decimal) -> None:
        with acting(self.uow, self.users["finance"]):
            payment = payments.record_payment(self.uow, {"customer_id": customer_id, "amount": amount,
                                                         "date": clock.today(), "reference": number})
            payments.allocate(self.uow, payment.id, auto=True)
        self.counts["payments"] += 1

    # -- the pipeline

    def open_deal(self, opened: date, closes: date, won: bool) -> None:
        """A rep opens an opportunity with one of their customers, to be won (or lost) on `closes`."""
        lines = self.catalogue.basket(self.rng, "B")
        if not won:  # the deals lost are the bigger ones, more often than not: tenders, projects
            scale = self.rng.choice([1, 2, 3, 4])
            lines = [{**line, "qty": line["qty"] * scale} for line in lines]
        buyer = self.buyer(owned=True, gross=self.catalogue.untaxed(lines) * VAT * 2 if won else ZERO)
        if buyer is None:
            return
        if buyer.tier == "A" and won:
            lines = self.catalogue.basket(self.rng, "A")
        rep = self.rep_for(buyer)
        name = self.session.scalar(select(Customer.name).where(Customer.id == buyer.customer_id))
        estimate = round_money(self.catalogue.untaxed(lines) * Decimal(self.rng.randint(110, 140)) / 100)
        with acting(self.uow, rep):
            opportunity = pipeline.create_opportunity(self.uow, {
                "customer_id": buyer.customer_id, "owner_id": rep.id, "amount": estimate,
                "name": f"{self.rng.choice(DEAL_NAMES)} – {name}"[:200],
                "expected_close_date": closes + timedelta(days=self.rng.randint(-7, 12))})
        self.plan_deal(_Deal(opportunity.id, buyer.customer_id, rep.id, lines, opened, closes, won,
                             self.rng.choice(STAGES)))

    def plan_deal(self, deal: _Deal) -> None:
        """The deal's stages between its opening and its close: needs analysis, a quote, negotiation, and
        its outcome; a lost deal stops in the stage it reached."""
        self.counts["opportunities"] += 1
        span = max((deal.closes - deal.opened).days, 4)
        reached = STAGES.index(deal.stops_at) if not deal.won else len(STAGES) - 1
        for index, (stage, part) in enumerate(zip(STAGES[1:], (0.2, 0.45, 0.75), strict=True), start=1):
            if index > reached:
                break
            day = deal.opened + timedelta(days=max(int(span * part), index))
            self.schedule(self.moment(day), self.move_deal, deal, stage)
        self.schedule(self.moment(deal.closes) + timedelta(minutes=1), self.close_deal, deal)

    def move_deal(self, deal: _Deal, stage: str) -> None:
        with acting(self.uow, self.reps[deal.owner_id]):
            if stage == "quote":
                contact = self.session.scalar(select(Customer.name).where(Customer.id == deal.customer_id))
                pipeline.update_opportunity(self.uow, deal.opportunity_id, {
                    "budget": round_money(self.catalogue.untaxed(deal.lines) * Decimal("1.2")),
                    "decision_maker": f"{self.rng.choice(SURNAMES)} ({contact[:40]})"})
            pipeline.move_opportunity(self.uow, deal.opportunity_id, stage_code=stage)
            if stage == "quote":
                discount = self.rng.choice([ZERO, ZERO, Decimal("0.05"), Decimal("0.08")])
                quote = quotes.create_quote(self.uow, {
                    "opportunity_id": deal.opportunity_id, "valid_until": clock.today() + timedelta(days=30),
                    "lines": [{**line, "discount": discount} for line in deal.lines]})
                quotes.submit_quote(self.uow, quote.id)
                deal.quote_id = quote.id

    def close_deal(self, deal: _Deal) -> None:
        """Won: the customer accepts the quote, the rep records the win and confirms the order. Lost: the
        quote (if any) is rejected and the deal closes with a reason."""
        day = clock.today()
        rep = self.reps[deal.owner_id]
        buyer = self.buyers.get(deal.customer_id) or _Buyer(deal.customer_id, deal.owner_id, "B", ZERO)
        if deal.won and deal.quote_id is not None:
            quote = quotes.get_quote(self.uow, deal.quote_id)
            if self.fits(buyer, quote.total):
                requested, ships = self.fulfilment_dates(day)
                with acting(self.uow, rep):
                    quote = quotes.accept_quote(self.uow, deal.quote_id, on=day)
                    order = orders.update_order(self.uow, quote.sales_order_id, {"requested_date": requested})
                    pipeline.move_opportunity(self.uow, deal.opportunity_id, stage_code="won")
                self.counts["won"] += 1
                self.buyers.setdefault(deal.customer_id, buyer)  # a new customer comes back for more
                self.confirm(order, rep, day, ships)
                return
        with acting(self.uow, rep):
            if deal.quote_id is not None:
                quotes.reject_quote(self.uow, deal.quote_id)
            reason = self.rng.choice([r.value for r in LostReason if r != LostReason.OTHER] + ["price", "competitor"])
            pipeline.move_opportunity(self.uow, deal.opportunity_id, stage_code="lost", lost_reason=reason)
        self.counts["lost"] += 1

    # -- leads

    def capture(self, day: date) -> None:
        """A lead comes in through a marketing channel; the rules grade and route it, the owner follows it
        up within hours, converts the promising ones and disqualifies the rest after some weeks."""
        brand, industry = next(self.names, (f"Xinhua {self.counts['leads']}", "water"))
        weights = dict(CHANNELS)
        if day.month in (4, 10):  # the spring and autumn trade fairs
            weights["trade_show"] *= 4
        channel = self.rng.choices(list(weights), weights=list(weights.values()))[0]
        n = self.counts["leads"] + 1
        data = {"company": f"{self.rng.choice(LEAD_CITIES)} {brand} {INDUSTRIES[industry]} Co., Ltd.",
                "contact_name": f"{self.rng.choice(SURNAMES)} {self.rng.choice('ABCDEFGHJKLMNPQRSTWXYZ')}.",
                "title": self.rng.choice(TITLES), "email": f"contact{n}@{LEAD_DOMAIN}",
                "phone": f"+86 137 {2000_0000 + n * 7919:08d}", "industry": industry,
                "region": self.rng.choices(list(LEAD_REGIONS), weights=list(LEAD_REGIONS.values()))[0],
                "company_size": self.rng.choice([20, 50, 120, 300, 800]), "channel": channel}
        if channel in ("website", "advertising"):
            data.update(utm_source=self.rng.choice(["baidu", "baidu", "bing", "wechat"]), utm_medium="cpc")
        lead = leads.capture_lead(self.uow, data, source=CAPTURED_BY.get(channel, LeadSource.MANUAL).value)
        self.counts["leads"] += 1
        if lead.status != LeadStatus.ASSIGNED:
            return
        now = clock.now()
        if self.rng.random() < {"A": 0.3, "B": 0.12}.get(lead.grade, 0):
            fate, act = self.moment(self.workday(day + timedelta(days=self.rng.randint(3, 14)))), self.convert
        else:
            fate, act = now + timedelta(days=self.rng.randint(15, 45)), self.disqualify
        self.schedule(fate, act, lead.id, lead.owner_id)
        if fate >= self.until:  # still open today: followed up in time, so it stays the rep's
            self.schedule(now + timedelta(hours=self.rng.randint(1, 20)), self.follow_up, lead.id, lead.owner_id)

    def follow_up(self, lead_id: int, owner_id: int) -> None:
        with acting(self.uow, self.reps[owner_id]):
            pipeline.log_activity(self.uow, {"lead_id": lead_id, "kind": "call",
                                             "note": self.rng.choice(["First call: sent the catalogue.",
                                                                      "Called back, needs data sheets.",
                                                                      "Discussed the application and duty point."])})

    def disqualify(self, lead_id: int, owner_id: int) -> None:
        with acting(self.uow, self.reps[owner_id]):
            leads.disqualify_lead(self.uow, lead_id)

    def convert(self, lead_id: int, owner_id: int) -> None:
        """The lead becomes a customer with a first deal, won in three to ten weeks or lost on the way."""
        day = clock.today()
        lines = self.catalogue.basket(self.rng, "B")
        closes = self.workday(day + timedelta(days=self.rng.randint(20, 70)))
        with acting(self.uow, self.reps[owner_id]):
            lead, opportunity = conversion.convert_lead(self.uow, lead_id, {
                "amount": round_money(self.catalogue.untaxed(lines) * Decimal(self.rng.randint(110, 140)) / 100),
                "expected_close_date": closes + timedelta(days=self.rng.randint(-7, 12))})
        self.counts["converted"] += 1
        won = self.rng.random() < 0.45
        self.plan_deal(_Deal(opportunity.id, lead.customer_id, owner_id, lines, day, closes, won,
                             self.rng.choice(STAGES)))

    # -- targets

    def set_targets(self) -> None:
        """Each sales user's booked targets for last year and this one, by the seasons' weights: last year
        around what they booked, this year what they booked in the last twelve months and some more."""
        year = self.today.year
        weights = [str(SEASON[m]) for m in range(1, 13)]
        for rep_id in sorted(self.reps):
            for target_year, base_from, base_to, low, high in (
                    (year - 1, date(year - 1, 1, 1), date(year - 1, 12, 31), 90, 112),
                    (year, self.today - timedelta(days=365), self.today, 110, 125)):
                booked = self.session.scalar(select(func.coalesce(func.sum(SalesEntry.amount), 0)).where(
                    SalesEntry.measure == Measure.BOOKED.value, SalesEntry.rep_id == rep_id,
                    SalesEntry.day >= base_from, SalesEntry.day <= base_to))
                amount = (Decimal(booked or 0) * self.rng.randint(low, high) / 1_000_000).to_integral_value() * 10_000
                exists = self.session.scalar(select(targets.SalesTarget.id).where(
                    targets.SalesTarget.rep_id == rep_id, targets.SalesTarget.basis == "booked",
                    targets.SalesTarget.period.like(f"{target_year:04d}-%")).limit(1))
                if amount <= 0 or exists is not None:
                    continue
                with acting(self.uow, self.users["admin"]):
                    targets.set_annual_targets(self.uow, {"rep_id": rep_id, "basis": "booked", "year": target_year,
                                                          "amount": str(amount), "weights": weights})
                self.counts["targets"] += 12

    def summary(self) -> str:
        c = self.counts
        return (f"Two years of history: {c['orders']} orders ({c['shipped']} shipped, {c['invoiced']} invoiced, "
                f"{c['payments']} payments, {c['cancelled']} cancelled), {c['leads']} leads ({c['converted']} "
                f"converted), {c['opportunities']} opportunities ({c['won']} won, {c['lost']} lost), "
                f"{c['targets']} monthly targets.")


def _add_months(first: date, count: int) -> date:
    index = first.year * 12 + first.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def _around(rng: random.Random, mean: Decimal, spread: int) -> int:
    """A whole number near `mean` (never below 0)."""
    return max(int((mean + Decimal(rng.randint(-spread, spread))).to_integral_value()), 0)
