"""Placeholder replaced below."""


def subscribe(events) -> None:
    return None
