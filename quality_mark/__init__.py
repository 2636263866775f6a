"""The SEND and Inclusion Quality Mark content model, shared by build.py and form_service.

Everything here is pure: it reads content files once, checks them, and turns them into immutable
objects, JSON Schemas, site pages and calendar feeds. Nothing here talks to the network or a store.
"""
