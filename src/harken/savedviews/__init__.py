"""Saved views: a person's named filter combinations (query strings) on a page, listed as a bar."""
