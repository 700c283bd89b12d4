"""One APIRouter per resource, mounted under /api/v1 by `shelfsight.dashboard.app.create_app`."""
