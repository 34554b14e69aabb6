"""Marketing staff's pages: promotions with every rule checked as they are saved, a results page
per promotion (charts of redemptions, spend against budget, treatment against control with 95%
intervals; pause, resume, stop), coupon generation with the codes downloaded as CSV, and read-only
lists of coupons and redemptions."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.core.admin_export import csv_download
from apps.core.charts import Series, horizontal_bars, intervals, time_lines
from apps.core.training.selectors import active_run_id
from apps.promotions import services
from apps.promotions.campaign_logs import CampaignLogError, campaign_log_from_promotion
from apps.promotions.models import CampaignLog, Coupon, CustomerUplift, Promotion, Redemption
from apps.promotions.results import promotion_results
from apps.promotions.rules import promotion_errors


class PromotionForm(forms.ModelForm):
    class Meta:
        model = Promotion
        fields = [
            *("name", "description", "status", "kind", "value", "min_spend", "buy_quantity", "get_quantity"),
            *("gift_product", "scope", "products", "categories", "eligibility", "saved_segment"),
            *("holdout_percent", "starts_at", "ends_at", "exclusive", "priority"),
            *("budget", "max_redemptions", "per_customer_limit"),
        ]

    def clean(self):
        cleaned = super().clean()
        candidate = self.instance
        for name, value in cleaned.items():
            if name not in ("products", "categories"):
                setattr(candidate, name, value)
        products, categories = cleaned.get("products"), cleaned.get("categories")
        errors = promotion_errors(
            candidate,
            product_ids=[p.pk for p in products] if products is not None else [],
            category_ids=[c.pk for c in categories] if categories is not None else [],
        )
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
        return cleaned


class CouponBatchForm(forms.Form):
    count = forms.IntegerField(min_value=1, max_value=services.MAX_COUPONS_PER_CALL, initial=100)
    max_uses = forms.IntegerField(min_value=1, initial=1, help_text="1 for single-use codes.")
    expires_at = forms.DateTimeField(required=False, help_text="YYYY-MM-DD HH:MM, store time; empty: no expiry.")
    prefix = forms.RegexField(r"^[A-Za-z0-9-]{0,12}$", required=False, max_length=12)


@admin.register(Promotion)
class PromotionAdmin(admin.ModelAdmin):
    form = PromotionForm
    list_display = [
        "name",
        "kind",
        "status",
        "starts_at",
        "ends_at",
        "spend_against_budget",
        "redemptions_count",
        "holdout_percent",
        "results_link",
    ]
    list_filter = ["status", "kind", "eligibility", "exclusive"]
    search_fields = ["name"]
    autocomplete_fields = ["products", "categories", "gift_product"]
    readonly_fields = ["discount_spent", "redemptions_count", "created_by", "created_at", "updated_at"]
    actions = ["activate_selected", "pause_selected", "resume_selected", "stop_selected", "build_campaign_log"]
    fieldsets = [
        (None, {"fields": ["name", "description", "status"]}),
        ("Offer", {"fields": ["kind", "value", "min_spend", "buy_quantity", "get_quantity", "gift_product"]}),
        ("Scope", {"fields": ["scope", "products", "categories"]}),
        ("Who", {"fields": ["eligibility", "saved_segment", "holdout_percent"]}),
        ("When and how", {"fields": ["starts_at", "ends_at", "exclusive", "priority"]}),
        (
            "Caps",
            {"fields": ["budget", "max_redemptions", "per_customer_limit", "discount_spent", "redemptions_count"]},
        ),
        ("Record", {"fields": ["created_by", "created_at", "updated_at"]}),
    ]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="spent / budget")
    def spend_against_budget(self, obj):
        if obj.budget is None:
            return f"{obj.discount_spent:,.2f} (no budget)"
        return f"{obj.discount_spent:,.2f} / {obj.budget:,.2f}"

    @admin.display(description="results")
    def results_link(self, obj):
        return format_html('<a href="{}">results</a>', reverse("admin:promotions_results", args=[obj.pk]))

    def _bulk(self, request, queryset, action_name):
        moved = 0
        for promotion in queryset:
            try:
                services.promotion_change_status(promotion=promotion, action=action_name)
                moved += 1
            except ValueError as error:
                self.message_user(request, f"{promotion}: {str(error).partition(': ')[2]}", messages.WARNING)
        if moved:
            self.message_user(request, f"{action_name.capitalize()}: {moved} promotion(s).")

    @admin.action(description="Activate selected promotions", permissions=["change"])
    def activate_selected(self, request, queryset):
        self._bulk(request, queryset, "activate")

    @admin.action(description="Pause selected promotions", permissions=["change"])
    def pause_selected(self, request, queryset):
        self._bulk(request, queryset, "pause")

    @admin.action(description="Resume selected promotions", permissions=["change"])
    def resume_selected(self, request, queryset):
        self._bulk(request, queryset, "resume")

    @admin.action(description="Stop selected promotions (final)", permissions=["change"])
    def stop_selected(self, request, queryset):
        self._bulk(request, queryset, "stop")

    @admin.action(description="Build a campaign log from the selected promotions' experiments", permissions=["change"])
    def build_campaign_log(self, request, queryset):
        for promotion in queryset:
            try:
                log = campaign_log_from_promotion(promotion=promotion, user=request.user)
            except CampaignLogError as error:
                self.message_user(request, f"{promotion}: {error}", messages.WARNING)
            else:
                self.message_user(request, f"{promotion}: campaign log {log.name!r} with {log.rows:,} customers.")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/results/", view(self.results_view), name="promotions_results"),
            path("<int:pk>/status/<str:action_name>/", view(self.status_view), name="promotions_status"),
            path("<int:pk>/coupons/", view(self.coupons_view), name="promotions_coupons"),
            *super().get_urls(),
        ]

    def results_view(self, request, pk: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        promotion = get_object_or_404(Promotion, pk=pk)
        results = promotion_results(promotion=promotion)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Results: {promotion.name}",
            "opts": self.model._meta,
            "promotion": promotion,
            "results": results,
            "charts": _results_charts(promotion, results),
            "can_change": self.has_change_permission(request, promotion),
        }
        return TemplateResponse(request, "admin/promotions/results.html", context)

    def status_view(self, request, pk: int, action_name: str):
        if request.method != "POST" or not self.has_change_permission(request):
            raise PermissionDenied
        promotion = get_object_or_404(Promotion, pk=pk)
        try:
            services.promotion_change_status(promotion=promotion, action=action_name)
            self.message_user(request, f"{promotion.name}: {promotion.get_status_display().lower()}.")
        except ValueError as error:
            self.message_user(request, str(error).partition(": ")[2], messages.ERROR)
        return redirect("admin:promotions_results", pk=pk)

    def coupons_view(self, request, pk: int):
        if not self.has_change_permission(request):
            raise PermissionDenied
        promotion = get_object_or_404(Promotion, pk=pk)
        form = CouponBatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            codes = services.coupons_generate(promotion=promotion, **form.cleaned_data)
            expires = form.cleaned_data["expires_at"]
            rows = ([code, form.cleaned_data["max_uses"], expires.isoformat() if expires else ""] for code in codes)
            return csv_download(header=["code", "max_uses", "expires_at"], rows=rows, name=f"coupons-{promotion.pk}")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Generate coupons: {promotion.name}",
            "opts": self.model._meta,
            "promotion": promotion,
            "form": form,
        }
        return TemplateResponse(request, "admin/promotions/coupons.html", context)


def _results_charts(promotion, results) -> dict:
    charts = {}
    if results.daily:
        days = [day.isoformat() for day, _, _ in results.daily]
        spent, cumulative = 0.0, []
        for _, _, amount in results.daily:
            spent += float(amount)
            cumulative.append(spent)
        charts["redemptions"] = time_lines(
            days, [("Redemptions", 0, [count for _, count, _ in results.daily])], title="Redemptions per day"
        )
        lines = [("Discount given", 0, cumulative)]
        if promotion.budget is not None:
            lines.append(("Budget", 0, [float(promotion.budget)] * len(days)))
        charts["spend"] = time_lines(days, lines, title="Discount given against budget")
    conversion, revenue = results.conversion, results.revenue
    if conversion is not None:
        charts["groups"] = horizontal_bars(
            ["Conversion"],
            [
                Series("Treatment", [conversion.treatment], "{:.1%}"),
                Series("Control", [conversion.control], "{:.1%}"),
            ],
            title="Conversion, treatment and control",
        )
        charts["conversion_lift"] = intervals(
            ["Conversion (points)"],
            [conversion.difference],
            [conversion.low],
            [conversion.high],
            title="Conversion lift with its 95% interval",
        )
    if revenue is not None:
        charts["revenue"] = horizontal_bars(
            ["Revenue per customer"],
            [Series("Treatment", [revenue.treatment], "{:,.2f}"), Series("Control", [revenue.control], "{:,.2f}")],
            title="Revenue per customer, treatment and control",
        )
        charts["revenue_lift"] = intervals(
            ["Revenue per customer"],
            [revenue.difference],
            [revenue.low],
            [revenue.high],
            title="Revenue lift with its 95% interval",
            value_format="{:+,.2f}",
        )
    return charts


@admin.register(Coupon)
class CouponAdmin(admin.ModelAdmin):
    list_display = ["code", "promotion", "uses", "max_uses", "expires_at", "customer"]
    list_filter = ["promotion"]
    search_fields = ["code"]
    raw_id_fields = ["customer"]
    readonly_fields = ["uses", "created_at"]


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ["redeemed_at", "promotion", "order", "coupon", "customer_key", "amount"]
    list_filter = ["promotion"]
    search_fields = ["order__order_reference", "customer_key", "coupon__code"]
    list_select_related = ["promotion", "order", "coupon"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CampaignLog)
class CampaignLogAdmin(admin.ModelAdmin):
    list_display = ["name", "origin", "rows", "arms", "outcome_column", "created_at"]
    list_filter = ["origin"]
    search_fields = ["name"]
    change_list_template = "admin/promotions/campaignlog/change_list.html"

    def has_add_permission(self, request):
        return False  # logs arrive by import_campaign_log or the promotions' action

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.targeting_view)
        return [path("targeting/", view, name="promotions_targeting"), *super().get_urls()]

    def targeting_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        from apps.core.models import TrainingRun

        run_id = active_run_id(kind="targeting")
        run = TrainingRun.objects.filter(pk=run_id).first() if run_id else None
        latest = TrainingRun.objects.filter(kind="targeting").order_by("-created_at").first()
        arms = (run.metrics or {}).get("arms", {}) if run else {}
        context = {
            **self.admin_site.each_context(request),
            "title": "Targeting: who an offer should go to",
            "opts": self.model._meta,
            "run": run,
            "latest": latest,
            "arms": [
                {
                    "name": arm,
                    "metrics": m,
                    "models": sorted(m["models"].items(), key=lambda item: -item[1]["qini"]),
                    "chart": horizontal_bars(
                        list(m["models"]),
                        [
                            Series("uplift@30%", [s["uplift_at_30"] for s in m["models"].values()], "{:.3f}"),
                            Series("Qini", [s["qini"] for s in m["models"].values()], "{:.3f}"),
                        ],
                        title=f"{arm}: each model on the held-out half",
                    ),
                }
                for arm, m in arms.items()
            ],
            "plan": (run.metrics or {}).get("plan") if run else None,
            "planned": CustomerUplift.objects.filter(run_id=run_id).exclude(planned_offer="").order_by("-uplift")[:50]
            if run_id
            else [],
        }
        return TemplateResponse(request, "admin/promotions/targeting.html", context)
