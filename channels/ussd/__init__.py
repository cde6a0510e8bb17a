"""USSD channel (Africa's Talking)."""

from channels.ussd.blueprint import bp

__all__ = ["bp"]
