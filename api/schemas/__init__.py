"""What API clients receive: public response models, kept apart from the core's internal records.

Each module maps internal records (``monitor.records``, ``monitor.analysis``, ``monitor.alerting``) to its
public models in one function, so an internal record can gain or rename a field without changing what
clients get; the OpenAPI schema (``/docs``) shows these models.
"""
