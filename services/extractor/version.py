"""The extractor's rule version: bump it whenever rules or data files change the output."""

EXTRACTOR_VERSION = "1.5.5"
