"""Measure `build_pipeline()` and the shipped tagger on public, real data sets.

Two kinds of protocol, both reproducible from a clean checkout with ``monitor evaluate``:

- Cross-validation of `build_pipeline()` on one public set alone (folds stratified,
  shuffled with a fixed seed): complaints, AJGT, ArSAS, ASTD, tweet acts.
- Zero-shot: the shipped model, fitted only on ``data/labeled/``, scored on every labelled
  set none of whose rows it was trained on, through each set's ``label_mapped``.

`run_evaluation` returns plain data (`Report`); `render_markdown` turns it into
``docs/classifier.md``, replacing only the part between `BEGIN` and `END` so that the
hand-written text around the figures is kept.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from classifiers.model import build_pipeline
from classifiers.train import data_sha256, load_labeled

TAGS = ("complaint", "praise", "inquiry", "other")
LANGUAGES = ("ar", "en")
# What each `label_mapped` value of ../shared/datasets allows the tagger to say.
MAPPED_TAGS: dict[str, frozenset[str]] = {
    "COMPLAINT": frozenset({"complaint"}),
    "PRAISE": frozenset({"praise"}),
    "INQUIRY": frozenset({"inquiry"}),
    "OTHER": frozenset({"other"}),
    "NOT_COMPLAINT": frozenset({"praise", "inquiry", "other"}),
    "NOT_INQUIRY": frozenset({"complaint", "praise", "other"}),
    "OTHER_OR_INQUIRY": frozenset({"inquiry", "other"}),
}
RANDOM_DOMAINS = ("random_tweet", "random_reply")
SEED = 0
QUICK_ROWS = 80  # per class (or domain) in a quick run
THRESHOLD_GRID = tuple(round(0.30 + 0.05 * i, 2) for i in range(14))  # 0.30 .. 0.95
TARGET_PRECISION = 0.80
LABELED_FOLDS = 5  # as the training card's cross-validation
BEGIN = "<!-- monitor evaluate: begin generated figures -->"
END = "<!-- monitor evaluate: end generated figures -->"

Progress = Callable[[str], None]


@dataclass
class Settings:
    """How big an evaluation run is; `quick` is for tests (small samples, 3 folds)."""

    datasets: Path
    labeled: Path
    quick: bool = False
    n_jobs: int = 2
    only: tuple[str, ...] = ()

    def folds(self, wanted: int) -> int:
        return 3 if self.quick else wanted

    def sample(self, frame: pd.DataFrame, by: str) -> pd.DataFrame:
        """In quick mode keep at most `QUICK_ROWS` rows per value of column `by`."""
        if not self.quick:
            return frame
        shuffled = frame.sample(frac=1.0, random_state=SEED)
        return shuffled[shuffled.groupby(by).cumcount() < QUICK_ROWS].sort_index()


@dataclass
class Result:
    """One protocol's figures: headline metrics, confusion matrices and how to rerun it."""

    name: str
    title: str
    protocol: str
    metrics: dict[str, float]
    matrices: dict[str, pd.DataFrame] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class Report:
    """Everything `monitor evaluate` measured, in protocol order."""

    results: list[Result]
    command: str
    quick: bool
    seconds: float = 0.0


# --- data --------------------------------------------------------------------------------


def load_dataset(datasets: Path, name: str) -> pd.DataFrame:
    """Read ``<datasets>/<name>/<name>.csv`` as strings; raise FileNotFoundError if absent."""
    path = Path(datasets) / name / f"{name}.csv"
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def without_duplicates(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop 2nd+ copies of a text (the sets flag them), so no text is in two folds."""
    if "is_duplicate_text" in frame.columns:
        frame = frame[frame["is_duplicate_text"] != "True"]
    return frame.drop_duplicates("text")


def trained_sets(labeled: pd.DataFrame) -> set[str]:
    """Names of the public sets whose rows are in the training corpus (`mapped:<set>`)."""
    sources = labeled.get("source", pd.Series(dtype=str)).astype(str)
    return {source.split(":", 1)[1] for source in sources if source.startswith("mapped:")}


# --- cross-validation ---------------------------------------------------------------------


def cross_val_labels(texts: Sequence[str], labels: Sequence[str], folds: int, n_jobs: int = 1) -> np.ndarray:
    """Out-of-fold predictions of `build_pipeline()` with stratified, seeded folds."""
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    return cross_val_predict(build_pipeline(), list(texts), np.asarray(labels), cv=splitter, n_jobs=n_jobs)


def confusion(truth: Sequence[str], predicted: Sequence[str], rows: Sequence[str] | None = None,
              columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Counts of (truth, predicted) pairs; rows are truths, columns predictions."""
    table = pd.crosstab(pd.Series(list(truth), name="truth"), pd.Series(list(predicted), name="predicted"))
    rows = list(rows) if rows is not None else sorted(set(truth))
    columns = list(columns) if columns is not None else sorted(set(truth) | set(predicted))
    return table.reindex(index=rows, columns=columns, fill_value=0)


def _cv_result(name: str, title: str, protocol: str, truth: np.ndarray, predicted: np.ndarray,
               positive: str | None = None) -> Result:
    metrics = {
        "rows": float(len(truth)),
        "macro_f1": f1_score(truth, predicted, average="macro"),
        "accuracy": accuracy_score(truth, predicted),
    }
    if positive is not None:
        metrics[f"f1_{positive}"] = f1_score(truth, predicted, pos_label=positive, average="binary")
    return Result(name, title, protocol, metrics, {"all rows": confusion(truth, predicted)})


def evaluate_complaints(settings: Settings) -> Result:
    """10-fold CV, complaint vs not, with and without the random-tweet rows."""
    name = "complaints_preotiuc2019_en"
    frame = settings.sample(load_dataset(settings.datasets, name), "domain")
    truth = np.where(frame["label_mapped"] == "COMPLAINT", "complaint", "not_complaint")
    folds = settings.folds(10)
    result = _cv_result(name, "English complaints (Preoţiuc-Pietro et al., ACL 2019)",
                        f"{folds}-fold stratified CV of build_pipeline(), complaint vs not, all rows "
                        "(as published)", truth, cross_val_labels(frame["text"], truth, folds, settings.n_jobs),
                        positive="complaint")
    kept = ~frame["domain"].isin(RANDOM_DOMAINS).to_numpy()
    predicted = cross_val_labels(frame["text"][kept], truth[kept], folds, settings.n_jobs)
    result.metrics["rows_without_random"] = float(kept.sum())
    result.metrics["macro_f1_without_random"] = f1_score(truth[kept], predicted, average="macro")
    result.metrics["f1_complaint_without_random"] = f1_score(
        truth[kept], predicted, pos_label="complaint", average="binary")
    result.matrices["without random_tweet/random_reply rows (separate CV)"] = confusion(truth[kept], predicted)
    result.notes.append(f"Without-random: the same protocol re-run on the {kept.sum()} rows whose domain is "
                        "not random_tweet or random_reply (models fitted without those rows too).")
    return result


def evaluate_ajgt(settings: Settings) -> Result:
    """10-fold CV accuracy, positive vs negative (Jordanian/MSA tweets)."""
    name = "ajgt_ar"
    frame = settings.sample(load_dataset(settings.datasets, name), "label_original")
    truth = frame["label_original"].to_numpy()
    folds = settings.folds(10)
    return _cv_result(name, "Arabic Jordanian General Tweets (Alomari et al. 2017)",
                      f"{folds}-fold stratified CV of build_pipeline(), Positive vs Negative, all rows",
                      truth, cross_val_labels(frame["text"], truth, folds, settings.n_jobs))


def evaluate_arsas(settings: Settings) -> Result:
    """5-fold CV, Positive / Negative / Neutral (Mixed dropped), duplicate texts dropped."""
    name = "arsas_sentiment_ar"
    frame = without_duplicates(load_dataset(settings.datasets, name))
    frame = settings.sample(frame[frame["label_original"] != "Mixed"], "label_original")
    truth = frame["label_original"].to_numpy()
    folds = settings.folds(5)
    return _cv_result(name, "ArSAS sentiment (Elmadany et al., LREC 2018)",
                      f"{folds}-fold stratified CV of build_pipeline(), Positive/Negative/Neutral "
                      "(Mixed and repeated texts dropped)",
                      truth, cross_val_labels(frame["text"], truth, folds, settings.n_jobs))


def evaluate_astd(settings: Settings) -> Result:
    """5-fold CV on the four classes of the file (OBJ, POS, NEG, NEUTRAL)."""
    name = "astd_ar"
    frame = settings.sample(without_duplicates(load_dataset(settings.datasets, name)), "label_original")
    truth = frame["label_original"].to_numpy()
    folds = settings.folds(5)
    return _cv_result(name, "ASTD (Nabil et al., EMNLP 2015)",
                      f"{folds}-fold stratified CV of build_pipeline(), 4 classes OBJ/POS/NEG/NEUTRAL "
                      "(repeated texts dropped)",
                      truth, cross_val_labels(frame["text"], truth, folds, settings.n_jobs))


def evaluate_tweet_acts(settings: Settings) -> Result:
    """10-fold CV, question (QUE) vs every other speech act: the inquiry proxy."""
    name = "tweet_acts_tac_en"
    frame = settings.sample(without_duplicates(load_dataset(settings.datasets, name)), "label_mapped")
    truth = np.where(frame["label_original"] == "QUE", "question", "rest")
    folds = settings.folds(10)
    return _cv_result(name, "English tweet acts (Saha et al., IJCNN 2019)",
                      f"{folds}-fold stratified CV of build_pipeline(), question (QUE) vs rest "
                      "(repeated texts dropped)",
                      truth, cross_val_labels(frame["text"], truth, folds, settings.n_jobs), positive="question")


CV_PROTOCOLS: dict[str, Callable[[Settings], Result]] = {
    "complaints_preotiuc2019_en": evaluate_complaints,
    "ajgt_ar": evaluate_ajgt,
    "arsas_sentiment_ar": evaluate_arsas,
    "astd_ar": evaluate_astd,
    "tweet_acts_tac_en": evaluate_tweet_acts,
}
ZERO_SHOT = "zero-shot"
PROTOCOLS = (*CV_PROTOCOLS, ZERO_SHOT)


# --- zero-shot ----------------------------------------------------------------------------


def mapped_scores(mapped: Sequence[str], predicted: Sequence[str]) -> pd.DataFrame:
    """Precision and recall of each `label_mapped` value scored as the tags it allows.

    Recall of a value V: share of V rows predicted as one of V's tags. Precision: share of
    rows predicted as one of V's tags that are V rows; given only when no other value of
    the set allows any of those tags (else "the rest" cannot be told apart).
    """
    mapped, predicted = np.asarray(mapped), np.asarray(predicted)
    values = [value for value in MAPPED_TAGS if value in set(mapped)]
    rows = []
    for value in values:
        tags = MAPPED_TAGS[value]
        hit = np.isin(predicted, list(tags))
        truth = mapped == value
        exclusive = all(not (MAPPED_TAGS[other] & tags) for other in values if other != value)
        rows.append({
            "mapped": value,
            "tags": "/".join(sorted(tags)),
            "rows": int(truth.sum()),
            "predicted": int(hit.sum()) if exclusive else np.nan,
            "precision": (truth & hit).sum() / hit.sum() if exclusive and hit.any() else np.nan,
            "recall": (truth & hit).sum() / truth.sum(),
        })
    return pd.DataFrame(rows)


def correct(mapped: Sequence[str], predicted: Sequence[str]) -> np.ndarray:
    """True where the predicted tag is one the row's `label_mapped` allows."""
    return np.array([tag in MAPPED_TAGS[value] for value, tag in zip(mapped, predicted)])


def zero_shot_sets(datasets: Path, exclude: set[str]) -> list[str]:
    """Labelled sets (some `label_mapped` value we can score) not in `exclude`, sorted."""
    names = []
    for folder in sorted(Path(datasets).iterdir()):
        csv = folder / f"{folder.name}.csv"
        if folder.name in exclude or not csv.exists():
            continue
        values = set(pd.read_csv(csv, usecols=["label_mapped"], dtype=str)["label_mapped"])
        if values & set(MAPPED_TAGS):
            names.append(folder.name)
    return names


def fit_shipped(settings: Settings, progress: Progress) -> tuple[Any, pd.DataFrame]:
    """Fit `build_pipeline()` on ``data/labeled/``, as `monitor train` does."""
    labeled = load_labeled(settings.labeled)
    if settings.quick:
        labeled = settings.sample(labeled, "label")
    progress(f"fitting the shipped model on {len(labeled)} rows of {settings.labeled}")
    return build_pipeline().fit(labeled["text"].tolist(), labeled["label"].tolist()), labeled


def evaluate_zero_shot(settings: Settings, pipeline: Any, labeled: pd.DataFrame,
                       progress: Progress) -> list[Result]:
    """Score the shipped model on every real set it was not trained on."""
    scored, results = [], []
    # Sets with any row in data/labeled/, also those a quick run's sample happened to leave out.
    excluded = trained_sets(load_labeled(settings.labeled))
    for name in zero_shot_sets(settings.datasets, excluded):
        started = time.perf_counter()
        frame = load_dataset(settings.datasets, name)
        frame = settings.sample(frame[frame["label_mapped"].isin(MAPPED_TAGS)], "label_mapped")
        progress(f"zero-shot: {name} ({len(frame)} rows)")
        proba = pipeline.predict_proba(frame["text"].tolist())
        frame = frame.assign(predicted=pipeline.classes_[proba.argmax(axis=1)], confidence=proba.max(axis=1))
        frame = frame.assign(correct=correct(frame["label_mapped"], frame["predicted"]), set=name)
        scored.append(frame)
        results.append(_zero_shot_result(name, frame, time.perf_counter() - started))
    if scored:
        progress(f"needs_review threshold: {LABELED_FOLDS}-fold CV on data/labeled/")
        pooled = pd.concat(scored, ignore_index=True)
        results.append(_pooled_result(pooled, labeled_cv_confidences(labeled, settings)))
    return results


def _zero_shot_result(name: str, frame: pd.DataFrame, seconds: float) -> Result:
    values = [value for value in MAPPED_TAGS if value in set(frame["label_mapped"])]
    matrix = confusion(frame["label_mapped"], frame["predicted"], rows=values, columns=TAGS)
    lang = "/".join(sorted(set(frame["lang"])))
    metrics = {"rows": float(len(frame)), "accuracy_allowed": float(frame["correct"].mean())}
    result = Result(f"zero-shot: {name}", f"{name} ({lang})",
                    "shipped model (fitted on data/labeled/ only) on every labelled row, through label_mapped",
                    metrics, {f"label_mapped x predicted tag ({lang})": matrix},
                    {"precision and recall per mapped tag": mapped_scores(frame["label_mapped"], frame["predicted"])},
                    seconds=seconds)
    if name == "arsarcasm_ar" or "dialect" in frame.columns:
        gulf = frame[frame.get("dialect", pd.Series(dtype=str)) == "gulf"]
        if len(gulf):
            result.tables["Gulf-dialect rows only"] = mapped_scores(gulf["label_mapped"], gulf["predicted"])
    return result


def _pooled_result(pooled: pd.DataFrame, labeled_cv: pd.DataFrame) -> Result:
    """Per-language tables over all zero-shot sets, and the needs_review threshold."""
    tables, matrices = {}, {}
    for lang, group in pooled[pooled["lang"].isin(LANGUAGES)].groupby("lang"):
        tables[f"{lang}: precision and recall per mapped tag, all zero-shot sets pooled"] = mapped_scores(
            group["label_mapped"], group["predicted"])
        values = [value for value in MAPPED_TAGS if value in set(group["label_mapped"])]
        matrices[f"{lang}: label_mapped x predicted tag"] = confusion(
            group["label_mapped"], group["predicted"], rows=values, columns=TAGS)
    real, corpus = threshold_curve(pooled), threshold_curve(labeled_cv)
    threshold = choose_threshold(corpus)
    curve = corpus.merge(real, on="threshold", suffixes=("_labeled_cv", "_zero_shot"))
    tables["needs_review threshold: precision and coverage of predictions at confidence >= threshold"] = curve
    at = curve.set_index("threshold").loc[threshold]
    metrics = {
        "rows": float(len(pooled)),
        "review_threshold": threshold,
        "review_precision_labeled_cv": float(at["precision_labeled_cv"]),
        "review_coverage_labeled_cv": float(at["coverage_labeled_cv"]),
        "review_precision_zero_shot": float(at["precision_zero_shot"]),
        "review_coverage_zero_shot": float(at["coverage_zero_shot"]),
        "zero_shot_threshold_for_target": choose_threshold(real),
    }
    notes = [
        "Zero-shot precision counts a prediction as right when it is a tag the row's label_mapped allows "
        "(e.g. inquiry or other for OTHER_OR_INQUIRY); each set weighs equally (mean over sets).",
        f"Threshold rule: the lowest confidence on the grid at which the out-of-fold predictions of "
        f"{LABELED_FOLDS}-fold CV on data/labeled/ (the tags as the product defines them) reach precision "
        f"{TARGET_PRECISION:.2f}; posts below it are flagged for review. zero_shot_threshold_for_target is "
        "the same rule on the proxy-labelled real sets, for comparison.",
    ]
    return Result("zero-shot: pooled", "All zero-shot sets, per language; the needs_review threshold",
                  "pooled zero-shot predictions", metrics, matrices, tables, notes)


def labeled_cv_confidences(labeled: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Out-of-fold confidence and correctness of `build_pipeline()` on data/labeled/."""
    splitter = StratifiedKFold(n_splits=settings.folds(LABELED_FOLDS), shuffle=True, random_state=SEED)
    labels = labeled["label"].to_numpy()
    proba = cross_val_predict(build_pipeline(), labeled["text"].tolist(), labels, cv=splitter,
                              method="predict_proba", n_jobs=settings.n_jobs)
    classes = np.unique(labels)
    return pd.DataFrame({"set": "data/labeled", "confidence": proba.max(axis=1),
                         "correct": classes[proba.argmax(axis=1)] == labels})


def threshold_curve(pooled: pd.DataFrame) -> pd.DataFrame:
    """For each grid confidence: mean over sets of precision and coverage above it."""
    rows = []
    for threshold in THRESHOLD_GRID:
        per_set = []
        for _, group in pooled.groupby("set"):
            above = group["confidence"] >= threshold
            precision = group.loc[above, "correct"].mean() if above.any() else np.nan
            per_set.append((precision, above.mean()))
        precisions = [p for p, _ in per_set if not np.isnan(p)]
        rows.append({
            "threshold": threshold,
            "precision": float(np.mean(precisions)) if precisions else np.nan,
            "coverage": float(np.mean([c for _, c in per_set])),
        })
    return pd.DataFrame(rows)


def choose_threshold(curve: pd.DataFrame, target: float = TARGET_PRECISION) -> float:
    """The lowest grid threshold whose precision reaches `target` (else the most precise)."""
    reached = curve[curve["precision"] >= target]
    if len(reached):
        return float(reached["threshold"].min())
    return float(curve.loc[curve["precision"].idxmax(), "threshold"])


# --- the run ------------------------------------------------------------------------------


def run_evaluation(settings: Settings, command: str, progress: Progress | None = None) -> Report:
    """Run every protocol (or those in ``settings.only``) and return the figures."""
    report = progress or (lambda message: None)
    started = time.perf_counter()
    results = []
    for name, protocol in CV_PROTOCOLS.items():
        if settings.only and name not in settings.only:
            continue
        report(f"cross-validation: {name}")
        begun = time.perf_counter()
        result = protocol(settings)
        result.seconds = time.perf_counter() - begun
        results.append(result)
    if not settings.only or ZERO_SHOT in settings.only:
        pipeline, labeled = fit_shipped(settings, report)
        results.extend(evaluate_zero_shot(settings, pipeline, labeled, report))
        results.insert(0, _corpus_result(labeled, settings))
    return Report(results, command, settings.quick, time.perf_counter() - started)


def _corpus_result(labeled: pd.DataFrame, settings: Settings) -> Result:
    counts = pd.crosstab(labeled["source"].replace("", "(none)"), labeled["label"], margins=True)
    excluded = sorted(trained_sets(labeled))
    notes = [f"Sets mapped into training, hence left out of the zero-shot evaluation: "
             f"{', '.join(excluded) or 'none'}."]
    metrics = {"rows": float(len(labeled))}
    result = Result("shipped model", "The shipped model's training corpus", "the training corpus, data/labeled/",
                    metrics, tables={"rows by source and label": counts.reset_index()}, notes=notes)
    result.notes.append(f"Training-data hash (as in the model card): `{data_sha256(labeled['text'], labeled['label'])}`.")
    return result


# --- markdown -----------------------------------------------------------------------------


def render_markdown(report: Report) -> str:
    """The generated part of docs/classifier.md (between `BEGIN` and `END`)."""
    lines = [BEGIN, "", f"Generated by `{report.command}` in {report.seconds:.0f} s."]
    if report.quick:
        lines.append("**Quick run (small samples, 3 folds): these figures are not the published ones.**")
    lines += ["", "### Summary", "", "| protocol | figure | value | rerun |", "|---|---|---|---|"]
    for result in report.results:
        for key, value in result.metrics.items():
            if key.startswith("rows"):
                continue
            lines.append(f"| {result.name} | {key} | {value:.4f} | `{_rerun(report, result)}` |")
    for result in report.results:
        lines += _section(result, report)
    lines += ["", END]
    return "\n".join(lines) + "\n"


def _rerun(report: Report, result: Result) -> str:
    name = "zero-shot" if result.name.startswith(("zero-shot", "shipped")) else result.name
    quick = " --quick" if report.quick else ""
    return f"monitor evaluate --only {name}{quick} --out /tmp/{name}.md"


def _section(result: Result, report: Report) -> list[str]:
    lines = ["", f"### {result.name}: {result.title}", "", f"Protocol: {result.protocol}.",
             f"Command: `{_rerun(report, result)}` (or `{report.command}` for all).", ""]
    lines += [f"- {key}: {_number(value)}" for key, value in result.metrics.items()]
    if result.seconds:
        lines.append(f"- time: {result.seconds:.0f} s")
    lines += [f"- {note}" for note in result.notes]
    for title, matrix in result.matrices.items():
        lines += ["", f"Confusion matrix, {title} (rows: truth, columns: predicted):", "",
                  _table(matrix.reset_index())]
    for title, table in result.tables.items():
        lines += ["", f"{title}:", "", _table(table)]
    return lines


def _number(value: float) -> str:
    return f"{int(value)}" if float(value).is_integer() and value > 1 else f"{value:.4f}"


def _table(frame: pd.DataFrame) -> str:
    columns = [str(column) for column in frame.columns]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for values in frame.itertuples(index=False):
        lines.append("| " + " | ".join(_cell(value) for value in values) + " |")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    if isinstance(value, float | np.floating):
        if np.isnan(value):
            return "–"
        return f"{value:.3f}" if not float(value).is_integer() or value < 1 else str(int(value))
    return str(value)


def write_markdown(report: Report, path: Path) -> None:
    """Write the figures into `path`, keeping any text outside the generated block."""
    path = Path(path)
    block = render_markdown(report)
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    if BEGIN in old and END in old:
        head, rest = old.split(BEGIN, 1)
        text = head + block.rstrip("\n") + rest.split(END, 1)[1]
    else:
        text = (old.rstrip("\n") + "\n\n" if old else "# Classifier evaluation\n\n") + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
