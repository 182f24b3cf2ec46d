"""Source adapters: turn feeds, pages and exports into documents for the monitor pipeline."""
