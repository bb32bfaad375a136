"""Panels conversations add to other apps' pages (collected by `core.registry.collect`)."""

# The feedback item page's side column: the conversation a highlight came from.
ITEM_SIDE_PANELS = ["conversations/_item_panel.html"]
# ...read with the item in one query (the feedback page selects these relations; no query when absent).
ITEM_SELECT_RELATED = ["conversation_highlight__conversation"]
