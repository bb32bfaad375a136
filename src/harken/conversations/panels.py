"""Panels conversations add to other apps' pages (collected by `core.registry.collect`)."""

# The feedback item page's side column: the conversation a highlight came from.
ITEM_SIDE_PANELS = ["conversations/_item_panel.html"]
