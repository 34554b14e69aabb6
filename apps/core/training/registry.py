"""Which trainer serves which kind: settings.TRAINERS maps a kind to a dotted path."""

from django.conf import settings
from django.utils.module_loading import import_string

from apps.core.training.trainer import Trainer


class UnknownKind(LookupError):
    pass


def trainer_kinds() -> list[str]:
    return sorted(settings.TRAINERS)


def trainer_for(kind: str) -> Trainer:
    try:
        path = settings.TRAINERS[kind]
    except KeyError:
        known = ", ".join(trainer_kinds()) or "none"
        raise UnknownKind(f"No trainer for {kind!r}; kinds with a trainer: {known}.") from None
    return import_string(path)()
