"""The domain: rules as plain async functions over a session; nothing here imports telegram."""
