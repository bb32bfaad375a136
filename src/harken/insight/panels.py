"""Panels insight adds to other apps' pages (collected by `core.registry.collect`)."""

# The item page's side column: similar items, duplicate suggestions, merges, theme.
ITEM_SIDE_PANELS = ["insight/_item_panel.html"]
