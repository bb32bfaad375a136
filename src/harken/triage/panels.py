"""Panels triage adds to other apps' pages (collected by `core.registry.collect`).

Each is a template rendered with the page context (`item`, `actor`, `current_workspace`)."""

# The item page's side column: the SLA clock, assignment and decision.
ITEM_SIDE_PANELS = ["triage/_item_panel.html"]
# The item page's main column, under the text: conversation, notes and history.
ITEM_MAIN_PANELS = ["triage/_item_main.html"]
