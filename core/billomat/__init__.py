"""The Billomat adapter: drafts, items, clients and articles over the documented REST API."""
