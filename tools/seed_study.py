"""The book's headline comparisons, each trained again with several seeds.

Usage:  .venv/bin/python tools/seed_study.py [--seeds 0 1 2 3 4] [--only NAME ...] [--recount]

The labs train every model once, with seed 0, and assert what that run shows. One seed can
be lucky. This script repeats each headline comparison of the labs with other seeds (the
seed picks the initial weights, the order of the mini-batches and, for the adding problem,
the test batch; the datasets of the dates, reviews and reversal stay the lab's) and writes
``tools/seed_study.json``: every seed's numbers, their mean, standard deviation (n - 1),
minimum and maximum, and for each claim a lab asserts, on how many seeds it held.

The readings quote the means and spreads (``mean ± sd over N seeds``); tests/test_seed_study.py
checks that the quotes match the file and that every claim a lab asserts held on every
seed. It is not part of CI: with five seeds it takes about 20 minutes of one core.

Seed 0 uses the labs' seeds, and each comparison seeds torch itself, yet seed 0's numbers
need not be the lab's to the last digit: a lab runs its comparison after other cells (Lab
3's timings, for one), and a model that is sensitive to its training (the plain RNN on the
reviews) ends elsewhere after the slightest change in floating point. What the labs assert
must hold for every seed here, the lab's among them.
"""

import argparse
import json
import pathlib
import statistics
import sys
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from seqbook import lab, models, tasks  # noqa: E402
from seqbook.models import sentiment, seq2seq  # noqa: E402
from seqbook.tasks import dates, reviews  # noqa: E402

RESULTS = ROOT / "tools" / "seed_study.json"
TRIVIAL = tasks.ADDING_TRIVIAL_MSE


# ---------------------------------------------------------------------------------------
# The comparisons: each is the lab cell it names, with the seed as an argument. Each returns
# a dict of numbers; CLAIMS holds what the lab asserts of them.
# ---------------------------------------------------------------------------------------


def adding_rnn_against_lstm(seed):
    """Lab 2, 2.8: RNN and LSTM on the adding problem, T = 100, 1,500 steps."""
    numbers = {}
    for cell in ["rnn", "lstm"]:
        torch.manual_seed(seed)
        model = models.SequenceRegressor(input_size=2, hidden_size=32, cell=cell,
                                         forget_bias=1.0 if cell == "lstm" else None)
        run = models.train_adding(model, length=100, steps=1500, lr=1e-2, eval_every=100,
                                  seed=seed)
        numbers[f"{cell} test error"] = run["final_mse"]
        reached = models.steps_to_reach(run, 0.1 * TRIVIAL)
        numbers[f"{cell} steps to a tenth of trivial"] = 1500 + 100 if reached is None else reached
    return numbers


def lstm_ablation(seed):
    """Lab 2, "Which parts of the LSTM matter?": five variants, adding problem, T = 20."""
    variants = {
        "LSTM": None,
        "no forget gate": dict(forget_gate=False),
        "no output activation": dict(output_activation=False),
        "coupled gates": dict(coupled=True),
        "peepholes": dict(peepholes=True),
    }
    numbers = {}
    for label, switches in variants.items():
        torch.manual_seed(seed)
        plain = torch.nn.LSTM(2, 32, batch_first=True)
        models.set_forget_bias(plain, 1.0)
        layer = plain if switches is None else models.LSTMVariant(2, 32, **switches).copy_from(
            plain)
        torch.manual_seed(seed + 1)
        model = models.SequenceRegressor(2, 32, cell=layer)
        run = models.train_adding(model, length=20, steps=300, lr=1e-2, eval_every=50,
                                  seed=seed)
        numbers[f"{label} test error"] = run["final_mse"]
        reached = models.steps_to_reach(run, 0.5 * TRIVIAL)
        numbers[f"{label} steps to half trivial"] = 300 + 50 if reached is None else reached
    return numbers


def adding_three_cells(seed):
    """Lab 3: RNN, LSTM and GRU on the adding problem, T = 50, 900 steps."""
    numbers = {}
    solved = 0.1 * TRIVIAL
    for cell, options in [("rnn", {}), ("lstm", {"forget_bias": 1.0}), ("gru", {})]:
        torch.manual_seed(seed)
        model = models.SequenceRegressor(input_size=2, hidden_size=32, cell=cell, **options)
        run = models.train_adding(model, length=50, steps=900, lr=1e-2, eval_every=50,
                                  seed=seed)
        numbers[f"{cell} test error"] = run["final_mse"]
        reached = models.steps_to_reach(run, solved)
        numbers[f"{cell} steps to a tenth of trivial"] = 900 + 50 if reached is None else reached
    return numbers


def sentiment_models(seed):
    """Lab 3: bag of words, RNN, LSTM and GRU on the reviews, 600 steps."""
    train, test, _ = reviews.review_datasets(seed=0)
    _, _, results = sentiment.compare_models(train, test, steps=600, seed=seed)
    return {f"{kind} {subset}": scores[subset]
            for kind, scores in results.items()
            for subset in ("all", "negated", "unseen negation", "contrast")}


def dates_plain_against_attention(seed):
    """Labs 4a and 4b: the plain and the attention encoder-decoder on the dates, 250 steps."""
    train, test, info = dates.date_dataset(seed=0)
    source_vocab, target_vocab = info["source_vocab"], info["target_vocab"]
    train_data = seq2seq.encode_pairs(train, source_vocab, target_vocab)
    test_data = seq2seq.encode_pairs(test, source_vocab, target_vocab)
    numbers = {}
    for kind in ("plain", "attention"):
        torch.manual_seed(seed)
        model = seq2seq.make_model(kind, len(source_vocab), len(target_vocab))
        seq2seq.train_seq2seq(model, train_data, steps=250, batch_size=64, lr=3e-3, seed=seed)
        result = seq2seq.evaluate_seq2seq(model, test_data)
        numbers[f"{kind} exact match"] = result["exact_match"]
        numbers[f"{kind} token accuracy"] = result["token_accuracy"]
    return numbers


def reversal_by_length(seed):
    """Lab 4b, 4.5: plain against attention on reversal, exact match by source length."""
    reversal_train, reversal_test = tasks.reversal_dataset(20_000, 40, 3, 24, alphabet_size=10,
                                                          seed=0)
    symbols = tasks.Vocabulary((source for source, _ in reversal_train),
                               reserved=tasks.SEQUENCE_SYMBOLS)
    train_data = seq2seq.encode_pairs(reversal_train, symbols, symbols)
    test_data = seq2seq.encode_pairs(reversal_test, symbols, symbols)
    edges = (3, 5, 9, 13, 17, 21, 25)
    numbers = {}
    for kind in ("plain", "attention"):
        torch.manual_seed(seed)
        model = seq2seq.make_model(kind, len(symbols), len(symbols))
        seq2seq.train_seq2seq(model, train_data, steps=175, batch_size=128, lr=5e-3, seed=seed)
        result = seq2seq.evaluate_seq2seq(model, test_data, edges=edges)
        for (low, high), bucket in zip(zip(edges[:-1], edges[1:]), result["buckets"]):
            numbers[f"{kind} {low}-{high - 1}"] = bucket[3]
    return numbers


def attention_scores_on_dates(seed):
    """Chapter 4, Luong against Bahdanau: additive, general and dot scores on the dates,
    250 steps, an encoder of 32 units per direction so that K = 64 = Hd (dot needs it)."""
    train, test, info = dates.date_dataset(seed=0)
    source_vocab, target_vocab = info["source_vocab"], info["target_vocab"]
    train_data = seq2seq.encode_pairs(train, source_vocab, target_vocab)
    test_data = seq2seq.encode_pairs(test, source_vocab, target_vocab)
    numbers = {}
    for score in ("additive", "general", "dot"):
        torch.manual_seed(seed)
        model = seq2seq.make_model("attention", len(source_vocab), len(target_vocab),
                                   hidden_size=32, decoder_size=64, score=score)
        started = time.process_time()
        seq2seq.train_seq2seq(model, train_data, steps=250, batch_size=64, lr=3e-3, seed=seed)
        numbers[f"{score} processor seconds"] = time.process_time() - started
        result = seq2seq.evaluate_seq2seq(model, test_data)
        numbers[f"{score} exact match"] = result["exact_match"]
    return numbers


STUDIES = {
    "adding_rnn_against_lstm": adding_rnn_against_lstm,
    "lstm_ablation": lstm_ablation,
    "adding_three_cells": adding_three_cells,
    "sentiment_models": sentiment_models,
    "dates_plain_against_attention": dates_plain_against_attention,
    "reversal_by_length": reversal_by_length,
    "attention_scores_on_dates": attention_scores_on_dates,
}

# What the labs assert of one seed's numbers, as (study, claim, test). The study counts on
# how many seeds each held: a claim that fails on some seed is one seed's luck, and the lab
# should assert less (or the reading should say so).
CLAIMS = [
    ("adding_rnn_against_lstm", "the LSTM solves T = 100 (error below a tenth of trivial)",
     lambda n: n["lstm test error"] < 0.1 * TRIVIAL),
    ("adding_rnn_against_lstm", "the RNN learns nothing at T = 100 (above half of trivial)",
     lambda n: n["rnn test error"] > 0.5 * TRIVIAL),
    ("lstm_ablation", "every variant gets below half the trivial error",
     lambda n: all(v < 0.5 * TRIVIAL for k, v in n.items() if k.endswith("test error"))),
    ("lstm_ablation", "no variant gets there later than the plain LSTM",
     lambda n: n["LSTM steps to half trivial"] == max(
         v for k, v in n.items() if k.endswith("steps to half trivial"))),
    ("lstm_ablation", "no variant gets there sooner than the coupled cell",
     lambda n: n["coupled gates steps to half trivial"] == min(
         v for k, v in n.items() if k.endswith("steps to half trivial"))),
    ("adding_three_cells", "GRU and LSTM solve T = 50, the RNN does not",
     lambda n: n["gru test error"] < 0.1 * TRIVIAL and n["lstm test error"] < 0.1 * TRIVIAL
     and n["rnn test error"] > 0.5 * TRIVIAL),
    ("adding_three_cells", "the GRU gets there in fewer steps than the LSTM",
     lambda n: n["gru steps to a tenth of trivial"] < n["lstm steps to a tenth of trivial"]),
    ("sentiment_models", "the gated models read negation (negated accuracy >= 0.9, 0.4 above "
     "the bag of words)",
     lambda n: all(n[f"{g} negated"] >= 0.9 and n[f"{g} negated"] >= n["bow negated"] + 0.4
                   for g in ("gru", "lstm"))),
    ("sentiment_models", "the bag of words is fooled by negation (negated accuracy <= 0.5)",
     lambda n: n["bow negated"] <= 0.5),
    ("dates_plain_against_attention", "attention gets at least 0.95 of the dates exactly",
     lambda n: n["attention exact match"] >= 0.95),
    ("dates_plain_against_attention", "the plain model gets between 0.55 and 0.8 exactly",
     lambda n: 0.55 < n["plain exact match"] < 0.8),
    ("reversal_by_length", "both cope with 3-4 symbols (plain >= 0.9, gap <= 0.1)",
     lambda n: n["plain 3-4"] >= 0.9 and abs(n["attention 3-4"] - n["plain 3-4"]) <= 0.1),
    ("reversal_by_length", "attention keeps most of 21-24 symbols (>= 0.6, 0.6 above plain)",
     lambda n: n["attention 21-24"] >= 0.6
     and n["attention 21-24"] - n["plain 21-24"] >= 0.6),
    ("attention_scores_on_dates", "every score gets at least 0.85 of the dates exactly",
     lambda n: min(n[f"{score} exact match"] for score in ("additive", "general", "dot"))
     >= 0.85),
    ("attention_scores_on_dates", "the additive score is the most accurate of the three",
     lambda n: n["additive exact match"] >= max(n["general exact match"],
                                                n["dot exact match"])),
]


def summarize(rows):
    """{seed: {name: value}} -> {name: {"mean", "sd", "min", "max"}}."""
    names = next(iter(rows.values())).keys()
    summary = {}
    for name in names:
        values = [row[name] for row in rows.values()]
        summary[name] = {"mean": statistics.fmean(values),
                         "sd": statistics.stdev(values) if len(values) > 1 else 0.0,
                         "min": min(values), "max": max(values)}
    return summary


def count_claims(name, rows):
    """{claim: on how many of the seeds' rows it held} for the claims of study ``name``."""
    return {claim: sum(bool(test(row)) for row in rows.values())
            for study_name, claim, test in CLAIMS if study_name == name}


def recount(results):
    """Count the claims again on the recorded numbers (after a claim changed), training
    nothing."""
    for name, result in results.items():
        result["claims held"] = count_claims(name, result["seeds"])
    RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return results


def run(seeds, only=None):
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    for name, study in STUDIES.items():
        if only and name not in only:
            continue
        rows = {}
        started = time.perf_counter()
        for seed in seeds:
            lab.setup(seed=seed)
            rows[str(seed)] = study(seed)
            print(f"{name}, seed {seed}: " + ", ".join(
                f"{key} {value:.3g}" for key, value in rows[str(seed)].items()), flush=True)
        results[name] = {"lab": study.__doc__.split(":")[0], "seeds": rows,
                         "summary": summarize(rows), "claims held": count_claims(name, rows),
                         "minutes": round((time.perf_counter() - started) / 60, 1)}
        RESULTS.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--only", nargs="+", choices=sorted(STUDIES))
    parser.add_argument("--recount", action="store_true",
                        help="count the claims again on the recorded numbers, train nothing")
    args = parser.parse_args(argv)
    if len(args.seeds) < 3:
        parser.error("a spread needs at least 3 seeds")
    if args.recount:
        results = recount(json.loads(RESULTS.read_text()))
    else:
        results = run(args.seeds, args.only)
    for name, result in results.items():
        print(f"\n{name} ({len(result['seeds'])} seeds)")
        for key, stats in result["summary"].items():
            print(f"  {key:40s} {stats['mean']:.3f} ± {stats['sd']:.3f} "
                  f"[{stats['min']:.3f}, {stats['max']:.3f}]")
        for claim, held in result["claims held"].items():
            print(f"  claim held on {held}/{len(result['seeds'])}: {claim}")


if __name__ == "__main__":
    main()
