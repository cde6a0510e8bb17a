"""Every state of the conversation, in one table: state name -> how it shows, what it takes.

Adding a screen is adding a row here and its two functions in the journey it belongs to.
"""

from __future__ import annotations

from types import MappingProxyType

from dialogs.journeys import (
    catalogue,
    eservice,
    home,
    language,
    payment,
    people,
    search,
    tracking,
    verify,
)
from dialogs.journeys.core import State

TABLE = MappingProxyType({
    "language": State(language.show_language, language.on_language),
    "home": State(home.show_home, home.on_home),
    # catalogue
    "procedures": State(catalogue.show_procedures, catalogue.on_procedures),
    "category": State(catalogue.show_category, catalogue.on_category),
    "sheet": State(catalogue.show_sheet, catalogue.on_sheet, topic=True),
    "clarify": State(catalogue.show_clarify, catalogue.on_clarify),
    "search": State(search.show_search, search.on_search, reads="answer"),
    "found": State(search.show_found, search.on_found, reads="answer"),
    # e-service forms
    "eservices": State(eservice.show_eservices, eservice.on_eservices, personal=True),
    "ecategory": State(eservice.show_ecategory, eservice.on_ecategory, personal=True),
    "form": State(eservice.show_form, eservice.on_form, reads="answer", personal=True,
                  topic=True),
    "confirm": State(eservice.show_confirm, eservice.on_confirm, personal=True, topic=True),
    "resume": State(eservice.show_resume, eservice.on_resume, personal=True),
    # tracking
    "track": State(tracking.show_track, tracking.on_track, reads="number"),
    "status": State(tracking.show_status, tracking.on_status),
    "my_requests": State(tracking.show_my_requests, tracking.on_my_requests, personal=True),
    # paying a fee by mobile money
    "submitted": State(payment.show_submitted, payment.on_submitted, personal=True),
    "pay": State(payment.show_pay, payment.on_pay, personal=True),
    "pay_number": State(payment.show_pay_number, payment.on_pay_number, personal=True),
    "pay_other": State(payment.show_pay_other, payment.on_pay_other, reads="number",
                       personal=True),
    "pay_confirm": State(payment.show_pay_confirm, payment.on_pay_confirm, personal=True),
    # people
    "agent": State(people.show_agent, people.on_agent),
    "with_agent": State(people.show_with_agent, people.on_with_agent, reads="answer"),
    "line_closed": State(people.show_line_closed, people.on_line_closed),
    "callback": State(people.show_callback, people.on_callback),
    "callback_phone": State(people.show_callback_phone, people.on_callback_phone,
                            reads="number"),
    "callback_slot": State(people.show_callback_slot, people.on_callback_slot),
    # proving a web visitor's number
    "verify_phone": State(verify.show_verify_phone, verify.on_verify_phone, reads="number"),
    "verify_code": State(verify.show_verify_code, verify.on_verify_code, reads="number"),
})
