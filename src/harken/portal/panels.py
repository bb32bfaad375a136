"""Panels the ideas portal adds to other apps' pages (collected by `core.registry.collect`)."""

# The feedback item page's side column: the portal idea behind the item (votes, demand, status).
ITEM_SIDE_PANELS = ["portal/_item_panel.html"]
# ...read with the item in one query (the feedback page selects this relation; no query when absent).
ITEM_SELECT_RELATED = ["portal_idea"]

# A roadmap item's page: the portal ideas linked to it (their votes and demand) and a link form.
ROADMAP_ITEM_PANELS = ["portal/_roadmap_panel.html"]
