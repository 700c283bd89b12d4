"""Request, query and response models of the HTTP API (pydantic), with converters from service records."""
