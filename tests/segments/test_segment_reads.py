"""What marketers read of two hand-written segments runs: profiles, movement, who slipped,
saved audiences, through the selectors, the API and the admin."""

import csv
import io

import pytest

from apps.segments import selectors
from apps.segments.ml.rfm import SEGMENTS
from apps.segments.models import SavedSegment


def test_profiles_give_shares_of_customers_and_of_what_they_kept(two_runs):
    _, later, _ = two_runs
    profiles = {row["segment"]: row for row in selectors.segment_profiles()}

    assert list(profiles) == ["loyal", "potential_loyalists", "new", "at_risk", "lost"]
    assert {name: row["customer_share"] for name, row in profiles.items()} == dict.fromkeys(profiles, 0.2)
    # F returned more than they bought (-15): their segment keeps no revenue; the rest share 980.
    assert {name: round(row["revenue_share"], 6) for name, row in profiles.items()} == {
        "loyal": round(350 / 980, 6),
        "potential_loyalists": round(90 / 980, 6),
        "new": 0.0,
        "at_risk": round(520 / 980, 6),
        "lost": round(20 / 980, 6),
    }
    assert profiles["at_risk"]["label"] == "At risk"


def test_movement_counts_customers_from_each_segment_to_each_other(two_runs):
    earlier, later, _ = two_runs
    assert selectors.previous_run_id(run_id=later.pk) == earlier.pk

    movement = selectors.segment_movement(from_run_id=earlier.pk, to_run_id=later.pk)

    moves = {
        (SEGMENTS[i], SEGMENTS[j]): count
        for i, row in enumerate(movement["matrix"])
        for j, count in enumerate(row)
        if count
    }
    assert moves == {
        ("champions", "at_risk"): 1,
        ("loyal", "loyal"): 1,
        ("lost", "lost"): 1,
        ("new", "potential_loyalists"): 1,
    }
    assert {name: n for name, n in movement["gone"].items() if n} == {"hibernating": 1}
    assert {name: n for name, n in movement["arrived"].items() if n} == {"new": 1}


@pytest.mark.parametrize("top_share", [0.2, 0.4, 1.0])
def test_valuable_customers_who_slipped_to_at_risk_or_worse_are_listed(two_runs, top_share):
    earlier, later, _ = two_runs

    slipping = selectors.valuable_customers_slipping(from_run_id=earlier.pk, to_run_id=later.pk, top_share=top_share)

    # A was the most valuable champion and is now at risk; C was lost already, B stayed loyal.
    assert [(item["customer"].external_id, item["before"].segment, item["after"].segment) for item in slipping] == [
        ("A", "champions", "at_risk")
    ]


def test_a_saved_segment_selects_by_all_its_conditions(two_runs):
    saved = SavedSegment.objects.create(name="Worth keeping", min_predicted_value=100, max_probability_alive=0.9)

    members = selectors.saved_segment_members(saved).order_by("customer__external_id")

    assert [row.customer.external_id for row in members] == ["A", "D"]  # B is 0.92 alive, C and F worth little
    saved.rfm_segments, saved.clusters = ["at_risk", "potential_loyalists", "loyal"], [0]
    saved.max_probability_alive = None
    assert sorted(row.customer.external_id for row in selectors.saved_segment_members(saved)) == ["A", "B", "D"]


def test_the_api_serves_profiles_scores_and_movement(two_runs, client, api_keys):
    earlier, later, _ = two_runs
    headers = {"HTTP_X_API_KEY": api_keys["read"]}

    profiles = client.get("/api/v1/segments/", **headers).json()
    assert profiles["run"] == later.pk
    assert [row["segment"] for row in profiles["segments"]] == [
        "loyal",
        "potential_loyalists",
        "new",
        "at_risk",
        "lost",
    ]
    assert [cluster["name"] for cluster in profiles["clusters"]] == ["Big spenders", "Occasional"]

    scores = client.get("/api/v1/customer-segments/?segment=loyal&segment=at_risk&ordering=customer", **headers)
    assert [(row["customer"], row["segment"], row["predicted_value"]) for row in scores.json()["results"]] == [
        ("A", "at_risk", "300.00"),
        ("B", "loyal", "420.00"),
    ]
    valuable = client.get("/api/v1/customer-segments/?min_predicted_value=100", **headers).json()
    assert sorted(row["customer"] for row in valuable["results"]) == ["A", "B", "D"]

    movement = client.get("/api/v1/segments/movement/", **headers).json()
    assert (movement["from_run"], movement["to_run"]) == (earlier.pk, later.pk)
    assert movement["matrix"][SEGMENTS.index("champions")][SEGMENTS.index("at_risk")] == 1


@pytest.mark.parametrize(
    "query, field, message",
    [
        ("from_run=abc", "from_run", "A training run id (a whole number)."),
        ("from_run=999999", "from_run", "Run 999999 is not a succeeded segments run whose results are kept."),
    ],
)
def test_movement_between_unknown_runs_is_refused_naming_the_parameter(
    two_runs, client, api_keys, query, field, message
):
    response = client.get(f"/api/v1/segments/movement/?{query}", HTTP_X_API_KEY=api_keys["read"])

    assert response.status_code == 400
    assert response.json() == {field: [message]}


def test_saved_segments_are_created_over_the_api_and_list_their_members(two_runs, client, api_keys):
    headers = {"HTTP_X_API_KEY": api_keys["write"]}
    body = {"name": "Worth keeping", "min_predicted_value": "100", "max_probability_alive": 0.9}

    created = client.post("/api/v1/saved-segments/", body, content_type="application/json", **headers)

    assert created.status_code == 201, created.content
    members = client.get(f"/api/v1/saved-segments/{created.json()['id']}/members/", **headers).json()
    assert [row["customer"] for row in members["results"]] == ["A", "D"]


@pytest.mark.parametrize(
    "body, field, message",
    [
        (
            {"name": "x", "rfm_segments": ["at_risk", "champs"]},
            "rfm_segments",
            {"1": ['"champs" is not a valid choice.']},
        ),
        (
            {"name": "x", "min_probability_alive": 0.8, "max_probability_alive": 0.2},
            "max_probability_alive",
            ["Must be at least min_probability_alive."],
        ),
        (
            {"name": "x", "max_probability_alive": 1.5},
            "max_probability_alive",
            ["Ensure this value is less than or equal to 1."],
        ),
        ({"name": "x", "clusters": [-1]}, "clusters", {"0": ["Ensure this value is greater than or equal to 0."]}),
    ],
)
def test_bad_saved_segments_are_refused_naming_the_field_and_store_nothing(
    two_runs, client, api_keys, body, field, message
):
    response = client.post(
        "/api/v1/saved-segments/", body, content_type="application/json", HTTP_X_API_KEY=api_keys["write"]
    )

    assert response.status_code == 400
    assert response.json() == {field: message}
    assert not SavedSegment.objects.exists()


def test_a_read_only_key_cannot_save_segments(two_runs, client, api_keys):
    response = client.post(
        "/api/v1/saved-segments/", {"name": "x"}, content_type="application/json", HTTP_X_API_KEY=api_keys["read"]
    )

    assert response.status_code == 403


def test_the_profiles_page_draws_charts_movement_and_who_slipped(two_runs, staff_client):
    _, _, customers = two_runs

    page = staff_client.get("/admin/segments/segmentprofiles/").content.decode()

    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" role="img"') == 2
    assert "<title>Share of customers and of revenue per segment</title>" in page
    assert "Big spenders" in page and "Spend 5x" in page
    assert f'href="/admin/customers/customer/{customers["A"].pk}/change/"' in page
    assert "Movement needs two kept runs" not in page


def test_the_profiles_page_without_a_run_says_how_to_get_one(db, staff_client):
    page = staff_client.get("/admin/segments/segmentprofiles/").content.decode()

    assert "No segments run is active yet." in page


def test_a_customer_page_shows_segment_and_value_in_every_kept_run(two_runs, staff_client):
    earlier, later, customers = two_runs

    page = staff_client.get(f"/admin/customers/customer/{customers['A'].pk}/change/").content.decode()

    assert "segments and lifetime value, by training run" in page.lower()
    assert page.index("at_risk") < page.index("champions")  # newest run first
    assert "300.00" in page and "900.00" in page


def test_saved_segment_members_export_as_csv(two_runs, staff_client):
    saved = SavedSegment.objects.create(name="Slipping", rfm_segments=["at_risk", "lost"])

    response = staff_client.post(
        "/admin/segments/savedsegment/", {"action": "export_members", "_selected_action": [saved.pk]}
    )

    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["saved_segment", "customer__external_id", "customer__source"]
    assert [(row[0], row[1], row[3]) for row in rows[1:]] == [("Slipping", "A", "at_risk"), ("Slipping", "C", "lost")]
