"""REST API pieces shared by every app's API."""

from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200  # rows; keeps one page's queries and payload bounded


def exception_handler(exc, context):
    """DRF's handler, plus: a Django ``ValidationError`` raised by a service (``full_clean``)
    becomes a 400 with field errors, like a serializer's, instead of a 500."""
    from django.core.exceptions import ValidationError as DjangoValidationError
    from rest_framework import exceptions
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail=detail)
    return drf_exception_handler(exc, context)
