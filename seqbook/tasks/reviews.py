"""Chapter 3's application: many-to-one sentiment of short reviews where word order matters.

The vocabulary and the sentiment of every adjective come from the subjectivity lexicon that
TextBlob ships (``textblob/en/en-sentiment.xml``, by De Smedt and Daelemans, PDDL licence);
the sentences and their labels come from this module's own small grammar. Nothing here
touches the network, and TextBlob is never imported (that would import nltk): the XML file is
located through ``importlib`` and read with the standard library.

The grammar (see :func:`make_review`) and its limits:

- A *clause* is ``[opener] subject verb [negation] [intensifiers] adjective``, for example
  "i thought the plot was not really very good". Its sentiment is the adjective's sign,
  flipped once if the clause is negated ("not", "never", "not at all", "did not seem" ...).
  The negation may stand up to four words before the adjective ("did not seem really very
  good"), so a model has to carry it.
- A *review* is one clause ("plain" or "negated") or two clauses of opposite sentiment joined
  by a contrast ("contrast"): "A but B" and "although A B" take B's sentiment, "B although A"
  also takes B's: the main clause decides, wherever it stands.
- The label (1 positive, 0 negative) is computed by these rules, never by a model, and is
  drawn first, so the classes are balanced. By default 40% of reviews are plain, 30% negated
  and 30% contrasts, each contrast clause negated half the time; openers ("i thought",
  "overall" ...) start only one-clause reviews, so reviews have 4 to 17 words.

Limits, stated plainly: real language is richer. "not bad" is faint praise, not the opposite
of "bad"; here negation simply flips the sign. Intensifiers do not change the label. There is
no sarcasm, no double negation, no neutral class, and the lexicon's senses are averaged, so a
word such as "cheap" (polar in both directions in real reviews) is excluded rather than
disambiguated.

Held-out negation: the adjectives are split (:func:`split_adjectives`) into ones that may be
negated in training and ones that are *never* negated in training, only used plainly. The test
set negates both, so its subset "unseen negation" asks for a rule the training set shows only on
other words.
"""

import dataclasses
import importlib.util
import xml.etree.ElementTree as ElementTree
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqbook.tasks.vocabulary import WORD_SYMBOLS, Vocabulary

# Adjectives the lexicon rates clearly, but that read oddly in a film review, are offensive, or
# whose sign in a review is debatable; grouped so that the reason for each is visible.
EXCLUDED = frozenset(
    # offensive, sexual or about health and crime: not for a course book's examples
    "fucked effing retarded erotic sexual sexy licentious unchaste raunchy debauched drunk "
    "psychotic brainsick insane diseased corpulent criminal illegal bloodthirsty barbarian "
    "bloodstained addicted nauseated incurable guilty implicated corrupt corruptible "
    # about things, weather, money, quantity or rank rather than a film
    "artesian unsalted rose fly own many more most elect filled full huge latest top youngish "
    "ecological wealthy affluent applicative advertent confirmed acquainted alleviated algid "
    "frostbitten muggy gluey dusty extinct collectible calculable ungraded uncut unilateral "
    "bootleg secret mere behind base rank approximate safe secure healthy unhealthy delicious "
    "unappetizing expensive superfine deluxe cushy nonviolent obedient mannerly fair free "
    "hazardous ill sick chicken game battleful agitative abundant available autonomous "
    "charitable civilized incorruptible lenient ashen ascetic assumptive aweary addled "
    # comparatives and superlatives: a grammar of "was X" wants the plain form
    "better best greater greatest worse worst "
    # a misspelling and a spelling variant
    "satisyfing scarey "
    # sign debatable in a review, or a sense the review would not mean
    "cheap bizarre challenging controversial crushing perplexed whimsical offbeat deadpan "
    "random casual shy nostalgic dramatic flippant goofy wacky skittish static guarded "
    "motley forcible innocent light catching magic cold chilling cutting stabbing churning "
    "blind thin faint numb afraid sorry wary skeptical unable unlikely vulnerable "
    "defenseless decreased overexcited obsessed shocked startling hysterical mad "
    # how a viewer feels, not what a film is ("the plot was annoyed")
    "annoyed angered appalled aghast disgusted disappointed distraught frustrated bored dazed "
    "delighted pleased glad satisfied thrilled impressed appreciative "
    # odd senses: the lexicon rates "airheaded" positive; "bloody" and "blasted" are oaths here
    "airheaded affirmative subnormal blasted bloody frigid chilly".split()
)

# Words that strengthen an adjective without changing its sign; the lexicon marks "very",
# "really", "seriously" ... with an intensity, and we add a few common ones.
INTENSIFIERS = (
    "very",
    "really",
    "truly",
    "quite",
    "rather",
    "so",
    "extremely",
    "totally",
    "really very",
    "truly very",
    "so very",
)
SUBJECTS = (
    "film",
    "movie",
    "plot",
    "acting",
    "ending",
    "soundtrack",
    "dialogue",
    "story",
    "cast",
    "script",
    "music",
    "direction",
    "pacing",
    "finale",
    "lead",
    "photography",
)
OPENERS = ("overall", "honestly", "i thought", "i felt", "to be honest", "in my opinion", "for me")
# (plain verb, negated forms of it); a negated form ends where the adjective may follow.
VERBS = {
    "was": ("was not", "was never", "was not at all"),
    "is": ("is not", "is never", "is not at all"),
    "felt": ("did not feel", "never felt"),
    "seemed": ("did not seem", "never seemed"),
}
NEGATIONS = ("not", "never")
CONTRASTS = ("but", "although")

PAD, UNK = WORD_SYMBOLS  # "<pad>" (id 0) and "<unk>" (id 1)


# ----------------------------------------------------------------------------- the lexicon


def sentiment_xml_path():
    """Where TextBlob's ``en-sentiment.xml`` lies, found without importing TextBlob."""
    spec = importlib.util.find_spec("textblob")
    if spec is None:
        raise ModuleNotFoundError("textblob is not installed: pip install textblob==0.20.1")
    return Path(spec.submodule_search_locations[0]) / "en" / "en-sentiment.xml"


def lexicon_polarities(path=None, pos="JJ"):
    """Every sense's polarity of every word with part of speech ``pos``.

    Returns:
        A dict word -> list of polarities in [-1, 1], one per sense listed in the file.
    """
    root = ElementTree.parse(path or sentiment_xml_path()).getroot()
    senses = defaultdict(list)
    for word in root.iter("word"):
        if word.get("pos") == pos:
            senses[word.get("form")].append(float(word.get("polarity")))
    return dict(senses)


def sentiment_adjectives(min_polarity=0.4, excluded=EXCLUDED, path=None):
    """Clearly positive and clearly negative adjectives from the lexicon.

    Kept: lower-case alphabetic adjectives whose senses all have the same sign and whose
    average polarity is at least ``min_polarity`` in size, minus the ``excluded`` words.

    Returns:
        ``(positive, negative)``, two sorted lists of words.
    """
    positive, negative = [], []
    for word, polarities in lexicon_polarities(path).items():
        if not (word.isascii() and word.isalpha() and word.islower()) or word in excluded:
            continue
        mean = sum(polarities) / len(polarities)
        if all(p > 0 for p in polarities) and mean >= min_polarity:
            positive.append(word)
        elif all(p < 0 for p in polarities) and mean <= -min_polarity:
            negative.append(word)
    return sorted(positive), sorted(negative)


def split_adjectives(positive, negative, held_out_fraction=0.4, seed=0):
    """Split each polarity's adjectives into ones negated in training and ones held out.

    Held-out adjectives still occur in training, but only un-negated; the test set also
    negates them. Each polarity is split separately, so both halves keep both signs.

    Returns:
        ``(negatable, held_out)``, two sorted lists.
    """
    rng = np.random.default_rng(seed)
    negatable, held_out = [], []
    for words in (positive, negative):
        order = rng.permutation(len(words))
        n_held = int(round(len(words) * held_out_fraction))
        held_out += [words[i] for i in order[:n_held]]
        negatable += [words[i] for i in order[n_held:]]
    return sorted(negatable), sorted(held_out)


# ----------------------------------------------------------------------------- the grammar


@dataclass(frozen=True)
class Review:
    """One generated review: its text, its label (1 positive) and what it contains."""

    text: str
    label: int
    negated: bool = False  # some clause is negated
    unseen_negation: bool = False  # some negated adjective is never negated in training
    contrast: bool = False  # two clauses joined by "but" or "although"
    negated_words: tuple = ()  # the adjectives it negates


def clause(rng, adjective, negated, intensifier_rate=0.5, opener_rate=0.2):
    """One clause, ``[opener] the subject verb [negation] [intensifiers] adjective``.

    Args:
        rng: a numpy ``Generator``; every choice is drawn from it.
        adjective: the clause's adjective.
        negated: whether to negate it; the clause's sentiment is then the adjective's flipped.
        intensifier_rate: how often an intensifier (one or two words) precedes the adjective;
            "not at all" takes none, to stay grammatical.

    Returns:
        A list of words.
    """
    words = []
    if rng.random() < opener_rate:
        words += OPENERS[rng.integers(len(OPENERS))].split()
    words += ["the", SUBJECTS[rng.integers(len(SUBJECTS))]]
    verb = list(VERBS)[rng.integers(len(VERBS))]
    if negated:
        forms = VERBS[verb]
        form = forms[rng.integers(len(forms))]
        words += form.split()
    else:
        words.append(verb)
    if rng.random() < intensifier_rate and not (negated and form.endswith("at all")):
        words += INTENSIFIERS[rng.integers(len(INTENSIFIERS))].split()
    words.append(adjective)
    return words


def make_review(rng, kind, positive, negative, negation_rate=0.5):
    """One review of the given kind, with its label computed by the grammar's rules.

    Args:
        kind: ``"plain"`` (one clause, not negated), ``"negated"`` (one negated clause) or
            ``"contrast"`` (two clauses of opposite sentiment; each is negated with
            probability ``negation_rate``).
        positive, negative: pairs of lists ``(plain, negatable)`` for each sign: a clause
            draws its adjective from ``plain``, a negated clause from ``negatable``.

    Returns:
        A :class:`Review`. The label is uniform: the sentiment is drawn first, the words after.
    """
    label = int(rng.integers(2))
    if kind == "plain":
        flags = [False]
    elif kind == "negated":
        flags = [True]
    elif kind == "contrast":
        flags = [bool(rng.random() < negation_rate) for _ in range(2)]
    else:
        raise ValueError(f"kind must be 'plain', 'negated' or 'contrast'; got {kind!r}")
    # The last clause drawn is the main one, with the review's sentiment; a contrast's other
    # clause has the opposite sentiment.
    sentiments = [label] if len(flags) == 1 else [1 - label, label]
    clauses, negated_words = [], []
    for sentiment, negated in zip(sentiments, flags):
        wanted_positive = bool(sentiment) != negated  # a negated clause needs the other sign
        pool = (positive if wanted_positive else negative)[negated]
        adjective = pool[rng.integers(len(pool))]
        if negated:
            negated_words.append(adjective)
        # openers only start a one-clause review, which keeps reviews short (4 to 17 words)
        clauses.append(clause(rng, adjective, negated, opener_rate=0.2 if len(flags) == 1 else 0))
    if kind == "contrast":
        other, main = clauses
        form = rng.integers(3)
        if form == 0:
            words = other + ["but"] + main  # "A but B": B decides
        elif form == 1:
            words = ["although"] + other + main  # "although A B": B decides
        else:
            words = main + ["although"] + other  # "B although A": B decides, read first
    else:
        words = clauses[0]
    return Review(
        " ".join(words),
        label,
        negated=any(flags),
        contrast=kind == "contrast",
        negated_words=tuple(negated_words),
    )


def rule_label(text, positive):
    """The label the grammar's rules give a review, worked out from its words alone.

    A reader's version of the rules, independent of how :func:`make_review` builds a review:
    a clause's sentiment is its last word's sign (``positive`` is a set of the positive
    adjectives), flipped if the clause holds "not" or "never"; "A but B" and "although A B"
    take B's sentiment, "B although A" takes B's. Contrast clauses each start with "the".

    Returns:
        1 (positive) or 0 (negative).
    """
    words = text.split()

    def sentiment(clause_words):
        negated = any(word in NEGATIONS for word in clause_words)
        return int((clause_words[-1] in positive) != negated)

    if "but" in words:
        return sentiment(words[words.index("but") + 1 :])
    if words[0] == "although":
        return sentiment(words[words.index("the", 2) :])  # the second clause's "the"
    if "although" in words:
        return sentiment(words[: words.index("although")])
    return sentiment(words)


def make_reviews(
    count,
    positive,
    negative,
    negatable,
    held_out=(),
    seed=0,
    mix=(("plain", 0.4), ("negated", 0.3), ("contrast", 0.3)),
):
    """``count`` reviews drawn from the grammar, the kinds in the proportions of ``mix``.

    ``held_out`` names the adjectives whose negation the training set never shows; a review
    negating one of them is marked ``unseen_negation``.
    """
    rng = np.random.default_rng(seed)
    kinds = [kind for kind, _ in mix]
    weights = np.array([weight for _, weight in mix], dtype=float)
    held_out, negatable = set(held_out), set(negatable)
    positive = (positive, [w for w in positive if w in negatable])
    negative = (negative, [w for w in negative if w in negatable])
    reviews = []
    for kind in rng.choice(kinds, size=count, p=weights / weights.sum()):
        review = make_review(rng, str(kind), positive, negative)
        if held_out & set(review.negated_words):
            review = dataclasses.replace(review, unseen_negation=True)
        reviews.append(review)
    return reviews


def review_datasets(
    train_size=6000, test_size=2000, held_out_fraction=0.4, min_polarity=0.4, seed=0
):
    """Training and test reviews, with negations in the test set that training never shows.

    Training negates only the ``negatable`` adjectives; the test set negates any adjective.
    Test reviews whose text also occurs in training are dropped, so the test set may hold a
    few fewer than ``test_size`` reviews.

    Returns:
        ``(train, test, info)``: two lists of :class:`Review` and a dict with the adjective
        lists ``"positive"``, ``"negative"``, ``"negatable"``, ``"held_out"``.
    """
    positive, negative = sentiment_adjectives(min_polarity)
    negatable, held_out = split_adjectives(positive, negative, held_out_fraction, seed)
    train = make_reviews(train_size, positive, negative, negatable, seed=seed)
    test = make_reviews(
        test_size, positive, negative, positive + negative, held_out, seed=seed + 10_000
    )
    seen = {review.text for review in train}
    test = [review for review in test if review.text not in seen]
    info = {
        "positive": positive,
        "negative": negative,
        "negatable": negatable,
        "held_out": held_out,
    }
    return train, test, info


def describe(train, test):
    """Sizes and make-up of the two sets, for the lab to print.

    Returns:
        A dict: ``"train"`` and ``"test"`` sizes, the fractions of training reviews that are
        ``"train negated"`` and ``"train contrast"``, and the size of each test subset.
    """
    summary = {
        "train": len(train),
        "test": len(test),
        "train negated": float(np.mean([r.negated for r in train])),
        "train contrast": float(np.mean([r.contrast for r in train])),
    }
    for name, mask in test_subsets(test).items():
        summary[f"test {name}"] = int(mask.sum())
    return summary


def test_subsets(reviews):
    """Boolean masks over ``reviews`` for the subsets the chapter reports.

    Returns:
        A dict name -> bool array (N,): ``"all"``, ``"plain"`` (no negation, no contrast),
        ``"negated"``, ``"unseen negation"`` and ``"contrast"``. Subsets may overlap: a
        contrast may be negated.
    """
    negated = np.array([r.negated for r in reviews])
    contrast = np.array([r.contrast for r in reviews])
    return {
        "all": np.ones(len(reviews), dtype=bool),
        "plain": ~negated & ~contrast,
        "negated": negated,
        "unseen negation": np.array([r.unseen_negation for r in reviews]),
        "contrast": contrast,
    }


test_subsets.__test__ = False  # not a pytest test, despite its name


def vocabulary(texts):
    """The word vocabulary of some reviews: ``<pad>`` (id 0), ``<unk>`` (id 1), then every
    word of ``texts`` (split by :func:`seqbook.tasks.vocabulary.tokenize`), sorted."""
    return Vocabulary(texts, reserved=WORD_SYMBOLS, words=True)

