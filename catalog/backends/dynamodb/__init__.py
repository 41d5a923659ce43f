"""The DynamoDB catalog backend (AWS mode); see ``booklibrary.dynamodb``."""

from catalog.backends.dynamodb.backend import DynamoCatalogBackend

__all__ = ["DynamoCatalogBackend"]
