"""The shop app: Django's products and order summaries, commercekit's carts and orders."""
