"""Reads for pages, one module per screen: querysets shaped for it, with a fixed number of
queries. Views import the module of their screen."""
