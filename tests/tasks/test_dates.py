"""Tests for seqbook.dates (Chapter 4's date task) and the Chapter 4 parts of seqbook.data."""

import datetime

import numpy as np
import pytest
import torch
from babel.dates import format_date

from seqbook import tasks
from seqbook.tasks import dates

SUNDAY = datetime.date(2026, 11, 22)

# --- the sources really come from Babel ----------------------------------------------------


@pytest.mark.parametrize("locale, format, expected", [
    ("en_US", "full", "Sunday, November 22, 2026"),
    ("en_US", "short", "11/22/26"),
    ("en_GB", "full", "Sunday, 22 November 2026"),
    ("de_DE", "long", "22. November 2026"),
    ("es_ES", "full", "domingo, 22 de noviembre de 2026"),
    ("pt_BR", "medium", "22 de nov. de 2026"),
    ("fr_FR", "EEEE d MMMM y", "dimanche 22 novembre 2026"),
    ("hu_HU", "full", "2026. november 22., vasárnap"),
])
def test_sources_are_babels_cldr_formats(locale, format, expected):
    assert format_date(SUNDAY, format, locale=locale).replace("\xa0", " ") == expected
    source, fields = dates.render(SUNDAY, locale, format)
    assert source == dates.normalise(expected)
    assert len(fields) == len(source)


def test_normalise_lowercases_and_strips_accents():
    assert dates.normalise("Vasárnap, März, SÖNDAG") == "vasarnap, marz, sondag"


def test_every_locale_and_format_renders_plain_ascii_and_matches_babel():
    for month in range(1, 13):
        for day in (1, 9, 28):
            date = datetime.date(2001 + month, month, day)  # every weekday occurs
            for locale in dates.LOCALES:
                for format in dates.FORMATS:
                    source, fields = dates.render(date, locale, format)
                    assert source.isascii(), source
                    assert source == dates.normalise(format_date(date, format, locale=locale))


def test_no_month_name_means_two_months():
    meaning = {}
    for month in range(1, 13):
        date = datetime.date(2001, month, 15)
        for locale in dates.LOCALES:
            for format in dates.FORMATS:
                source, fields = dates.render(date, locale, format)
                name = "".join(ch for ch, f in zip(source, fields) if f.startswith("M"))
                if not name.isdigit():
                    assert meaning.setdefault(name, month) == month, (name, locale)


# --- pairs and the dataset -----------------------------------------------------------------


@pytest.fixture(scope="module")
def dataset():
    return dates.date_dataset(train_size=3000, test_size=500, seed=0)


def test_targets_are_iso_and_parse_back_to_the_date(dataset):
    train, test, _ = dataset
    for pair in train + test:
        assert len(pair.target) == dates.TARGET_LENGTH
        assert datetime.date.fromisoformat(pair.target) == pair.date
        assert dates.START <= pair.date <= dates.END
        assert pair.source == dates.render(pair.date, pair.locale, pair.format)[0]


def test_two_digit_years_follow_the_pivot():
    pairs = dates.date_pairs(200, seed=1, locales=("es_ES",), formats=("short",))
    for pair in pairs:
        yy = int(pair.source.rsplit("/", 1)[1])
        assert pair.date.year == (2000 + yy if yy < dates.PIVOT else 1900 + yy)


def test_pairs_are_deterministic_for_a_seed():
    assert dates.date_pairs(50, seed=7) == dates.date_pairs(50, seed=7)
    assert dates.date_pairs(50, seed=7) != dates.date_pairs(50, seed=8)


def test_test_set_is_held_out_fixed_and_covered_by_the_vocabulary(dataset):
    train, test, info = dataset
    assert (info["train_size"], info["test_size"]) == (len(train), len(test)) == (3000, 500)
    test_dates = [pair.date for pair in test]
    assert len(set(test_dates)) == len(test_dates)
    assert not set(test_dates) & {pair.date for pair in train}
    assert set("".join(p.source for p in test)) <= set(info["source_vocab"].symbols)
    _, same_test, _ = dates.date_dataset(train_size=100, test_size=500, seed=0)
    assert same_test == test  # the test set does not depend on the training size


def test_lengths_range_from_a_few_to_over_thirty(dataset):
    lengths = [len(pair.source) for pair in dataset[0]]
    assert min(lengths) <= 10 and max(lengths) >= 30
    summary = dataset[2]["train_lengths"]
    assert summary["at_least_30"] > 0 and summary["at_most_10"] > 0
    assert sum(summary["buckets"].values()) == len(lengths)


def test_length_filter_and_buckets():
    long = dates.date_pairs(40, seed=2, min_length=30)
    short = dates.date_pairs(40, seed=2, max_length=9)
    assert all(len(p.source) >= 30 for p in long) and all(len(p.source) <= 9 for p in short)
    assert {dates.length_bucket(p.source) for p in long} == {3}
    assert {dates.length_bucket(p.source) for p in short} == {0}
    assert [dates.length_bucket(n) for n in (9, 10, 19, 20, 29, 30)] == [0, 1, 1, 2, 2, 3]


# --- the true alignment --------------------------------------------------------------------


def test_alignment_marks_the_year_digits_for_the_first_four_target_characters():
    pair = dates.DatePair("sunday, november 22, 2026", "2026-11-22", SUNDAY, "en_US", "full")
    matrix = dates.alignment(pair)
    assert matrix.shape == (10, len(pair.source))
    year = pair.source.index("2026")
    for row in range(4):
        assert np.flatnonzero(matrix[row]).tolist() == [year + row]
    month = pair.source.index("november")
    assert np.flatnonzero(matrix[5]).tolist() == list(range(month, month + 8))
    assert np.flatnonzero(matrix[8]).tolist() == [pair.source.index("22")]
    assert not matrix[[4, 7]].any()
    assert not matrix[:, : len("sunday, ")].any()  # the weekday is never needed


def test_alignment_of_two_digit_years_and_one_digit_numbers():
    source, fields = dates.render(datetime.date(1999, 1, 2), "en_US", "short")
    assert source == "1/2/99"
    matrix = dates.alignment(fields)
    assert [np.flatnonzero(row).tolist() for row in matrix] == [
        [4], [4], [4], [5], [], [0], [0], [], [2], [2]]


def test_every_content_row_is_marked_for_every_locale_and_format():
    for locale in dates.LOCALES:
        for format in dates.FORMATS:
            matrix = dates.alignment(dates.render(SUNDAY, locale, format)[1])
            assert matrix[list(dates.CONTENT_ROWS)].any(axis=1).all(), (locale, format)


# --- Vocabulary with SEQUENCE_SYMBOLS-------------------------------------------------------------


def test_vocabulary_reserved_ids_and_round_trip():
    vocab = tasks.Vocabulary(["abc", "cab"], reserved=tasks.SEQUENCE_SYMBOLS)
    assert vocab.symbols[:4] == ["<pad>", "<sos>", "<eos>", "<unk>"]
    assert (tasks.PAD, tasks.SOS, tasks.EOS, tasks.UNK) == (0, 1, 2, 3)
    assert len(vocab) == 7
    ids = vocab.encode("cab", add_eos=True, add_sos=True)
    assert ids[0] == tasks.SOS and ids[-1] == tasks.EOS
    assert vocab.decode(ids) == "cab"
    assert vocab.decode(vocab.encode("ab") + [tasks.EOS] + vocab.encode("c")) == "ab"
    assert vocab.encode("az") == [vocab.index["a"], tasks.UNK]
    assert vocab.decode(vocab.encode("az")) == "a<unk>"


def test_encode_batch_pads_with_zero_and_returns_lengths():
    vocab = tasks.Vocabulary(["abc"], reserved=tasks.SEQUENCE_SYMBOLS)
    ids, lengths = vocab.encode_batch(["a", "abc", ""], add_eos=True)
    assert ids.dtype == lengths.dtype == torch.long
    assert ids.shape == (3, 4) and lengths.tolist() == [2, 4, 1]
    assert ids[0, 2:].tolist() == [tasks.PAD, tasks.PAD]
    assert vocab.decode_batch(ids) == ["a", "abc", ""]


# --- the reversal task ---------------------------------------------------------------------


def test_reversal_pairs_are_reversed_in_range_and_deterministic():
    pairs = tasks.reversal_pairs(300, min_length=3, max_length=12, alphabet_size=5, seed=4)
    assert all(target == source[::-1] for source, target in pairs)
    assert {len(source) for source, _ in pairs} == set(range(3, 13))
    assert set("".join(source for source, _ in pairs)) == set("abcde")
    assert pairs == tasks.reversal_pairs(300, 3, 12, 5, seed=4)
    assert pairs != tasks.reversal_pairs(300, 3, 12, 5, seed=5)


def test_reversal_dataset_tests_every_length_and_holds_them_out():
    train, test = tasks.reversal_dataset(500, test_per_length=10, min_length=4, max_length=20,
                                        alphabet_size=8, seed=0)
    assert len(train) == 500 and len(test) == 10 * 17
    assert sorted({len(s) for s, _ in test}) == list(range(4, 21))
    assert not {s for s, _ in test} & {s for s, _ in train}
    assert tasks.reversal_dataset(50, 10, 4, 20, 8, seed=0)[1] == test


def test_test_set_by_length_fills_every_bucket_and_stays_held_out():
    train, test, info = dates.date_dataset(train_size=400, test_size=80, seed=3,
                                           test_by_length=True)
    buckets = [dates.length_bucket(pair.source) for pair in test]
    assert buckets == sorted(buckets) and [buckets.count(b) for b in range(4)] == [20] * 4
    assert not {p.date for p in test} & {p.date for p in train}
    assert len({p.date for p in test}) == len(test)
    text = dates.describe(info)
    assert "train 400 pairs, test 80 pairs" in text and "15 target ids" in text


def test_attention_on_alignment_is_one_for_the_true_alignment_and_low_for_uniform():
    source, fields = dates.render(SUNDAY, "es_ES", "full")
    matrix = dates.alignment(fields)
    perfect = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    assert dates.attention_on_alignment(perfect, matrix) == pytest.approx(1.0)
    uniform = torch.full((11, len(source) + 1), 1.0 / (len(source) + 1))  # EOS step and token
    assert dates.attention_on_alignment(uniform, matrix) < 0.15


def test_no_source_has_two_right_answers():
    # every date of one year, in every locale and format the generator uses
    targets_by_source = {}
    day = datetime.date(1992, 1, 1)
    while day.year == 1992:
        for locale in dates.LOCALES:
            for format in dates.FORMATS:
                if (locale, format) in dates.AMBIGUOUS:
                    continue
                source, _ = dates.render(day, locale, format)
                targets_by_source.setdefault(source, set()).add(dates.iso(day))
        day += datetime.timedelta(days=1)
    ambiguous = {source: targets for source, targets in targets_by_source.items()
                 if len(targets) > 1}
    assert not ambiguous, list(ambiguous.items())[:5]
    # and the US short form is left out because it would clash with the day-first forms
    us = dates.render(datetime.date(1992, 8, 4), "en_US", "short")[0]
    spanish = dates.render(datetime.date(1992, 4, 8), "es_ES", "short")[0]
    assert us == spanish == "8/4/92"


def test_date_pairs_never_draw_an_ambiguous_form():
    pairs = dates.date_pairs(2000, seed=3)
    assert not any((pair.locale, pair.format) in dates.AMBIGUOUS for pair in pairs)
