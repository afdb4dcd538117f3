"""Adapters that talk to outside services over HTTP: payment gateways (and, later, carriers).

Each adapter implements a port of :mod:`commercekit.ports` and translates the service's errors
into :mod:`commercekit.errors`. Payment gateways live in :mod:`commercekit.gateways.payments`.
"""
