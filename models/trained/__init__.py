"""Trained text classifiers: training, evaluation, model directories and the two backends."""
