"""timebill core: headless domain, adapters, invoicing and the API sandbox. Never imports textual."""

__version__ = "0.1.0"
