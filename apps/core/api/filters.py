"""The API's search: DRF's SearchFilter with a bounded query. Each term adds a case-insensitive
LIKE over every search field, so a search of thousands of terms kept the database busy for
seconds; nothing a person types needs more than these limits."""

from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter, search_smart_split

MAX_SEARCH_LENGTH = 200
MAX_SEARCH_TERMS = 10


class BoundedSearchFilter(SearchFilter):
    search_description = (
        f"Search terms, separated by spaces or commas; at most {MAX_SEARCH_TERMS} terms "
        f"and {MAX_SEARCH_LENGTH} characters (400 otherwise)."
    )

    def filter_queryset(self, request, queryset, view):
        if self.get_search_fields(view, request):
            self.check_limits(request.query_params.get(self.search_param, ""))
        return super().filter_queryset(request, queryset, view)

    def check_limits(self, value: str) -> None:
        if len(value) > MAX_SEARCH_LENGTH:
            raise ValidationError({self.search_param: [f"At most {MAX_SEARCH_LENGTH} characters."]})
        if len(search_smart_split(value)) > MAX_SEARCH_TERMS:
            raise ValidationError({self.search_param: [f"At most {MAX_SEARCH_TERMS} search terms."]})
