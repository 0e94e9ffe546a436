"""Master data: customers, suppliers, products and their product lines, warehouses, and their imports."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from flask_smorest.fields import Upload
from marshmallow import Schema, fields

from core import queries, services
from core.imports import IMPORTERS, ImportReportSchema, read_table, run_import
from core.models import Customer, Product, ProductLine, Supplier
from core.schemas import (
    CreateCustomerSchema,
    CreateProductLineSchema,
    CreateProductSchema,
    CreateSupplierSchema,
    CreateWarehouseSchema,
    CustomerSchema,
    Id,
    ProductLineSchema,
    ProductSchema,
    SupplierSchema,
    UpdateCustomerSchema,
    UpdateProductLineSchema,
    UpdateProductSchema,
    UpdateSupplierSchema,
    WarehouseSchema,
)
from core.web import get_session, get_uow

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("master", __name__, description="Customers, suppliers, products and warehouses")


class ListArgs(PageArgs):
    q = fields.String(metadata={"description": "search in codes and names"})


class CustomerListArgs(ListArgs):
    tier = fields.String()
    region = fields.String()
    owner_id = Id()
    lifecycle_stage = fields.String()
    credit_hold = fields.Boolean()
    source = fields.String(metadata={"description": "acquisition source code"})
    industry = fields.String()


class ProductListArgs(ListArgs):
    kind = fields.String()
    active = fields.Boolean()
    default_supplier_id = Id()
    product_line = fields.String(metadata={"description": "product line code"})


class ProductLineListArgs(ListArgs):
    active = fields.Boolean()


@blp.route("/customers")
class Customers(MethodView):
    @blp.arguments(CustomerListArgs, location="query")
    @blp.response(200, page_schema(CustomerSchema))
    def get(self, args):
        """List the customers the caller may see."""
        return page_body(queries.customers(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CreateCustomerSchema)
    @blp.response(201, CustomerSchema)
    @blp.alt_response(422, description="A field is not valid")
    def post(self, data):
        """Create a customer."""
        return services.create_customer(get_uow(), data)


@blp.route("/customers/<int:customer_id>")
class CustomerItem(MethodView):
    @blp.response(200, CustomerSchema)
    def get(self, customer_id):
        """One customer."""
        return services.get_record(get_uow(), Customer, customer_id, "customer")

    @blp.arguments(UpdateCustomerSchema)
    @blp.response(200, CustomerSchema)
    def patch(self, data, customer_id):
        """Change some of a customer's fields."""
        return services.update_customer(get_uow(), customer_id, data)


@blp.route("/suppliers")
class Suppliers(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_schema(SupplierSchema))
    def get(self, args):
        """List suppliers."""
        return page_body(queries.suppliers(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CreateSupplierSchema)
    @blp.response(201, SupplierSchema)
    def post(self, data):
        """Create a supplier."""
        return services.create_supplier(get_uow(), data)


@blp.route("/suppliers/<int:supplier_id>")
class SupplierItem(MethodView):
    @blp.response(200, SupplierSchema)
    def get(self, supplier_id):
        """One supplier."""
        return services.get_record(get_uow(), Supplier, supplier_id, "supplier")

    @blp.arguments(UpdateSupplierSchema)
    @blp.response(200, SupplierSchema)
    def patch(self, data, supplier_id):
        """Change some of a supplier's fields."""
        return services.update_supplier(get_uow(), supplier_id, data)


@blp.route("/products")
class Products(MethodView):
    @blp.arguments(ProductListArgs, location="query")
    @blp.response(200, page_schema(ProductSchema))
    def get(self, args):
        """List products."""
        return page_body(queries.products(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CreateProductSchema)
    @blp.response(201, ProductSchema)
    def post(self, data):
        """Create a product."""
        return services.create_product(get_uow(), data)


@blp.route("/products/<int:product_id>")
class ProductItem(MethodView):
    @blp.response(200, ProductSchema)
    def get(self, product_id):
        """One product."""
        return services.get_record(get_uow(), Product, product_id, "product")

    @blp.arguments(UpdateProductSchema)
    @blp.response(200, ProductSchema)
    def patch(self, data, product_id):
        """Change some of a product's fields."""
        return services.update_product(get_uow(), product_id, data)


@blp.route("/product-lines")
class ProductLines(MethodView):
    @blp.arguments(ProductLineListArgs, location="query")
    @blp.response(200, page_schema(ProductLineSchema))
    def get(self, args):
        """List the product lines (by code)."""
        return page_body(queries.product_lines(get_session(), g.actor, **args))

    @idempotent
    @blp.arguments(CreateProductLineSchema)
    @blp.response(201, ProductLineSchema)
    @blp.alt_response(422, description="A field is not valid, or a product line has this code already")
    def post(self, data):
        """Create a product line (its code is unique whatever its letter case)."""
        return services.create_product_line(get_uow(), data)


@blp.route("/product-lines/<int:line_id>")
class ProductLineItem(MethodView):
    @blp.response(200, ProductLineSchema)
    def get(self, line_id):
        """One product line."""
        return services.get_record(get_uow(), ProductLine, line_id, "product_line")

    @blp.arguments(UpdateProductLineSchema)
    @blp.response(200, ProductLineSchema)
    def patch(self, data, line_id):
        """Rename a product line, or retire it (`active: false`: its products keep it, new ones cannot take it)."""
        return services.update_product_line(get_uow(), line_id, data)


@blp.route("/warehouses")
class Warehouses(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, page_schema(WarehouseSchema))
    def get(self, args):
        """List warehouses."""
        return page_body(queries.warehouses(get_session(), g.actor, page=args["page"],
                                            per_page=args["per_page"]))

    @idempotent
    @blp.arguments(CreateWarehouseSchema)
    @blp.response(201, WarehouseSchema)
    def post(self, data):
        """Create a warehouse."""
        return services.create_warehouse(get_uow(), data)


class ImportQuerySchema(Schema):
    commit = fields.Boolean(load_default=False, metadata={"description": "true: load the valid rows"})


class ImportFileSchema(Schema):
    file = Upload(required=True, metadata={"description": "a .csv, .xlsx or .xls file with a header row"})


@blp.route("/imports/<any(customers, products):kind>")
class Import(MethodView):
    @blp.arguments(ImportQuerySchema, location="query")
    @blp.arguments(ImportFileSchema, location="files")
    @blp.response(200, ImportReportSchema)
    def post(self, query, files, kind):
        """Check (dry run) or load a CSV or Excel file of customers or products.

        Every row is reported with its errors; with `commit=true` the valid rows
        are loaded in one transaction, updating records that share a code or sku."""
        rows = read_table(files["file"].filename, files["file"].read())
        return run_import(get_uow(), IMPORTERS[kind], rows, commit=query["commit"])
