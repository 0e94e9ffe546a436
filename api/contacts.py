"""Contacts: the people of the customers the caller may see."""

from __future__ import annotations

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields

from core.schemas import Id
from core.web import get_uow
from crm import contacts
from crm.leads.schemas import ContactSchema, CreateContactSchema, UpdateContactSchema

from . import PageArgs, idempotent, page_body, page_schema

blp = Blueprint("contacts", __name__, description="Contacts of customers, in the customer's data scope")


class ContactListArgs(PageArgs):
    customer_id = Id()
    q = fields.String(metadata={"description": "search in name, e-mail and phone"})


@blp.route("/contacts")
class Contacts(MethodView):
    @blp.arguments(ContactListArgs, location="query")
    @blp.response(200, page_schema(ContactSchema))
    def get(self, args):
        """The contacts the caller may see (a rep: those of own and unowned customers)."""
        return page_body(contacts.contacts(get_uow(), g.actor, **args))

    @idempotent
    @blp.arguments(CreateContactSchema)
    @blp.response(201, ContactSchema)
    @blp.alt_response(403, description="The customer belongs to another sales owner")
    @blp.alt_response(422, description="A field is not valid, or no such customer")
    def post(self, data):
        """Add a contact to a customer the caller may change; the first one (or `is_primary`) is primary."""
        return contacts.create_contact(get_uow(), data)


@blp.route("/contacts/<int:contact_id>")
class ContactItem(MethodView):
    @blp.response(200, ContactSchema)
    def get(self, contact_id):
        """One contact (404 when its customer is out of the caller's sight)."""
        return contacts.get_contact(get_uow(), contact_id)

    @blp.arguments(UpdateContactSchema)
    @blp.response(200, ContactSchema)
    def patch(self, data, contact_id):
        """Change name, title, phone, e-mail or whether the contact is the customer's primary one."""
        return contacts.update_contact(get_uow(), contact_id, data)
