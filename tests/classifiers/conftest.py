"""A small hand-written corpus (Gulf Arabic, MSA, English) and a pipeline fitted on it."""

from __future__ import annotations

import pytest
from sklearn.pipeline import Pipeline

from classifiers import build_pipeline

CORPUS: dict[str, list[str]] = {
    "complaint": [
        "الشارع مكسر وفيه حفر من شهر وما أحد عدل شي",
        "المجاري طافحة عند بيتنا والريحة ما تنطاق",
        "الطريق غرق بالمطر ولا في تصريف",
        "الإشارة خربانة من أسبوع والزحمة قاتلة",
        "the road outside the school is full of potholes",
        "sewage overflow on our street again, nobody came",
        "streetlights broken for weeks, it's dangerous at night",
        "terrible work on the new bridge, cracks everywhere 😡",
        "وين المقاول؟ الشغل واقف والشارع مسكر 😡",
        "flooded underpass again, cars stuck, disgraceful",
    ],
    "praise": [
        "شكرا لوزارة الأشغال على سرعة الإنجاز 👏",
        "الله يعطيكم العافية على الجسر الجديد",
        "شغل ممتاز في الشارع، تسلم الأيادي ❤️",
        "كل الشكر للفريق على تصليح الطريق بسرعة",
        "thank you ministry, the new road is excellent 👏",
        "great job fixing the drainage so quickly",
        "the new bridge looks amazing, well done ❤️",
        "thanks for the quick response to my report",
        "يعطيكم العافية الطريق صار ممتاز",
        "excellent work by the road team, thank you",
    ],
    "inquiry": [
        "متى يخلص مشروع الشارع؟",
        "كيف أقدم على رخصة بناء؟",
        "هل الطريق مغلق اليوم؟",
        "وين أقدر أبلغ عن حفرة في الشارع؟",
        "when will the bridge reopen?",
        "how do I apply for a building permit?",
        "is the highway closed tonight?",
        "where can I report a broken streetlight?",
        "شنو ساعات الدوام في الوزارة؟",
        "what are the ministry's working hours?",
    ],
    "other": [
        "صباح الخير يا جماعة",
        "مبروك للفريق الفوز بالمباراة",
        "خبر: الوزارة تعلن خطة جديدة للعام القادم",
        "تابعونا لأقوى العروض والخصومات",
        "good morning everyone",
        "watching the football match tonight",
        "follow us for cheap deals and offers",
        "the ministry announced its annual plan today",
        "happy national day to all",
        "جمعة مباركة على الجميع",
    ],
}

TEXTS = [text for texts in CORPUS.values() for text in texts]
LABELS = [label for label, texts in CORPUS.items() for _ in texts]


@pytest.fixture(scope="session")
def fitted_pipeline() -> Pipeline:
    """The shipped pipeline fitted on the 40-post corpus; tests must not refit it."""
    return build_pipeline().fit(TEXTS, LABELS)
