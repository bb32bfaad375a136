"""Deterministic, database-free generation of the demo company's customers and feedback.

Everything comes from the shipped JSON in `data/` and one seeded `random.Random`, so the same
seed and `now` always give the same data. The drafts carry their ground truth (theme, kind,
duplicate_of) so benchmarks and tests can check what insight features find.
"""

from __future__ import annotations

import json
import math
import random
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_SEED = 20261126
DEFAULT_ITEMS = 2200
DEFAULT_CONTACTS = 150
EMERGING_DAYS = 21
HISTORY_DAYS = 365
FOLLOW_UP_CHANNELS = {"email", "support", "portal", "forum", "chat", "widget"}
SLOT = re.compile(r"\{([a-z_]+)\}")


@cache
def load_data(name: str) -> dict[str, Any]:
    with (DATA_DIR / f"{name}.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@dataclass
class AccountDraft:
    index: int
    name: str
    domain: str
    segment: str
    industry: str
    plan: str
    arr: int
    lifecycle_stage: str
    renewal_date: date | None
    owner_index: int  # into the team list (0 = demo user)


@dataclass
class ContactDraft:
    index: int
    account_index: int
    name: str
    first_name: str
    email: str
    title: str


@dataclass
class FeedbackDraft:
    n: int
    title: str
    text: str
    channel: str
    received_at: datetime
    theme: str
    kind: str
    product_line: str | None
    contact_index: int | None
    author_email: str
    author_name: str
    tags: list[str] = field(default_factory=list)
    duplicate_of: int | None = None  # exact copy of that draft's text
    follow_up_of: int | None = None  # near-duplicate: a follow-up on that draft
    extra: dict[str, Any] = field(default_factory=dict)
    core: str = ""  # the customer's own words without channel framing, for follow-ups

    def raw_payload(self) -> str:
        payload = {
            "source": "harken-demo",
            "theme": self.theme,
            "kind": self.kind,
            "duplicate_of": self.duplicate_of,
            "follow_up_of": self.follow_up_of,
            **self.extra,
        }
        return json.dumps(payload, sort_keys=True)


@dataclass
class DemoData:
    accounts: list[AccountDraft]
    contacts: list[ContactDraft]
    feedback: list[FeedbackDraft]


def ascii_slug(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "", folded.lower())


class Generator:
    def __init__(self, seed: int = DEFAULT_SEED, now: datetime | None = None) -> None:
        from django.utils import timezone

        self.rng = random.Random(seed)
        self.now = (now or timezone.now()).replace(microsecond=0)
        self.vocab = load_data("vocab")
        self.people = load_data("people")
        self.companies = load_data("companies")
        self.channels = load_data("channels")
        self.themes = load_data("themes")["themes"]

    # --- customers -------------------------------------------------------------------------
    def accounts(self, team_size: int = 4) -> list[AccountDraft]:
        rng, today = self.rng, self.now.date()
        drafts = []
        stages = {
            "Enterprise": [("active", 70), ("at_risk", 12), ("onboarding", 12), ("churned", 6)],
            "Mid-market": [("active", 62), ("at_risk", 15), ("onboarding", 10), ("trial", 5), ("churned", 8)],
            "SMB": [("active", 55), ("at_risk", 12), ("onboarding", 8), ("trial", 13), ("churned", 12)],
        }
        for i, company in enumerate(self.companies["companies"]):
            segment = company["segment"]
            low, high = self.companies["arr"][segment]
            # Log-normal around the geometric middle of the band, clipped to the band.
            centre, spread = (math.log(low) + math.log(high)) / 2, (math.log(high) - math.log(low)) / 4
            arr = min(high, max(low, math.exp(rng.gauss(centre, spread))))
            stage = self._weighted([s for s, _ in stages[segment]], [w for _, w in stages[segment]])
            if stage == "churned":
                renewal: date | None = today - timedelta(days=rng.randint(20, 200))
            elif stage == "trial":
                renewal = today + timedelta(days=rng.randint(3, 30))
            else:
                renewal = today + timedelta(days=rng.randint(10, 365))
            drafts.append(
                AccountDraft(
                    index=i,
                    name=company["name"],
                    domain=company["domain"],
                    segment=segment,
                    industry=company["industry"],
                    plan=rng.choice(self.companies["plans"][segment]),
                    arr=int(round(arr / 500) * 500) if stage != "trial" else 0,
                    lifecycle_stage=stage,
                    renewal_date=renewal,
                    owner_index=rng.randrange(team_size),
                )
            )
        return drafts

    def contacts(self, accounts: list[AccountDraft], count: int = DEFAULT_CONTACTS) -> list[ContactDraft]:
        rng = self.rng
        weights = [self.companies["contacts_weight"][a.segment] for a in accounts]
        # Every account gets one contact, the rest are spread by segment weight.
        owners = list(range(len(accounts))) + [
            self._weighted(list(range(len(accounts))), weights) for _ in range(max(0, count - len(accounts)))
        ]
        drafts, seen = [], set()
        for i, account_index in enumerate(sorted(owners[:count])):
            account = accounts[account_index]
            while True:
                first = rng.choice(self.people["first_names"])
                last = rng.choice(self.people["last_names"])
                pattern = rng.choice(["{f}.{l}", "{f}.{l}", "{f}{l}", "{fi}{l}", "{f}"])
                local = pattern.format(f=ascii_slug(first), l=ascii_slug(last), fi=ascii_slug(first)[:1])
                email = f"{local}@{account.domain}"
                if email not in seen:
                    seen.add(email)
                    break
            drafts.append(
                ContactDraft(
                    index=i,
                    account_index=account_index,
                    name=f"{first} {last}",
                    first_name=first,
                    email=email,
                    title=rng.choice(self.people["titles"][account.segment]),
                )
            )
        return drafts

    # --- feedback --------------------------------------------------------------------------
    def feedback(
        self, count: int, accounts: list[AccountDraft], contacts: list[ContactDraft], pm_first_names: list[str]
    ) -> list[FeedbackDraft]:
        rng = self.rng
        exact_share, follow_share = 0.025, 0.07
        n_exact = int(count * exact_share)
        n_follow = int(count * follow_share)
        n_base = count - n_exact - n_follow
        themes = self.themes
        theme_weights = [t["weight"] for t in themes]
        drafts = []
        for _ in range(n_base):
            theme = self._weighted(themes, theme_weights)
            drafts.append(self._item(theme, accounts, contacts, pm_first_names))
        # Near-duplicates: people following up on what they (or a colleague) sent before.
        followable = [d for d in drafts if d.channel in FOLLOW_UP_CHANNELS and d.kind != "praise"] or drafts
        for _ in range(n_follow):
            drafts.append(self._follow_up(rng.choice(followable)))
        # Exact duplicates: the same message arriving twice (forwarded, imported from two places).
        for _ in range(n_exact):
            original = rng.choice(drafts[:n_base])
            copy = FeedbackDraft(
                n=0,
                title=original.title,
                text=original.text,
                channel=rng.choice([original.channel, original.channel, "csv", "email"]),
                received_at=self._later(original.received_at, hours=72),
                theme=original.theme,
                kind=original.kind,
                product_line=original.product_line,
                contact_index=original.contact_index,
                author_email=original.author_email,
                author_name=original.author_name,
                tags=[],
                duplicate_of=id(original),
            )
            drafts.append(copy)
        by_id = {id(d): d for d in drafts[:n_base]}
        for d in drafts[n_base:]:
            self._before_churn(d, by_id[d.duplicate_of or d.follow_up_of or 0], accounts, contacts)
        drafts.sort(key=lambda d: (d.received_at, d.text))
        numbers = {id(d): i + 1 for i, d in enumerate(drafts)}
        for i, draft in enumerate(drafts):
            draft.n = i + 1
            if draft.duplicate_of is not None:
                draft.duplicate_of = numbers[draft.duplicate_of]
            if draft.follow_up_of is not None:
                draft.follow_up_of = numbers[draft.follow_up_of]
        return drafts

    def _item(
        self,
        theme: dict[str, Any],
        accounts: list[AccountDraft],
        contacts: list[ContactDraft],
        pm_first_names: list[str],
    ) -> FeedbackDraft:
        rng, ch = self.rng, self.channels
        line: str | None = theme["line"]
        channel_names = list(ch["mix"])
        channel_weights = []
        for name in channel_names:
            bias = ch["line_bias"].get(name, {})
            default = 0.15 if name == "review" else 1.0
            channel_weights.append(ch["mix"][name] * bias.get(line or "", default))
        channel = self._weighted(channel_names, channel_weights)
        received_at = self._when(theme["trend"])

        contact: ContactDraft | None = None
        account: AccountDraft | None = None
        if rng.random() < ch["linked_share"][channel]:
            # Nobody writes in from an account after it churned.
            weights = [
                0.0
                if self._churned_by(accounts[c.account_index], received_at)
                else theme["segments"].get(accounts[c.account_index].segment, 1.0)
                for c in contacts
            ]
            contact = self._weighted(contacts, weights)
            account = accounts[contact.account_index]

        slots: dict[str, str] = {"pm_first": rng.choice(pm_first_names)}
        if contact and account:
            slots |= {
                "first_name": contact.first_name,
                "name": contact.name,
                "title": contact.title,
                "company": account.name,
                "segment": account.segment,
            }
        else:
            first = rng.choice(self.people["first_names"])
            last = rng.choice(self.people["last_names"])
            slots |= {"first_name": first, "name": f"{first} {last}"}

        # A body may carry its own titles and fixed slots, so title and text never disagree
        # (a "Microsoft Teams integration" title over a text asking for Slack).
        spec = self._pick(theme["bodies"], slots)
        if isinstance(spec, dict):
            for key, value in spec.get("slots", {}).items():
                slots.setdefault(key, value)
            titles = spec.get("titles") or theme["titles"]
            spec = spec["text"]
        else:
            titles = theme["titles"]
        body = self._fill(spec, slots)
        short = self._fill(rng.choice(theme["short"]), slots) if theme.get("short") else body
        detail = self._fill(rng.choice(theme["details"]), slots) if theme.get("details") else ""
        title_text = self._fill(rng.choice(titles), slots)
        steps = theme.get("steps")
        if steps and channel in {"support", "email", "portal", "forum", "api"} and rng.random() < 0.4:
            detail = (detail + "\n\n" if detail else "") + self._fill(self._steps(rng.choice(steps)), slots)
        title, text = self._frame(channel, theme, body, short, detail, title_text, slots)
        if rng.random() < 0.12:
            text = self._typos(text, rng.randint(1, 2))

        if line is not None:
            product_line = line if rng.random() < 0.88 else None
        else:
            product_line = rng.choice(["Dashboards", "Data Pipelines", "Mobile App"]) if rng.random() < 0.4 else None

        # Older items have mostly been triaged (tagged); the last two weeks mostly not yet.
        age_days = (self.now - received_at).days
        tag_chance = 0.8 if age_days > 14 else 0.3
        tags = [tag for tag in theme["tags"] if rng.random() < tag_chance]

        author_email, author_name = "", ""
        if contact:
            author_email, author_name = contact.email, contact.name
        elif channel in {"review", "forum"}:
            author_name = rng.choice(self.people["handles"])
        elif channel == "email" or (channel in {"support", "chat", "widget", "portal"} and rng.random() < 0.6):
            # (an email always has a sender)
            author_name = slots["name"]
            author_email = f"{ascii_slug(slots['name'])}@{rng.choice(self.people['free_email_domains'])}"

        extra: dict[str, Any] = {}
        if channel == "review":
            extra["rating"] = rng.choice(ch["review"]["stars"][theme["kind"]])
            extra["store"] = rng.choice(["App Store", "Google Play"])
        return FeedbackDraft(
            n=0,
            title=title,
            text=text,
            channel=channel,
            received_at=received_at,
            theme=theme["key"],
            kind=theme["kind"],
            product_line=product_line,
            contact_index=contact.index if contact else None,
            author_email=author_email,
            author_name=author_name,
            tags=tags,
            extra=extra,
            core=body,
        )

    def _frame(
        self,
        channel: str,
        theme: dict[str, Any],
        body: str,
        short: str,
        detail: str,
        title: str,
        slots: dict[str, str],
    ) -> tuple[str, str]:
        """Dress the theme's words the way the channel would deliver them."""
        rng, ch = self.rng, self.channels
        fill = self._fill
        if channel == "email":
            e = ch["email"]
            parts = [fill(rng.choice(e["greetings"]), slots)]
            if rng.random() < 0.6:
                parts.append(fill(self._pick(e["intros"], slots), slots))
            if rng.random() < 0.45:
                parts.append(fill(self._pick(e["context"], slots), slots))
            parts.append(body + (" " + detail if detail and rng.random() < 0.7 else ""))
            if rng.random() < 0.5:
                parts.append(fill(rng.choice(e["impacts"]), slots))
            if rng.random() < 0.12:
                other = self._weighted(self.themes, [t["weight"] for t in self.themes])
                if other["key"] != theme["key"]:
                    aside = rng.choice(other["bodies"])
                    aside = aside["text"] if isinstance(aside, dict) else aside
                    if not any(f"{{{k}}}" in aside for k in ("company", "title", "segment")) or "company" in slots:
                        parts.append("Also, unrelated: " + self._lower_first(fill(aside, slots)))
            parts.append(fill(rng.choice(e["closings"]), slots) + "\n" + fill(self._pick(e["signature"], slots), slots))
            subject = rng.choice(["", "", "", "", "Re: ", "Fwd: "]) + title
            return subject, "\n\n".join(parts)
        if channel == "support":
            s = ch["support"]
            text = fill(self._pick(s["prefixes"], slots), slots) + body
            if detail and rng.random() < 0.5:
                text += " " + detail
            return title, text + fill(rng.choice(s["suffixes"]), slots)
        if channel == "chat":
            c = ch["chat"]
            core = short if rng.random() < 0.4 else body
            if rng.random() < 0.5:
                core = self._lower_first(core)
            return "", fill(rng.choice(c["prefixes"]), slots) + core + rng.choice(c["suffixes"])
        if channel == "review":
            core = short if rng.random() < 0.45 else body
            if detail and rng.random() < 0.3:
                core += " " + detail
            return rng.choice(ch["review"]["titles"]), core
        if channel == "forum":
            f = ch["forum"]
            prefix = rng.choice(f["title_prefixes"])
            text = body + (" " + detail if detail and rng.random() < 0.5 else "")
            return prefix + title, text + rng.choice(f["suffixes"])
        if channel == "widget":
            prefix = {"request": "Suggestion: ", "bug": "Bug: "}.get(theme["kind"], "") if rng.random() < 0.3 else ""
            return "", prefix + (short if rng.random() < 0.5 else body)
        if channel == "portal":
            return title, body + (" " + detail if detail and rng.random() < 0.5 else "")
        if channel == "manual":
            return "", fill(self._pick(ch["manual"]["formats"], slots), slots | {"body": self._lower_first(body)})
        if channel == "conversation":
            note = fill(
                self._pick(ch["conversation"]["formats"], slots), slots | {"body": body, "detail": detail or "none"}
            )
            return f"Notes: {slots.get('company', slots['name'])}", note
        # api, csv
        text = body + (" " + detail if detail and rng.random() < 0.3 else "")
        return (title if rng.random() < 0.5 else ""), text

    def _follow_up(self, original: FeedbackDraft) -> FeedbackDraft:
        rng = self.rng
        lead = rng.choice(self.channels["followups"])
        core = original.core or original.text
        if lead.endswith((": ", ". ", "— ")):
            text = lead + self._lower_first(core) if lead.endswith(": ") else lead + core
        else:
            text = core + "\n\n" + lead
        if rng.random() < 0.3:
            text = self._typos(text, 1)
        return FeedbackDraft(
            n=0,
            title=("Re: " + original.title.removeprefix("Fwd: ").removeprefix("Re: ")) if original.title else "",
            text=text,
            channel=original.channel,
            received_at=self._later(original.received_at, hours=24 * 30),
            theme=original.theme,
            kind=original.kind,
            product_line=original.product_line,
            contact_index=original.contact_index,
            author_email=original.author_email,
            author_name=original.author_name,
            tags=list(original.tags) if rng.random() < 0.5 else [],
            follow_up_of=id(original),
            extra=dict(original.extra),
            core=core,
        )

    # --- helpers ---------------------------------------------------------------------------
    def _pick(self, options: list[Any], slots: dict[str, str]) -> Any:
        """A random template whose contact slots we can fill (anonymous senders have no company)."""
        usable = [
            o
            for o in options
            if all(f"{{{k}}}" not in (o["text"] if isinstance(o, dict) else o) for k in ("company", "title", "segment"))
            or "company" in slots
        ]
        return self.rng.choice(usable or options)

    def _before_churn(
        self,
        draft: FeedbackDraft,
        original: FeedbackDraft,
        accounts: list[AccountDraft],
        contacts: list[ContactDraft],
    ) -> None:
        """A repeat from a churned account's contact arrives before the churn date (and after the original)."""
        if draft.contact_index is None:
            return
        account = accounts[contacts[draft.contact_index].account_index]
        if not self._churned_by(account, draft.received_at) or account.renewal_date is None:
            return
        churn = datetime.combine(account.renewal_date, datetime.min.time(), tzinfo=draft.received_at.tzinfo)
        moment = churn - timedelta(hours=self.rng.randint(6, 72))
        if moment <= original.received_at:
            moment = original.received_at + timedelta(seconds=self.rng.randint(1, 59))
        draft.received_at = moment

    @staticmethod
    def _churned_by(account: AccountDraft, moment: datetime) -> bool:
        return (
            account.lifecycle_stage == "churned"
            and account.renewal_date is not None
            and (moment.date() >= account.renewal_date)
        )

    def _steps(self, spec: dict[str, Any]) -> str:
        lines = ["Steps to reproduce:"] + [f"{i}. {step}" for i, step in enumerate(spec["do"], start=1)]
        lines += [f"Expected: {spec['expected']}", f"Actual: {spec['actual']}"]
        return "\n".join(lines)

    def _weighted(self, items: list[Any], weights: list[float]) -> Any:
        return self.rng.choices(items, weights=weights, k=1)[0]

    def _fill(self, template: str, slots: dict[str, str]) -> str:
        """Replace {slot}s; the same slot gets the same value throughout one item."""

        def value(match: re.Match[str]) -> str:
            key = match.group(1)
            if key not in slots:
                options = self.vocab.get(key)
                if not options:
                    return match.group(0)
                taken = set(slots.values())  # "sync Snowflake into Snowflake" reads wrong
                fresh = [str(o) for o in options if str(o) not in taken]
                slots[key] = self.rng.choice(fresh or [str(o) for o in options])
            return slots[key]

        return SLOT.sub(value, template)

    def _when(self, trend: str | list[int]) -> datetime:
        rng = self.rng
        u = rng.random()
        if isinstance(trend, list):
            start, end = trend
            days = rng.uniform(end, start)
        elif trend == "emerging":
            days = EMERGING_DAYS * (1 - math.sqrt(u))  # ramps up towards today
        elif trend == "rising":
            days = HISTORY_DAYS * (1 - u ** (1 / 3))
        elif trend == "falling":
            days = HISTORY_DAYS * math.sqrt(u)
        # steady, with a gentle lean towards recent months (more customers, more feedback)
        elif rng.random() < 0.6:
            days = rng.uniform(0, HISTORY_DAYS)
        else:
            days = HISTORY_DAYS * (1 - math.sqrt(u))
        moment = self.now - timedelta(days=days)
        if moment.weekday() >= 5 and rng.random() < 0.7:
            moment -= timedelta(days=moment.weekday() - 4)  # weekend mail mostly lands on Friday
        hour = min(23, max(0, int(rng.gauss(14, 3.5))))
        moment = moment.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))
        if moment > self.now:
            moment = self.now - timedelta(minutes=rng.randint(5, 600))
        return moment

    def _later(self, moment: datetime, hours: int) -> datetime:
        """A moment after `moment`, within `hours`, and never in the future (nor piled up at now)."""
        room = int((self.now - moment).total_seconds() // 60) - 1
        span = min(hours * 60, room)
        if span <= 1:
            return moment + timedelta(seconds=self.rng.randint(1, 59))
        return moment + timedelta(minutes=self.rng.randint(min(30, span), span))

    def _typos(self, text: str, count: int) -> str:
        rng = self.rng
        words = text.split(" ")
        candidates = [i for i, w in enumerate(words) if len(w) > 4 and w.isalpha()]
        for _ in range(count):
            if not candidates:
                break
            i = rng.choice(candidates)
            w = words[i]
            kind = rng.random()
            if kind < 0.4:
                j = rng.randrange(len(w) - 1)
                w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]  # swapped letters
            elif kind < 0.7:
                j = rng.randrange(1, len(w))
                w = w[:j] + w[j + 1 :]  # dropped letter
            else:
                j = rng.randrange(1, len(w))
                w = w[:j] + w[j] + w[j:]  # doubled letter
            words[i] = w
        text = " ".join(words)
        for proper, lazy in (("don't", "dont"), ("can't", "cant"), ("I'm", "im"), ("it's", "its")):
            if proper in text and rng.random() < 0.5:
                text = text.replace(proper, lazy, 1)
        return text

    @staticmethod
    def _lower_first(text: str) -> str:
        if len(text) > 1 and text[0].isupper() and not text[1].isupper() and not text.startswith("I "):
            return text[0].lower() + text[1:]
        return text


def generate(
    items: int = DEFAULT_ITEMS,
    *,
    contacts: int = DEFAULT_CONTACTS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    pm_first_names: list[str] | None = None,
) -> DemoData:
    """The whole demo data set, without touching the database."""
    gen = Generator(seed=seed, now=now)
    accounts = gen.accounts()
    people = gen.contacts(accounts, contacts)
    feedback = gen.feedback(items, accounts, people, pm_first_names or ["Maya", "Tomás", "Sofia"])
    return DemoData(accounts=accounts, contacts=people, feedback=feedback)
