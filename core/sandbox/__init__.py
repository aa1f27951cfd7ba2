"""Local emulators of the mite, clockodo and Billomat APIs, served over real HTTP on loopback."""

from timebill.core.sandbox.server import SandboxServer

__all__ = ["SandboxServer"]
