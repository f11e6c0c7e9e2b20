"""The crawler: finds new AI-infrastructure articles and publishes each once to ``articles.v1``."""
