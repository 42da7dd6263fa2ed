"""nn.metrics against scikit-learn on random inputs, the slide's example (whose 10 labels
and 9 predictions must be refused), the slide's macro F1 against scikit-learn's, and the
zero-division and bad-input cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import metrics as sk

from autodiff import Tensor, Value
from nn.metrics import (
    accuracy,
    auc,
    class_counts,
    confusion_matrix,
    error_rate,
    precision_recall_curve,
    precision_recall_fscore,
    roc_curve,
    top_k_accuracy,
)

PROPERTY = settings(max_examples=150, deadline=None)

# the slides' metrics example: y has 10 labels, ŷ only 9
SLIDE_Y = [0, 1, 1, 1, 0, 1, 0, 1, 1, 0]
SLIDE_Y_HAT = [1, 1, 1, 1, 0, 0, 0, 1, 0]


@st.composite
def label_pairs(draw, max_classes=5):
    """Random y and ŷ of one length, over up to ``max_classes`` classes (some may be absent)."""
    n = draw(st.integers(1, 40))
    classes = draw(st.integers(1, max_classes))
    labels = st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)
    return np.array(draw(labels)), np.array(draw(labels))


@st.composite
def binary_scores(draw):
    """Binary labels with both classes, and scores: continuous, or few values (many ties)."""
    n = draw(st.integers(2, 40))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n).filter(lambda v: 0 < sum(v) < len(v)))
    if draw(st.booleans()):
        score = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    else:
        score = draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=n, max_size=n))
    return np.array(y), np.array(score, dtype=float)


def sklearn_quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args, **kwargs)


# -- the slide's example ------------------------------------------------------------------


@pytest.mark.parametrize(
    "metric",
    [accuracy, error_rate, confusion_matrix, precision_recall_fscore, class_counts],
)
def test_the_slides_10_labels_and_9_predictions_are_refused(metric):
    with pytest.raises(ValueError, match=r"y_true has 10 labels but y_pred has 9.*nothing is truncated"):
        metric(SLIDE_Y, SLIDE_Y_HAT)


SLIDE_SCORES = np.array([[1 - v, v] for v in SLIDE_Y_HAT], dtype=float)  # 9 rows of scores


@pytest.mark.parametrize(
    "metric, first, second, unit",
    [
        (lambda: accuracy(SLIDE_Y, SLIDE_SCORES), "y_true", "y_pred", "labels"),  # (N, C) scores too
        (lambda: top_k_accuracy(SLIDE_Y, SLIDE_SCORES, k=1), "y_true", "y_score", "samples"),
        (lambda: roc_curve(SLIDE_Y, SLIDE_Y_HAT), "y_true", "y_score", "samples"),
        (lambda: precision_recall_curve(SLIDE_Y, SLIDE_Y_HAT), "y_true", "y_score", "samples"),
        (lambda: auc(SLIDE_Y, SLIDE_Y_HAT), "x", "y", "points"),
    ],
    ids=["accuracy-scores", "top_k_accuracy", "roc_curve", "precision_recall_curve", "auc"],
)
def test_every_other_metric_refuses_10_against_9_naming_both_lengths(metric, first, second, unit):
    with pytest.raises(ValueError, match=rf"{first} has 10 {unit} but {second} has 9.*nothing is truncated"):
        metric()


def test_the_slides_example_on_its_first_9_labels_by_hand():
    y, y_hat = SLIDE_Y[:9], SLIDE_Y_HAT
    assert accuracy(y, y_hat) == pytest.approx(6 / 9)
    assert error_rate(y, y_hat) == pytest.approx(3 / 9)
    counts = class_counts(y, y_hat)
    # class 1: TP at 1, 2, 3, 7; FP at 0; FN at 5, 8; TN at 4, 6
    np.testing.assert_array_equal(counts.labels, [0, 1])
    np.testing.assert_array_equal(counts.tp, [2, 4])
    np.testing.assert_array_equal(counts.fp, [2, 1])
    np.testing.assert_array_equal(counts.fn, [1, 2])
    np.testing.assert_array_equal(counts.tn, [4, 2])
    np.testing.assert_array_equal(confusion_matrix(y, y_hat), [[2, 1], [2, 4]])
    p, r, f = precision_recall_fscore(y, y_hat)
    np.testing.assert_allclose(p, [1 / 2, 4 / 5])
    np.testing.assert_allclose(r, [2 / 3, 4 / 6])
    np.testing.assert_allclose(f, [4 / 7, 8 / 11])  # 2pr/(p + r)


def test_macro_f1_the_slides_way_and_scikit_learns():
    y, y_hat = SLIDE_Y[:9], SLIDE_Y_HAT
    mean_of_f = precision_recall_fscore(y, y_hat, average="macro")
    f_of_means = precision_recall_fscore(y, y_hat, average="macro", macro_f="f_of_means")
    p_macro, r_macro = (1 / 2 + 4 / 5) / 2, 2 / 3
    assert mean_of_f.precision == f_of_means.precision == pytest.approx(p_macro)
    assert mean_of_f.recall == f_of_means.recall == pytest.approx(r_macro)
    assert mean_of_f.fscore == pytest.approx((4 / 7 + 8 / 11) / 2)  # 0.6494, scikit-learn's
    # 0.6582, the slide's
    assert f_of_means.fscore == pytest.approx(2 * p_macro * r_macro / (p_macro + r_macro))
    assert mean_of_f.fscore == pytest.approx(sk.f1_score(y, y_hat, average="macro"))


# -- counting metrics against scikit-learn ---------------------------------------------------


@PROPERTY
@given(label_pairs())
def test_accuracy_error_rate_and_confusion_matrix_match_scikit_learn(pair):
    y, y_hat = pair
    assert accuracy(y, y_hat) == pytest.approx(sk.accuracy_score(y, y_hat))
    assert error_rate(y, y_hat) == pytest.approx(1 - sk.accuracy_score(y, y_hat))
    np.testing.assert_array_equal(confusion_matrix(y, y_hat), sklearn_quiet(sk.confusion_matrix, y, y_hat))
    for normalize in ("true", "pred", "all"):
        np.testing.assert_allclose(
            confusion_matrix(y, y_hat, normalize=normalize),
            sklearn_quiet(sk.confusion_matrix, y, y_hat, normalize=normalize),
        )
    # an order of our choosing, 9 never occurs, others are left out (scikit-learn wants one label of y)
    labels = list(dict.fromkeys([3, int(y[0]), 0, 9]))
    np.testing.assert_array_equal(
        confusion_matrix(y, y_hat, labels=labels), sklearn_quiet(sk.confusion_matrix, y, y_hat, labels=labels)
    )


@PROPERTY
@given(label_pairs(), st.sampled_from([0.0, 0.5, 1.0, 2.0]), st.sampled_from([0.0, 1.0]))
def test_precision_recall_fscore_match_scikit_learn(pair, beta, zero_division):
    y, y_hat = pair
    for average in (None, "macro", "micro"):
        ours = precision_recall_fscore(y, y_hat, beta=beta, average=average, zero_division=zero_division)
        theirs = sklearn_quiet(
            sk.precision_recall_fscore_support,
            y,
            y_hat,
            beta=beta,
            average=average,
            zero_division=zero_division,
        )[:3]
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a, b)
    labels = [4, 1, 0]  # 4 may be absent from both: every ratio of it is 0/0
    ours = precision_recall_fscore(y, y_hat, labels=labels, zero_division=zero_division)
    theirs = sklearn_quiet(
        sk.precision_recall_fscore_support, y, y_hat, labels=labels, zero_division=zero_division
    )
    for a, b in zip(ours, theirs[:3]):
        np.testing.assert_allclose(a, b)


@PROPERTY
@given(label_pairs())
def test_class_counts_match_scikit_learns_per_class_matrices(pair):
    y, y_hat = pair
    counts = class_counts(y, y_hat)
    matrices = sk.multilabel_confusion_matrix(y, y_hat, labels=counts.labels)  # [[TN, FP], [FN, TP]]
    np.testing.assert_array_equal(counts.tn, matrices[:, 0, 0])
    np.testing.assert_array_equal(counts.fp, matrices[:, 0, 1])
    np.testing.assert_array_equal(counts.fn, matrices[:, 1, 0])
    np.testing.assert_array_equal(counts.tp, matrices[:, 1, 1])
    assert np.all(counts.tp + counts.fp + counts.fn + counts.tn == len(y))


@PROPERTY
@given(label_pairs(), st.sampled_from([0.5, 1.0, 2.0]))
def test_micro_scores_equal_accuracy_and_the_slides_macro_f_is_never_lower(pair, beta):
    y, y_hat = pair
    micro = precision_recall_fscore(y, y_hat, beta=beta, average="micro")
    for value in micro:
        assert value == pytest.approx(accuracy(y, y_hat))  # the slide: one sample's p and r are equal
    mean_of_f = precision_recall_fscore(y, y_hat, beta=beta, average="macro").fscore
    f_of_means = precision_recall_fscore(y, y_hat, beta=beta, average="macro", macro_f="f_of_means").fscore
    assert f_of_means >= mean_of_f - 1e-12  # F_β is concave in (p, r): Jensen


def test_zero_division_cases():
    y, y_hat = [0, 0, 1, 1], [0, 0, 0, 0]  # class 1 is never predicted
    p, r, f = precision_recall_fscore(y, y_hat)
    np.testing.assert_allclose(p, [0.5, 0.0])  # TP + FP = 0 -> zero_division
    np.testing.assert_allclose(r, [1.0, 0.0])
    np.testing.assert_allclose(f, [2 / 3, 0.0])
    p, r, f = precision_recall_fscore(y, y_hat, zero_division=1.0)
    np.testing.assert_allclose(p, [0.5, 1.0])
    np.testing.assert_allclose(f, [2 / 3, 0.0])  # p = 1, r = 0: F is 0 whatever zero_division
    p, r, f = precision_recall_fscore([0, 0], [0, 0], labels=[0, 1], zero_division=1.0)
    np.testing.assert_allclose([p[1], r[1], f[1]], [1.0, 1.0, 1.0])  # class 1 nowhere: all 0/0
    rows = confusion_matrix([0, 0], [0, 0], labels=[0, 1], normalize="true")
    np.testing.assert_allclose(rows, [[1, 0], [0, 0]])  # the empty row stays 0
    with pytest.raises(ValueError, match="zero_division must be a number in"):
        precision_recall_fscore(y, y_hat, zero_division="warn")


def test_inputs_scores_tensors_values_and_strings():
    scores = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    assert accuracy([1, 0, 0], scores) == pytest.approx(2 / 3)  # (N, C) scores: the argmax
    assert accuracy(Tensor([1.0, 0.0, 0.0]), Tensor(scores)) == pytest.approx(2 / 3)
    assert accuracy([1, 0, 1], [Value(1.0), Value(0.0), Value(0.0)]) == pytest.approx(2 / 3)
    y, y_hat = ["cat", "dog", "dog", "bird"], ["cat", "dog", "cat", "bird"]
    np.testing.assert_array_equal(confusion_matrix(y, y_hat), sk.confusion_matrix(y, y_hat))
    assert class_counts(y, y_hat).labels.tolist() == ["bird", "cat", "dog"]


def test_f_beta_with_infinite_beta_is_the_recall_as_in_scikit_learn():
    y, y_hat = SLIDE_Y[:9], SLIDE_Y_HAT
    for average in (None, "macro", "micro"):
        ours = precision_recall_fscore(y, y_hat, beta=np.inf, average=average)
        theirs = sk.precision_recall_fscore_support(y, y_hat, beta=np.inf, average=average)[:3]
        np.testing.assert_allclose(ours.fscore, theirs[2])
        np.testing.assert_allclose(ours.fscore, ours.recall)
    slide = precision_recall_fscore(y, y_hat, beta=np.inf, average="macro", macro_f="f_of_means")
    assert slide.fscore == pytest.approx(2 / 3)  # r_macro


def test_labels_mixing_strings_and_numbers_are_refused_as_scikit_learn_does():
    with pytest.raises(ValueError, match="Mix of label input types"):
        sk.accuracy_score(["a", "b"], [0, 1])  # the oracle refuses too
    for metric in (accuracy, error_rate, confusion_matrix, precision_recall_fscore, class_counts):
        mixed = "all numbers or all strings: y_true holds strings, y_pred holds numbers"
        with pytest.raises(ValueError, match=mixed):
            metric(["a", "b"], [0, 1])
    with pytest.raises(ValueError, match="y_true holds numbers, labels holds strings"):
        confusion_matrix([0, 1], [0, 1], labels=["a", "b"])
    with pytest.raises(ValueError, match="y_true holds strings, the default labels 0..C-1 holds numbers"):
        top_k_accuracy(["a", "b"], np.eye(2), k=1)
    assert top_k_accuracy(["a", "b"], np.eye(2), k=1, labels=["a", "b"]) == 1.0


def test_counting_metrics_refuse_bad_input():
    with pytest.raises(ValueError, match="empty"):
        accuracy([], [])
    with pytest.raises(ValueError, match="y_true must be a 1-D array"):
        accuracy([[0, 1]], [1])
    with pytest.raises(ValueError, match="average must be None, 'macro' or 'micro'"):
        precision_recall_fscore([0, 1], [0, 1], average="weighted")
    with pytest.raises(ValueError, match="macro_f must be"):
        precision_recall_fscore([0, 1], [0, 1], average="macro", macro_f="slide")
    with pytest.raises(ValueError, match="beta must be"):
        precision_recall_fscore([0, 1], [0, 1], beta=-1)
    with pytest.raises(ValueError, match="must not repeat"):
        confusion_matrix([0, 1], [0, 1], labels=[0, 0])
    with pytest.raises(ValueError, match="normalize must be"):
        confusion_matrix([0, 1], [0, 1], normalize="rows")


def test_scores_a_class_cannot_be_read_off_are_refused_not_argmaxed():
    y = np.array([0, 1, 1, 0])
    probabilities = np.array([[0.1], [0.9], [0.8], [0.2]])  # a sigmoid's column: argmax says 0 for all
    with pytest.raises(ValueError, match="mix of binary and continuous"):
        sk.accuracy_score(y, probabilities)  # scikit-learn refuses it too
    for metric in (accuracy, error_rate, confusion_matrix, precision_recall_fscore):
        with pytest.raises(ValueError, match=r"shape \(4, 1\), one score per sample.*Threshold it"):
            metric(y, probabilities)
        with pytest.raises(ValueError, match=r"holds NaN \(first in row 1\)"):  # a diverged net's scores
            metric(y, np.array([[0.2, 0.1], [np.nan, np.nan], [0.1, 0.9], [0.7, 0.3]]))
    # -inf (a masked logit) is a score like any other
    scores = np.array([[0.2, -np.inf], [0.5, -np.inf], [0.1, 0.9], [0.7, -np.inf]])  # row 1 wrong
    assert accuracy(y, scores) == sk.accuracy_score(y, scores.argmax(axis=1)) == 0.75


def test_confusion_matrix_refuses_labels_none_of_which_is_in_y_true_as_scikit_learn():
    y, y_pred = [0, 1, 1, 0], [0, 1, 2, 2]
    with pytest.raises(ValueError, match="At least one label specified must be in y_true"):
        sk.confusion_matrix(y, y_pred, labels=[2, 5])
    none_in_y = r"none of labels \[2, 5\] occurs in y_true \(its labels: \[0, 1\]\)"
    with pytest.raises(ValueError, match=none_in_y):
        confusion_matrix(y, y_pred, labels=[2, 5])
    # one of them in y_true is enough, as in scikit-learn
    np.testing.assert_array_equal(confusion_matrix(y, y_pred, labels=[1, 2]),
                                  sk.confusion_matrix(y, y_pred, labels=[1, 2]))


# -- top-k ------------------------------------------------------------------------------------


@PROPERTY
@given(st.data())
def test_top_k_accuracy_matches_scikit_learn_ties_included(data):
    n = data.draw(st.integers(1, 30))
    classes = data.draw(st.integers(3, 6))
    y = np.array(data.draw(st.lists(st.integers(0, classes - 1), min_size=n, max_size=n)))
    ties = data.draw(st.booleans())
    values = st.integers(0, 3) if ties else st.floats(-3, 3, allow_nan=False)
    rows = st.lists(values, min_size=classes, max_size=classes)
    scores = np.array(data.draw(st.lists(rows, min_size=n, max_size=n)), dtype=float)
    for k in range(1, classes):
        expected = sk.top_k_accuracy_score(y, scores, k=k, labels=np.arange(classes))
        assert top_k_accuracy(y, scores, k=k) == pytest.approx(expected)


def test_top_k_accuracy_by_hand_labels_and_errors():
    scores = np.array([[0.5, 0.3, 0.2], [0.1, 0.2, 0.7], [0.3, 0.4, 0.3]])
    y = [1, 2, 0]
    assert [top_k_accuracy(y, scores, k) for k in (1, 2, 3, 10)] == pytest.approx([1 / 3, 2 / 3, 1, 1])
    assert top_k_accuracy(["b", "c", "a"], scores, k=2, labels=["a", "b", "c"]) == pytest.approx(2 / 3)
    assert top_k_accuracy(y, scores, 1) == accuracy(y, scores)
    with pytest.raises(ValueError, match=r"y_true has 3 samples but y_score has 2"):
        top_k_accuracy(y, scores[:2])
    with pytest.raises(ValueError, match=r"labels \[7\] that are not among"):
        top_k_accuracy([7, 0, 0], scores)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        top_k_accuracy(y, scores, k=0)
    with pytest.raises(ValueError, match="2-D array of scores"):
        top_k_accuracy(y, scores[:, 0])
    with pytest.raises(ValueError, match="labels names 2 classes but y_score has 3"):
        top_k_accuracy(y, scores, labels=[0, 1])


# -- ROC and PR curves -------------------------------------------------------------------------


@PROPERTY
@given(binary_scores(), st.booleans())
def test_roc_curve_and_auc_match_scikit_learn(pair, drop_intermediate):
    y, score = pair
    ours = roc_curve(y, score, drop_intermediate=drop_intermediate)
    theirs = sk.roc_curve(y, score, drop_intermediate=drop_intermediate)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.shape, b.shape)
        np.testing.assert_allclose(a, b)
    fpr, tpr, thresholds = ours
    assert thresholds[0] == np.inf and (fpr[0], tpr[0]) == (0, 0) and (fpr[-1], tpr[-1]) == (1, 1)
    assert auc(fpr, tpr) == pytest.approx(sk.roc_auc_score(y, score))


@PROPERTY
@given(binary_scores(), st.booleans())
def test_precision_recall_curve_matches_scikit_learn(pair, drop_intermediate):
    y, score = pair
    ours = precision_recall_curve(y, score, drop_intermediate=drop_intermediate)
    theirs = sk.precision_recall_curve(y, score, drop_intermediate=drop_intermediate)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.shape, b.shape)
        np.testing.assert_allclose(a, b)
    precision, recall, thresholds = ours
    assert len(precision) == len(recall) == len(thresholds) + 1 and (precision[-1], recall[-1]) == (1, 0)


@PROPERTY
@given(binary_scores())
def test_curve_defaults_are_scikit_learns(pair):
    """roc_curve drops intermediate points by default, precision_recall_curve keeps them all."""
    y, score = pair
    for ours, theirs in (
        (roc_curve(y, score), sk.roc_curve(y, score)),
        (precision_recall_curve(y, score), sk.precision_recall_curve(y, score)),
    ):
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a.shape, b.shape)
            np.testing.assert_allclose(a, b)


def test_curve_defaults_on_ties_by_hand():
    # scores 0.9, 0.9 | 0.5, 0.5 | 0.1: five samples, three distinct thresholds
    y, score = [1, 0, 1, 1, 0], [0.9, 0.9, 0.5, 0.5, 0.1]
    fpr, tpr, thresholds = roc_curve(y, score)
    np.testing.assert_allclose(thresholds, [np.inf, 0.9, 0.5, 0.1])
    np.testing.assert_allclose(fpr, [0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1, 1])
    precision, recall, thresholds = precision_recall_curve(y, score)
    np.testing.assert_allclose(thresholds, [0.1, 0.5, 0.9])
    np.testing.assert_allclose(precision, [3 / 5, 3 / 4, 1 / 2, 1])
    np.testing.assert_allclose(recall, [1, 1, 1 / 3, 0])
    # points (0,1/3), (0,2/3), (0,1), (1/2,1), (1,1): the middle of each straight run is dropped
    fpr, tpr, _ = roc_curve([1, 1, 1, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.5])
    np.testing.assert_allclose(fpr, [0, 0, 0, 1])
    np.testing.assert_allclose(tpr, [0, 1 / 3, 1, 1])
    assert len(roc_curve([1, 1, 1, 0, 0], [0.9, 0.8, 0.7, 0.6, 0.5], drop_intermediate=False)[0]) == 6


@PROPERTY
@given(st.lists(st.floats(-10, 10, allow_nan=False), min_size=2, max_size=30), st.booleans(), st.data())
def test_auc_matches_scikit_learn_on_monotonic_curves(xs, decreasing, data):
    x = np.sort(xs)[::-1] if decreasing else np.sort(xs)
    y = np.array(data.draw(st.lists(st.floats(-5, 5, allow_nan=False), min_size=len(x), max_size=len(x))))
    assert auc(x, y) == pytest.approx(sk.auc(x, y), abs=1e-9)


def test_curves_by_hand_and_with_other_labels():
    y, score = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]
    fpr, tpr, thresholds = roc_curve(y, score)
    np.testing.assert_allclose(fpr, [0, 0, 0.5, 0.5, 1])
    np.testing.assert_allclose(tpr, [0, 0.5, 0.5, 1, 1])
    np.testing.assert_allclose(thresholds, [np.inf, 0.8, 0.4, 0.35, 0.1])
    assert auc(fpr, tpr) == pytest.approx(0.75)
    precision, recall, thresholds = precision_recall_curve(y, score)
    np.testing.assert_allclose(precision, [0.5, 2 / 3, 0.5, 1, 1])
    np.testing.assert_allclose(recall, [1, 1, 0.5, 0.5, 0])
    np.testing.assert_allclose(thresholds, [0.1, 0.35, 0.4, 0.8])
    signed = roc_curve([-1, -1, 1, 1], score)  # {-1, 1}: 1 is positive
    np.testing.assert_allclose(signed[1], tpr)
    named = roc_curve(["ham", "ham", "spam", "spam"], score, pos_label="spam")
    np.testing.assert_allclose(named[0], fpr)
    flipped = roc_curve(y, score, pos_label=0)  # the other class as positive
    np.testing.assert_allclose(flipped[1], sk.roc_curve(y, score, pos_label=0)[1])


def test_curves_refuse_what_has_no_answer():
    with pytest.raises(ValueError, match="no negative sample"):
        roc_curve([1, 1, 1], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="no positive sample"):
        roc_curve([0, 0], [0.2, 0.5])
    with pytest.raises(ValueError, match="needs positive samples"):
        precision_recall_curve([0, 0], [0.2, 0.5])
    with pytest.raises(ValueError, match="say which one is positive with pos_label"):
        roc_curve([1, 2, 2], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match="binary labels"):
        roc_curve([0, 1, 2], [0.2, 0.5, 0.9])
    with pytest.raises(ValueError, match=r"y_true has 3 samples but y_score has 2"):
        precision_recall_curve([0, 1, 1], [0.2, 0.5])
    with pytest.raises(ValueError, match="one score per sample"):
        roc_curve([0, 1], [[0.2, 0.8], [0.5, 0.5]])
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match=rf"y_score must be finite, it holds {bad} at index 1"):
            roc_curve([0, 1], [0.5, bad])
        with pytest.raises(ValueError, match="y_score must be finite"):
            precision_recall_curve([0, 1], [0.5, bad])
        with pytest.raises(ValueError, match="y_score must be finite"):
            top_k_accuracy([0, 1], [[0.5, bad], [0.1, 0.2]], k=1)
    with pytest.raises(ValueError, match="increasing or decreasing"):
        auc([0, 1, 0.5], [1, 1, 1])
    with pytest.raises(ValueError, match="at least 2 points"):
        auc([0], [1])
    with pytest.raises(ValueError, match="auc needs finite points, x holds nan at index 1"):
        auc([0, np.nan, 1], [0, 1, 1])  # not "goes both ways"
    with pytest.raises(ValueError, match="auc needs finite points, y holds inf at index 0"):
        auc([0, 1], [np.inf, 1])
    for curve in (roc_curve, precision_recall_curve):  # not "no negative sample"
        with pytest.raises(ValueError, match="y_true and y_score are empty"):
            curve([], [])
    with pytest.raises(ValueError, match=r"x has 3 points but y has 2"):
        auc([0, 1, 2], [1, 1])
