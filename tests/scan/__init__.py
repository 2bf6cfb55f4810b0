"""The security scan: wapiti and sqlmap against the real app under gunicorn."""
