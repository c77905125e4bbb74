"""The office console: the property office and the officers in a browser (see console/app.py)."""
