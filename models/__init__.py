"""Vietnamese NLP for the monitor: text processing, language identification and scorers."""
