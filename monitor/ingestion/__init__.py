"""Ingestion: from an outside source to a stored, scored document.

Source and analyzer contracts (:mod:`.sources`, :mod:`.scoring`), the plugin registry (:mod:`.registry`,
:mod:`.plugins`), the crawl cycle and its scheduler, per-host politeness, the raw archive and replay, the
quarantine, the pipeline with its worker processes, and story clustering.
"""
