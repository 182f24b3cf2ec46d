"""The HTTP API: thin FastAPI routes over ``monitor`` functions."""
