from __future__ import annotations

import inspect

import pytest

from commercekit import errors


def all_error_classes() -> list[type[BaseException]]:
    return [
        obj
        for name, obj in vars(errors).items()
        if inspect.isclass(obj)
        and issubclass(obj, BaseException)
        and obj.__module__ == errors.__name__
    ]


def test_every_error_is_a_commerce_error_named_error_exported_and_documented() -> None:
    classes = all_error_classes()
    assert len(classes) == len(errors.__all__)
    for cls in classes:
        assert issubclass(cls, errors.CommerceError)
        assert cls.__name__.endswith("Error")
        assert cls.__name__ in errors.__all__
        assert cls.__doc__
        assert cls.__name__ in errors.__doc__  # the documented tree names it


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.CurrencyMismatchError, ValueError),
        (errors.InvalidAmountError, TypeError),
        (errors.MalformedAmountError, ValueError),
        (errors.UnknownCurrencyError, ValueError),
        (errors.InvalidQuantityError, ValueError),
        (errors.NotFoundError, LookupError),
        (errors.PriceNotFoundError, LookupError),
        (errors.MissingDependencyError, ImportError),
    ],
)
def test_errors_that_are_also_builtin_errors(cls: type, builtin: type) -> None:
    assert issubclass(cls, builtin)


def test_structured_context() -> None:
    mismatch = errors.CurrencyMismatchError("USD", "EUR", "add")
    assert (mismatch.left, mismatch.right) == ("USD", "EUR")
    assert "cannot add USD and EUR" in str(mismatch)
    coupon = errors.CouponError("expired", code="SPRING", reason="expired")
    assert (coupon.code, coupon.reason) == ("SPRING", "expired")
    assert errors.UnknownCurrencyError("x", "ABC").code == "ABC"
