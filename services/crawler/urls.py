"""URL canonicalisation: one spelling per article, so duplicates are caught by URL.

Rules (pure, deterministic):

- scheme and host lower-cased, IDN hosts punycoded, default ports and userinfo removed;
- ``www.``, ``m.``, ``mobile.`` and ``amp.`` host prefixes removed (``news.example``);
- fragment removed; empty query removed; remaining query parameters sorted;
- tracking-only parameters removed (``utm_*``, ``fbclid``, ``gclid``, …; not ``ref``,
  ``from`` or ``source``, which some sites use for content);
- AMP variants: ``/amp`` path segment or suffix, ``amp=1``/``outputType=amp`` parameters
  (``output=print`` is kept);
- path dot-segments resolved, duplicate slashes collapsed, trailing ``/index.html`` kept
  (some sites serve different pages there) but a trailing slash on a non-root path removed.

The canonical form is an identity key: ``ArticleV1.id = stable_id(canonical_url)``.
"""

from __future__ import annotations

import posixpath
import re
import string
from urllib.parse import parse_qsl, quote, urlencode, urljoin, urlsplit, urlunsplit

TRACKING_PARAMS = frozenset(
    {
        "fbclid",  # Facebook
        "gclid",  # Google Ads
        "dclid",  # Google Display
        "gbraid",  # Google Ads (iOS)
        "wbraid",  # Google Ads (iOS)
        "msclkid",  # Microsoft Ads
        "yclid",  # Yandex
        "igshid",  # Instagram shares
        "mc_cid",  # Mailchimp
        "mc_eid",  # Mailchimp
        "_ga",  # Google Analytics linker
        "_gl",  # Google Analytics linker
        "pk_campaign",  # Piwik
        "pk_kwd",  # Piwik
        "pk_keyword",  # Piwik
        "pk_source",  # Piwik
        "pk_medium",  # Piwik
        "pk_content",  # Piwik
        "__twitter_impression",  # Twitter
    }
)
"""Parameters that only ever track, by wide convention: each named after the tool that sets it.
Names sites also use for content (``ref``, ``from``, ``source``, ``src``, ``share``, ``feed``,
…: ``?source=12`` an article, ``?from=20`` a listing's page) are kept — removing them made two
pages one URL, and the second a duplicate lost for good."""
TRACKING_PREFIXES = ("utm_", "hsa_", "mtm_", "vero_", "oly_", "_hs")
"""Prefixes of Google Analytics campaigns, HubSpot, Matomo, Vero and Omeda."""
AMP_PARAMS = frozenset({("amp", ""), ("amp", "1"), ("amp", "true"), ("outputtype", "amp"),
                        ("output", "amp")})  # fmt: skip
"""``(name, value)`` pairs (lower case) asking for a page's AMP variant."""
HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_AMP_SEGMENT = re.compile(r"(?:/amp/?$)|(?:\.amp(?=$|\.html?$))", re.IGNORECASE)


class UrlError(ValueError):
    """Not a usable http(s) URL."""


def strip_host(host: str) -> str:
    host = host.lower().rstrip(".")
    changed = True
    while changed:
        changed = False
        for prefix in HOST_PREFIXES:
            if host.startswith(prefix) and host.count(".") >= 2:
                host = host[len(prefix) :]
                changed = True
    return host


def site_of(url: str) -> str:
    """The host of ``url`` without ``www.``/``m.``/``amp.`` prefixes (``""`` if none)."""
    try:
        return strip_host(urlsplit(url).hostname or "")
    except ValueError:
        return ""


def _idna(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _is_noise(name: str, value: str) -> bool:
    """Whether query parameter ``name=value`` tracks or asks for the AMP variant."""
    low = name.lower()
    return (
        low in TRACKING_PARAMS
        or low.startswith(TRACKING_PREFIXES)
        or (low, value.lower()) in AMP_PARAMS
    )


_ESCAPE = re.compile(r"%([0-9A-Fa-f]{2})")
_UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = _PATH_SAFE + "?"


def _normal_escapes(path: str) -> str:
    """``path`` with its percent-escapes normalised (RFC 3986, 6.2.2): an escaped unreserved
    character decoded, the other escapes kept in upper case, characters outside ASCII escaped
    as UTF-8.  The escaped bytes are never decoded as text: a path in EUC-KR
    (``/%B1%E2%BB%E7``) keeps its bytes, where decoding them as UTF-8 made every such title the
    same three replacement characters; and ``%2F`` stays data, not a separator."""

    def one(escape: re.Match[str]) -> str:
        char = chr(int(escape.group(1), 16))
        return char if char in _UNRESERVED else "%" + escape.group(1).upper()

    return quote(_ESCAPE.sub(one, path), safe=_PATH_SAFE)


def canonicalize(url: str, base: str | None = None) -> str:
    """The canonical form of ``url`` (resolved against ``base`` first, if given)."""
    url = url.strip()
    if base is not None:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlError(f"bad URL {url!r}: {exc}") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise UrlError(f"not an http(s) URL: {url!r}")
    host = strip_host(_idna(parts.hostname))
    if ":" in host:
        host = f"[{host}]"
    netloc = host
    if port is not None and not (
        (scheme == "http" and port == 80) or (scheme == "https" and port == 443)
    ):
        netloc = f"{host}:{port}"
    path = _normal_escapes(parts.path) or "/"
    path = re.sub(r"/{2,}", "/", path)
    normal = posixpath.normpath(path)
    if path.endswith("/") and normal != "/":
        normal += "/"
    path = _AMP_SEGMENT.sub("", normal) or "/"
    if len(path) > 1 and path.endswith("/"):
        path = path.rstrip("/") or "/"
    # the query's bytes as they are, whatever their charset: latin-1 maps each byte to itself
    query = quote(parts.query, safe=_QUERY_SAFE)  # characters outside ASCII as UTF-8 escapes
    query_items = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True, encoding="latin-1")
        if not _is_noise(k, v)
    ]
    query = urlencode(sorted(query_items), doseq=True, encoding="latin-1")
    return urlunsplit((scheme, netloc, path, query, ""))


def try_canonicalize(url: str, base: str | None = None) -> str | None:
    try:
        return canonicalize(url, base)
    except UrlError:
        return None


def plausible_canonical(declared: str, fetched: str) -> bool:
    """Whether a page at ``fetched`` may be known by the canonical URL it ``declared`` (both in
    canonical form, on the same site).  Some sites declare one canonical for many pages — the
    home page, the section (``/news/`` for ``/news/123``), or the script without the article's
    id (``/view.php`` for ``/view.php?id=5``) — which would make every article after the first
    a duplicate, lost for good; such a canonical is not believed."""
    want, have = urlsplit(declared), urlsplit(fetched)
    if want.path in ("", "/") and (have.path not in ("", "/") or have.query):
        return False
    section = want.path if want.path.endswith("/") else want.path + "/"
    if have.path != want.path and have.path.startswith(section):
        return False
    return not (want.path == have.path and have.query and not want.query)


def same_site(a: str, b: str) -> bool:
    """True when both URLs are on the same host, ignoring ``www.``/``m.``/``amp.`` prefixes."""
    sa, sb = site_of(a), site_of(b)
    return bool(sa) and sa == sb
