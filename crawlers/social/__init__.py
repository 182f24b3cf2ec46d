"""Sources that read social platforms: pages, channels and videos, with their comments."""
