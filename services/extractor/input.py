"""What the ``extract`` command reads: plain text, an HTML page, or an ``articles.v1`` message."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from pydantic import ValidationError

from services.core.models import ArticleV1
from services.extractor.errors import ExtractorTerminal

_HTML = re.compile(r"^\s*(?:<!doctype\s+html|<html|<head|<body|<p[\s>]|<div|<article)", re.I)
_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "article", "section")


@dataclass(frozen=True)
class Document:
    text: str
    title: str = ""
    lang: str | None = None


def html_to_text(html: str) -> str:
    """Visible text of an HTML page, one blank line between block elements."""
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = soup.get_text()
    lines = (line.strip() for line in text.splitlines())
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _title(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    return soup.title.get_text(strip=True) if soup.title else ""


def read_document(raw: str) -> Document:
    """Plain text, HTML (by its first tag) or an ``articles.v1`` JSON message."""
    stripped = raw.lstrip()
    if stripped.startswith("{"):
        try:
            article = ArticleV1.model_validate(json.loads(stripped))
        except (ValueError, ValidationError) as exc:
            raise ExtractorTerminal(f"not an articles.v1 message: {exc}") from None
        return Document(article.text, article.title, article.lang)
    if _HTML.match(raw):
        return Document(html_to_text(raw), _title(raw))
    return Document(raw)
