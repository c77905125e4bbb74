"""python-telegram-bot adapters, one module per feature: parse, call a service, render."""
