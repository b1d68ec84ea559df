from django.urls import path
from rest_framework.routers import SimpleRouter

from users import views

router = SimpleRouter()
router.register("users", views.UserViewSet, basename="user")

urlpatterns = [
    path("auth/token/", views.TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("auth/token/refresh/", views.TokenRefreshView.as_view(), name="token_refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="logout"),
    path("users/<int:user_id>/blocks/", views.BlockListView.as_view(), name="user-blocks"),
    path("users/<int:user_id>/blocks/<int:block_id>/", views.BlockDetailView.as_view(), name="user-block"),
    *router.urls,
]
