"""The `crm` module. Its documents arrive with their issues; for now it only plugs into the app."""

from flask import Flask

from core.events import EventRegistry


def init_app(app: Flask, events: EventRegistry) -> None:
    """Register this module's blueprint and event subscriptions."""
