"""Sent when a customer's email threads onto an existing item (triage records it in the history).

kwargs: feedback (Feedback), inbound (InboundEmail). Sent inside the ingest transaction.
"""

from django.dispatch import Signal

email_followup_received = Signal()
