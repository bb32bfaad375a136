"""Segments saved as a fixed renewal window that was clearly a relative choice become relative.

"Clearly": both renewal dates are set, they span exactly N days for a usual N (30, 60, 90, 120,
180, 365) and the segment's name or description says "N days" (e.g. the demo's "Renewing in 90
days", saved from today to today + 90). Those get {"renewal_within_days": N} instead of the two
dates; every other segment is left exactly as it was.
"""

import datetime as dt
import re

from django.db import migrations

USUAL_SPANS = (30, 60, 90, 120, 180, 365)


def relative_span(filters, name, description):
    after, before = filters.get("renewal_after"), filters.get("renewal_before")
    if not after or not before or "renewal_within_days" in filters:
        return None
    try:
        span = (dt.date.fromisoformat(str(before)) - dt.date.fromisoformat(str(after))).days
    except ValueError:
        return None
    words = f"{name} {description}".lower()
    if span in USUAL_SPANS and re.search(rf"\b{span}[\s-]*days?\b", words):
        return span
    return None


def forwards(apps, schema_editor):
    Segment = apps.get_model("customers", "Segment")
    for segment in Segment.objects.all().iterator():
        filters = dict(segment.filters or {})
        span = relative_span(filters, segment.name, segment.description)
        if span is None:
            continue
        filters.pop("renewal_after")
        filters.pop("renewal_before")
        filters["renewal_within_days"] = str(span)
        segment.filters = filters
        segment.save(update_fields=["filters"])


class Migration(migrations.Migration):
    dependencies = [("customers", "0003_customer_value_settings")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
