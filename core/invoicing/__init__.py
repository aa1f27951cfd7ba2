"""The invoice builder: pure functions from entries and assignments to an invoice plan."""
