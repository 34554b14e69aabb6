from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from apps.core.api.serializers import RetrainRequestSerializer, TrainingRunSerializer
from apps.core.models import TrainingRun
from apps.core.training.services import training_run_request


class TrainingRunViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Training runs of every model kind. POST asks for a retrain: it joins a queued or
    running run of the same kind and cutoff instead of starting another."""

    queryset = TrainingRun.objects.all()
    serializer_class = TrainingRunSerializer
    filterset_fields = ["kind", "status", "is_active", "trigger"]
    ordering_fields = ["created_at", "finished_at", "duration_seconds"]

    @extend_schema(request=RetrainRequestSerializer, responses={202: TrainingRunSerializer})
    def create(self, request, *args, **kwargs):
        retrain = RetrainRequestSerializer(data=request.data)
        retrain.is_valid(raise_exception=True)
        trigger = TrainingRun.Trigger.STAFF if request.user.is_authenticated else TrainingRun.Trigger.API
        run, created = training_run_request(
            kind=retrain.validated_data["kind"],
            cutoff=retrain.validated_data["cutoff"],
            parameters=retrain.validated_data["parameters"],
            trigger=trigger,
            user=request.user,
        )
        run.refresh_from_db()
        body = {**TrainingRunSerializer(run).data, "joined": not created}
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": f"/api/v1/training-runs/{run.pk}/"})
