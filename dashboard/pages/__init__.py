"""Server-rendered pages for merchandisers (Jinja2 + plotly served from the installed plotly package)."""
