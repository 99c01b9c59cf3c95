"""The user's settings: config.toml, keymaps and themes (shipped ones overridden by the user's)."""
