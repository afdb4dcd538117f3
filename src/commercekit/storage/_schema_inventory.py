"""The tables of schema version 2: bundles, stock policies and low-stock thresholds.

Same placeholders as :mod:`commercekit.storage._schema`. The migration is additive: code of
schema version 1 keeps working beside it.
"""

from __future__ import annotations

__all__ = ["V2_TABLES"]

V2_TABLES: tuple[str, ...] = (
    # A bundle SKU is sold as its components: reserving one bundle holds each component.
    """CREATE TABLE ck_bundle_components (
        bundle_sku TEXT NOT NULL,
        component_sku TEXT NOT NULL,
        quantity {int} NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (bundle_sku, component_sku),
        CHECK (bundle_sku <> component_sku)
    ){strict}""",
    "CREATE INDEX ck_bundle_components_component ON ck_bundle_components (component_sku)",
    # Backorder / preorder policy per SKU: every stock row of the SKU gets floor -allowance.
    """CREATE TABLE ck_stock_policies (
        sku TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('none', 'backorder', 'preorder')),
        allowance {int} NOT NULL CHECK (allowance >= 0),
        updated_at {ts} NOT NULL,
        CHECK (kind <> 'none' OR allowance = 0)
    ){strict}""",
    # Low-stock thresholds per (sku, location); location '' is the SKU's default.
    """CREATE TABLE ck_stock_thresholds (
        sku TEXT NOT NULL,
        location TEXT NOT NULL,
        threshold {int} NOT NULL CHECK (threshold >= 0),
        PRIMARY KEY (sku, location)
    ){strict}""",
)
