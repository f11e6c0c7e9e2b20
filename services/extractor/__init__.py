"""The extractor: turns article text into commitment facts (``articles.v1`` → ``facts.v1``).

The core, :func:`services.extractor.extract.extract`, is pure and total: any text in, a list of
:class:`services.core.models.FactV1` out.
"""
