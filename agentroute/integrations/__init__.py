"""The three doors into the router: middleware, chat model, supervising graph."""
