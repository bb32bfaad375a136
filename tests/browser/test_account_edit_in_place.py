"""Goals, jobs and process steps edited in place on the account page: the card is swapped (no page
load), focus lands on the saved entry, a refused value keeps the form open with the error."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from harken.customers import understanding
from harken.customers.models import Account
from tests.base import World
from tests.browser.helpers import assert_accessible, login, screenshot


def test_edit_goal_job_and_step_in_place(page: Page, world: World) -> None:
    acme = Account.objects.create(workspace=world.alpha, name="Acme", domain="acme.test")
    bob = world.actor(world.bob)
    goal = understanding.add_goal(bob, acme, title="Grow")
    job = understanding.add_job(bob, acme, situation="the month ends", motivation="reconcile", outcome="report")
    step = understanding.add_step(bob, acme, title="Collect")
    micro = understanding.add_step(bob, acme, title="Scan", parent=step)

    login(page, world.bob.email)
    page.goto(f"/w/alpha/accounts/{acme.pk}/")
    page.evaluate("window.harkenSamePage = true")

    entry = page.locator(f"#goal-{goal.pk}")
    entry.get_by_label("Edit goal Grow").click()
    entry.get_by_label("Goal", exact=True).fill("Close the books in three days")
    entry.get_by_label("Goal", exact=True).press("Enter")
    goals = page.get_by_test_id("goals")
    expect(goals.get_by_role("status")).to_have_text("Goal saved.")
    expect(goals.locator("strong", has_text="Close the books in three days")).to_be_focused()

    steps = page.locator(f"#step-{micro.pk}")
    steps.get_by_label("Edit micro-step Scan").click()
    steps.get_by_label("Micro-step", exact=True).fill("  ")
    steps.get_by_role("button", name="Save micro-step").click()
    steps = page.locator(f"#step-{micro.pk}")
    expect(steps.get_by_role("alert")).to_contain_text("cannot be empty")
    expect(steps.get_by_label("Micro-step", exact=True)).to_be_focused()
    steps.get_by_label("Micro-step", exact=True).fill("Scan receipts")
    steps.get_by_role("button", name="Save micro-step").click()
    expect(page.get_by_test_id("process-map").get_by_role("status")).to_have_text("Micro-step saved.")
    expect(page.get_by_test_id("process-map")).to_contain_text("Scan receipts")

    jobs = page.locator(f"#job-{job.pk}")
    jobs.get_by_label("Edit job 1").click()
    jobs.get_by_label("so I can…").fill("so I can report to the board on day 3")
    jobs.get_by_role("button", name="Save job").click()
    expect(page.get_by_test_id("jobs")).to_contain_text("so I can report to the board on day 3.")

    assert page.evaluate("window.harkenSamePage === true"), "an edit reloaded the whole page"
    assert_accessible(page)
    screenshot(page, "account-edit-in-place")
    goal.refresh_from_db()
    assert goal.title == "Close the books in three days"
