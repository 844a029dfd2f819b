"""apply/rollback against mocked HTTP: journal each write first, verify, restore on the k-th
failure; rollback restores what the server confirmed."""
import json

import pytest
import responses
from live_server import fill, tmpfs  # noqa: F401 (a fixture: a disk that fills)
from responses import matchers

from irq_client import IrqClient
from irqbalance.apply import ApplyError, apply_plan, rollback
from irqbalance.journal import Journal
from irqbalance.measure import device_of
from irqbalance.types import Move, Plan

URL = "http://host.test:5000"


def state(irq, cpus, mask, changed=None):
    body = {"irq_num": str(irq), "cpu_affinity": mask, "cpu_affinity_list": cpus,
            "effective_affinity_list": cpus[:1], "managed": False}
    return body if changed is None else {**body, "changed": changed}


def journaled(journal, *writes):
    """A journal of an apply that made `writes` [(irq, old_mask, changed)]."""
    record = journal.new()
    for irq, mask, changed in writes:
        record.before_write(irq, mask, [1])
        if changed is not None:
            record.answered(irq, changed)
    record.close()
    return record.path


def plan_of(*moves):
    return Plan(moves=tuple(Move(irq=i, old_cpus=(0, 1, 2, 3), new_cpus=(c,), rate=100.0,
                                 reason="test") for i, c in moves),
                load_before={}, load_after={}, lower_bound=1.0, bound_reason="test")


@pytest.fixture
def mocked():
    with responses.RequestsMock() as rsps:
        yield rsps


def expect_get(rsps, irq, cpus=(0, 1, 2, 3), mask="f"):
    rsps.get(f"{URL}/irqs/{irq}/cpu_affinity", json=state(irq, list(cpus), mask))


def expect_put(rsps, irq, body, answer=None, status=200):
    rsps.put(f"{URL}/irqs/{irq}/cpu_affinity", status=status,
             json=answer if answer is not None else {"title": "Refused", "status": status,
                                                      "detail": "the kernel said no"},
             match=[matchers.json_params_matcher(body, strict_match=False)])


def test_apply_journals_then_writes_and_verifies(mocked, tmp_path):
    journal = Journal(tmp_path, URL)
    for irq in (24, 25):
        expect_get(mocked, irq)
    seen_journal = []

    def check_journal_first(request):
        seen_journal.append([(e.irq, e.changed) for _, es in journal.pending() for e in es])
        return 200, {}, json.dumps(state(24, [1], "2", changed=True))
    mocked.add_callback(responses.PUT, f"{URL}/irqs/24/cpu_affinity", callback=check_journal_first)
    expect_put(mocked, 25, {"cpu_affinity_list": "2"}, state(25, [2], "4", changed=True))
    result = apply_plan(IrqClient(URL, retries=0, token="t"), plan_of((24, 1), (25, 2)), journal)
    assert result.written == [24, 25] and seen_journal == [[(24, None)]]  # 25 not yet noted
    lines = [json.loads(line) for line in open(result.journal)]
    assert lines[1:] == [{"irq": 24, "old_mask": "f", "new_cpus": [1]}, {"irq": 24, "changed": True},
                         {"irq": 25, "old_mask": "f", "new_cpus": [2]}, {"irq": 25, "changed": True}]


def test_a_write_the_server_says_changed_nothing_is_not_counted_as_moved(mocked, tmp_path):
    expect_get(mocked, 24)
    expect_put(mocked, 24, {"cpu_affinity_list": "1"}, state(24, [1], "2", changed=False))
    result = apply_plan(IrqClient(URL, retries=0, token="t"), plan_of((24, 1)),
                        Journal(tmp_path, URL))
    assert result.written == [] and result.skipped == [24]


def test_irqs_already_in_place_are_not_written(mocked, tmp_path):
    expect_get(mocked, 24, cpus=(1,), mask="2")
    result = apply_plan(IrqClient(URL, retries=0), plan_of((24, 1)), Journal(tmp_path, URL))
    assert result.skipped == [24] and result.written == [] and result.journal is None


@pytest.mark.parametrize("k", [1, 2, 3])
def test_failure_on_the_kth_write_restores_what_this_run_changed(mocked, tmp_path, k):
    moves = [(24, 1), (25, 2), (26, 3)]
    masks = {24: "f", 25: "3", 26: "c"}
    for irq, _ in moves[:k]:  # each mask is read just before its write
        expect_get(mocked, irq, mask=masks[irq])
    for i, (irq, cpu) in enumerate(moves[:k], start=1):
        if i < k:
            expect_put(mocked, irq, {"cpu_affinity_list": str(cpu)},
                       state(irq, [cpu], format(1 << cpu, "x")))
        else:
            expect_put(mocked, irq, {"cpu_affinity_list": str(cpu)}, status=409)
    for irq, _ in reversed(moves[:k - 1]):  # restores, newest first
        expect_put(mocked, irq, {"cpu_affinity_mask": masks[irq]}, state(irq, [0], masks[irq]))
    with pytest.raises(ApplyError) as err:
        apply_plan(IrqClient(URL, retries=0, token="t"), plan_of(*moves), Journal(tmp_path, URL))
    assert err.value.irq == moves[k - 1][0] and "the kernel said no" in err.value.detail
    assert err.value.restored == [irq for irq, _ in reversed(moves[:k - 1])]
    assert err.value.unrestored == []
    puts = [c for c in mocked.calls if c.request.method == "PUT"]
    assert len(puts) == k + (k - 1)


def test_a_write_that_reads_back_wrong_is_undone(mocked, tmp_path):
    expect_get(mocked, 24)
    expect_put(mocked, 24, {"cpu_affinity_list": "1"}, state(24, [0, 1], "3"))
    expect_put(mocked, 24, {"cpu_affinity_mask": "f"}, state(24, [0, 1, 2, 3], "f"))
    with pytest.raises(ApplyError) as err:
        apply_plan(IrqClient(URL, retries=0, token="t"), plan_of((24, 1)), Journal(tmp_path, URL))
    assert "read back" in err.value.detail and err.value.restored == [24]


def test_rollback_restores_the_last_journal_once_and_counts_what_the_server_confirmed(
        mocked, tmp_path):
    journal = Journal(tmp_path, URL)
    # 26 has no answer line (the apply died mid-write): it may have been written
    journaled(journal, (24, "f", True), (25, "3", True), (26, "c", None))
    expect_put(mocked, 26, {"cpu_affinity_mask": "c"}, state(26, [2, 3], "c", changed=False))
    expect_put(mocked, 25, {"cpu_affinity_mask": "3"}, state(25, [0, 1], "3", changed=True))
    expect_put(mocked, 24, {"cpu_affinity_mask": "f"}, state(24, [0, 1, 2, 3], "f", changed=True))
    client = IrqClient(URL, retries=0, token="t")
    back = rollback(client, journal)
    assert back.changed == [25, 24] and back.same == [26]
    assert rollback(client, journal).restored == []  # already rolled back


def test_rollback_skips_an_apply_whose_writes_were_all_refused(mocked, tmp_path):
    """The first apply changed 24; a second one was refused at its first write: rollback
    undoes the first, not the one that changed nothing."""
    journal = Journal(tmp_path, URL)
    journaled(journal, (24, "f", True))
    journaled(journal, (24, "2", False))
    expect_put(mocked, 24, {"cpu_affinity_mask": "f"}, state(24, [0, 1, 2, 3], "f", changed=True))
    assert rollback(IrqClient(URL, retries=0, token="t"), journal).changed == [24]
    assert journal.pending() == []


def test_a_torn_last_line_and_an_earlier_versions_journal_are_read(tmp_path):
    journal = Journal(tmp_path, URL)
    path = journaled(journal, (24, "f", True))
    with open(path, "a") as f:
        f.write('{"irq": 25, "old_m')  # the crash came mid-append
    old = journal.dir / "1000000000000000000.json"
    old.write_text(json.dumps({"server": URL, "entries": [
        {"irq": 7, "old_mask": "3", "new_cpus": [1]}], "rolled_back": False}))
    assert [[(e.irq, e.changed) for e in es] for _, es in journal.pending()] == [
        [(24, True)], [(7, None)]]


def test_journals_are_per_host(tmp_path):
    a, b = Journal(tmp_path, "http://a:5000"), Journal(tmp_path, "http://b:5000")
    journaled(a, (1, "1", True))
    assert a.pending() and not b.pending()


@pytest.mark.parametrize("name,device", [("eth0-TxRx-3", "eth0-TxRx-"), ("nvme0q12", "nvme0q"),
                                         ("mlx5_comp7@pci:0000:10:00.0", "mlx5_comp@pci:0000:10:00.0"),
                                         ("timer", ""), ("acpi", "")])
def test_device_family_of_queue_names(name, device):
    assert device_of(name) == device


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_token_stops_the_host_at_its_first_write(mocked, tmp_path, status):
    """One request refused, not one per IRQ; and the journal of an apply that changed
    nothing is not left for rollback to 'restore'."""
    journal = Journal(tmp_path, URL)
    expect_get(mocked, 24)
    expect_put(mocked, 24, {"cpu_affinity_list": "1"}, status=status)
    with pytest.raises(ApplyError) as failed:
        apply_plan(IrqClient(URL, retries=0, token="t"), plan_of((24, 1), (25, 2), (26, 3)),
                   journal)
    assert "needs a write token" in failed.value.detail and failed.value.restored == []
    assert [c.request.method for c in mocked.calls].count("PUT") == 1
    assert journal.pending() == []


def test_rollback_with_a_refused_token_asks_once_and_says_what_to_do(mocked, tmp_path):
    journal = Journal(tmp_path, URL)
    journaled(journal, *[(i, "f", True) for i in (24, 25, 26)])
    mocked.put(f"{URL}/irqs/26/cpu_affinity", status=401,
               json={"title": "Unauthorized", "status": 401, "detail": "no token"})
    with pytest.raises(ApplyError) as failed:
        rollback(IrqClient(URL, retries=0), journal)
    assert "needs a write token" in failed.value.detail
    assert sorted(failed.value.unrestored) == [24, 25, 26] and failed.value.restored == []
    assert len(mocked.calls) == 1 and journal.pending()  # kept for a real rollback


def test_a_write_with_no_answer_is_put_back_too(mocked, tmp_path):
    """The connection broke during the PUT: it may have been written, so it is restored."""
    import requests
    for irq in (24, 25):
        expect_get(mocked, irq)
    expect_put(mocked, 24, {"cpu_affinity_list": "1"}, state(24, [1], "2", changed=True))
    mocked.put(f"{URL}/irqs/25/cpu_affinity", body=requests.ConnectionError("reset by peer"),
               match=[matchers.json_params_matcher({"cpu_affinity_list": "2"},
                                                   strict_match=False)])
    for irq in (25, 24):
        expect_put(mocked, irq, {"cpu_affinity_mask": "f"}, state(irq, [0, 1, 2, 3], "f"))
    with pytest.raises(ApplyError) as failed:
        apply_plan(IrqClient(URL, retries=0, token="t"), plan_of((24, 1), (25, 2)),
                   Journal(tmp_path, URL))
    assert failed.value.irq == 25 and failed.value.restored == [25, 24]


def test_a_full_disk_stops_the_apply_before_an_unjournaled_write_and_restores(mocked, tmpfs):
    """The disk fills after the first write: the journal's page runs out some writes later;
    the write whose old mask could not be stored is never sent, the others are put back."""
    import re
    disk = tmpfs("state", size="64k")
    journal = Journal(disk, URL)
    masks = {}

    def get(request):
        irq = int(request.url.rsplit("/", 2)[-2])
        return 200, {}, json.dumps(state(irq, [0, 1, 2, 3], masks.get(irq, "f")))

    def put(request):
        irq = int(request.url.rsplit("/", 2)[-2])
        body = json.loads(request.body)
        if not masks:
            fill(disk)
        masks[irq] = body.get("cpu_affinity_mask", "2")
        cpus = [1] if masks[irq] == "2" else [0, 1, 2, 3]
        return 200, {}, json.dumps(state(irq, cpus, masks[irq], changed=True))
    mocked.add_callback(responses.GET, re.compile(f"{URL}/irqs/\\d+/cpu_affinity"), callback=get)
    mocked.add_callback(responses.PUT, re.compile(f"{URL}/irqs/\\d+/cpu_affinity"), callback=put)
    with pytest.raises(ApplyError) as failed:
        apply_plan(IrqClient(URL, retries=0, token="t"),
                   plan_of(*[(irq, 1) for irq in range(100, 400)]), journal)
    assert "cannot journal in" in failed.value.detail and "No space left" in failed.value.detail
    stopped = failed.value.irq
    assert 100 < stopped < 400 and stopped not in masks  # never written unjournaled
    assert sorted(failed.value.restored) == list(range(100, stopped))
    assert set(masks.values()) == {"f"}  # the host is as it was


def test_a_full_disk_before_the_first_write_writes_nothing(mocked, tmpfs):
    disk = tmpfs("state", size="64k")
    fill(disk)
    expect_get(mocked, 24)
    with pytest.raises(ApplyError, match="cannot journal in"):
        apply_plan(IrqClient(URL, retries=0, token="t"), plan_of((24, 1)), Journal(disk, URL))
    assert [c.request.method for c in mocked.calls] == ["GET"]


def test_a_journal_corrupt_in_the_middle_is_refused_not_half_restored(mocked, tmp_path):
    from irqbalance.journal import JournalError
    journal = Journal(tmp_path, URL)
    path = journaled(journal, (24, "f", True), (25, "3", True))
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:2] + ["#### garbage"] + lines[2:]) + "\n")
    with pytest.raises(JournalError, match="unreadable.*line 3 is not JSON"):
        rollback(IrqClient(URL, retries=0, token="t"), journal)
    assert not mocked.calls and journal.dir.joinpath(path.name).exists()  # still pending
    assert journal.moved_since(0) == {}  # the dwell skips it (and says so in the log)


@pytest.mark.parametrize("spelling", ["http://HOST.test:5000/", "HTTP://host.test:5000"])
def test_a_rollback_finds_the_journal_however_the_url_is_spelled(tmp_path, spelling):
    journaled(Journal(tmp_path, URL), (24, "f", True))
    assert Journal(tmp_path, spelling).pending()


def test_every_write_tells_the_audit_log_which_apply_or_rollback_it_is(mocked, tmp_path):
    journal = Journal(tmp_path, URL)
    expect_get(mocked, 24)
    expect_put(mocked, 24, {"cpu_affinity_list": "1"}, state(24, [1], "2", changed=True))
    applied = apply_plan(IrqClient(URL), plan_of((24, 1)), journal)
    ident = applied.journal.rsplit("/", 1)[1].split(".")[0]
    sent = json.loads(mocked.calls[-1].request.body)
    assert sent["reason"] == f"irq-balance apply {ident}: test"
    expect_put(mocked, 24, {"cpu_affinity_mask": "f"}, state(24, [0, 1, 2, 3], "f", changed=True))
    assert rollback(IrqClient(URL), journal).changed == [24]
    sent = json.loads(mocked.calls[-1].request.body)
    assert sent == {"cpu_affinity_mask": "f", "reason": f"irq-balance rollback of apply {ident}"}
