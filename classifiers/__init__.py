"""Tag posts as complaint, praise, inquiry or other with a calibrated confidence.

Knows nothing of the database or the web; `monitor` uses only the names below.
"""

from classifiers.model import build_pipeline
from classifiers.persist import TRUSTED_TYPES, ModelError, card_path, load_model, save_model
from classifiers.tagger import Prediction, Tagger
from classifiers.text import TextNormalizer, detect_language, normalize_text
from classifiers.train import load_labeled, train_model
from classifiers.units import UNIT_THRESHOLD, train_unit_model
from classifiers import registry  # noqa: E402  (model versions and the current pointer)
from classifiers.promotion import TOLERANCE, retrain

__all__ = [
    "TOLERANCE",
    "TRUSTED_TYPES",
    "UNIT_THRESHOLD",
    "ModelError",
    "Prediction",
    "Tagger",
    "TextNormalizer",
    "build_pipeline",
    "card_path",
    "detect_language",
    "load_labeled",
    "load_model",
    "normalize_text",
    "registry",
    "retrain",
    "save_model",
    "train_model",
    "train_unit_model",
]
