"""A small FastAPI shop on commercekit (see README.md).

Run it from the repository's root::

    uvicorn --app-dir examples --factory fastapi_shop.app:create_app
"""
