"""The web UI of the platform: login, home, language, master data, import, audit.

Views parse input, call one service, and render or redirect. The three master
data kinds share one set of list/detail/form views driven by `MasterData`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf.csrf import CSRFError
from marshmallow import Schema
from sqlalchemy import func, select

from core import formatting, queries, services
from core.auth import LoginThrottled, authenticate
from core.errors import DomainError, Forbidden, NotFound
from core.forms import load_form, load_input
from core.imports import IMPORTERS, ImportError_, read_table, run_import
from core.models import (
    Customer,
    LifecycleStage,
    Notification,
    Product,
    ProductKind,
    ProductLine,
    Role,
    Supplier,
    Tier,
    UoM,
)
from core.registry import current_registry
from core.schemas import CustomerFormSchema, ProductFormSchema, ProductLineFormSchema, SupplierFormSchema
from core.security import safe_next
from core.sources import source_choices, source_label
from core.web import can, current_locale, get_session, get_uow

bp = Blueprint("core_web", __name__, template_folder="templates")

ROLE_LABELS = {
    Role.SALES_REP: _l("Sales representative"), Role.SALES_MANAGER: _l("Sales manager"),
    Role.FINANCE: _l("Finance"), Role.WAREHOUSE: _l("Warehouse"), Role.PURCHASING: _l("Purchasing"),
    Role.PRODUCTION: _l("Production"), Role.MANAGEMENT: _l("Management"), Role.ADMIN: _l("Administrator"),
}
LANGUAGES = {"en": "English", "zh_CN": "简体中文"}
STAGE_LABELS = {LifecycleStage.NURTURING: _l("Nurturing"), LifecycleStage.TARGET: _l("Target"),
                LifecycleStage.WON: _l("Won"), LifecycleStage.DORMANT: _l("Dormant")}
KIND_LABELS = {ProductKind.BUY: _l("Bought"), ProductKind.MAKE: _l("Made in house"), ProductKind.SERVICE: _l("Service")}


# --------------------------------------------------------------------------- helpers


@dataclass
class Field:
    name: str
    label: Any
    kind: str = "text"  # text, number, select, checkbox, tags, textarea, email
    choices: Any = None  # list of (value, label) or a callable returning it
    required: bool = False
    permission: tuple[str, str] | None = None  # (action, resource) needed to edit this field
    default: Any = None  # preselected on a new record
    display: Callable[[Any], Any] | None = None  # the label of a stored value, where the choices cannot say

    def options(self):
        return self.choices() if callable(self.choices) else (self.choices or [])

    def label_for(self, value):
        """The human label of a stored choice (static choice lists, or the field's `display`)."""
        if self.display is not None:
            return self.display(value)
        if self.kind == "select" and not callable(self.choices):
            return dict(self.choices or []).get(value, value)
        return value


@dataclass
class MasterData:
    resource: str
    endpoint: str
    model: type
    title: Any
    singular: Any
    key: str
    form_schema: type[Schema]
    fields: list[Field]
    columns: list[tuple[str, Any]]
    filters: list[Field] = field(default_factory=list)
    query: Any = None
    create: Any = None
    update: Any = None
    also_edited_by: tuple[str, ...] = ()  # resources whose "update" right also opens the edit form

    def show(self, record, name: str):
        """A record's value as a person reads it in lists and detail pages."""
        if name == "owner_name":
            return record.owner.display_name if record.owner else ""
        value = getattr(record, name)
        field = next((f for f in self.fields if f.name == name), None)
        return field.label_for(value) if field is not None else value

    def can_edit(self, user) -> bool:
        return any(can(user, "update", r) for r in (self.resource, *self.also_edited_by))


def guard(action: str, resource: str) -> None:
    if not can(current_user, action, resource):
        abort(403)


def refusal(exc: DomainError) -> str:
    """A refused command in one flash message: the service's sentence, then each field's reason."""
    reasons: list[str] = []

    def collect(value) -> None:
        if isinstance(value, dict):
            for item in value.values():
                collect(item)
        elif isinstance(value, list | tuple):
            for item in value:
                collect(item)
        elif value:
            reasons.append(str(value))

    collect(exc.fields)
    return " ".join([exc.message, *reasons])


def load_or_abort(getter, *args):
    """Read one record through its service for a page: unknown → 404, not for this user → 403."""
    try:
        return getter(get_uow(), *args)
    except NotFound:
        abort(404)
    except Forbidden:
        abort(403)


def act(call: Callable[[], Any], success: Callable[[Any], str], target: str,
        refuse: Callable[[DomainError], str] = refusal):
    """One button of a page: run one service command (`call`), flash `success(record)` or, when the
    service refuses, `refuse(exc)` as an error (nothing of it kept), and go back to `target` with 303.
    An unknown record is a 404. The view keeps its own permission guard."""
    try:
        with get_uow():  # the scope of the act: a refusal leaves nothing of it in the session
            record = call()
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(refuse(exc), "error")
    else:
        flash(success(record), "success")
    return redirect(target, 303)


def parse_form(fields: list[Field], form, *, editing: bool) -> dict:
    """Turn form text into schema input: empty means none, checkboxes mean true/false. The master-data
    form reads its own field list (per-field permissions, comma-separated tags) rather than
    `core.forms.form_input`, then loads the result through the same schema with `load_input`."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.permission and not can(current_user, *f.permission):
            continue
        if f.kind == "checkbox":
            data[f.name] = f.name in form
            continue
        if f.name not in form:
            continue
        value = form.get(f.name, "").strip()
        if f.kind == "tags":
            data[f.name] = [t.strip() for t in value.replace("，", ",").split(",") if t.strip()]
        elif value == "":
            if editing and not f.required:
                data[f.name] = None
        else:
            data[f.name] = value
    return data


def _uom_choices():
    return [(u.code, f"{u.code} — {u.name}") for u in get_session().scalars(select(UoM).order_by(UoM.code))]


def _supplier_choices():
    rows = get_session().scalars(select(Supplier).where(Supplier.active.is_(True)).order_by(Supplier.code))
    return [("", "—")] + [(str(s.id), f"{s.code} — {s.name}") for s in rows]


def _source_choices():
    return source_choices(services.sources_in_use(get_uow()))


def _product_lines() -> dict[str, ProductLine]:
    """Every product line by code, read once per request (a list page labels each row with it)."""
    if "product_lines" not in g:
        g.product_lines = {line.code: line for line in get_session().scalars(select(ProductLine).order_by(ProductLine.code))}
    return g.product_lines


def _product_line_label(code: str | None) -> str:
    line = _product_lines().get(code) if code else None
    return f"{line.code} — {line.label(current_locale())}" if line else (code or "")


def _product_line_choices():
    lines = _product_lines().values()
    return [("", "—")] + [(line.code, _product_line_label(line.code) + ("" if line.active else f" ({_('retired')})"))
                          for line in lines]


def _owner_choices():
    if current_user.role == Role.SALES_REP:  # a rep's new customers are the rep's own
        return [(str(current_user.id), current_user.display_name)]
    users = queries.sales_users(get_session())
    return [("", _("Public pool (no owner)"))] + [(str(u.id), u.display_name) for u in users]


CUSTOMERS = MasterData(
    resource="customer", endpoint="customers", model=Customer, title=_l("Customers"), singular=_l("Customer"),
    key="code", form_schema=CustomerFormSchema,
    fields=[
        Field("code", _l("Code"), required=True), Field("name", _l("Name"), required=True),
        Field("tax_id", _l("Tax ID")),
        Field("tier", _l("Tier"), "select", [(t.value, t.value) for t in Tier], default=Tier.B.value),
        Field("region", _l("Region")), Field("tags", _l("Tags"), "tags"),
        Field("source", _l("Source"), "select", _source_choices, default="direct", display=source_label),
        Field("industry", _l("Industry")),
        Field("owner_id", _l("Owner"), "select", _owner_choices),
        Field("lifecycle_stage", _l("Lifecycle stage"), "select",
              [(s.value, STAGE_LABELS[s]) for s in LifecycleStage], default=LifecycleStage.TARGET.value),
        Field("email", _l("E-mail"), "email"), Field("phone", _l("Phone")),
        Field("payment_terms_days", _l("Payment terms (days)"), "number", default=30),
        Field("credit_limit", _l("Credit limit"), "number", permission=("update", "customer_credit")),
        Field("credit_hold", _l("On credit hold"), "checkbox", permission=("update", "customer_credit")),
        Field("active", _l("Active"), "checkbox"),
    ],
    columns=[("code", _l("Code")), ("name", _l("Name")), ("tier", _l("Tier")), ("region", _l("Region")),
             ("source", _l("Source")), ("owner_name", _l("Owner")), ("credit_limit", _l("Credit limit")),
             ("credit_hold", _l("On credit hold"))],
    filters=[Field("tier", _l("Tier"), "select", [(t.value, t.value) for t in Tier]),
             Field("lifecycle_stage", _l("Lifecycle stage"), "select",
                   [(s.value, STAGE_LABELS[s]) for s in LifecycleStage]),
             Field("source", _l("Source"), "select", _source_choices),
             Field("region", _l("Region"))],
    query=queries.customers, create=services.create_customer, update=services.update_customer,
    also_edited_by=("customer_credit",),
)

PRODUCTS = MasterData(
    resource="product", endpoint="products", model=Product, title=_l("Products"), singular=_l("Product"),
    key="sku", form_schema=ProductFormSchema,
    fields=[
        Field("sku", _l("SKU"), required=True), Field("name", _l("Name"), required=True),
        Field("kind", _l("Kind"), "select", [(k.value, KIND_LABELS[k]) for k in ProductKind], required=True),
        Field("product_line", _l("Product line"), "select", _product_line_choices, display=_product_line_label),
        Field("uom", _l("Unit"), "select", _uom_choices, default="pcs"),
        Field("list_price", _l("List price"), "number"), Field("standard_cost", _l("Standard cost"), "number"),
        Field("tax_rate", _l("Tax rate"), "number", default="0.13"), Field("lead_time_days", _l("Lead time (days)"), "number"),
        Field("default_supplier_id", _l("Default supplier"), "select", _supplier_choices),
        Field("min_order_qty", _l("Minimum order quantity"), "number"),
        Field("description", _l("Description"), "textarea"), Field("active", _l("Active"), "checkbox"),
    ],
    columns=[("sku", _l("SKU")), ("name", _l("Name")), ("kind", _l("Kind")), ("product_line", _l("Product line")),
             ("uom", _l("Unit")), ("list_price", _l("List price")), ("lead_time_days", _l("Lead time (days)"))],
    filters=[Field("kind", _l("Kind"), "select", [(k.value, KIND_LABELS[k]) for k in ProductKind]),
             Field("product_line", _l("Product line"), "select", lambda: _product_line_choices()[1:])],
    query=queries.products, create=services.create_product, update=services.update_product,
)

SUPPLIERS = MasterData(
    resource="supplier", endpoint="suppliers", model=Supplier, title=_l("Suppliers"), singular=_l("Supplier"),
    key="code", form_schema=SupplierFormSchema,
    fields=[
        Field("code", _l("Code"), required=True), Field("name", _l("Name"), required=True),
        Field("tax_id", _l("Tax ID")), Field("email", _l("E-mail"), "email"), Field("phone", _l("Phone")),
        Field("payment_terms_days", _l("Payment terms (days)"), "number"),
        Field("currency", _l("Currency")), Field("active", _l("Active"), "checkbox"),
    ],
    columns=[("code", _l("Code")), ("name", _l("Name")), ("phone", _l("Phone")), ("email", _l("E-mail"))],
    query=queries.suppliers, create=services.create_supplier, update=services.update_supplier,
)

MASTER = {m.endpoint: m for m in (CUSTOMERS, PRODUCTS, SUPPLIERS)}

# The domain modules' menu entries, home page alerts and detail page panels are in the app's registry
# (`core.registry`), added by each module's `init_app`: core imports none of them.


def detail_panels(resource: str) -> list[tuple[str, Any, str]]:
    """The panels other modules add to a detail page of `resource` that the signed-in role may read:
    (endpoint, title, name of the id parameter)."""
    return [(panel.endpoint, panel.title, panel.param) for panel in current_registry().panels_of(resource)
            if can(current_user, *panel.permission)]


def nav_items() -> list[tuple[str, Any]]:
    """The menu: only what the signed-in role may use."""
    items = [("core_web.home", _("Home"))]
    for m in MASTER.values():
        if can(current_user, "read", m.resource):
            items.append((f"core_web.{m.endpoint}_list", m.title))
    for entry in current_registry().nav.values():
        if can(current_user, *entry.permission):
            items.append((entry.endpoint, entry.label))
    if can(current_user, "create", "customer") or can(current_user, "create", "product"):
        items.append(("core_web.imports", _("Import")))
    if can(current_user, "read", "audit"):
        items.append(("core_web.audit", _("Audit log")))
    return items


# --------------------------------------------------------------------------- session


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("core_web.home"))
    if request.method == "POST":
        try:
            user = authenticate(get_session(), request.form.get("username", ""), request.form.get("password", ""),
                                address=request.remote_addr or "", settings=current_app.config["SETTINGS"])
        except LoginThrottled as exc:
            flash(_("Too many failed logins on this site. Try again in a minute.") if exc.everyone else
                  _("Too many failed logins. Try again in %(minutes)s minutes.", minutes=exc.minutes), "error")
            return render_template("core/login.html"), exc.status
        except DomainError:
            flash(_("Unknown username or wrong password."), "error")
            return render_template("core/login.html"), 401
        login_user(user)
        g.actor = user
        return redirect(safe_next(request.args.get("next"), url_for("core_web.home")))
    return render_template("core/login.html")


@bp.route("/logout", methods=["POST"])
def logout():
    """Signing out ends the session on the server too: a copy of its cookie no longer signs anyone in."""
    if current_user.is_authenticated:
        services.end_sessions(get_uow(), current_user.id)
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("core_web.login"))


@bp.route("/language", methods=["POST"])
def language():
    code = request.form.get("locale", "")
    if code in LANGUAGES:
        session["locale"] = code
        if current_user.is_authenticated:
            services.set_locale(get_uow(), code)
    return redirect(safe_next(request.form.get("next"), url_for("core_web.home")))


@bp.route("/")
@login_required
def home():
    s = get_session()
    tiles = []
    for m in MASTER.values():
        if can(current_user, "read", m.resource):
            count = m.query(s, current_user, per_page=1).total
            tiles.append({"title": m.title, "count": count, "url": url_for(f"core_web.{m.endpoint}_list")})
    notes = list(s.scalars(select(Notification).where(Notification.user_id == current_user.id)
                           .order_by(Notification.id.desc()).limit(10)))
    on_hold = None
    if can(current_user, "update", "customer_credit"):
        on_hold = s.scalar(select(func.count()).select_from(Customer).where(Customer.credit_hold.is_(True)))
    alerts = [alert for alert in (make(current_user) for make in current_registry().home_alerts.values()) if alert]
    return render_template("core/home.html", tiles=tiles, notes=notes, on_hold=on_hold, alerts=alerts,
                           role_label=ROLE_LABELS.get(current_user.role, current_user.role))


# --------------------------------------------------------------------------- master data


def _list(m: MasterData):
    guard("read", m.resource)
    filters = {f.name: request.args.get(f.name) or None for f in m.filters}
    page = m.query(get_session(), current_user, q=request.args.get("q"), page=request.args.get("page", 1, type=int),
                   per_page=25, **filters)
    template = "core/_table.html" if request.headers.get("HX-Request") else "core/list.html"
    return render_template(template, m=m, page=page, filters=filters, q=request.args.get("q", ""))


def _detail(m: MasterData, ident: int):
    record = load_or_abort(services.get_record, m.model, ident, m.resource)
    history = queries.audit_entries(get_session(), current_user, entity=m.model.__name__, entity_id=str(ident),
                                    per_page=20).items if can(current_user, "read", "audit") else []
    return render_template("core/detail.html", m=m, record=record, history=history,
                           panels=detail_panels(m.resource),
                           can_edit=m.can_edit(current_user))


def _form(m: MasterData, ident: int | None):
    if ident is None:
        guard("create", m.resource)
    elif not m.can_edit(current_user):
        abort(403)
    uow = get_uow()
    record = None
    if ident is not None:
        try:
            record = services.get_record(uow, m.model, ident, m.resource)
        except NotFound:
            abort(404)
    errors: dict = {}
    values: dict = {}
    if request.method == "POST":
        values = parse_form(m.fields, request.form, editing=record is not None)
        try:
            with uow:
                data = load_input(m.form_schema, values, partial=record is not None)
                saved = m.update(uow, record.id, data) if record else m.create(uow, data)
            flash(_("%(kind)s %(key)s saved.", kind=m.singular, key=getattr(saved, m.key)), "success")
            return redirect(url_for(f"core_web.{m.endpoint}_detail", ident=saved.id))
        except Forbidden as exc:
            flash(exc.message, "error")
            return redirect(url_for(f"core_web.{m.endpoint}_list")), 303
        except DomainError as exc:
            errors = exc.fields
            if not errors:
                flash(exc.message, "error")
        flash(_("Please correct the marked fields; nothing was saved."), "error")
    status = 422 if errors else 200
    return render_template("core/form.html", m=m, record=record, values=values, errors=errors), status


def _register_master(m: MasterData) -> None:
    bp.add_url_rule(f"/{m.endpoint}", f"{m.endpoint}_list", login_required(lambda: _list(m)))
    bp.add_url_rule(f"/{m.endpoint}/new", f"{m.endpoint}_new", login_required(lambda: _form(m, None)),
                    methods=["GET", "POST"])
    bp.add_url_rule(f"/{m.endpoint}/<int:ident>", f"{m.endpoint}_detail",
                    login_required(lambda ident: _detail(m, ident)))
    bp.add_url_rule(f"/{m.endpoint}/<int:ident>/edit", f"{m.endpoint}_edit",
                    login_required(lambda ident: _form(m, ident)), methods=["GET", "POST"])


for _m in MASTER.values():
    _register_master(_m)


# --------------------------------------------------------------------------- product lines


def _product_lines_page(errors: dict | None = None, typed=None, status: int = 200):
    page = queries.product_lines(get_session(), current_user, page=1, per_page=200)
    counts = dict(get_session().execute(select(Product.product_line, func.count()).where(
        Product.product_line.is_not(None)).group_by(Product.product_line)).all())
    return render_template("core/product_lines.html", lines=page.items, counts=counts, errors=errors or {},
                           typed=typed or {}, locale=current_locale()), status


@bp.route("/product-lines", methods=["GET", "POST"])
@login_required
def product_lines():
    """The product lines that group products in the sales reports: listed, added, retired."""
    if request.method == "GET":
        guard("read", "product_line")
        return _product_lines_page()
    guard("create", "product_line")
    try:
        data = load_form(ProductLineFormSchema, request.form)
        with get_uow() as uow:
            line = services.create_product_line(uow, data)
    except DomainError as exc:
        flash(refusal(exc), "error")
        return _product_lines_page(exc.fields, request.form, 422)
    flash(_("Product line %(code)s added.", code=line.code), "success")
    return redirect(url_for("core_web.product_lines"), 303)


@bp.route("/product-lines/<int:line_id>/active", methods=["POST"])
@login_required
def product_line_active(line_id: int):
    """Retire a product line (its products keep it; no new product takes it) or bring it back."""
    guard("update", "product_line")
    active = request.form.get("active") == "1"
    return act(lambda: services.update_product_line(get_uow(), line_id, {"active": active}),
               lambda line: (_("Product line %(code)s is in use again.", code=line.code) if line.active
                             else _("Product line %(code)s retired.", code=line.code)),
               url_for("core_web.product_lines"))


# --------------------------------------------------------------------------- import and audit


@bp.route("/imports", methods=["GET", "POST"])
@login_required
def imports():
    allowed = [k for k, imp in IMPORTERS.items() if can(current_user, "create", imp.resource)]
    if not allowed:
        abort(403)
    report = None
    kind = request.form.get("kind", allowed[0])
    if request.method == "POST":
        upload = request.files.get("file")
        if kind not in allowed:
            abort(403)
        if upload is None or not upload.filename:
            flash(_("Choose a CSV or Excel file."), "error")
        else:
            try:
                rows = read_table(upload.filename, upload.read())
                report = run_import(get_uow(), IMPORTERS[kind], rows, commit=request.form.get("commit") == "1")
                if report["committed"]:
                    flash(_("%(n)s rows loaded.", n=report["valid"]), "success")
                else:
                    flash(_("Dry run: nothing was saved."), "info")
            except ImportError_ as exc:
                flash(exc.message, "error")
    return render_template("core/import.html", allowed=allowed, kind=kind, report=report)


@bp.route("/audit")
@login_required
def audit():
    guard("read", "audit")
    page = queries.audit_entries(get_session(), current_user, entity=request.args.get("entity") or None,
                                 user_id=request.args.get("user_id", type=int),
                                 page=request.args.get("page", 1, type=int))
    return render_template("core/audit.html", page=page, entity=request.args.get("entity", ""),
                           user_id=request.args.get("user_id", ""))


@bp.app_errorhandler(403)
def forbidden(_exc):
    return render_template("core/error.html", code=403, message=_("Your role does not allow this page.")), 403


@bp.app_errorhandler(CSRFError)
def csrf_refused(_exc):
    return render_template("core/error.html", code=400,
                           message=_("The form had expired or was not sent from this site. Please try again.")), 400


@bp.app_errorhandler(404)
def not_found(_exc):
    if request.path.startswith("/api/"):
        return {"error": {"code": "not_found", "message": "No such resource.", "fields": {}}}, 404
    return render_template("core/error.html", code=404, message=_("This page or record does not exist.")), 404


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    formatting.init_app(app)
    app.extensions["registry"].add_nav("core_web.product_lines", _l("Product lines"), ("create", "product_line"))

    @app.context_processor
    def _globals():
        return {"nav_items": nav_items if current_user.is_authenticated else (lambda: []),
                "languages": LANGUAGES, "can": can, "current_locale": current_locale()}
