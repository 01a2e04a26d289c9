"""Whisper weights between CTranslate2 (what faster-whisper runs) and transformers (what trains).

The packaged Whisper models are CTranslate2 folders only (`model.bin`, float16). To fine-tune one, `to_transformers`
reads `model.bin` and builds the same network as a `WhisperForConditionalGeneration` (the inverse of
CTranslate2's own `WhisperLoader`: its encoder outputs match faster-whisper's to 3e-5). To serve the result,
`add_lora` adds a LoRA adapter's products B·A·scale to the matching weights of `model.bin` and writes a new folder
that faster-whisper loads as before: only the adapter (a few MB) is a checkpoint, never a second copy of Whisper.

`model.bin` layout (CTranslate2's `ModelSpec._serialize`, binary version 6): a header, then named variables (name,
shape, dtype, raw bytes), then aliases: Whisper ties `decoder/projection/weight` to the embeddings, and the converter
stores any variables with equal values once (in a freshly initialised model, every zero bias and unit norm).
"""

from __future__ import annotations

import json
import re
import shutil
import struct
from pathlib import Path

import numpy as np

DTYPES = ("float32", "int8", "int16", "int32", "float16", "bfloat16")


# ---------------------------------------------------------------------------------------------- model.bin

def read_model_bin(path: str | Path) -> tuple[dict, dict[str, np.ndarray], dict[str, str]]:
    """(header {version, name, revision}, variables name -> array, aliases name -> variable name)."""
    raw = Path(path).read_bytes()
    at = 0

    def unpack(fmt: str):
        nonlocal at
        (value,) = struct.unpack_from(fmt, raw, at)
        at += struct.calcsize(fmt)
        return value

    def string() -> str:
        nonlocal at
        n = unpack("H")
        text = raw[at:at + n - 1].decode("utf-8")
        at += n
        return text

    header = {"version": unpack("I"), "name": string(), "revision": unpack("I")}
    variables = {}
    for _ in range(unpack("I")):
        name = string()
        shape = [unpack("I") for _ in range(unpack("B"))]
        dtype = DTYPES[unpack("B")]
        size = unpack("I")
        buffer = raw[at:at + size]
        at += size
        variables[name] = np.frombuffer(buffer, dtype=np.uint16 if dtype == "bfloat16" else dtype).reshape(shape)
    aliases = {}
    for _ in range(unpack("I")):
        alias = string()
        aliases[alias] = string()
    return header, variables, aliases


def write_model_bin(path: str | Path, header: dict, variables: dict[str, np.ndarray], aliases: dict[str, str]) -> None:
    """The inverse of `read_model_bin` (float16 stays float16; bfloat16 is not written by this module)."""
    def string(text: str) -> bytes:
        data = text.encode("utf-8")
        return struct.pack("H", len(data) + 1) + data + b"\0"

    with open(path, "wb") as out:
        out.write(struct.pack("I", header["version"]) + string(header["name"]) + struct.pack("I", header["revision"]))
        out.write(struct.pack("I", len(variables)))
        for name, value in variables.items():
            value = np.asarray(value)  # tobytes() below is C order whatever the strides
            out.write(string(name) + struct.pack("B", value.ndim))
            out.write(b"".join(struct.pack("I", dim) for dim in value.shape))
            out.write(struct.pack("B", DTYPES.index(value.dtype.name)) + struct.pack("I", value.nbytes))
            out.write(value.tobytes())
        out.write(struct.pack("I", len(aliases)))
        for alias, name in aliases.items():
            out.write(string(alias) + string(name))


# ---------------------------------------------------------------------------------------------- names

def _layers(variables: dict, side: str) -> int:
    return len({m.group(1) for k in variables if (m := re.match(rf"{side}/layer_(\d+)/", k))})


def weight_map(variables: dict) -> dict[str, tuple[str, slice | None]]:
    """transformers parameter name -> (CTranslate2 variable, rows of it or None for all). Attention projections
    are fused in CTranslate2 (self-attention: q, k, v in one; cross-attention: q alone, k and v together)."""
    d = variables["encoder/conv1/weight"].shape[0]
    rows = [slice(0, d), slice(d, 2 * d), slice(2 * d, 3 * d)]
    out: dict[str, tuple[str, slice | None]] = {}

    def linear(hf: str, ct2: str, part: slice | None = None, bias: bool = True) -> None:
        out[f"{hf}.weight"] = (f"{ct2}/weight", part)
        if bias:
            out[f"{hf}.bias"] = (f"{ct2}/bias", part)

    def norm(hf: str, ct2: str) -> None:
        out[f"{hf}.weight"], out[f"{hf}.bias"] = (f"{ct2}/gamma", None), (f"{ct2}/beta", None)

    def attention(hf: str, ct2: str, fused: list[tuple[str, int, slice | None]], output: str) -> None:
        for proj, linear_index, part in fused:
            linear(f"{hf}.{proj}_proj", f"{ct2}/linear_{linear_index}", part, bias=proj != "k")  # k has no bias
        linear(f"{hf}.out_proj", f"{ct2}/{output}")
        norm(f"{hf}_layer_norm", f"{ct2}/layer_norm")

    self_fused = [("q", 0, rows[0]), ("k", 0, rows[1]), ("v", 0, rows[2])]
    for side in ("encoder", "decoder"):
        out[f"model.{side}.embed_positions.weight"] = (f"{side}/position_encodings/encodings", None)
        norm(f"model.{side}.layer_norm", f"{side}/layer_norm")
        for i in range(_layers(variables, side)):
            hf, ct2 = f"model.{side}.layers.{i}", f"{side}/layer_{i}"
            attention(f"{hf}.self_attn", f"{ct2}/self_attention", self_fused, "linear_1")
            if side == "decoder":
                attention(f"{hf}.encoder_attn", f"{ct2}/attention",
                          [("q", 0, None), ("k", 1, rows[0]), ("v", 1, rows[1])], "linear_2")
            linear(f"{hf}.fc1", f"{ct2}/ffn/linear_0")
            linear(f"{hf}.fc2", f"{ct2}/ffn/linear_1")
            norm(f"{hf}.final_layer_norm", f"{ct2}/ffn/layer_norm")
    for conv in ("conv1", "conv2"):
        linear(f"model.encoder.{conv}", f"encoder/{conv}")
    out["model.decoder.embed_tokens.weight"] = ("decoder/embeddings/weight", None)
    return out


def _hf_name(module: str) -> str:
    """A LoRA module's name (peft's `base_model.model.` prefix or none) -> the transformers module name."""
    return module.removeprefix("base_model.model.")


# ---------------------------------------------------------------------------------------------- conversions

def to_transformers(folder: str | Path):
    """The CTranslate2 Whisper in `folder` as a float32 `WhisperForConditionalGeneration` (eval mode)."""
    import torch
    from transformers import WhisperConfig, WhisperForConditionalGeneration

    folder = Path(folder)
    _, variables, aliases = read_model_bin(folder / "model.bin")
    variables = {**variables, **{alias: variables[name] for alias, name in aliases.items()}}
    settings = json.loads((folder / "config.json").read_text())
    vocab, d = variables["decoder/embeddings/weight"].shape
    english_only = vocab == 51864  # tiny.en, base.en ...: no language tokens, every special id one lower
    eot = 50256 if english_only else 50257
    config = WhisperConfig(
        vocab_size=vocab, num_mel_bins=variables["encoder/conv1/weight"].shape[1], d_model=d,
        encoder_layers=_layers(variables, "encoder"), decoder_layers=_layers(variables, "decoder"),
        encoder_attention_heads=int(variables["encoder/num_heads"]),
        decoder_attention_heads=int(variables["decoder/num_heads"]),
        encoder_ffn_dim=variables["encoder/layer_0/ffn/linear_0/weight"].shape[0],
        decoder_ffn_dim=variables["decoder/layer_0/ffn/linear_0/weight"].shape[0],
        max_source_positions=variables["encoder/position_encodings/encodings"].shape[0],
        max_target_positions=variables["decoder/position_encodings/encodings"].shape[0],
        suppress_tokens=settings.get("suppress_ids"), begin_suppress_tokens=settings.get("suppress_ids_begin"),
        decoder_start_token_id=eot + 1, eos_token_id=eot, pad_token_id=eot, bos_token_id=eot)
    state = {}
    for hf, (ct2, part) in weight_map(variables).items():
        value = variables[ct2] if part is None else variables[ct2][part]
        state[hf] = torch.from_numpy(value.astype(np.float32))
    model = WhisperForConditionalGeneration(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    if unexpected or set(missing) - {"proj_out.weight"}:  # proj_out is tied to the embeddings
        raise ValueError(f"Whisper conversion: missing {missing}, unexpected {unexpected}")
    model.tie_weights()
    return model.eval()


def lora_deltas(adapter_folder: str | Path) -> dict[str, np.ndarray]:
    """transformers weight name -> B·A·(alpha/r) for every LoRA module of a peft adapter folder (safetensors)."""
    from safetensors.numpy import load_file

    adapter_folder = Path(adapter_folder)
    config = json.loads((adapter_folder / "adapter_config.json").read_text())
    tensors = load_file(adapter_folder / "adapter_model.safetensors")
    others = [k for k in tensors if not re.search(r"\.lora_[AB]\.weight$", k)]
    if others:
        raise ValueError(f"{adapter_folder} holds more than LoRA matrices ({', '.join(others[:3])}): only those "
                         "can be added into a CTranslate2 model.")
    deltas = {}
    for key, a in tensors.items():
        if not key.endswith("lora_A.weight"):
            continue
        module = key.removesuffix(".lora_A.weight")
        b = tensors[f"{module}.lora_B.weight"]
        name = _hf_name(module)
        rank = a.shape[0]
        alpha = config.get("alpha_pattern", {}).get(name.split(".")[-1], config["lora_alpha"])
        scale = alpha / (np.sqrt(rank) if config.get("use_rslora") else rank)
        deltas[f"{name}.weight"] = (b.astype(np.float32) @ a.astype(np.float32)) * scale
    return deltas


def add_lora(base_folder: str | Path, adapter_folder: str | Path, out_folder: str | Path) -> Path:
    """A CTranslate2 folder whose weights are the base's plus the adapter's products (the other files copied)."""
    base_folder, out_folder = Path(base_folder), Path(out_folder)
    header, variables, aliases = read_model_bin(base_folder / "model.bin")
    names = weight_map(variables)
    aliases = dict(aliases)
    variables = dict(variables)
    for hf, delta in lora_deltas(adapter_folder).items():
        if hf not in names:
            raise ValueError(f"The adapter changes {hf}, which this Whisper has no weight for.")
        ct2, part = names[hf]
        if ct2 in aliases:  # a weight stored once for several names gets its own copy before it changes
            variables[ct2] = variables[aliases.pop(ct2)]
        value = variables[ct2].astype(np.float32)  # a copy
        if part is None:
            value += delta
        else:
            value[part] += delta
        variables[ct2] = value.astype(variables[ct2].dtype)
    out_folder.mkdir(parents=True, exist_ok=True)
    for f in base_folder.iterdir():
        if f.name != "model.bin" and f.is_file():
            shutil.copyfile(f, out_folder / f.name)
    write_model_bin(out_folder / "model.bin", header, variables, aliases)
    return out_folder
