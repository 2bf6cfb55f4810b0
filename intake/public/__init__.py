"""The public site: the guide, the service pages and the callback form (views.py)."""
