"""The phone simulator page (``/simulator/``): USSD, SMS, WhatsApp and the web chat in one place."""

from channels.simulator.blueprint import bp

__all__ = ["bp"]
