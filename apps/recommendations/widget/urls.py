from django.urls import path

from apps.recommendations.widget import views

app_name = "widget"
urlpatterns = [
    path("for-you", views.for_you, name="for-you"),
    path("also-bought", views.also_bought, name="also-bought"),
    path("trending", views.trending, name="trending"),
    path("events", views.events, name="events"),
]
