"""Payment plans: the only code that sets an order's installments, invoices them and reminds about them.

Rules chosen:

* A plan is a list of installments, each a `percent` of the order total or a fixed `amount`, with a
  trigger (`on_confirmation`, `on_delivery` = the order is fully shipped, its service lines delivered,
  `after_acceptance` = finance or sales marked the order accepted, `on_date` = a fixed date) and
  `days_after` it when payment is due. The shares must make the order total: percentages alone must sum to exactly 100; with fixed
  amounts, the amounts plus the percentages of the total must make the total to the cent. Each
  installment's amount is rounded half-up to the cent and the last one takes the remainder, so the
  installments add up to the order total exactly.
* A plan may be set, replaced or removed while nothing of the order is invoiced (409
  `order_already_invoiced` otherwise) and the order is neither cancelled nor done. A draft's total
  may still change: at confirmation the amounts are computed again from the confirmed total (fixed
  amounts that no longer fit refuse the confirmation, 409 `payment_plan_mismatch`).
* When its trigger happens an installment is invoiced and posted at once through the one posting
  path (`finance.invoicing.services.issue_invoice`): one line for its amount, dated the day of the act, due
  `days_after` the trigger date. The line's untaxed part is the order's untaxed share of the amount,
  rounded to the cent; the last installment invoiced takes what is left of the order's untaxed
  amount and VAT, so the installment invoices add up to the order's untaxed, VAT and total to the
  cent. Its VAT rate is the order's rate (the effective rate when the order mixes rates).
* Triggers fire from events, in the transaction of the act: `SalesOrderConfirmed` (deposits,
  and fixed dates already reached), `SalesOrderShipped` (the order's last quantity shipped),
  `accept_order` (finance or sales), and the daily beat task `finance.invoice_dated_installments`
  for fixed dates. A plan set after a trigger happened invoices that installment at once.
* An order with a plan is invoiced only by its installments: invoicing its shipped quantities or
  explicit lines for it is refused (409 `invoiced_by_payment_plan`).
* Reminders (`remind_installments`, beat task `finance.remind_installments`): an open installment
  invoice reminds the order's owner (the customer's owner, else whoever entered the order) once
  `INSTALLMENT_REMIND_BEFORE_DAYS` before its due date and once on each of
  `INSTALLMENT_REMIND_AFTER_DAYS` after it; each (installment, kind) is stored, so no reminder is
  ever sent twice. A run sends at most one reminder per installment: the latest stage reached; stages
  missed while the task did not run are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from core import clock
from core.errors import DomainError, InvalidInput, NotFound
from core.forms import load_input
from core.money import ZERO, round_money
from core.queries import Page, paginate
from core.registry import permissions_of
from core.uow import UnitOfWork
from crm.orders.models import OrderState, SalesOrder
from finance.invoicing import services as invoicing
from finance.models import OPEN_INVOICE_STATES, Invoice, InvoiceLine, InvoiceState
from finance.plans.models import (
    InstallmentReminder,
    InstallmentTrigger,
    PaymentInstallment,
    PaymentPlan,
)
from finance.plans.schemas import SetPaymentPlanSchema

RESOURCE = "payment_plan"
HUNDRED = Decimal(100)
MAX_INSTALLMENTS = 12
#: Orders whose triggers can fire (an order that is confirmed and not cancelled).
LIVE_ORDER_STATES = (OrderState.CONFIRMED.value, OrderState.PARTIALLY_SHIPPED.value, OrderState.SHIPPED.value,
                     OrderState.DONE.value)
#: Orders whose payment terms can no longer change.
CLOSED_ORDER_STATES = (OrderState.CANCELLED.value, OrderState.DONE.value)
#: Orders shipped in full: acceptance by the customer can be recorded.
DELIVERED_ORDER_STATES = (OrderState.SHIPPED.value, OrderState.DONE.value)
DEFAULT_REMIND_BEFORE_DAYS = 3
DEFAULT_REMIND_AFTER_DAYS = (1, 7, 14)


@dataclass(frozen=True)
class Template:
    name: str
    installments: tuple[tuple[str, Decimal, InstallmentTrigger, int], ...]  # label, percent, trigger, days after


#: Plans a user picks by name; each installment's days after its trigger can be changed afterwards.
TEMPLATES: dict[str, Template] = {t.name: t for t in (
    Template("30/60/10", (("Deposit", Decimal(30), InstallmentTrigger.ON_CONFIRMATION, 7),
                          ("On delivery", Decimal(60), InstallmentTrigger.ON_DELIVERY, 30),
                          ("After acceptance", Decimal(10), InstallmentTrigger.AFTER_ACCEPTANCE, 30))),
    Template("30/70", (("Deposit", Decimal(30), InstallmentTrigger.ON_CONFIRMATION, 7),
                       ("On delivery", Decimal(70), InstallmentTrigger.ON_DELIVERY, 30))),
    Template("50/50", (("Deposit", Decimal(50), InstallmentTrigger.ON_CONFIRMATION, 7),
                       ("On delivery", Decimal(50), InstallmentTrigger.ON_DELIVERY, 30))),
    Template("100/delivery", (("On delivery", Decimal(100), InstallmentTrigger.ON_DELIVERY, 30),)),
)}


def template_installments(name: str) -> list[dict]:
    template = TEMPLATES.get(name)
    if template is None:
        raise InvalidInput({"template": [f"Unknown template; choose one of {', '.join(TEMPLATES)}."]})
    return [{"label": label, "percent": percent, "trigger": trigger.value, "days_after": days}
            for label, percent, trigger, days in template.installments]


# --------------------------------------------------------------------------- reading


def _order(uow: UnitOfWork, order_id: int, action: str, *, lock: bool = False) -> SalesOrder:
    order = uow.get(SalesOrder, order_id, "sales order", for_update=lock)
    uow.authorize(action, RESOURCE, order)
    return order


def plan_of(session: Session, order_id: int) -> PaymentPlan | None:
    return session.scalar(select(PaymentPlan).where(PaymentPlan.sales_order_id == order_id))


def find_plan(uow: UnitOfWork, order_id: int) -> tuple[SalesOrder, PaymentPlan | None]:
    """The order (404 when unknown or not in the reader's scope) and its plan, or None when it has none."""
    order = _order(uow, order_id, "read")
    return order, plan_of(uow.session, order.id)


def get_plan(uow: UnitOfWork, order_id: int) -> tuple[SalesOrder, PaymentPlan]:
    """The order's plan (404 when it has none)."""
    order, plan = find_plan(uow, order_id)
    if plan is None:
        raise NotFound("payment plan of sales order", order_id)
    return order, plan


# --------------------------------------------------------------------------- amounts


def installment_amounts(total: Decimal, specs: list[dict]) -> list[Decimal]:
    """Each installment's amount to the cent; the last takes the remainder. `specs` are installments as
    `InstallmentInputSchema` loads them (a percentage or an amount each, a known trigger); refused here
    are plans of no or too many installments and shares that do not make the order total. Nothing is
    changed here."""
    if not specs:
        raise InvalidInput({"installments": ["A payment plan needs at least one installment."]})
    if len(specs) > MAX_INSTALLMENTS:
        raise InvalidInput({"installments": [f"A payment plan has at most {MAX_INSTALLMENTS} installments."]})
    percents = [s["percent"] for s in specs if s.get("percent") is not None]
    fixed = [s["amount"] for s in specs if s.get("amount") is not None]
    if not fixed and sum(percents, ZERO) != HUNDRED:
        raise InvalidInput({"installments": [
            f"The percentages add up to {sum(percents, ZERO).normalize():f}%; they must make 100%."]})
    exact = sum(fixed, ZERO) + total * sum(percents, ZERO) / HUNDRED
    if fixed and round_money(exact) != total:
        raise InvalidInput({"installments": [
            f"The installments make {round_money(exact)}; they must make the order total {total}."]})
    amounts = [round_money(total * s["percent"] / HUNDRED) if s.get("percent") is not None else s["amount"]
               for s in specs]
    amounts[-1] = total - sum(amounts[:-1], ZERO)
    if any(amount <= 0 for amount in amounts):
        raise InvalidInput({"installments": ["Every installment must bill more than 0 of the order total."]})
    return amounts


def _mismatch(order: SalesOrder, exc: InvalidInput) -> DomainError:
    return DomainError(f"The payment plan of order {order.number} does not fit its total {order.total}; "
                       f"change the plan first.", code="payment_plan_mismatch", fields=exc.fields)


def _recompute(plan: PaymentPlan, order: SalesOrder) -> None:
    specs = [{"percent": i.percent, "amount": i.fixed_amount, "trigger": i.trigger, "days_after": i.days_after,
              "due_date": i.fixed_date} for i in plan.installments]
    try:
        amounts = installment_amounts(order.total, specs)
    except InvalidInput as exc:
        raise _mismatch(order, exc) from exc
    for installment, amount in zip(plan.installments, amounts, strict=True):
        if installment.amount != amount:
            installment.amount = amount


# --------------------------------------------------------------------------- setting a plan


def terms_open(session: Session, order: SalesOrder) -> bool:
    """Whether the order's payment plan can still be set or removed (what `_refuse_if_invoiced` refuses)."""
    return order.state not in CLOSED_ORDER_STATES and invoicing.invoiced_total(session, order.id) == 0


def _refuse_if_invoiced(uow: UnitOfWork, order: SalesOrder) -> None:
    if order.state in CLOSED_ORDER_STATES:
        raise DomainError(f"Order {order.number} is {order.state}; its payment terms cannot change.",
                          code="not_plannable", details={"state": str(order.state)})
    if invoicing.invoiced_total(uow.session, order.id) > 0:
        raise DomainError(f"Order {order.number} is already invoiced; its payment plan cannot change.",
                          code="order_already_invoiced")


def set_payment_plan(uow: UnitOfWork, order_id: int, data: dict, *, on: date | None = None) -> PaymentPlan:
    """Set (or replace) the order's plan from `installments` or a `template` name. Installments whose
    trigger has already happened are invoiced at once (dated `on`, today by default). `data` goes
    through `SetPaymentPlanSchema` here as in the page and the API: the demo and tests set plans with
    plain dicts."""
    order = _order(uow, order_id, "update", lock=True)
    data = load_input(SetPaymentPlanSchema, data)
    specs = data.get("installments")
    template = data.get("template")
    if not specs and template:
        specs = template_installments(template)
    amounts = installment_amounts(order.total, specs or [])
    _refuse_if_invoiced(uow, order)
    plan = plan_of(uow.session, order.id)
    if plan is None:
        plan = PaymentPlan(sales_order_id=order.id, created_by_id=uow.actor_id)
        uow.session.add(plan)
    plan.template = template if template in TEMPLATES and not data.get("installments") else None
    plan.installments.clear()
    uow.session.flush()  # the old installments go before the new ones take their positions
    for index, (spec, amount) in enumerate(zip(specs, amounts, strict=True)):
        trigger = InstallmentTrigger(spec["trigger"])
        plan.installments.append(PaymentInstallment(
            position=index + 1, label=(spec.get("label") or "").strip() or f"Installment {index + 1}",
            percent=spec.get("percent"), fixed_amount=spec.get("amount"), amount=amount, trigger=trigger.value,
            days_after=spec.get("days_after") or 0,
            fixed_date=spec.get("due_date") if trigger == InstallmentTrigger.ON_DATE else None))
    _fire(uow, plan, order, on=on or clock.today())
    uow.commit()
    return plan


def remove_payment_plan(uow: UnitOfWork, order_id: int) -> None:
    """Drop the plan of an order that is not invoiced yet: it is then invoiced by its shipments."""
    order = _order(uow, order_id, "update", lock=True)
    plan = plan_of(uow.session, order.id)
    if plan is None:
        raise NotFound("payment plan of sales order", order_id)
    _refuse_if_invoiced(uow, order)
    uow.session.delete(plan)
    uow.commit()


def accept_order(uow: UnitOfWork, order_id: int, *, on: date | None = None) -> PaymentPlan:
    """Finance or sales mark a delivered order accepted by the customer: installments after acceptance
    are invoiced. Only an order with a plan records acceptance (409 `no_payment_plan`)."""
    order = _order(uow, order_id, "update", lock=True)
    plan = plan_of(uow.session, order.id)
    if plan is None:
        raise DomainError(f"Order {order.number} has no payment plan; acceptance is recorded on a plan.",
                          code="no_payment_plan")
    if order.state not in DELIVERED_ORDER_STATES:
        raise DomainError(f"Order {order.number} is {order.state}; only a fully shipped order can be accepted.",
                          code="not_delivered", details={"state": str(order.state)})
    if plan.accepted_on is not None:
        raise DomainError(f"Order {order.number} was accepted on {plan.accepted_on}.", code="already_accepted")
    on = on or clock.today()
    plan.accepted_on = on
    plan.accepted_by_id = uow.actor_id
    _fire(uow, plan, order, on=on)
    uow.commit()
    return plan


# --------------------------------------------------------------------------- triggers and invoices


def refuse_invoicing_by_hand(uow: UnitOfWork, order: SalesOrder) -> None:
    """An order with a plan is invoiced by its installments only. Invoicing, below the plans, asks here
    (one of the registry's `invoicing_guards`, added by `finance.init_app`) before it bills an order's
    shipped quantities or explicit lines."""
    if uow.session.scalar(select(PaymentPlan.id).where(PaymentPlan.sales_order_id == order.id)) is not None:
        raise DomainError(f"Order {order.number} has a payment plan; it is invoiced by its installments.",
                          code="invoiced_by_payment_plan")


def _trigger_date(installment: PaymentInstallment, plan: PaymentPlan, order: SalesOrder, *, on: date,
                  delivered_on: date | None) -> date | None:
    """The day the installment's trigger happened, or None if it has not (yet)."""
    if order.state not in LIVE_ORDER_STATES:
        return None
    trigger = installment.trigger
    if trigger == InstallmentTrigger.ON_CONFIRMATION:
        return order.confirmed_on or on
    if trigger == InstallmentTrigger.ON_DELIVERY:
        return (delivered_on or on) if order.state in (OrderState.SHIPPED.value, OrderState.DONE.value) else None
    if trigger == InstallmentTrigger.AFTER_ACCEPTANCE:
        return plan.accepted_on
    if trigger == InstallmentTrigger.ON_DATE:
        return installment.fixed_date if installment.fixed_date is not None and installment.fixed_date <= on else None
    return None


def _vat_rate(order: SalesOrder) -> Decimal:
    rates = {line.tax_rate for line in order.lines}
    if len(rates) == 1:
        return rates.pop()
    return (order.tax / order.untaxed).quantize(Decimal("0.0001")) if order.untaxed else ZERO


def _invoice(uow: UnitOfWork, installment: PaymentInstallment, plan: PaymentPlan, order: SalesOrder, *,
             triggered_on: date, on: date) -> Invoice:
    others = [i for i in plan.installments if i is not installment]
    billed = [i for i in others if i.invoice is not None and i.invoice.state != InvoiceState.CANCELLED]
    if len(billed) == len(others):  # the last one: what is left of the order's untaxed amount and VAT
        untaxed = order.untaxed - sum((line.untaxed for i in billed for line in i.invoice.lines), ZERO)
    else:
        untaxed = round_money(installment.amount * order.untaxed / order.total) if order.total else ZERO
    tax = installment.amount - untaxed
    share = (f"{installment.percent.normalize():f}% of " if installment.percent is not None else "")
    line = InvoiceLine(description=f"{installment.label}: {share}order {order.number}"[:200], qty=Decimal(1),
                       unit_price=untaxed, discount=ZERO, tax_rate=_vat_rate(order), untaxed=untaxed, tax=tax,
                       total=installment.amount)
    installment.triggered_on = triggered_on
    base = installment.fixed_date if installment.trigger == InstallmentTrigger.ON_DATE else triggered_on
    installment.due_date = base + timedelta(days=installment.days_after or 0)
    invoice = invoicing.issue_invoice(uow, customer=order.customer, order=order, lines=[line],
                                      invoice_date=max(on, triggered_on), due_date=installment.due_date, post=True)
    installment.invoice = invoice
    return invoice


def _fire(uow: UnitOfWork, plan: PaymentPlan, order: SalesOrder, *, on: date,
          delivered_on: date | None = None) -> list[Invoice]:
    made = []
    for installment in plan.installments:
        if installment.invoice_id is not None or installment.invoice is not None:
            continue
        triggered_on = _trigger_date(installment, plan, order, on=on, delivered_on=delivered_on)
        if triggered_on is not None:
            made.append(_invoice(uow, installment, plan, order, triggered_on=triggered_on, on=on))
    return made


def on_order_confirmed(uow: UnitOfWork, order_id: int) -> None:
    """Reaction to the confirmation (in its transaction): amounts from the confirmed total, then the
    deposit (and fixed dates already reached) invoiced on the confirmation date."""
    plan = plan_of(uow.session, order_id)
    if plan is None:
        return
    order = uow.session.get(SalesOrder, order_id)
    _recompute(plan, order)
    _fire(uow, plan, order, on=order.confirmed_on or clock.today())


def on_order_shipped(uow: UnitOfWork, order_id: int, *, on: date) -> None:
    """Reaction to the order's last shipment (in its transaction): delivery installments invoiced."""
    plan = plan_of(uow.session, order_id)
    if plan is None:
        return
    _fire(uow, plan, uow.session.get(SalesOrder, order_id), on=on, delivered_on=on)


def invoice_dated_installments(uow: UnitOfWork, *, today: date) -> list[Invoice]:
    """Invoice the installments whose fixed date has come (system job, daily)."""
    plan_ids = list(uow.session.scalars(
        select(PaymentPlan.id).join(PaymentInstallment, PaymentInstallment.plan_id == PaymentPlan.id)
        .join(SalesOrder, SalesOrder.id == PaymentPlan.sales_order_id)
        .where(PaymentInstallment.trigger == InstallmentTrigger.ON_DATE.value, PaymentInstallment.invoice_id.is_(None),
               PaymentInstallment.fixed_date <= today, SalesOrder.state.in_(LIVE_ORDER_STATES))
        .distinct().order_by(PaymentPlan.id)))
    made = []
    for plan_id in plan_ids:
        plan = uow.session.get(PaymentPlan, plan_id)
        order = uow.session.get(SalesOrder, plan.sales_order_id, with_for_update={"of": SalesOrder.__table__})
        made.extend(_fire(uow, plan, order, on=today))
    uow.commit()
    return made


# --------------------------------------------------------------------------- reminders


def _stage(due: date, today: date, before_days: int, after_days: tuple[int, ...]) -> str | None:
    """The latest reminder stage reached on `today`, or None."""
    reached = [days for days in sorted(after_days) if today >= due + timedelta(days=days)]
    if reached:
        return f"after_{reached[-1]}"
    if due - timedelta(days=before_days) <= today <= due:
        return "before"
    return None


def remind_installments(uow: UnitOfWork, *, today: date, before_days: int = DEFAULT_REMIND_BEFORE_DAYS,
                        after_days: tuple[int, ...] = DEFAULT_REMIND_AFTER_DAYS) -> list[InstallmentReminder]:
    """Tell each open installment's order owner before it falls due and after (system job, daily).
    Every (installment, kind) is sent once; a run sends at most the latest stage reached."""
    session = uow.session
    rows = session.execute(
        select(PaymentInstallment, SalesOrder)
        .join(PaymentPlan, PaymentPlan.id == PaymentInstallment.plan_id)
        .join(SalesOrder, SalesOrder.id == PaymentPlan.sales_order_id)
        .join(Invoice, Invoice.id == PaymentInstallment.invoice_id)
        .where(Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.total > Invoice.paid_amount,
               PaymentInstallment.due_date.is_not(None))
        .order_by(PaymentInstallment.due_date, PaymentInstallment.id)).all()
    sent_before = {(i, k) for i, k in session.execute(
        select(InstallmentReminder.installment_id, InstallmentReminder.kind).where(
            InstallmentReminder.installment_id.in_([row[0].id for row in rows])))} if rows else set()
    made = []
    for installment, order in rows:
        kind = _stage(installment.due_date, today, before_days, after_days)
        if kind is None or (installment.id, kind) in sent_before:
            continue
        owner_id = order.customer.owner_id or order.created_by_id
        if owner_id is None:
            continue
        invoice = installment.invoice
        head = (f"Installment {installment.position} ({installment.label}) of order {order.number} "
                f"for {order.customer.name}, invoice {invoice.number}: {invoice.open_amount} open")
        if kind == "before":
            message = f"{head}, due on {installment.due_date}."
        else:
            message = f"{head}, due on {installment.due_date}: {(today - installment.due_date).days} days overdue."
        uow.enqueue("notify.user", {"user_id": owner_id, "message": message,
                                    "link": f"/sales-orders/{order.id}#payment-plan"})
        reminder = InstallmentReminder(installment_id=installment.id, kind=kind, sent_on=today, user_id=owner_id)
        session.add(reminder)
        made.append(reminder)
    uow.commit()
    return made


# --------------------------------------------------------------------------- reading for pages and the API


def installment_view(installment: PaymentInstallment, order: SalesOrder, *, today: date) -> dict:
    invoice = installment.invoice
    return {"id": installment.id, "position": installment.position, "label": installment.label,
            "percent": installment.percent, "amount": installment.amount, "trigger": installment.trigger,
            "days_after": installment.days_after, "fixed_date": installment.fixed_date,
            "triggered_on": installment.triggered_on, "due_date": installment.due_date,
            "invoice_id": installment.invoice_id, "invoice_number": invoice.number if invoice is not None else None,
            "status": installment.status(order_cancelled=order.state == OrderState.CANCELLED).value,
            "paid_amount": installment.paid_amount, "open_amount": installment.open_amount,
            "overdue": installment.overdue(today)}


def plan_view(order: SalesOrder, plan: PaymentPlan, *, today: date) -> dict:
    """The plan as pages and the API show it: each installment with its status and overdue flag."""
    return {"sales_order_id": order.id, "order_number": order.number, "order_total": order.total,
            "template": plan.template, "accepted_on": plan.accepted_on,
            "installments": [installment_view(i, order, today=today) for i in plan.installments]}


# --------------------------------------------------------------------------- lists


def installments_page(session: Session, actor, *, status: str | None = None, overdue: bool = False,
                      today: date | None = None, page: int = 1, per_page: int = 25) -> Page:
    """Installments of every plan for finance, soonest due first (planned ones last); items are
    `installment_view` dicts with the order's number and customer."""
    permissions_of(session).require(actor, "read", "invoice")
    today = today or clock.today()
    stmt = (select(PaymentInstallment)
            .join(PaymentPlan, PaymentPlan.id == PaymentInstallment.plan_id)
            .join(SalesOrder, SalesOrder.id == PaymentPlan.sales_order_id)
            .outerjoin(Invoice, Invoice.id == PaymentInstallment.invoice_id)
            .options(selectinload(PaymentInstallment.plan)))
    by_invoice = {"invoiced": InvoiceState.POSTED.value, "partially_paid": InvoiceState.PARTIALLY_PAID.value,
                  "paid": InvoiceState.PAID.value}
    if status == "planned":
        stmt = stmt.where(PaymentInstallment.invoice_id.is_(None), SalesOrder.state != OrderState.CANCELLED.value)
    elif status in by_invoice:
        stmt = stmt.where(Invoice.state == by_invoice[status])
    if overdue:
        stmt = stmt.where(Invoice.state.in_(OPEN_INVOICE_STATES), Invoice.total > Invoice.paid_amount,
                          PaymentInstallment.due_date < today)
    stmt = stmt.order_by(PaymentInstallment.due_date.is_(None), PaymentInstallment.due_date, SalesOrder.id,
                         PaymentInstallment.position)
    found = paginate(session, stmt, page=page, per_page=per_page)
    items = []
    for installment in found.items:
        order = installment.plan.order
        items.append({**installment_view(installment, order, today=today), "sales_order_id": order.id,
                      "order_number": order.number, "customer_name": order.customer.name})
    return Page(items, found.total, found.page, found.per_page)
