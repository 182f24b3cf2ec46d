"""Canonical URLs: the same article reached through a tracking link gets the same doc_id."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_TRACKING_PREFIXES = ("utm_",)
_TRACKING_PARAMETERS = frozenset({"fbclid", "gclid", "zarsrc", "zlink", "mc_cid", "mc_eid", "igshid", "ref_src"})


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop the fragment and tracking parameters, keep everything else."""
    parts = urlsplit(url.strip())
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in _TRACKING_PARAMETERS and not key.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), ""))
