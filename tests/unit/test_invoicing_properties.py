"""Properties of the invoice builder that must hold for any entries and any options."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from timebill.core.invoicing.builder import (
    Assignments,
    NothingToBillError,
    PlanOptions,
    build_plan,
    edit_line,
    plans_by_client,
)
from timebill.core.models import Article, BillomatClient, InvoicePlan, Tax, TimeEntry
from timebill.core.money import cents, hours, line_net

D = Decimal
SETTINGS = settings(max_examples=200, deadline=None)

ASSIGN = Assignments(
    clients={"k1": "c1", "k2": "c1", "k3": "c2"},
    articles={"s1": "a1", "s2": "a2"},
    billomat_clients=(BillomatClient(id="c1", name="Eins"), BillomatClient(id="c2", name="Zwei")),
    billomat_articles=(
        Article(id="a1", title="Beratung", sales_price=D("95"), tax_id="t19"),
        Article(id="a2", title="Lektorat", sales_price=D("61.5"), tax_id="t7"),
    ),
    taxes=(
        Tax(id="t19", name="MwSt", rate=D("19"), is_default=True),
        Tax(id="t7", name="MwSt", rate=D("7")),
    ),
)


SERVICES = {"s1": "Beratung", "s2": "Lektorat", "s3": "Schulung"}
NOTES = ("", "Review", "review", "Call\x1b[2J", "Fix {x}")
# (service, tracker rate): s3 has no article, so its entries always carry the tracker's rate.
PRICED = [
    (service, rate)
    for service in sorted(SERVICES)
    for rate in (D("80"), D("95.5"), D("33.33"), None)
    if rate is not None or service != "s3"
]
LUMPSUMS = ((D("45"), None), (D("100"), D("3")), (D("19.99"), D("3")), (D("98"), D("2")))
ENTRY_IDS = st.integers(1, 40)
PRICINGS = st.sampled_from(PRICED)
MINUTES = st.integers(0, 600)
# One integer codes day, customer, project, user and note; another the flags and lump sum.
WHO = st.integers(0, 31 * 4 * 2 * 2 * len(NOTES) - 1)
FLAGS = st.integers(0, 1999)


@st.composite
def entries(draw: st.DrawFn) -> list[TimeEntry]:
    # Few draws per entry, from strategies built once, keep 200 examples quick.
    count = draw(st.integers(min_value=0, max_value=14))
    result = []
    for _ in range(count):
        entry_id = draw(ENTRY_IDS)
        service, rate = draw(PRICINGS)
        minutes = draw(MINUTES)
        who = draw(WHO)
        day, who = 1 + who % 31, who // 31
        customer, who = ("k1", "k2", "k3", "k4")[who % 4], who // 4
        project, who = ("p1", "p2")[who % 2], who // 2
        user, who = ("u1", "u2")[who % 2], who // 2
        note = NOTES[who]
        flags = draw(FLAGS)
        is_lumpsum = flags // 200 % 10 == 0
        amount, quantity = LUMPSUMS[flags % 4] if is_lumpsum else (None, None)
        result.append(
            TimeEntry(
                id=str(entry_id),
                source="clockodo",
                date=dt.date(2026, 10, day),
                minutes=0 if is_lumpsum else minutes,
                note=note,
                customer_id=customer,
                customer_name="Kunde",
                project_id=project,
                project_name="Projekt",
                service_id=service,
                service_name=SERVICES[service],
                user_id=user,
                user_name="Anna",
                billable=flags // 50 % 4 != 0,
                billed=flags % 5 == 0,
                running=flags // 5 % 10 == 0,
                hourly_rate=rate,
                kind="lumpsum" if is_lumpsum else "time",
                lumpsum_amount=amount,
                lumpsum_quantity=quantity,
            )
        )
    return result


options = st.builds(
    PlanOptions,
    grouping=st.sampled_from(["entry", "day", "service", "project", "project_service", "user"]),
    round_to=st.sampled_from([0, 5, 6, 10, 15, 30]),
    round_per=st.sampled_from(["entry", "line"]),
    rate_source=st.sampled_from(["article", "entry"]),
    rate_override=st.sampled_from([None, None, D("72.25")]),
    include_non_billable=st.booleans(),
    reverse_charge=st.integers(0, 4).map(lambda n: n == 0),
)


def _ceil(minutes: int, step: int) -> int:
    return minutes if step == 0 else -(-minutes // step) * step


def _expected_ids(
    all_entries: list[TimeEntry], opts: PlanOptions, in_progress: set[str], clients: set[str]
) -> list[str]:
    seen: set[str] = set()
    expected = []
    for entry in all_entries:
        first = entry.id not in seen
        seen.add(entry.id)
        if (
            first
            and not entry.billed
            and not entry.running
            and entry.id not in in_progress
            and (entry.billable or opts.include_non_billable)
            and ASSIGN.clients.get(entry.customer_id or "") in clients
        ):
            expected.append(entry.id)
    return expected


def _check_totals(plan: InvoicePlan) -> None:
    for line in plan.lines:
        assert line.total_net == line_net(line.quantity, line.unit_price)
    assert plan.total_net == sum((line.total_net for line in plan.lines), D("0"))
    assert sum((tax.net for tax in plan.taxes), D("0")) == plan.total_net
    for tax in plan.taxes:
        assert tax.amount == cents(tax.net * tax.rate / 100)
    assert plan.total_net + sum((tax.amount for tax in plan.taxes), D("0")) == plan.total_gross


@SETTINGS
@given(entries(), options, st.sets(st.integers(1, 40).map(str), max_size=5))
def test_every_selected_entry_lands_in_exactly_one_line(
    all_entries: list[TimeEntry], opts: PlanOptions, in_progress: set[str]
) -> None:
    expected = _expected_ids(all_entries, opts, in_progress, {"c1"})
    try:
        result = build_plan(all_entries, ASSIGN, opts, client_id="c1", in_progress=in_progress)
    except NothingToBillError:
        assert expected == []
        return
    plan = result.plan
    placed = Counter(entry_id for line in plan.lines for entry_id in line.entry_ids)
    assert set(placed) == set(expected)
    assert all(count == 1 for count in placed.values())
    assert list(plan.entry_ids) == [i for line in plan.lines for i in line.entry_ids]
    # Every input entry is either billed by the plan or reported as skipped, never both.
    skipped = Counter(item.entry_id for item in result.skipped)
    assert sum(skipped.values()) + len(plan.entry_ids) == len(all_entries)
    by_id = {entry.id: entry for entry in reversed(all_entries)}
    billed_dates = [by_id[i].date for i in plan.entry_ids]
    assert (plan.service_start, plan.service_end) == (min(billed_dates), max(billed_dates))


@SETTINGS
@given(entries(), options)
def test_quantity_is_the_sum_of_rounded_durations(
    all_entries: list[TimeEntry], opts: PlanOptions
) -> None:
    try:
        plan = build_plan(all_entries, ASSIGN, opts, client_id="c1").plan
    except NothingToBillError:
        return
    by_id = {entry.id: entry for entry in reversed(all_entries)}
    step = opts.round_to
    for line in plan.lines:
        billed = [by_id[i] for i in line.entry_ids]
        if billed[0].kind == "lumpsum":
            assert len(billed) == 1 and line.unit == "Pauschale" and line.rounding_note == ""
            amount = billed[0].lumpsum_amount
            assert amount is not None and line.total_net == cents(amount)
            continue
        assert all(entry.kind == "time" for entry in billed)
        if opts.round_per == "entry":
            minutes = sum(_ceil(entry.minutes, step) for entry in billed)
        else:
            minutes = _ceil(sum(entry.minutes for entry in billed), step)
        assert line.quantity == hours(minutes)
        assert line.quantity.as_tuple().exponent in (-2, -6)
        assert bool(line.rounding_note) == (step > 0)


@SETTINGS
@given(entries(), options)
def test_totals_equal_the_sum_of_lines(all_entries: list[TimeEntry], opts: PlanOptions) -> None:
    try:
        plan = build_plan(all_entries, ASSIGN, opts, client_id="c1").plan
    except NothingToBillError:
        return
    _check_totals(plan)
    # One rate per line: no group of entries is ever averaged into a price nobody charged.
    rates = {D("80"), D("95.5"), D("33.33"), D("95"), D("61.5"), D("72.25")}
    time_prices = {line.unit_price for line in plan.lines if line.unit != "Pauschale"}
    assert time_prices <= rates


@SETTINGS
@given(
    entries(),
    options,
    st.integers(0, 40),
    st.decimals(min_value=0, max_value=1000, places=2),
    st.decimals(min_value=0, max_value=500, places=3),
)
def test_edited_plans_still_add_up(
    all_entries: list[TimeEntry], opts: PlanOptions, index: int, quantity: Decimal, price: Decimal
) -> None:
    try:
        plan = build_plan(all_entries, ASSIGN, opts, client_id="c1").plan
    except NothingToBillError:
        return
    edited = edit_line(plan, index % len(plan.lines), quantity=quantity, unit_price=price)
    _check_totals(edited)
    assert edited.entry_ids == plan.entry_ids


@SETTINGS
@given(entries(), st.sets(st.integers(1, 40).map(str), max_size=8))
def test_no_billed_running_or_in_progress_entry_enters_any_plan(
    all_entries: list[TimeEntry], in_progress: set[str]
) -> None:
    result = plans_by_client(
        all_entries, ASSIGN, PlanOptions(include_non_billable=True), in_progress=in_progress
    )
    # An id is blocked if any entry carrying it is billed or running (the first one is billed).
    first = {}
    for entry in all_entries:
        first.setdefault(entry.id, entry)
    planned = [i for r in result.plans for i in r.plan.entry_ids]
    assert len(planned) == len(set(planned))
    for entry_id in planned:
        assert entry_id not in in_progress
        assert not first[entry_id].billed and not first[entry_id].running
    assert [r.plan.client_id for r in result.plans] == sorted(
        {r.plan.client_id for r in result.plans}, key=lambda c: {"c1": "Eins", "c2": "Zwei"}[c]
    )
    expected = _expected_ids(
        all_entries, PlanOptions(include_non_billable=True), in_progress, {"c1", "c2"}
    )
    assert sorted(planned) == sorted(expected)
    unassigned = [i for u in result.unassigned for i in u.entry_ids]
    assert all(first[i].customer_id == "k4" for i in unassigned)
    for r in result.plans:
        _check_totals(r.plan)


GROUPINGS = ("entry", "day", "service", "project", "project_service", "user")


@SETTINGS
@given(
    entries(),
    st.sampled_from(["article", "entry"]),
    st.sampled_from(["NET", "GROSS"]),
    st.booleans(),
)
def test_without_rounding_the_net_is_the_trackers_value_for_every_grouping(
    all_entries: list[TimeEntry], rate_source: str, net_gross: str, reverse_charge: bool
) -> None:
    """Issue 10.3: the same entries came to different totals per grouping when hours were
    rounded to 0.01 per line. With rounding "none" the net is Σ minutes × rate / 60 (plus lump
    sums) within a cent per line, grouped any way, on NET and GROSS invoices alike."""
    client = BillomatClient(id="c1", name="Eins", net_gross=net_gross)  # type: ignore[arg-type]
    assign = ASSIGN.model_copy(update={"billomat_clients": (client, ASSIGN.billomat_clients[1])})
    nets: dict[str, D] = {}
    for grouping in GROUPINGS:
        opts = PlanOptions(
            grouping=grouping,  # type: ignore[arg-type]
            rate_source=rate_source,  # type: ignore[arg-type]
            reverse_charge=reverse_charge,
        )
        try:
            plan = build_plan(all_entries, assign, opts, client_id="c1").plan
        except NothingToBillError:
            return
        tracker = D(0)
        for line in plan.lines:
            if line.unit == "Pauschale":
                tracker += line.total_net if net_gross == "NET" else line.quantity * line.unit_price
                continue
            by_id = {entry.id: entry for entry in reversed(all_entries)}
            tracker += sum(D(by_id[i].minutes) for i in line.entry_ids) * line.unit_price / 60
        assert plan.exact_net == cents(tracker)
        assert abs(plan.total_net - tracker) <= D("0.01") * len(plan.lines), grouping
        nets[grouping] = plan.total_net
    # Groupings differ by the cent rounding of their lines only.
    assert max(nets.values()) - min(nets.values()) <= D("0.01") * len(all_entries)
