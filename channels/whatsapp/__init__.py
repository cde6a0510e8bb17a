"""WhatsApp channel (Meta WhatsApp Cloud API): signed webhook in, Graph API sends out."""

from channels.whatsapp.webhook import bp

__all__ = ["bp"]
