"""Domain rules of the service. Nothing here imports Flask or knows about HTTP."""
