import pytest
from hypothesis import given
from hypothesis import strategies as st
from irq_server.errors import InvalidMask
from irq_server.procfs.masks import format_cpu_list, format_mask, parse_cpu_list, parse_mask


@pytest.mark.parametrize("text,cpus", [
    ("3", {0, 1}), ("fff1", {0} | set(range(4, 16))), ("00000000,00000003", {0, 1}),
    ("1,00000000", {32}), ("80000000,00000000,00000000", {95}), ("0", set()),
])
def test_parse_mask_examples(text, cpus):
    assert parse_mask(text) == cpus


@pytest.mark.parametrize("cpus,nr,text", [
    ({0, 1}, 2, "3"), ({0}, 8, "01"), (set(range(8)), 8, "ff"), ({0}, 32, "00000001"),
    (set(range(40)), 40, "ff,ffffffff"), ({32}, 64, "00000001,00000000"),
])
def test_format_mask_matches_kernel_width(cpus, nr, text):
    assert format_mask(cpus, nr) == text


@pytest.mark.parametrize("bad", ["", "xyz", "123456789", "0x3", "3,", ",3", "f f"])
def test_parse_mask_rejects_malformed_text_naming_the_field(bad):
    with pytest.raises(InvalidMask) as err:
        parse_mask(bad, field="cpu_affinity_mask")
    assert err.value.field == "cpu_affinity_mask"


@pytest.mark.parametrize("text,cpus", [
    ("0-3,8", {0, 1, 2, 3, 8}), ("5", {5}), ("", set()), ("0-1,3-4", {0, 1, 3, 4}),
])
def test_parse_cpu_list_examples(text, cpus):
    assert parse_cpu_list(text) == cpus


@pytest.mark.parametrize("bad", ["a", "3-1", "1,,2", "-1", "0-99999"])
def test_parse_cpu_list_rejects_malformed(bad):
    with pytest.raises(InvalidMask):
        parse_cpu_list(bad)


def test_format_cpu_list_compresses_ranges():
    assert format_cpu_list([11, 0, 1, 2, 3, 8, 10]) == "0-3,8,10-11"
    assert format_cpu_list([]) == ""


cpu_sets = st.integers(min_value=1, max_value=8192).flatmap(
    lambda nr: st.tuples(st.just(nr), st.frozensets(st.integers(0, nr - 1), max_size=64)))


@given(cpu_sets)
def test_mask_round_trip_any_cpu_count(nr_and_cpus):
    nr, cpus = nr_and_cpus
    text = format_mask(cpus, nr)
    assert parse_mask(text) == cpus
    words = text.split(",")
    assert all(len(w) == 8 for w in words[1:]) and 1 <= len(words[0]) <= 8


@given(st.frozensets(st.integers(0, 8191), max_size=200))
def test_list_round_trip(cpus):
    assert parse_cpu_list(format_cpu_list(cpus)) == cpus
