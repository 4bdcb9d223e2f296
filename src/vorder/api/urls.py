from django.urls import path
from ninja import NinjaAPI

api = NinjaAPI(title="vorder API", version="1", docs_url="/docs")

urlpatterns = [path("", api.urls)]
