"""cscwatch: open monitoring and early warning for children's help and protection
services across England's local authorities.

Data flows one way: ``ingest`` → ``store`` → ``indicators`` → ``models`` → ``serve``.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
