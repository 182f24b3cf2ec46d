"""The base model of a fine-tuning: found on disk without the network, and the pre-processing it needs.

A base is a local directory or a Hugging Face hub id already in the local cache; it is never downloaded.
Nothing here imports torch or transformers.
"""

from __future__ import annotations

import os
from pathlib import Path

from huggingface_hub import constants as hub_constants
from huggingface_hub import try_to_load_from_cache

from models.trained.modeldir import is_model_directory, read_card
from models.trained.preprocess import Preprocessing, preprocessing_for_tokenizer
from monitor.errors import ModelError


def resolve_base(base: str) -> str:
    """Find the directory of ``base``, a model directory or a cached hub id, without touching the network.

    Returns:
        The model directory: ``base`` itself, or the cached snapshot of the hub id.

    Raises:
        ModelError: Naming ``base`` and saying how to provide it.
    """
    how = (
        "models are never downloaded at run time: download it on a connected machine "
        f"(for example `hf download {base} --local-dir DIR`), copy DIR here and pass it with --base DIR"
    )
    path = Path(base).expanduser()
    if path.is_dir():
        if not (path / "config.json").is_file():
            raise ModelError(f"base model directory {path} has no config.json, so it is not a transformers model")
        return str(path)
    if path.exists():
        raise ModelError(f"base model {base} is a file; --base takes a model directory or a hub id")
    if _looks_like_path(base):
        raise ModelError(f"base model directory {base} does not exist; {how}")
    try:
        cached = try_to_load_from_cache(base, "config.json")
    except ValueError as exc:  # huggingface_hub's HFValidationError: not a well-formed repo id
        raise ModelError(f"base model {base!r} is neither an existing directory nor a valid hub id; {how}") from exc
    if not isinstance(cached, str):
        raise ModelError(
            f"base model {base!r} is not a local directory and is not in the local Hugging Face cache "
            f"({hub_constants.HF_HUB_CACHE}); {how}"
        )
    # Hand transformers the snapshot directory, not the id: given an id, huggingface_hub 2.4 builds HTTP
    # headers even with local_files_only=True, and doing so fetches a registry from huggingface.co (up to
    # 3 s when offline; a lookup in any case). A directory never reaches that code.
    return str(Path(cached).parent)


def base_preprocessing(source: Path, tokenizer_class: str) -> Preprocessing:
    """What a fine-tuning of ``source`` should pre-process texts with, when nobody said.

    A base that is itself a model directory (fine-tuning a fine-tune) keeps what its card declares;
    otherwise the tokenizer decides: PhoBERT's vocabulary is word-segmented.
    """
    if is_model_directory(source):
        return read_card(source).preprocessing
    return preprocessing_for_tokenizer(tokenizer_class)


def _looks_like_path(base: str) -> bool:
    # Hub ids are "name" or "org/name"; anything else that is not a directory was meant as a path.
    return base.startswith(("/", ".", "~")) or base.count("/") > 1 or (os.sep != "/" and os.sep in base)
