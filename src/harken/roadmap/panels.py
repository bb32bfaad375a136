"""Panels roadmap adds to other apps' pages (collected by `core.registry.collect`)."""

# The feedback item page's side column: which roadmap items this item is evidence for, and a link form.
ITEM_SIDE_PANELS = ["roadmap/_item_panel.html"]
