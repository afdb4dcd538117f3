"""A small Django shop on commercekit, on PostgreSQL (see README.md).

Django owns the products, the users and a summary of each order; commercekit owns the carts,
the stock, the payments and the orders, in its own schema of the same database.
"""
