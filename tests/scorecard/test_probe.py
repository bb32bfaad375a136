import pytest
from harken.demo import load_demo
from harken.scorecard import metrics
pytestmark = pytest.mark.django_db
def test_probe():
    ws = load_demo(items=300).workspace
    for s in metrics.scopes(ws)[:3]:
        print(s.label)
        for c in metrics.scorecard(s):
            print("  ", c.key, c.display, c.detail, c.enough_for_trend, [v for _, v in c.trend])
