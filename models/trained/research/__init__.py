"""Research-data models: ``monitor models train-research`` (docs/research-models.md)."""
