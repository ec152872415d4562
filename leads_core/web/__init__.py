"""What the web server answers and to whom: host names, origins, security headers
(:mod:`leads_core.web.guard`, the middleware ``app.py`` installs)."""
