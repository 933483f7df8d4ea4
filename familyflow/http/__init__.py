"""What the API and the web pages share at the HTTP edge: who is calling (bearer
tokens, session cookies, CSRF). The web pages never import the API's routes."""
