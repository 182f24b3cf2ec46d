"""The gazetteer: named places, projects and institutions from ``configs/gazetteer.yaml``, found in text.

One Aho-Corasick pass finds every alias, accent- and case-insensitively, on whole words only:

1. The text is folded character by character (marks dropped, ``đ`` → ``d``, lower case) while an offset
   map remembers which original character each folded one came from, so a match slices the *original*
   text exactly, even when it is NFD or uses the old tone placement (``hoà``).
2. The folded words are joined into a *key string* with one separator between neighbours: a space when
   only spaces or dashes stand between them, ``|`` when punctuation does. Aliases are keyed the same way,
   so "Biên Hòa-Vũng Tàu" equals "Biên Hòa - Vũng Tàu", but "Long. Thành" is not "Long Thành".
3. Matches must start and end on separators (no "an" inside "thanh"); overlapping matches resolve
   longest-leftmost.

Two rules keep precision where folding alone would over-match, both decided per match, after the pass:

* A word written *with* marks must carry the alias's marks. "Long Thạnh" (a Ho Chi Minh City ward)
  folds like "Long Thành" but is not it; bare "long thanh", typed without marks, still matches.
* Ambiguous aliases (``ambiguous_aliases``: "Tân Phú", "Thống Nhất") match only when every word is
  capitalised and the same text also names another *local* entry. A min-length rule would not help:
  the ambiguous names are as long as the safe ones ("Tân Phú" vs "Xuân Lộc"); context and case do.

``blockers`` are phrases that contain an alias but name something else ("quận Tân Phú"); they take
part in the longest-match resolution and are then dropped.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import ahocorasick
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from monitor.analysis import EntityMention
from monitor.config.yamlfile import YamlDocument, config_error_from_validation, dotted, load_yaml
from monitor.errors import ConfigError
from monitor.text import normalize

GAZETTEER_FILE = "gazetteer.yaml"

_WORD = re.compile(r"[^\W_]+")
# Spaces (any but line breaks), dashes and "_" (segmenters write "Biên_Hòa", hashtags "#Long_Khánh") join
# the words of one name; line breaks and any other non-word character (punctuation, emoji) separate names.
_DASHES = r"\-\u2010-\u2015\u2212"
_HARD_CHAR = re.compile(rf"[^\w\s{_DASHES}\u200b]|[\n\r\f\v\u2028\u2029]")
_SOFT_CHAR = re.compile(rf"[^\S ]|[_{_DASHES}\u200b]")  # applied after _HARD_CHAR: line breaks are gone
_SEPARATORS = frozenset(" |")
_LONG_GAP = re.compile(r"[ |]{2,}")
_COMBINING_MARK = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
# Precomposed Latin letters → base letter; same construction as monitor.text.fold, plus the look-alike
# "Ð/ð" (Icelandic eth) that some keyboards produce for "Đ/đ".
_FOLD_TABLE = {
    code: base
    for code in [*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)]
    if len(base := "".join(c for c in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(c))) == 1
    and base != chr(code)
}
_FOLD_TABLE.update({ord("đ"): "d", ord("Đ"): "D", ord("ð"): "d", ord("Ð"): "D"})


class EntityKind(StrEnum):
    ADMIN_UNIT = "admin_unit"
    LOCALITY = "locality"
    LANDMARK = "landmark"
    PROJECT = "project"
    ROAD = "road"
    INDUSTRIAL_ZONE = "industrial_zone"
    INSTITUTION = "institution"


class Scope(StrEnum):
    LOCAL = "local"
    NEIGHBOUR = "neighbour"
    NATIONAL = "national"


class GazetteerEntry(BaseModel):
    """One named thing; its id is the ``ref`` of every mention, under any of its names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: EntityKind
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    ambiguous_aliases: tuple[str, ...] = ()
    scope: Scope = Scope.LOCAL
    former: bool = False
    merged_into: str | None = None
    part_of: str | None = None


class GazetteerConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    entries: tuple[GazetteerEntry, ...] = Field(min_length=1)
    blockers: tuple[str, ...] = ()


@dataclass(frozen=True)
class FoldedText:
    """``fold``-ed text that remembers where each of its characters came from."""

    original: str
    folded: str
    origin: tuple[int, ...] | None  # origin[i]: index in ``original`` of folded char i; None: identity

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Original offsets of the folded span ``[start, end)``, trailing combining marks included."""
        if self.origin is None:
            return start, end
        original_start = self.origin[start]
        original_end = self.origin[end - 1] + 1
        while original_end < len(self.original) and unicodedata.combining(self.original[original_end]):
            original_end += 1
        return original_start, original_end


def fold_with_offsets(text: str) -> FoldedText:
    """Fold ``text`` (no marks, ``đ`` → ``d``, lower case) keeping a map back to its characters."""
    folded = text.translate(_FOLD_TABLE).lower()
    # The common case (NFC text, no letter whose lower case is longer) folds one character to one.
    if len(folded) == len(text) and not _COMBINING_MARK.search(folded):
        return FoldedText(text, folded, None)
    pieces: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if unicodedata.combining(char):
            continue
        for out in char.translate(_FOLD_TABLE).lower():
            if not unicodedata.combining(out):  # "İ".lower() is "i" plus a combining dot
                pieces.append(out)
                origin.append(index)
    return FoldedText(text, "".join(pieces), tuple(origin))


@dataclass(frozen=True)
class _KeyedText:
    """Folded words joined by one separator each; ``removed`` maps key offsets back to folded ones."""

    key: str
    run_positions: list[int]  # key offsets of separators that stand for a longer gap
    removed: list[int]  # characters dropped up to and including each of those separators

    def folded_offset(self, key_offset: int) -> int:
        runs_before = bisect_left(self.run_positions, key_offset)
        return key_offset + (self.removed[runs_before - 1] if runs_before else 0)


def _keyed(folded: str) -> _KeyedText:
    # Regex substitutions run in C; only gaps longer than one character (", ", " - ") need Python.
    marked = _SOFT_CHAR.sub(" ", _HARD_CHAR.sub("|", folded))
    if not _LONG_GAP.search(marked):
        return _KeyedText(marked, [], [])
    parts: list[str] = []
    run_positions: list[int] = []
    removed: list[int] = []
    done = 0
    dropped = 0
    for match in _LONG_GAP.finditer(marked):
        start, end = match.span()
        parts.append(marked[done:start])
        parts.append("|" if "|" in match.group() else " ")
        run_positions.append(start - dropped)
        dropped += end - start - 1
        removed.append(dropped)
        done = end
    parts.append(marked[done:])
    return _KeyedText("".join(parts), run_positions, removed)


def alias_keys(alias: str) -> set[str]:
    """Automaton keys of ``alias``: as written, and with every separator soft ("TP.HCM" = "TP HCM")."""
    key = _keyed(fold_with_offsets(alias).folded).key.strip(" |")
    if not key:
        return set()
    return {key, key.replace("|", " ")}


def _exact_words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(normalize(text).replace("ð", "đ").replace("Ð", "Đ")))


@dataclass(frozen=True)
class _Variant:
    entry: int  # index into the entries; -1 for a blocker
    words: tuple[str, ...]  # the alias's own words, normalized and lower-cased, marks kept
    ambiguous: bool


@dataclass(frozen=True)
class _Candidate:
    start: int
    end: int
    variant: _Variant


def _accents_agree(surface_words: tuple[str, ...], alias_words: tuple[str, ...]) -> bool:
    if len(surface_words) != len(alias_words):  # tokenised differently: trust the folded match
        return True
    return all(
        surface.isascii() or alias.isascii() or surface.lower() == alias
        for surface, alias in zip(surface_words, alias_words, strict=True)
    )


def _capitalised(surface_words: tuple[str, ...]) -> bool:
    return all(word[0].isupper() for word in surface_words if not word[0].isdigit())


@lru_cache(maxsize=16_384)  # the same few hundred names recur in every text
def _reading(surface: str, variants: tuple[_Variant, ...]) -> _Variant | None:
    """The first alias (of those sharing a folded key) that ``surface`` may be, if any."""
    words = _exact_words(surface)
    for variant in variants:
        if _accents_agree(words, variant.words) and (not variant.ambiguous or _capitalised(words)):
            return variant
    return None


class Gazetteer:
    """Finds the configured names in text; see the module docstring for the matching rules."""

    def __init__(self, config: GazetteerConfig) -> None:
        problems = _check(config)
        if problems:
            raise ConfigError("; ".join(message for _, message in problems), key=dotted(problems[0][0]))
        self.entries = config.entries
        self._by_id = {entry.id: entry for entry in config.entries}
        variants: dict[str, list[_Variant]] = {}
        for index, entry in enumerate(config.entries):
            for alias, ambiguous in _aliases_of(entry):
                for key in alias_keys(alias):
                    variants.setdefault(key, []).append(_Variant(index, _alias_words(alias), ambiguous))
        for blocker in config.blockers:
            for key in alias_keys(blocker):
                variants.setdefault(key, []).append(_Variant(-1, _alias_words(blocker), False))
        self._automaton = ahocorasick.Automaton()
        for key, found in variants.items():
            # Unambiguous readings first: when several aliases fold to one key, they are tried in order.
            ordered = tuple(sorted(found, key=lambda v: v.ambiguous))
            self._automaton.add_word(key, (len(key), ordered))
        self._automaton.make_automaton()

    def entry(self, ref: str) -> GazetteerEntry:
        """The entry with id ``ref``; KeyError if there is none."""
        return self._by_id[ref]

    def current(self, ref: str) -> str:
        """The id that a mention of ``ref`` rolls up to: ``merged_into`` followed to its end."""
        seen = {ref}
        entry = self._by_id[ref]
        while entry.merged_into is not None and entry.merged_into not in seen:
            seen.add(entry.merged_into)
            entry = self._by_id[entry.merged_into]
        return entry.id

    def find(self, text: str) -> tuple[EntityMention, ...]:
        """Mentions of gazetteer entries in ``text``, in order, with offsets into ``text``."""
        if not text:
            return ()
        view = fold_with_offsets(text)
        keyed = _keyed(view.folded)
        candidates = list(self._candidates(text, view, keyed))
        if not candidates:
            return ()
        chosen = _longest_leftmost(candidates)
        if any(c.variant.ambiguous for c in chosen) and not self._has_local_context(chosen):
            chosen = _longest_leftmost([c for c in candidates if not c.variant.ambiguous])
        mentions = []
        for candidate in chosen:
            if candidate.variant.entry < 0:
                continue
            entry = self.entries[candidate.variant.entry]
            mentions.append(
                # Offsets and kinds come from this module, valid by construction: skip re-validation.
                EntityMention.model_construct(
                    text=text[candidate.start : candidate.end],
                    kind=entry.kind.value,
                    start=candidate.start,
                    end=candidate.end,
                    ref=entry.id,
                )
            )
        return tuple(mentions)

    def find_batch(self, texts: Sequence[str]) -> list[tuple[EntityMention, ...]]:
        return [self.find(text) for text in texts]

    def _candidates(self, text: str, view: FoldedText, keyed: _KeyedText) -> Iterable[_Candidate]:
        key = keyed.key
        for last, (length, variants) in self._automaton.iter(key):
            start, end = last - length + 1, last + 1
            if (start > 0 and key[start - 1] not in _SEPARATORS) or (end < len(key) and key[end] not in _SEPARATORS):
                continue  # inside a longer word
            original_start, original_end = view.original_span(keyed.folded_offset(start), keyed.folded_offset(end))
            variant = _reading(text[original_start:original_end], variants)
            if variant is not None:
                yield _Candidate(original_start, original_end, variant)

    def _has_local_context(self, chosen: list[_Candidate]) -> bool:
        return any(
            c.variant.entry >= 0 and not c.variant.ambiguous and self.entries[c.variant.entry].scope is Scope.LOCAL
            for c in chosen
        )


def _longest_leftmost(candidates: list[_Candidate]) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    covered_to = -1
    for candidate in sorted(candidates, key=lambda c: (c.start, c.start - c.end)):
        if candidate.start >= covered_to:
            chosen.append(candidate)
            covered_to = candidate.end
    return chosen


def _aliases_of(entry: GazetteerEntry) -> list[tuple[str, bool]]:
    return [(entry.name, False), *((a, False) for a in entry.aliases), *((a, True) for a in entry.ambiguous_aliases)]


def _alias_words(alias: str) -> tuple[str, ...]:
    return tuple(word.lower() for word in _exact_words(alias))


Location = tuple[str | int, ...]


def _check(config: GazetteerConfig) -> list[tuple[Location, str]]:
    """Cross-entry problems pydantic cannot see: duplicate ids and aliases, dangling or circular links."""
    problems: list[tuple[Location, str]] = []
    ids: dict[str, int] = {}
    for index, entry in enumerate(config.entries):
        if entry.id in ids:
            problems.append((("entries", index, "id"), f"duplicate id {entry.id!r} (also entries[{ids[entry.id]}])"))
        ids.setdefault(entry.id, index)
    owners: dict[tuple[str, ...], str] = {_alias_words(b): "blockers" for b in config.blockers}
    for index, entry in enumerate(config.entries):
        for field in ("merged_into", "part_of"):
            target = getattr(entry, field)
            if target is not None and target not in ids:
                problems.append(((("entries", index, field)), f"{field} names unknown id {target!r}"))
        if entry.merged_into == entry.id:
            problems.append((("entries", index, "merged_into"), f"{entry.id!r} is merged into itself"))
        for alias, _ in _aliases_of(entry):
            if not alias_keys(alias):
                problems.append((("entries", index), f"alias {alias!r} of {entry.id!r} has no letters or digits"))
                continue
            owner = owners.setdefault(_alias_words(alias), entry.id)
            if owner != entry.id:
                problems.append((("entries", index), f"alias {alias!r} of {entry.id!r} is also in {owner!r}"))
    problems.extend(_merge_cycles(config, ids))
    return problems


def _merge_cycles(config: GazetteerConfig, ids: dict[str, int]) -> list[tuple[Location, str]]:
    merged = {entry.id: entry.merged_into for entry in config.entries}
    problems: list[tuple[Location, str]] = []
    for entry_id, index in ids.items():
        seen = [entry_id]
        target = merged.get(entry_id)
        while target is not None and target in merged and target not in seen:
            seen.append(target)
            target = merged[target]
        if target == entry_id and len(seen) > 1:
            chain = " → ".join([*seen, entry_id])
            problems.append((("entries", index, "merged_into"), f"merged_into goes round in a circle: {chain}"))
    return problems


def _config_from(document: YamlDocument) -> GazetteerConfig:
    try:
        config = GazetteerConfig.model_validate(document.data)
    except ValidationError as exc:
        raise config_error_from_validation(exc, document) from exc
    problems = _check(config)
    if problems:
        location, message = problems[0]
        also = "; ".join(f"line {document.line_of(loc)}: {msg}" for loc, msg in problems[1:])
        raise ConfigError(
            message + (f"; also {also}" if also else ""),
            path=str(document.path),
            key=dotted(location),
            line=document.line_of(location),
        )
    return config


def load_gazetteer_config(path: Path) -> GazetteerConfig:
    """Read and validate one gazetteer file; errors name the file, line and key."""
    return _config_from(load_yaml(path))


def load_gazetteer(config_dir: Path) -> Gazetteer:
    """The gazetteer of ``<config_dir>/gazetteer.yaml``."""
    return Gazetteer(load_gazetteer_config(config_dir / GAZETTEER_FILE))
