"""The campaign report's pages (helper cc's): a placeholder until they land."""

urlpatterns: list = []
