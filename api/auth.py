"""POST /auth/token: a bearer token for a username and password."""

from __future__ import annotations

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core.auth import authenticate, issue_token
from core.schemas import DateTime
from core.web import get_session

blp = Blueprint("auth", __name__, description="Authentication")


class TokenRequestSchema(Schema):
    username = fields.String(required=True)
    password = fields.String(required=True, load_only=True)


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_at = DateTime()


@blp.route("/auth/token")
class Token(MethodView):
    @blp.arguments(TokenRequestSchema)
    @blp.response(200, TokenSchema)
    @blp.alt_response(401, description="Unknown username or wrong password")
    @blp.alt_response(429, description="Too many failed attempts")
    @blp.doc(security=[])
    def post(self, args):
        """Exchange a username and password for a bearer token."""
        settings = current_app.config["SETTINGS"]
        session = get_session()
        user = authenticate(session, args["username"], args["password"],
                            address=request.remote_addr or "", settings=settings)
        token, record = issue_token(session, user, settings)
        return {"access_token": token, "token_type": "Bearer", "expires_at": record.expires_at}
