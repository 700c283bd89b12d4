"""One APIRouter per resource, mounted under /api/v1 by `dashboard.app.create_app`."""
