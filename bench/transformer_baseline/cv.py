"""Q3/Q4: 10-fold CV on complaints, same folds as classifiers/evaluate.py.

Usage: python cv.py EMB_NPY TAG   (EMB_NPY rows aligned with the CSV rows)
Methods per fold set (all rows; without random_tweet/random_reply):
  project  : build_pipeline() as shipped (fixed C=0.3)
  emb_lr   : StandardScaler + LogisticRegression(balanced) on embeddings, C by inner 5-fold CV
  tfidf_c  : project normalize+features + CalibratedLinearSVC, C by inner CV (w=0 forced)
  concat   : project normalize+features (+) w*StandardScaler(emb)/sqrt(d), CalibratedLinearSVC;
             C and w by inner 5-fold CV on the training folds only (plain LinearSVC in the inner loop)
"""
import os
import sys, json, time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"
OUT = Path(os.environ.get("BASELINE_OUT", "/tmp/transformer_baseline"))
OUT.mkdir(parents=True, exist_ok=True)

sys.path.insert(0, str(REPO))
import numpy as np, scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from classifiers.evaluate import load_dataset, RANDOM_DOMAINS, SEED
from classifiers.model import build_pipeline, CalibratedLinearSVC

emb_path, tag = sys.argv[1], sys.argv[2]
methods = sys.argv[3].split(",") if len(sys.argv) > 3 else ["project", "emb_lr", "tfidf_c", "concat"]
frame = load_dataset(DATASETS, "complaints_preotiuc2019_en")
truth = np.where(frame["label_mapped"] == "COMPLAINT", "complaint", "not_complaint")
texts = np.asarray(frame["text"].tolist(), dtype=object)
E = np.load(emb_path).astype(np.float64)
assert len(E) == len(texts)
C_GRID_LR = np.logspace(-3, 2, 11)
C_GRID_SVM = (0.1, 0.3, 1.0)
W_GRID = (0.0, 0.5, 1.0, 2.0)

def tfidf(tr, te):
    pipe = build_pipeline()
    feats = make_pipeline(clone(pipe.named_steps["normalize"]), clone(pipe.named_steps["features"]))
    return feats.fit_transform(list(tr)).tocsr(), feats.transform(list(te)).tocsr()

def scaled(Etr, Ete):
    s = StandardScaler().fit(Etr); d = np.sqrt(Etr.shape[1])
    return s.transform(Etr) / d, s.transform(Ete) / d

def stack(X, Z, w):
    return X if w == 0 else sp.hstack([X, sp.csr_matrix(w * Z)]).tocsr()

def one_fold(tx, y, Em, tr, te):
    out, info = {}, {}
    if "project" in methods:
        out["project"] = build_pipeline().fit(list(tx[tr]), y[tr]).predict(list(tx[te]))
    if "emb_lr" in methods:
        gs = GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=2000)),
                          {"logisticregression__C": C_GRID_LR}, scoring="f1_macro",
                          cv=StratifiedKFold(5, shuffle=True, random_state=SEED)).fit(Em[tr], y[tr])
        out["emb_lr"] = gs.predict(Em[te]); info["emb_lr_C"] = gs.best_params_["logisticregression__C"]
    if "tfidf_c" in methods or "concat" in methods:
        inner = StratifiedKFold(5, shuffle=True, random_state=SEED)
        scores = {}
        for itr, iva in inner.split(tx[tr], y[tr]):
            a, b = tr[itr], tr[iva]
            Xa, Xb = tfidf(tx[a], tx[b]); Za, Zb = scaled(Em[a], Em[b])
            for w in W_GRID:
                A, B = stack(Xa, Za, w), stack(Xb, Zb, w)
                for C in C_GRID_SVM:
                    p = LinearSVC(C=C, class_weight="balanced", random_state=0).fit(A, y[a]).predict(B)
                    scores.setdefault((w, C), []).append(f1_score(y[b], p, average="macro"))
        mean = {k: np.mean(v) for k, v in scores.items()}
        Xtr, Xte = tfidf(tx[tr], tx[te]); Ztr, Zte = scaled(Em[tr], Em[te])
        for name, keys in (("tfidf_c", [k for k in mean if k[0] == 0]), ("concat", list(mean))):
            if name not in methods: continue
            w, C = max(keys, key=lambda k: mean[k])
            out[name] = CalibratedLinearSVC(C=C).fit(stack(Xtr, Ztr, w), y[tr]).predict(stack(Xte, Zte, w))
            info[name + "_wC"] = (w, C)
    return te, out, info

def run(mask, label):
    tx, y, Em = texts[mask], truth[mask], E[mask]
    folds = list(StratifiedKFold(n_splits=10, shuffle=True, random_state=SEED).split(tx, y))
    t0 = time.perf_counter()
    res = Parallel(n_jobs=2)(delayed(one_fold)(tx, y, Em, tr, te) for tr, te in folds)
    pred = {m: np.empty(len(y), dtype=object) for m in res[0][1]}
    per = {m: [] for m in pred}
    for te, out, info in res:
        for m, p in out.items():
            pred[m][te] = p; per[m].append(f1_score(y[te], p, average="macro"))
    rows = {}
    for m in pred:
        rows[m] = {"pooled_macro_f1": f1_score(y, pred[m].astype(str), average="macro"),
                   "fold_mean": float(np.mean(per[m])), "fold_std": float(np.std(per[m])),
                   "f1_complaint": f1_score(y, pred[m].astype(str), pos_label="complaint", average="binary"),
                   "per_fold": [float(v) for v in per[m]]}
        print(f"[{tag}] {label:15s} {m:8s} pooled {rows[m]['pooled_macro_f1']:.4f}  folds {rows[m]['fold_mean']:.4f} ± {rows[m]['fold_std']:.4f}  F1(complaint) {rows[m]['f1_complaint']:.4f}", flush=True)
    np.savez(f"{OUT}/oof_{tag}_{label.replace(' ', '_')}.npz", y=y, **{m: pred[m].astype(str) for m in pred})
    print(f"[{tag}] {label} chosen params per fold:", [r[2] for r in res], f"({time.perf_counter()-t0:.0f} s)", flush=True)
    return rows

print("loadavg", open("/proc/loadavg").read().strip(), flush=True)
allm = np.ones(len(texts), bool)
kept = ~frame["domain"].isin(RANDOM_DOMAINS).to_numpy()
result = {"all_rows": run(allm, "all rows"), "without_random": run(kept, "without random")}
json.dump(result, open(f"{OUT}/cv_{tag}.json", "w"), indent=1)
print("loadavg", open("/proc/loadavg").read().strip(), flush=True)
