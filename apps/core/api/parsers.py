"""The API's JSON parser: DRF's, with the limits of apps.core.json_input, so a body nested too
deep or holding NUL is a 400 naming the problem instead of a server error."""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from apps.core.json_input import TOO_DEEP, JsonInputError, json_value_check


class CheckedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        try:
            json_value_check(data)
        except JsonInputError as exc:
            raise ParseError(str(exc)) from None
        return data
