"""Every business rule of the inbox, as plain functions named ``<subject>_<verb>``."""
