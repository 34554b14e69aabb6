from rest_framework import serializers

from apps.core.models import TrainingRun
from apps.core.training.registry import trainer_kinds


class TrainingRunSerializer(serializers.ModelSerializer):
    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "kind",
            "status",
            "trigger",
            "data_cutoff",
            "parameters",
            "metrics",
            "progress",
            "progress_message",
            "created_at",
            "started_at",
            "finished_at",
            "duration_seconds",
            "worker_host",
            "attempts",
            "error",
            "is_active",
            "gate_passed",
            "gate_reason",
            "activated_at",
            "results_pruned",
        ]


class RetrainRequestSerializer(serializers.Serializer):
    kind = serializers.CharField()
    cutoff = serializers.DateTimeField(required=False, allow_null=True, default=None)
    parameters = serializers.DictField(required=False, default=dict)

    def validate_kind(self, value):
        if value not in trainer_kinds():
            raise serializers.ValidationError(f"No trainer for {value!r}; one of: {', '.join(trainer_kinds())}.")
        return value
